/** A caller in Node for the agent tests: what the widget does in a browser, with werift. */
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS } from 'werift';

/** An Opus frame the decoder accepts: TOC 0xf8 (CELT FB 20 ms, mono, one frame) and a silent body. */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
const FRAME_MS = 20;
const FRAME_SAMPLES = 960;

export class Caller {
  readonly pc = new RTCPeerConnection({ iceServers: [], codecs: { audio: [useOPUS()] } });
  /** RTP packets that came back from the agent. */
  echoed = 0;
  private readonly microphone = new MediaStreamTrack({ kind: 'audio' });
  private audio: NodeJS.Timeout | undefined;

  constructor() {
    const transceiver = this.pc.addTransceiver(this.microphone, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => this.echoed++));
  }

  /** The offer with every candidate gathered, as the widget sends it (no trickle). */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async accept(answerSdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
  }

  connected(timeoutMs = 5000): Promise<void> {
    if (this.pc.connectionState === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not connected after ${timeoutMs} ms`)), timeoutMs);
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** Sends 50 Opus packets a second, like a microphone; again with another payload, that one instead. */
  startAudio(payload = OPUS_SILENCE): void {
    clearInterval(this.audio);
    let sequenceNumber = 1;
    let timestamp = 0;
    this.audio = setInterval(() => {
      const header = new RtpHeader({ sequenceNumber: sequenceNumber++ & 0xffff, timestamp: (timestamp += FRAME_SAMPLES) >>> 0 });
      this.microphone.writeRtp(new RtpPacket(header, payload));
    }, FRAME_MS);
  }

  /**
   * Hangs up as browsers do: a DTLS close_notify, then close. werift's own close() sends no alert, so
   * without this the agent would only notice when ICE consent expires, 30 s later. The alert goes as a
   * plaintext record (epoch 0), which werift accepts as well as an encrypted one.
   */
  async hangUp(): Promise<void> {
    const closeNotify = Buffer.from([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0]);
    await Promise.all(this.pc.iceTransports.map((ice) => ice.connection.send(closeNotify)));
    await this.close();
  }

  async close(): Promise<void> {
    clearInterval(this.audio);
    await this.pc.close();
  }
}
