/**
 * The agent's side of one call: a werift peer that answers the caller's offer and plays the caller's own
 * audio back after a delay, so a test can tell real two-way media from silence.
 */
import { networkInterfaces } from 'node:os';
import { randomInt } from 'node:crypto';
import { RTCPeerConnection, RtpHeader, RtpPacket, useOPUS } from 'werift';

/** Without it a stuck gatherer would hold the HTTP answer forever; host-only gathering takes milliseconds. */
const ICE_GATHERING_BOUND_MS = 2000;
const LOOPBACK = '127.0.0.1';
/** The discard port: nothing listens there, so checks sent to it go nowhere. */
const CLOSED_PORT = 9;

export type PeerConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface PeerOptions {
  echoDelayMs: number;
  /** `false` answers and receives but never sends audio back. */
  sendAudio: boolean;
  /** Answer with candidates that point nowhere and ignore the caller's, so ICE never connects. */
  unreachable: boolean;
  /**
   * The caller reaches the agent only through a relay: the offer's candidates are ignored, so every check
   * and packet of the agent goes back the way the caller's came (the relay's address, learnt as peer-reflexive).
   */
  relayed: boolean;
  onRtpReceived(payload: Buffer): void;
  onRtpSent(): void;
  onConnectionState(state: PeerConnectionState): void;
}

export interface AgentPeer {
  readonly answerSdp: string;
  close(): Promise<void>;
  /** Drops every packet, in and out, for `ms`: a network outage the caller can only notice, not be told of. */
  drop(ms: number): void;
}

/** The WebRTC stack refused the offer: the caller's fault (400), not the agent's. */
export class OfferRejectedError extends Error {
  override name = 'OfferRejectedError';
}

export async function answerOffer(offerSdp: string, options: PeerOptions): Promise<AgentPeer> {
  const pc = new RTCPeerConnection({
    // werift defaults to Google's STUN server; the agent must not send traffic off this machine.
    iceServers: [],
    // A loopback candidate besides the interfaces' ones: a TURN server on 127.0.0.1 relays from 127.0.0.1, and
    // the agent's sockets (bound to every address) answer a loopback sender from 127.0.0.1, which only a
    // permission for this candidate lets back through the TURN server.
    iceAdditionalHostAddresses: [LOOPBACK],
    codecs: { audio: [useOPUS()] },
  });
  // Added before the offer is applied so werift binds it to the offer's audio m-line; a transceiver added
  // afterwards would be a second, unoffered m-line and the answer's would be recvonly.
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  const echo = new DelayedEcho(options.echoDelayMs, (packet) => {
    void transceiver.sender.sendRtp(packet).catch(() => undefined);
    options.onRtpSent();
  });
  const close = async () => {
    echo.stop();
    await sendCloseNotify(pc);
    await pc.close();
  };
  transceiver.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      options.onRtpReceived(rtp.payload);
      if (options.sendAudio) echo.push(rtp);
    });
  });
  pc.connectionStateChange.subscribe((state) => options.onConnectionState(state));

  try {
    const offer = options.relayed ? withoutCandidates(offerSdp, 'still-gathering') : options.unreachable ? withoutCandidates(offerSdp) : withLocalCandidatesOnly(offerSdp);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  } catch (error) {
    await close();
    throw new OfferRejectedError(`the SDP offer was refused: ${(error as Error).message}`);
  }
  try {
    await pc.setLocalDescription(await pc.createAnswer());
    // werift leaves connectionState alone when the caller's DTLS says close_notify (browsers do on close());
    // without this the agent would notice a hang-up only when ICE consent expires, 30 s later.
    for (const dtls of pc.dtlsTransports) {
      dtls.onStateChange.subscribe((state) => {
        if (state === 'closed' || state === 'failed') options.onConnectionState(state);
      });
    }
    await iceGatheringComplete(pc);
    const answerSdp = pc.localDescription?.sdp;
    if (!answerSdp) throw new Error('werift produced no local description');
    return { answerSdp: options.unreachable ? withCandidatePorts(answerSdp, CLOSED_PORT) : answerSdp, close, drop: (ms) => dropPackets(pc, ms) };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The DTLS socket fields werift keeps internal; `sendCloseNotify` needs them. */
interface WeriftDtlsSocket {
  cipher: { encryptPacket(packet: { recordLayerHeader: { contentType: number } }): unknown };
  send(data: Buffer): Promise<void>;
}

/**
 * werift closes without a DTLS close_notify alert ("todo impl send alert"), so a browser would only notice
 * the agent hanging up when ICE consent runs out, 10–30 s later. Browsers send one on close() and treat
 * one received as the remote end closing (the DTLS transport goes `closed`), so the agent sends one too:
 * werift's own encrypted-record path, with the content type switched from application data to alert.
 */
async function sendCloseNotify(pc: RTCPeerConnection): Promise<void> {
  for (const transport of pc.dtlsTransports) {
    const socket = (transport as unknown as { dtls?: WeriftDtlsSocket }).dtls;
    if (!socket || transport.state !== 'connected') continue;
    const encrypt = socket.cipher.encryptPacket;
    socket.cipher.encryptPacket = function (packet) {
      socket.cipher.encryptPacket = encrypt;
      packet.recordLayerHeader.contentType = 21; // alert
      return encrypt.call(this, packet);
    };
    // level warning (1), description close_notify (0)
    await socket.send(Buffer.from([1, 0])).catch(() => undefined);
    socket.cipher.encryptPacket = encrypt;
  }
}

/** werift's UDP socket wrapper: both fields are plain writable properties. */
interface WeriftUdp {
  send(data: Buffer, address: unknown): Promise<void>;
  onData(data: Buffer, address: unknown): void;
}

/**
 * Swaps the peer's UDP send and receive for no-ops, then puts them back: ICE consent checks, DTLS and RTP
 * all vanish both ways, so the browser sees what a dead network looks like (`disconnected`, then
 * `failed`) and, if the outage ends in time, recovers on the same candidate pair.
 */
function dropPackets(pc: RTCPeerConnection, ms: number): void {
  for (const ice of pc.iceTransports) {
    for (const { transport: udp } of (ice.connection as unknown as { protocols: { transport?: WeriftUdp }[] }).protocols) {
      if (!udp) continue;
      const { send, onData } = udp;
      udp.send = async () => undefined;
      udp.onData = () => undefined;
      setTimeout(() => Object.assign(udp, { send, onData }), ms).unref();
    }
  }
}

function iceGatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ICE_GATHERING_BOUND_MS);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done() {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}

/**
 * Plays packets back `delayMs` after they arrived, re-stamped as a stream of the agent's own: a fresh
 * random sequence and timestamp base (RFC 3550), no header extensions of the caller's. werift's sender
 * then sets the negotiated SSRC and payload type.
 */
class DelayedEcho {
  private readonly queue: { due: number; packet: RtpPacket }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sequenceNumber = randomInt(0x10000);
  private readonly timestampOffset = randomInt(0x1_0000_0000 - 1);

  constructor(
    private readonly delayMs: number,
    private readonly send: (packet: RtpPacket) => void,
  ) {}

  push(rtp: RtpPacket): void {
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    const header = new RtpHeader({
      sequenceNumber: this.sequenceNumber,
      timestamp: (rtp.header.timestamp + this.timestampOffset) >>> 0,
      marker: rtp.header.marker,
    });
    this.queue.push({ due: performance.now() + this.delayMs, packet: new RtpPacket(header, rtp.payload) });
    if (!this.timer) this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    const next = this.queue[0];
    if (next) this.timer = setTimeout(this.flush, Math.max(0, next.due - performance.now()));
  }

  private readonly flush = () => {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue[0] && this.queue[0].due <= now) this.send(this.queue.shift()!.packet);
    this.schedule();
  };
}

const CANDIDATE_ADDRESS = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) /;

/**
 * Drops the offer's candidates on other machines (and mDNS `.local` names, which werift would resolve by
 * multicast), so the agent's connectivity checks only ever go to this machine's own addresses.
 */
export function withLocalCandidatesOnly(sdp: string): string {
  const local = new Set(
    Object.values(networkInterfaces())
      .flatMap((addresses) => addresses ?? [])
      .map((address) => address.address.toLowerCase()),
  );
  return filterLines(sdp, (line) => {
    const address = CANDIDATE_ADDRESS.exec(line)?.[1];
    return address === undefined || local.has(address.toLowerCase());
  });
}

/**
 * The offer without the caller's candidates. `still-gathering` also drops `a=end-of-candidates` (Firefox
 * sends it): werift gives ICE up at once when the caller says it has no more candidates and it has none,
 * while without the line it waits for the peer-reflexive candidate the caller's first check brings.
 */
function withoutCandidates(sdp: string, state: 'complete' | 'still-gathering' = 'complete'): string {
  return filterLines(sdp, (line) => !line.startsWith('a=candidate:') && !(state === 'still-gathering' && line === 'a=end-of-candidates'));
}

function withCandidatePorts(sdp: string, port: number): string {
  return sdp
    .split('\r\n')
    .map((line) => line.replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )\d+( .*)$/, `$1${port}$2`))
    .join('\r\n');
}

/**
 * The answer's first IPv4 host candidate off loopback (loopback when it has no other): where a relay in front
 * of the agent listens and forwards to. Not loopback, because Firefox never pairs its own interface
 * candidates with a remote one on 127.0.0.1.
 */
export function hostCandidate(sdp: string): { address: string; port: number } {
  const hosts = [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ (\d+\.\d+\.\d+\.\d+) (\d+) typ host/gim)].map(([, address, port]) => ({ address: address!, port: Number(port) }));
  const host = hosts.find(({ address }) => !address.startsWith('127.')) ?? hosts[0];
  if (!host) throw new Error('the answer has no IPv4 host candidate to relay to');
  return host;
}

/** The answer with one candidate, `endpoint`, in place of all of its own: the caller can only go there. */
export function withOnlyCandidate(sdp: string, endpoint: { address: string; port: number }): string {
  const candidate = `a=candidate:relay 1 udp 2130706431 ${endpoint.address} ${endpoint.port} typ host`;
  let placed = false;
  return sdp
    .split('\r\n')
    .flatMap((line) => {
      if (!line.startsWith('a=candidate:')) return [line];
      if (placed) return [];
      placed = true;
      return [candidate];
    })
    .join('\r\n');
}

function filterLines(sdp: string, keep: (line: string) => boolean): string {
  return sdp.split(/\r?\n/).filter(keep).join('\r\n');
}
