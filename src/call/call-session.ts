import { createCall, delayOr, endCall, isSecureBase, type ServerEndReason } from '../api/client.js';
import { VoiceCallError, fail } from '../api/errors.js';
import { followSession, type SessionEvent } from '../api/sse.js';
import type { ApiConfig, CallOptions, EverrunsSession, VoiceCallInfo } from '../api/types.js';
import { after, waitForConnected } from './connection.js';
import { Emitter } from './emitter.js';
import { hasTurn, waitForIceGathering } from './ice.js';
import { armLease } from './lease.js';
import { DEFAULT_AUDIO_CONSTRAINTS, acquireMicrophone, stopTracks, type GetUserMedia } from './microphone.js';
import { isActive, type CallState, type EndReason } from './states.js';
import { pollStats, type CallStats } from './stats.js';
import { Transcript, text, type TranscriptChange, type TranscriptTurn } from './transcript.js';

/** Everything one call needs: where to call, how to authenticate, what to ask for, and its bounds. */
export interface CallConfig extends ApiConfig, CallOptions {
  sessionId: string;
  iceServers?: RTCIceServer[];
  /** `relay` sends media only through the TURN servers in `iceServers` (networks that allow nothing else). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Bound on ICE gathering before the offer is sent. */
  iceGatheringTimeoutMs?: number;
  /** Bound on ICE/DTLS connecting after the answer is applied. */
  connectTimeoutMs?: number;
  /** How long a `disconnected` link may take to recover before the call ends. */
  disconnectGraceMs?: number;
  /** When the lease warning fires, before expiry. */
  leaseWarningMs?: number;
  /** Silence after which the session's event stream counts as dead and is reopened (heartbeats come every 30 s). */
  streamIdleMs?: number;
  audio?: MediaTrackConstraints;
}

/** Injection points for fault tests; the defaults are the browser's own. */
export interface CallDependencies {
  getUserMedia?: GetUserMedia | null;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export interface CallSessionEvents {
  statechange: { state: CallState; previous: CallState };
  connected: VoiceCallInfo;
  ended: CallEnd;
  error: VoiceCallError;
  leasewarning: { remainingMs: number };
  /** The server-side end request finished (it never affects the UI). */
  endrequest: { reason: ServerEndReason; ok: boolean; status: number | null };
  /** The session an agent channel call went into. */
  session: EverrunsSession;
  /** The link dropped while connected (the grace period runs) or the browser went offline (nothing ends), or either came back. */
  reconnecting: { reconnecting: boolean };
  /** A transcript turn was added or changed. */
  transcript: TranscriptChange;
  /** A connection-quality reading, each second while connected (on the lease's whole seconds). */
  stats: CallStats;
}

/** How a call ended. */
export interface CallEnd {
  reason: EndReason;
  /** Set when `reason` is `error`. */
  error: VoiceCallError | null;
  /** How long the call was connected, in whole milliseconds on the local clock; `null` if it never connected. */
  durationMs: number | null;
  /** The agent's own reason when it ended the call (`voice.session.ended`'s `reason`, e.g. `agent_ended`), else `null`. */
  agentReason: string | null;
}

/** `performance.now()` at each phase of one call; a prepared call's first marks come before `start`. */
export interface CallTimings {
  prepare?: number;
  start?: number;
  mic?: number;
  offer?: number;
  ice?: number;
  post?: number;
  answer?: number;
  connected?: number;
}

const ignore = () => undefined;

export const CALL_DEFAULTS = {
  iceGatheringTimeoutMs: 700,
  connectTimeoutMs: 15_000,
  disconnectGraceMs: 5_000,
  leaseWarningMs: 30_000,
  streamIdleMs: 45_000,
} as const;

/** A bound from the call's config, or its default when unset or unusable (NaN, negative, too long). */
const setting = (config: CallConfig, name: keyof typeof CALL_DEFAULTS) => delayOr(config[name], CALL_DEFAULTS[name], 0);

// What the server hears for each way a call ends here; nothing for `remote-ended`: the agent ended it.
const SERVER_END_REASONS: Partial<Record<EndReason, ServerEndReason>> = {
  hangup: 'client_ended',
  'lease-expired': 'client_ended',
  error: 'client_error',
  'element-removed': 'element_removed',
  'page-hidden': 'page_unload',
};

/**
 * One attempt and its resources. A hang-up aborts it (`signal.aborted` is "this attempt is over"), and its
 * signal takes every listener and timer of the attempt along, so a late answer can never revive a dead call.
 */
class Attempt extends AbortController {
  // Each is unset until the step that makes it.
  stream?: MediaStream;
  pc?: RTCPeerConnection;
  /** Set once the answer is taken (not for one that lands after a hang-up). */
  call?: VoiceCallInfo;
  /** The agent channel session the call went into. */
  session?: EverrunsSession;
  /** The headers (token included) the server accepted for this call; its end request reuses them. */
  headers?: Record<string, string>;
  /** When the lease runs out, on the local clock. */
  deadline?: number;
  graceTimer?: ReturnType<typeof setTimeout>;
  /** The link is lost (the grace timer runs) or the browser says it is offline. */
  reconnecting?: boolean;
  reason?: EndReason;
  error?: VoiceCallError | null;
  mic?: Promise<MediaStream>;
  /** The peer connection once ICE gathering is over (complete or bounded): all the request needs but the microphone. */
  ready?: Promise<RTCPeerConnection>;
  /** Settles the promise `start()` returned: at connect, or at `#finish` for every other way out. */
  settle?: (error: VoiceCallError | null) => void;
  /** The last connection-quality reading. */
  stats?: CallStats;
  readonly timings: CallTimings = {};
  readonly transcript = new Transcript();

  constructor(public config: CallConfig) {
    super();
  }

  mark(phase: keyof CallTimings): void {
    this.timings[phase] = performance.now();
  }

  /** Milliseconds left on the lease; NaN (which no comparison matches) before there is one. */
  leaseLeft(): number {
    return Math.max(0, this.deadline! - Date.now());
  }

  /** Not through `#finish`: also how an unused preparation, with no call and no state, is let go. */
  release(): void {
    this.abort();
    stopTracks(this.stream);
    this.pc?.close();
  }
}

/**
 * The call state machine and the store of every fact of a call: microphone, peer connection, create-call
 * request, lease, teardown, the transcript (from the session's event stream, which can also end the call) and
 * connection stats. No DOM rendering; the element is a view over it, and a headless page gets the same facts.
 */
export class CallSession extends Emitter<CallSessionEvents> {
  #state: CallState = 'idle';
  #attempt?: Attempt;
  #pending?: Promise<void> | null;
  #remoteStream: MediaStream | null = null;
  #muted = false;
  #prepared?: Attempt;
  #preparedTimer?: ReturnType<typeof setTimeout>;
  readonly #deps: CallDependencies;

  constructor(deps: CallDependencies = {}) {
    super();
    this.#deps = deps;
  }

  get state(): CallState {
    return this.#state;
  }
  get error(): VoiceCallError | null {
    return this.#attempt?.error ?? null;
  }
  /** The session the last agent channel call went into, or null. */
  get everrunsSession(): EverrunsSession | null {
    return this.#attempt?.session ?? null;
  }
  /** The current or last call's config; after a channel call, with the session id it went into. */
  get config(): CallConfig | null {
    return this.#attempt?.config ?? null;
  }
  get call(): VoiceCallInfo | null {
    return this.#attempt?.call ?? null;
  }
  get endReason(): EndReason | null {
    return this.#attempt?.reason ?? null;
  }
  /** The agent's audio; created when a call starts so a player can be bound inside the user's gesture. */
  get remoteStream(): MediaStream | null {
    return this.#remoteStream;
  }
  /** The microphone stream of the current call (null when none is held). */
  get localStream(): MediaStream | null {
    return this.#attempt?.stream ?? null;
  }
  get peerConnection(): RTCPeerConnection | null {
    return this.#attempt?.pc ?? null;
  }
  /** Phase marks of the current or last call (live: filled in as it progresses). */
  get timings(): CallTimings {
    return this.#attempt?.timings ?? {};
  }
  /** True while a connected call has lost its link (and waits out the grace period) or the browser says it is offline. */
  get reconnecting(): boolean {
    const attempt = this.#attempt;
    return !!attempt?.reconnecting && !attempt.signal.aborted;
  }
  /** Local-clock time when the lease runs out, or null when there is no call. */
  get leaseDeadline(): number | null {
    return this.#attempt?.deadline ?? null;
  }
  /** Transcript turns of the current or last call, oldest first. */
  get turns(): readonly TranscriptTurn[] {
    return this.#attempt?.transcript.turns ?? [];
  }
  /** The last connection-quality reading of the current or last call, or null before the first. */
  get stats(): CallStats | null {
    return this.#attempt?.stats ?? null;
  }

  get muted(): boolean {
    return this.#muted;
  }
  /** Muting disables the track (no renegotiation); it carries over to the next call. */
  set muted(value: boolean) {
    this.#muted = value;
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = !value;
  }

  /**
   * Moves the call to another microphone (the default one without `deviceId`) without renegotiating
   * (`replaceTrack`): same call, same connection id; the old track is stopped. Rejects with a `microphone`
   * error and keeps the old one.
   */
  async switchMicrophone(deviceId?: string): Promise<void> {
    const attempt = this.#attempt;
    if (!attempt?.stream || attempt.signal.aborted) return;
    const stream = await this.#acquire(attempt, { deviceId: deviceId ? { exact: deviceId } : undefined });
    if (attempt.signal.aborted) return stopTracks(stream);
    const old = attempt.stream;
    attempt.stream = stream;
    this.muted = this.#muted;
    stopTracks(old);
    this.#watchMicrophone(attempt);
    await attempt.pc?.getSenders()[0]?.replaceTrack(stream.getAudioTracks()[0]!);
  }

  /** The microphone under the call's constraints; `device` replaces the chosen one (`deviceId: undefined`: the default). */
  #acquire(attempt: Attempt, device?: Pick<MediaTrackConstraints, 'deviceId'>): Promise<MediaStream> {
    return acquireMicrophone(this.#deps.getUserMedia, { ...(attempt.config.audio ?? DEFAULT_AUDIO_CONSTRAINTS), ...device });
  }

  /**
   * A microphone that goes away mid-call (unplugged, or its permission revoked) would leave the agent
   * hearing silence: move the call to the default microphone, or end it with the reason when there is none.
   */
  #watchMicrophone(attempt: Attempt): void {
    const track = attempt.stream?.getAudioTracks()[0];
    track?.addEventListener(
      'ended',
      () => {
        if (attempt.stream?.getAudioTracks()[0] === track) this.switchMicrophone().catch((error: VoiceCallError) => this.#finish(attempt, 'error', error));
      },
      { signal: attempt.signal, once: true },
    );
  }

  /**
   * Starts a call. Resolves when connected (or when hung up while starting); rejects with the
   * `VoiceCallError` that ended it. While a call is starting or up, returns the same promise: no second call.
   */
  start(config: CallConfig): Promise<void> {
    if (this.#pending) return this.#pending;
    const attempt = this.#takePrepared() ?? new Attempt(config);
    attempt.config = config;
    attempt.mark('start');
    this.#attempt = attempt;
    this.#remoteStream = typeof MediaStream === 'function' ? new MediaStream() : null;
    // Settled by the single exit, not by #run's return: a hang-up settles it at once even while a
    // permission prompt or a request is still outstanding.
    const pending = (this.#pending = new Promise<void>((resolve, reject) => {
      attempt.settle = (error) => (error ? reject(error) : resolve());
    }));
    void this.#run(attempt);
    return pending;
  }

  /**
   * Gets a call ready ahead of `start()` (on hover or focus): peer connection, offer and ICE, plus the
   * microphone only when its permission is already granted, so hovering never prompts. `start()` picks it
   * up (ICE servers and audio constraints as prepared); unused, it is released after `ttlMs` or on `hangup()`.
   */
  prepare(config: CallConfig, ttlMs = 10_000): void {
    // A call holds #pending from start() to its single exit, so this also covers every active state.
    if (this.#prepared || this.#pending) return;
    const attempt = (this.#prepared = new Attempt(config));
    attempt.mark('prepare');
    this.#preparedTimer = setTimeout(() => this.#takePrepared()?.release(), ttlMs);
    this.#ready(attempt);
    navigator.permissions?.query({ name: 'microphone' as PermissionName }).then(({ state }) => {
      if (state === 'granted' && !attempt.signal.aborted) this.#mic(attempt).catch(ignore);
    }, ignore);
  }

  #takePrepared(): Attempt | undefined {
    const attempt = this.#prepared;
    this.#prepared = undefined;
    clearTimeout(this.#preparedTimer);
    return attempt;
  }

  /**
   * Ends the current call, if any, releasing everything at once; with `error`, in the error state. Safe in every
   * state. `agentReason` is for a call the agent ended: its reason reaches the `ended` event.
   */
  hangup(reason: EndReason = 'hangup', error: VoiceCallError | null = null, agentReason: string | null = null): void {
    this.#takePrepared()?.release();
    if (this.#attempt) this.#finish(this.#attempt, reason, error, agentReason);
  }

  async #run(attempt: Attempt): Promise<void> {
    const { config, signal } = attempt;
    this.#setState('requesting-microphone');
    try {
      // Refused before the microphone is even asked for.
      if (!isSecureBase(config.baseUrl)) {
        throw fail('config', 'The voice service address (base-url) must start with https://.', 'insecure-base-url');
      }
      // Without a session or an agent channel there is no URL to post to (it would read as a 404).
      if (!config.sessionId && !(config.agentId && config.channelId)) {
        throw fail('config', 'Nothing to call: set session-id, or agent-id and channel-id.', 'missing-session');
      }
      // Relay only, with no relay to go through: nothing could ever connect.
      if (config.iceTransportPolicy === 'relay' && !hasTurn(config.iceServers)) {
        throw fail('config', 'A relay-only call needs a TURN server in iceServers.', 'no-turn-server');
      }
      // The microphone is asked for first, then the offer is made and ICE gathered while the browser opens
      // the device (or the user answers its prompt): the offer needs no track, its sender takes it below.
      const mic = this.#mic(attempt);
      const ready = this.#ready(attempt);
      const stream = await mic;
      if (signal.aborted) return;
      this.muted = this.#muted;
      this.#setState('connecting');

      const pc = await ready;
      // A hang-up from a statechange listener came before #offer made this connection: #finish missed it.
      if (signal.aborted) return pc.close();
      // The offer was made before the microphone: its sender takes the track now, no renegotiation.
      const [sender] = pc.getSenders();
      if (sender && !sender.track) await sender.replaceTrack(stream.getAudioTracks()[0]!);

      attempt.mark('post');
      const { call, clockSkewMs, session, headers } = await createCall(config, config.sessionId, pc.localDescription?.sdp ?? '', config, signal);
      attempt.headers = headers;
      if (session) {
        // The end route and the event stream need the session the server put the call in.
        attempt.config = { ...config, sessionId: session.id };
        this.emit('session', (attempt.session = session));
      }
      attempt.mark('answer');
      // A hang-up raced the answer (a fetch that ignored the abort): the call exists on the server only.
      if (signal.aborted) return this.#tellServer(attempt, call, 'client_ended');
      attempt.call = call;
      // `expires_at` is the server's time; the skew (server minus local) moves it onto our clock.
      attempt.deadline = Date.parse(call.expires_at) - clockSkewMs;
      if (attempt.leaseLeft() <= 0) {
        throw fail('lease', 'The call’s time had already run out when it started.', 'lease-expired');
      }

      // Failing after a hang-up (the connection closed under it) reaches #finish, which ignores it.
      await pc.setRemoteDescription({ type: 'answer', sdp: call.answer_sdp }).catch((cause) => {
        throw fail('protocol', 'The voice service sent an answer this browser cannot use.', 'bad-answer-sdp', cause);
      });
      await waitForConnected(pc, setting(config, 'connectTimeoutMs'), signal);
      if (!signal.aborted) this.#onConnected(attempt, pc);
    } catch (cause) {
      // After a hang-up this is the teardown failing what was in flight; #finish ignores it.
      this.#finish(attempt, 'error', cause instanceof VoiceCallError ? cause : fail('webrtc', 'The call could not be set up.', null, cause));
    }
  }

  /** The microphone, once per attempt; a stream that arrives after a hang-up is stopped at once. */
  #mic(attempt: Attempt): Promise<MediaStream> {
    // A chosen microphone that is gone (unplugged since it was remembered) or an id the browser refuses (a
    // TypeError: too long): the default one, not a failed call.
    return (attempt.mic ??= this.#acquire(attempt)
      .catch((error: VoiceCallError) =>
        /^(Overconstrained|Type)Error$/.test(error.code!) && attempt.config.audio?.deviceId ? this.#acquire(attempt, { deviceId: undefined }) : Promise.reject(error),
      )
      .then((stream) => {
        attempt.stream = stream;
        attempt.mark('mic');
        if (attempt.signal.aborted) stopTracks(stream);
        return stream;
      }));
  }

  /**
   * Peer connection, offer and bounded ICE gathering, once per attempt: everything the request needs but the
   * microphone. Awaited only once the microphone is there: a failure before that is the microphone's to report.
   */
  #ready(attempt: Attempt): Promise<RTCPeerConnection> {
    const ready = (attempt.ready ??= this.#offer(attempt));
    ready.catch(ignore);
    return ready;
  }

  /** Peer connection, offer and bounded ICE gathering. */
  async #offer(attempt: Attempt): Promise<RTCPeerConnection> {
    const { config, stream } = attempt;
    const configuration: RTCConfiguration = { iceServers: config.iceServers ?? [], iceTransportPolicy: config.iceTransportPolicy, bundlePolicy: 'max-bundle' };
    let pc: RTCPeerConnection;
    try {
      pc = attempt.pc = this.#deps.createPeerConnection?.(configuration) ?? new RTCPeerConnection(configuration);
    } catch (cause) {
      // The browser checks the servers here (a bad URL, TURN without credentials): the host's settings, not the network.
      throw fail('config', 'The ICE servers (iceServers) are not valid.', 'bad-ice-servers', cause);
    }
    // Read at each track, not at creation: a prepared connection exists before start() makes the call's
    // stream. Adding a track the stream already has does nothing.
    pc.addEventListener('track', ({ track }) => this.#remoteStream?.addTrack(track));
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    else pc.addTransceiver('audio');
    await pc.setLocalDescription(await pc.createOffer());
    attempt.mark('offer');
    await waitForIceGathering(pc, configuration.iceServers, setting(config, 'iceGatheringTimeoutMs'), attempt.signal);
    attempt.mark('ice');
    return pc;
  }

  #onConnected(attempt: Attempt, pc: RTCPeerConnection): void {
    const { config, signal } = attempt;
    attempt.mark('connected');
    this.#setState('connected');
    this.emit('connected', attempt.call!);
    attempt.settle!(null);
    // A listener may have hung up already: nothing below may outlive the attempt.
    if (signal.aborted) return;
    this.#watchMicrophone(attempt);
    armLease(
      attempt.deadline!,
      setting(config, 'leaseWarningMs'),
      () => this.emit('leasewarning', { remainingMs: attempt.leaseLeft() }),
      () => this.#finish(attempt, 'lease-expired'),
      signal,
    );
    void followSession(config, config.sessionId, (event) => this.#onSessionEvent(attempt, event), signal, setting(config, 'streamIdleMs'));
    // Every listener goes with the attempt: #finish aborts this signal.
    const options = { signal };
    // The remote side closing DTLS is the clearest "the agent hung up" signal a browser gives.
    const transport = pc.getSenders()[0]?.transport;
    // A link that went silent (stats.ts) is lost: ICE itself notices only after 5–10 s without an answer.
    let silent = false;
    pollStats(
      pc,
      () => attempt.leaseLeft() % 1000 || 1000,
      (stats, nowSilent) => {
        this.emit('stats', (attempt.stats = stats));
        if (nowSilent !== silent) {
          silent = nowSilent;
          watch();
        }
      },
      signal,
    );
    const watch = () => {
      const state = transport?.state === 'closed' ? 'closed' : silent ? 'disconnected' : pc.connectionState;
      if (state === 'closed') return this.#finish(attempt, 'remote-ended');
      if (state === 'failed') return this.#finish(attempt, 'error', fail('webrtc', 'The connection failed.', 'failed'));
      // Back while waiting, or lost while not: Wi-Fi hand-overs and short drops recover on their own, so a
      // lost link gets a bounded chance. Other states (`connecting` in between) change nothing.
      if (state === (attempt.graceTimer ? 'connected' : 'disconnected')) {
        clearTimeout(attempt.graceTimer);
        attempt.graceTimer = attempt.graceTimer
          ? undefined
          : after(
              setting(config, 'disconnectGraceMs'),
              () => this.#finish(attempt, 'error', fail('webrtc', 'The connection was lost. Check your network, then call again.', 'disconnected')),
              signal,
            );
      }
      // The OS says "offline" seconds before ICE notices a lost link, so it shows "Reconnecting…" early; but
      // only the connection's own state may end the call: media can still flow (a VPN, a second interface,
      // a wrong report).
      const reconnecting = !!attempt.graceTimer || !navigator.onLine;
      if (reconnecting !== !!attempt.reconnecting) this.emit('reconnecting', { reconnecting: (attempt.reconnecting = reconnecting) });
    };
    pc.addEventListener('connectionstatechange', watch, options);
    transport?.addEventListener('statechange', watch, options);
    // The OS knows about a lost network seconds before ICE consent checks run out.
    for (const type of ['online', 'offline']) addEventListener(type, watch, options);
    watch();
  }

  /**
   * One event of the session's stream: transcript turns, and the end of the call when the server says our
   * voice connection ended or failed. Only events naming our voice connection count: the first stream
   * replays the session's whole history (the API has no "from now"), and voice events always name their
   * connection, so one naming another or none is from before this call (or another caller's).
   */
  #onSessionEvent(attempt: Attempt, event: SessionEvent): void {
    const { type, data } = event;
    if (data.voice_connection_id !== attempt.call!.voice_connection_id) return;
    const change = attempt.transcript.apply(event);
    if (change) this.emit('transcript', change);
    if (type === 'voice.session.ended') this.#finish(attempt, 'remote-ended', null, text(data.reason) ?? null);
    else if (type === 'voice.session.failed') {
      const { error } = data;
      this.#finish(attempt, 'error', new VoiceCallError('webrtc', 'The voice session failed.', { code: 'session-failed', serverMessage: text(error?.message) ?? text(error) }));
    }
  }

  /** The single exit: every path releases the mic, the connection, the request and the timers. */
  #finish(attempt: Attempt, reason: EndReason, error: VoiceCallError | null = null, agentReason: string | null = null): void {
    if (attempt.signal.aborted) return;
    const connected = attempt.timings.connected;
    // The agent ends the call itself when the lease runs out, a moment before or after our own timer:
    // whichever of its signals lands first (DTLS close, the session stream), the cause is the lease.
    if (reason === 'remote-ended' && attempt.leaseLeft() < 1000) reason = 'lease-expired';
    attempt.release();
    stopTracks(this.#remoteStream);
    this.#tellServer(attempt, attempt.call, SERVER_END_REASONS[reason]);
    attempt.settle!(error);
    // Only the current attempt reaches here: start() makes no new one before this exit clears #pending.
    this.#pending = null;
    attempt.reason = reason;
    attempt.error = error;
    this.#setState(error ? 'error' : 'ended');
    if (error) this.emit('error', error);
    this.emit('ended', { reason, error, durationMs: connected ? Math.round(performance.now() - connected) : null, agentReason });
  }

  /** Lets the server free the call now rather than at its lease or connect timeout. */
  #tellServer({ config, headers }: Attempt, call: VoiceCallInfo | undefined, reason: ServerEndReason | undefined): void {
    if (reason && call) {
      void endCall(config, config.sessionId, call.voice_connection_id, reason, headers).then(({ ok, status }) => this.emit('endrequest', { reason, ok, status }));
    }
  }

  #setState(state: CallState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.emit('statechange', { state, previous });
  }

  /** True while a call holds or is acquiring resources. */
  get active(): boolean {
    return isActive(this.#state);
  }
}
