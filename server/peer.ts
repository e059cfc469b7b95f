/**
 * The agent's side of one call: a werift peer that answers the caller's offer, hands up the caller's audio
 * frames and data channels, and sends the agent's audio frames.
 */
import { networkInterfaces } from 'node:os';
import { randomInt } from 'node:crypto';
import { RTCPeerConnection, RtpHeader, RtpPacket, useAudioLevelIndication, useOPUS, type RTCDataChannel } from 'werift';

/** Without it a stuck gatherer would hold the HTTP answer forever; host-only gathering takes milliseconds. */
const ICE_GATHERING_BOUND_MS = 2000;
const LOOPBACK = '127.0.0.1';
/** The discard port: nothing listens there, so checks sent to it go nowhere. */
const CLOSED_PORT = 9;
/** RFC 6464, the level both browsers put on every audio packet they send: the agent's voice detection reads it. */
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export type PeerConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/**
 * What the answer does with the offer's application (SCTP data channel) section: take it (`accept`),
 * refuse it with port 0 as RFC 3264 says a server without data channels must (`reject`), or leave it out
 * as an older server that never heard of data channels does (`absent`; browsers refuse such an answer).
 */
export type ApplicationAnswer = 'accept' | 'reject' | 'absent';

/** A 20 ms Opus frame of the caller's. */
export interface InboundFrame {
  payload: Buffer;
  /** RFC 6464 level from the caller's header extension (-dBov, 127 silent), `null` when it sent none. */
  level: number | null;
  /** RTP timestamp, 48 kHz. */
  timestamp: number;
  marker: boolean;
}

/** A 20 ms Opus frame the agent sends; the peer gives it the stream's sequence number and SSRC. */
export interface OutboundFrame {
  payload: Buffer;
  /** On the sender's own 48 kHz clock; the peer adds the stream's random offset (RFC 3550). */
  timestamp: number;
  marker: boolean;
}

export interface PeerOptions {
  /** `false` answers and receives but never sends audio. */
  sendAudio: boolean;
  /** Answer with candidates that point nowhere and ignore the caller's, so ICE never connects. */
  unreachable: boolean;
  /**
   * The caller reaches the agent only through a relay: the offer's candidates are ignored, so every check
   * and packet of the agent goes back the way the caller's came (the relay's address, learnt as peer-reflexive).
   */
  relayed: boolean;
  application: ApplicationAnswer;
  onAudio(frame: InboundFrame): void;
  /** Each frame that went out. */
  onRtpSent(): void;
  /** A data channel the caller opened. */
  onDataChannel(channel: RTCDataChannel): void;
  onConnectionState(state: PeerConnectionState): void;
}

export interface AgentPeer {
  readonly answerSdp: string;
  /** Sends one frame of the agent's audio; false when the `no-audio` setting swallowed it. */
  send(frame: OutboundFrame): boolean;
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
    headerExtensions: { audio: [useAudioLevelIndication()] },
  });
  // Added before the offer is applied so werift binds it to the offer's audio m-line; a transceiver added
  // afterwards would be a second, unoffered m-line and the answer's would be recvonly.
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  const stamp = new OutboundStamp();
  const close = async () => {
    await sendCloseNotify(pc);
    await pc.close();
  };
  transceiver.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp, extensions) => {
      const level = (extensions?.[AUDIO_LEVEL_URI] as { level?: unknown } | undefined)?.level;
      options.onAudio({
        payload: rtp.payload,
        level: typeof level === 'number' ? level : null,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
      });
    });
  });
  pc.onDataChannel.subscribe((channel) => options.onDataChannel(channel));
  pc.connectionStateChange.subscribe((state) => options.onConnectionState(state));

  // werift would answer the application section and start SCTP; for the faults it never sees it.
  const { sdp: offer, application } = options.application === 'accept' ? { sdp: offerSdp, application: null } : withoutApplication(offerSdp);
  try {
    const candidates = options.relayed ? withoutCandidates(offer, 'still-gathering') : options.unreachable ? withoutCandidates(offer) : withLocalCandidatesOnly(offer);
    await pc.setRemoteDescription({ type: 'offer', sdp: candidates });
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
    let answerSdp = pc.localDescription?.sdp;
    if (!answerSdp) throw new Error('werift produced no local description');
    if (options.unreachable) answerSdp = withCandidatePorts(answerSdp, CLOSED_PORT);
    if (application && options.application === 'reject') answerSdp = withRejectedSection(answerSdp, application);
    const send = (frame: OutboundFrame) => {
      if (!options.sendAudio) return false;
      void transceiver.sender.sendRtp(stamp.packet(frame)).catch(() => undefined);
      options.onRtpSent();
      return true;
    };
    return { answerSdp, send, close, drop: (ms) => dropPackets(pc, ms) };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The agent's outgoing stream as RFC 3550 wants it: its own random sequence and timestamp base, no header
 * extensions of the caller's. werift's sender then sets the negotiated SSRC and payload type.
 */
class OutboundStamp {
  private sequenceNumber = randomInt(0x10000);
  private readonly timestampOffset = randomInt(0x1_0000_0000 - 1);

  packet({ payload, timestamp, marker }: OutboundFrame): RtpPacket {
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
    const header = new RtpHeader({ sequenceNumber: this.sequenceNumber, timestamp: (timestamp + this.timestampOffset) >>> 0, marker });
    return new RtpPacket(header, payload);
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

/** One m-section of an SDP: its lines, the `m=` line first. */
type Section = string[];

function sectionsOf(sdp: string): { session: string[]; media: Section[] } {
  const session: string[] = [];
  const media: Section[] = [];
  for (const line of sdp.split(/\r?\n/).filter(Boolean)) {
    if (line.startsWith('m=')) media.push([line]);
    else (media.at(-1) ?? session).push(line);
  }
  return { session, media };
}

function joinSections(session: string[], media: Section[]): string {
  return [...session, ...media.flat(), ''].join('\r\n');
}

/** Where the offer's application section was and what it was called, so the answer can refuse it in place. */
interface RemovedSection {
  index: number;
  mid: string | null;
}

/** The offer without its application section (and without its mid in BUNDLE), and where it was. */
function withoutApplication(sdp: string): { sdp: string; application: RemovedSection | null } {
  const { session, media } = sectionsOf(sdp);
  const index = media.findIndex((section) => section[0]!.startsWith('m=application '));
  if (index < 0) return { sdp, application: null };
  const mid = media[index]!.find((line) => line.startsWith('a=mid:'))?.slice('a=mid:'.length) ?? null;
  media.splice(index, 1);
  return { sdp: joinSections(withoutBundled(session, mid), media), application: { index, mid } };
}

/**
 * The answer with the offer's application section refused in its place (RFC 3264 §6: port 0, the same
 * protocol and format, the same mid; JSEP: outside BUNDLE). Both browsers take it and close the channel.
 */
function withRejectedSection(sdp: string, { index, mid }: RemovedSection): string {
  const { session, media } = sectionsOf(sdp);
  const rejected = ['m=application 0 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', ...(mid === null ? [] : [`a=mid:${mid}`])];
  media.splice(index, 0, rejected);
  return joinSections(session, media);
}

function withoutBundled(session: string[], mid: string | null): string[] {
  return session.map((line) =>
    line.startsWith('a=group:BUNDLE ') ? ['a=group:BUNDLE', ...line.slice('a=group:BUNDLE '.length).split(' ').filter((m) => m !== mid)].join(' ') : line,
  );
}
