/** A caller in Node for the agent tests: what the widget does in a browser, with werift. */
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  serializeAudioLevelIndication,
  useAudioLevelIndication,
  useOPUS,
  type RTCDataChannel,
} from 'werift';
import type { ClipFrame } from '../../server/clips.ts';

/** An Opus frame the decoder accepts: TOC 0xf8 (CELT FB 20 ms, mono, one frame) and a silent body. */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
const FRAME_MS = 20;
const FRAME_SAMPLES = 960;
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
/** Browsers accept at least this much per message (Chromium 256 KiB); werift's own default is 64 KiB. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface CallerOptions {
  /** Opens an `oai-events` channel before the offer, as the widget does. */
  channel?: boolean;
  /** Offers the ssrc-audio-level header extension and puts each frame's level on its packet, as browsers do. */
  audioLevels?: boolean;
}

/** A message the caller got on its data channel, and when. */
export interface ChannelMessage {
  at: number;
  data: string | Buffer;
  /** The parsed event, when the message was JSON text of an object with a string `type`. */
  event: { type: string; [field: string]: unknown } | null;
}

/** An RTP packet that came from the agent, and when. */
export interface Received {
  at: number;
  payload: Buffer;
}

export class Caller {
  readonly pc: RTCPeerConnection;
  /** RTP packets that came back from the agent. */
  echoed = 0;
  /** Every packet that came from the agent, in order (kept only with `record()`). */
  readonly received: Received[] = [];
  readonly messages: ChannelMessage[] = [];
  readonly channel: RTCDataChannel | null = null;
  /** When the first frame went to the agent (performance.now()). */
  firstSentAt: number | null = null;
  private readonly microphone = new MediaStreamTrack({ kind: 'audio' });
  private audio: NodeJS.Timeout | undefined;
  private recording = false;
  private sequenceNumber = 1;
  private timestamp = 0;

  constructor(private readonly options: CallerOptions = {}) {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      codecs: { audio: [useOPUS()] },
      headerExtensions: { audio: options.audioLevels ? [useAudioLevelIndication()] : [] },
      maxMessageSize: MAX_MESSAGE_BYTES,
      // As browsers do by default; without it werift gathers a second set of sockets for the data channel and never closes them.
      bundlePolicy: 'max-bundle',
    });
    const transceiver = this.pc.addTransceiver(this.microphone, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        this.echoed++;
        if (this.recording) this.received.push({ at: performance.now(), payload: rtp.payload });
      }),
    );
    if (options.channel) this.channel = this.openChannel();
  }

  /** Keeps every packet from the agent from now on in `received`. */
  record(): void {
    this.recording = true;
  }

  /** The events that came on the channel, parsed, in order. */
  get events(): { type: string; [field: string]: unknown }[] {
    return this.messages.flatMap((message) => (message.event ? [message.event] : []));
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
    this.loop(() => ({ level: null, payload }));
  }

  /**
   * Sends recorded frames at their real pace, then silence: real Opus audio, with each frame's level in
   * the audio-level extension when the call offered it. Resolves when the last recorded frame went out.
   */
  speak(frames: readonly ClipFrame[]): Promise<void> {
    let next = 0;
    return new Promise((resolve) => {
      this.loop(() => {
        const frame = frames[next++];
        if (next === frames.length) setImmediate(resolve);
        return frame ?? { level: 127, payload: OPUS_SILENCE };
      });
    });
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

  private openChannel(): RTCDataChannel {
    const channel = this.pc.createDataChannel('oai-events');
    channel.onMessage.subscribe((data) => this.messages.push({ at: performance.now(), data, event: parseEvent(data) }));
    return channel;
  }

  /** A 20 ms clock over one RTP stream whose sequence and timestamps run on across payload changes. */
  private loop(next: () => ClipFrame): void {
    clearInterval(this.audio);
    this.audio = setInterval(() => {
      const frame = next();
      const header = new RtpHeader({ sequenceNumber: this.sequenceNumber++ & 0xffff, timestamp: (this.timestamp += FRAME_SAMPLES) >>> 0 });
      const extensionId = this.audioLevelId();
      if (extensionId !== undefined && frame.level !== null) {
        header.extension = true;
        header.extensions = [{ id: extensionId, payload: serializeAudioLevelIndication(frame.level) }];
      }
      this.firstSentAt ??= performance.now();
      this.microphone.writeRtp(new RtpPacket(header, frame.payload));
    }, FRAME_MS);
  }

  private audioLevelId(): number | undefined {
    if (!this.options.audioLevels) return undefined;
    return this.pc.getTransceivers()[0]?.headerExtensions.find((extension) => extension.uri === AUDIO_LEVEL_URI)?.id;
  }
}

function parseEvent(data: string | Buffer): ChannelMessage['event'] {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { type?: unknown }).type === 'string'
      ? (value as { type: string })
      : null;
  } catch {
    return null;
  }
}
