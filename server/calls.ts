/** The agent's calls: each one's peer, lease and end, and a bounded history of ended calls for tests. */
import { randomBytes } from 'node:crypto';
import type { RTCDataChannel } from 'werift';
import type { Faults } from './faults.ts';
import { Hearing, type Heard } from './hearing.ts';
import {
  answerOffer,
  hostCandidate,
  withOnlyCandidate,
  type AgentPeer,
  type ApplicationAnswer,
  type InboundFrame,
  type OutboundFrame,
  type PeerConnectionState,
} from './peer.ts';
import { CLEAN_LINK, UdpRelay, type LinkConditions, type RelayCounts } from './relay.ts';

export interface AgentCall {
  voiceConnectionId: string;
  sessionId: string;
  /** The `provider_call_id` of the create-call response: the reference agent issues it with the answer. */
  providerCallId: string;
  createdAt: number;
  expiresAt: number;
  connectedAt: number | null;
  endedAt: number | null;
  state: 'connecting' | 'connected' | 'ended';
  /**
   * `lease-expired`, `client-ended` (the end route), `peer-closed` (the connection failed, closed or stayed
   * disconnected), `connect-timeout`, `agent-closed` (the remote-close fault), `client-aborted` (the create
   * request was abandoned before its answer), `server-closed`, or the reason given to `endCall`.
   */
  endReason: string | null;
  rtpReceived: number;
  rtpSent: number;
  /** The caller's audio, decoded: how many packets were audible and how loud the loudest was. */
  heard: Heard;
  /**
   * The newest Realtime events the agent emitted (sent on the data channel when there is one), with
   * `performance.now()` when it did: the agent's own clock, which a loaded machine cannot compress the way
   * it can the caller's arrival times.
   */
  realtimeLog: { type: string; at: number }[];
  /** The create-call request body as received, offer included. */
  request: Record<string, unknown>;
  /** The end request's body, when the call was ended through the end route. */
  endRequest: Record<string, unknown> | null;
  /** Packets the relay forwarded and dropped, when the call's media went through one (the relay faults). */
  relay: RelayCounts | null;
}

/** A bad network link between the caller and the agent (the `relay-*` faults). */
export interface LinkSettings {
  /** From the moment the call connected. */
  conditions: LinkConditions;
  /** Everything is dropped for this long, once the agent has sent a second of audio; `null`: never. */
  blackoutMs: number | null;
  /** The loss and jitter stop this long after the call connected; `null`: never. */
  healMs: number | null;
}

export interface CallSettings {
  leaseSeconds: number;
  sendAudio: boolean;
  unreachable: boolean;
  /** What the answer does with a data channel in the offer. */
  application: ApplicationAnswer;
  /** Close the agent's peer this long after it connected; `null`: never. */
  remoteCloseMs: number | null;
  /** Drop every packet for this long once connected; `null`: never. */
  dropMs: number | null;
  /** Media through a relay with these conditions; `null`: straight to the agent. */
  link: LinkSettings | null;
}

/** A browser that lost the peer gets this long to come back before the call is over. */
const LOST_GRACE_MS = 5000;
/** A call whose caller never connects (an answer it could not use, ICE that cannot work) is freed after this. */
const CONNECT_TIMEOUT_MS = 30_000;
const ENDED_CALLS_KEPT = 200;
/**
 * A blackout waits until the agent has sent this much audio (a second of it), so the call has had audio both
 * ways before the link goes, however long a busy machine takes to start the echo.
 */
const BLACKOUT_AFTER_PACKETS = 50;

interface Live {
  peer: AgentPeer;
  hearing: Hearing;
  relay: UdpRelay | undefined;
  timers: Set<NodeJS.Timeout>;
  lostTimer: NodeJS.Timeout | undefined;
}

/** What the conversation (conversation.ts) follows of each call, and how it speaks on it. */
export interface CallListener {
  /** A new call, before its answer goes out; `send` sends one frame of the agent's audio. */
  created(call: AgentCall, faults: Faults, send: (frame: OutboundFrame) => boolean): void;
  connected(call: AgentCall): void;
  audio(call: AgentCall, frame: InboundFrame): void;
  /** A data channel the caller opened. */
  channel(call: AgentCall, channel: RTCDataChannel): void;
  ended(call: AgentCall): void;
}

export class CallRegistry {
  readonly calls = new Map<string, AgentCall>();
  private readonly live = new Map<string, Live>();
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly listener: CallListener,
  ) {}

  async create(
    sessionId: string,
    request: Record<string, unknown> & { sdp: string },
    settings: CallSettings,
    faults: Faults,
  ): Promise<{ call: AgentCall; answerSdp: string }> {
    const createdAt = Date.now();
    const hearing = new Hearing();
    const call: AgentCall = {
      voiceConnectionId: `voice_conn_${uuid7Hex(createdAt)}`,
      sessionId,
      providerCallId: `ref_call_${randomBytes(16).toString('hex')}`,
      createdAt,
      expiresAt: createdAt + settings.leaseSeconds * 1000,
      connectedAt: null,
      endedAt: null,
      state: 'connecting',
      endReason: null,
      rtpReceived: 0,
      rtpSent: 0,
      heard: hearing.heard,
      realtimeLog: [],
      request,
      endRequest: null,
      relay: null,
    };
    // Opened once the agent's candidates are known (below); its blackout starts from the audio sent.
    let relay: UdpRelay | undefined;
    const peer = await answerOffer(request.sdp, {
      sendAudio: settings.sendAudio,
      unreachable: settings.unreachable,
      relayed: settings.link !== null,
      application: settings.application,
      onAudio: (frame) => {
        call.rtpReceived++;
        hearing.push(frame.payload);
        this.listener.audio(call, frame);
      },
      onDataChannel: (channel) => this.listener.channel(call, channel),
      onRtpSent: () => {
        if (++call.rtpSent === BLACKOUT_AFTER_PACKETS && settings.link?.blackoutMs != null) relay?.blackout(settings.link.blackoutMs);
      },
      onConnectionState: (state) => this.onConnectionState(call, state, settings),
    });
    let answerSdp = peer.answerSdp;
    if (settings.link) {
      try {
        const agent = hostCandidate(answerSdp);
        // On the agent's own address: whatever reaches the agent reaches the relay.
        relay = await UdpRelay.open(agent, agent.address);
      } catch (error) {
        await peer.close();
        throw error;
      }
      answerSdp = withOnlyCandidate(answerSdp, relay.endpoint);
      call.relay = relay.counts;
    }
    const live: Live = { peer, hearing, relay, timers: new Set(), lostTimer: undefined };
    this.live.set(call.voiceConnectionId, live);
    this.calls.set(call.voiceConnectionId, call);
    this.listener.created(call, faults, (frame) => peer.send(frame));
    this.after(live, call.expiresAt - Date.now(), () => this.end(call.voiceConnectionId, 'lease-expired'));
    this.after(live, CONNECT_TIMEOUT_MS, () => {
      if (call.state === 'connecting') this.end(call.voiceConnectionId, 'connect-timeout');
    });
    this.log(`call ${call.voiceConnectionId} created for session ${JSON.stringify(sessionId)}`);
    return { call, answerSdp };
  }

  /** Ends a live call and frees its peer; returns false when there is no such live call. */
  end(id: string, reason: string, endRequest: Record<string, unknown> | null = null): boolean {
    const call = this.calls.get(id);
    const live = this.live.get(id);
    if (!call || !live) return false;
    this.live.delete(id);
    for (const timer of live.timers) clearTimeout(timer);
    clearTimeout(live.lostTimer);
    live.relay?.close();
    live.hearing.free();
    Object.assign(call, { state: 'ended', endReason: reason, endedAt: Date.now(), endRequest });
    const closed = live.peer.close().catch(() => undefined);
    this.closing.add(closed);
    void closed.then(() => this.closing.delete(closed));
    this.log(`call ${id} ended: ${reason} (rtp in ${call.rtpReceived}, out ${call.rtpSent})`);
    this.listener.ended(call);
    this.forgetOldCalls();
    return true;
  }

  /** Ends every live call and waits until all their peers are closed. */
  async endAll(reason: string): Promise<void> {
    for (const id of [...this.live.keys()]) this.end(id, reason);
    await Promise.all(this.closing);
  }

  private onConnectionState(call: AgentCall, state: PeerConnectionState, settings: CallSettings): void {
    const live = this.live.get(call.voiceConnectionId);
    if (!live) return;
    if (state === 'connected') {
      clearTimeout(live.lostTimer);
      live.lostTimer = undefined;
      if (call.state !== 'connecting') return;
      call.state = 'connected';
      call.connectedAt = Date.now();
      this.log(`call ${call.voiceConnectionId} connected after ${call.connectedAt - call.createdAt} ms`);
      this.listener.connected(call);
      if (settings.dropMs !== null) live.peer.drop(settings.dropMs);
      const { link } = settings;
      const { relay } = live;
      if (link && relay) {
        // The link turns bad once the call is up: werift's DTLS client cannot finish a handshake whose
        // datagrams arrive out of order (Firefox sends its flight in several), and the widget is tested
        // here for how it lives through a bad link, not for how werift connects over one.
        relay.conditions = link.conditions;
        const { healMs } = link;
        if (healMs !== null) this.after(live, healMs, () => (relay.conditions = CLEAN_LINK));
      }
      if (settings.remoteCloseMs !== null) {
        this.after(live, settings.remoteCloseMs, () => this.end(call.voiceConnectionId, 'agent-closed'));
      }
    } else if ((state === 'disconnected' || state === 'failed' || state === 'closed') && !live.lostTimer) {
      live.lostTimer = setTimeout(() => this.end(call.voiceConnectionId, 'peer-closed'), LOST_GRACE_MS);
    }
  }

  private after(live: Live, ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      live.timers.delete(timer);
      run();
    }, Math.max(0, ms));
    live.timers.add(timer);
  }

  private forgetOldCalls(): void {
    let ended = this.calls.size - this.live.size;
    for (const [id, call] of this.calls) {
      if (ended <= ENDED_CALLS_KEPT) return;
      if (call.state === 'ended') {
        this.calls.delete(id);
        ended--;
      }
    }
  }
}

/** 32 hex digits of a UUIDv7, the form of Everruns ids: time-ordered, so ids sort by creation. */
function uuid7Hex(now: number): string {
  const random = randomBytes(10);
  random[2] = (random[2]! & 0x3f) | 0x80;
  const hex = random.toString('hex');
  return `${now.toString(16).padStart(12, '0')}7${hex.slice(0, 3)}${hex.slice(4)}`;
}
