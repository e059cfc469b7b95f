/** The agent's calls: each one's peer, lease and end, and a bounded history of ended calls for tests. */
import { randomBytes } from 'node:crypto';
import { answerOffer, type AgentPeer, type PeerConnectionState } from './peer.ts';

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
  /** The create-call request body as received, offer included. */
  request: Record<string, unknown>;
  /** The end request's body, when the call was ended through the end route. */
  endRequest: Record<string, unknown> | null;
}

export interface CallSettings {
  leaseSeconds: number;
  echoDelayMs: number;
  sendAudio: boolean;
  unreachable: boolean;
  /** Close the agent's peer this long after it connected; `null`: never. */
  remoteCloseMs: number | null;
  /** Drop every packet for this long once connected; `null`: never. */
  dropMs: number | null;
}

/** A browser that lost the peer gets this long to come back before the call is over. */
const LOST_GRACE_MS = 5000;
/** A call whose caller never connects (an answer it could not use, ICE that cannot work) is freed after this. */
const CONNECT_TIMEOUT_MS = 30_000;
const ENDED_CALLS_KEPT = 200;

interface Live {
  peer: AgentPeer;
  timers: Set<NodeJS.Timeout>;
  lostTimer: NodeJS.Timeout | undefined;
}

/** What the voice events (conversation.ts) follow of each call. */
export interface CallListener {
  connected(call: AgentCall): void;
  rtp(call: AgentCall, payloadBytes: number): void;
  ended(call: AgentCall): void;
}

export class CallRegistry {
  readonly calls = new Map<string, AgentCall>();
  private readonly live = new Map<string, Live>();
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly listener?: CallListener,
  ) {}

  async create(
    sessionId: string,
    request: Record<string, unknown> & { sdp: string },
    settings: CallSettings,
  ): Promise<{ call: AgentCall; answerSdp: string }> {
    const createdAt = Date.now();
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
      request,
      endRequest: null,
    };
    const peer = await answerOffer(request.sdp, {
      echoDelayMs: settings.echoDelayMs,
      sendAudio: settings.sendAudio,
      unreachable: settings.unreachable,
      onRtpReceived: (bytes) => {
        call.rtpReceived++;
        this.listener?.rtp(call, bytes);
      },
      onRtpSent: () => call.rtpSent++,
      onConnectionState: (state) => this.onConnectionState(call, state, settings),
    });
    const live: Live = { peer, timers: new Set(), lostTimer: undefined };
    this.live.set(call.voiceConnectionId, live);
    this.calls.set(call.voiceConnectionId, call);
    this.after(live, call.expiresAt - Date.now(), () => this.end(call.voiceConnectionId, 'lease-expired'));
    this.after(live, CONNECT_TIMEOUT_MS, () => {
      if (call.state === 'connecting') this.end(call.voiceConnectionId, 'connect-timeout');
    });
    this.log(`call ${call.voiceConnectionId} created for session ${JSON.stringify(sessionId)}`);
    return { call, answerSdp: peer.answerSdp };
  }

  /** Ends a live call and frees its peer; returns false when there is no such live call. */
  end(id: string, reason: string, endRequest: Record<string, unknown> | null = null): boolean {
    const call = this.calls.get(id);
    const live = this.live.get(id);
    if (!call || !live) return false;
    this.live.delete(id);
    for (const timer of live.timers) clearTimeout(timer);
    clearTimeout(live.lostTimer);
    Object.assign(call, { state: 'ended', endReason: reason, endedAt: Date.now(), endRequest });
    const closed = live.peer.close().catch(() => undefined);
    this.closing.add(closed);
    void closed.then(() => this.closing.delete(closed));
    this.log(`call ${id} ended: ${reason} (rtp in ${call.rtpReceived}, out ${call.rtpSent})`);
    this.listener?.ended(call);
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
      this.listener?.connected(call);
      if (settings.dropMs !== null) live.peer.drop(settings.dropMs);
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
