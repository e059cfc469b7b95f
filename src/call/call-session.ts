import { createCall, endCall, isSecureBase, type ServerEndReason } from '../api/client.js';
import { ErrorKind, VoiceCallError, fail } from '../api/errors.js';
import type { ApiConfig, CallOptions, EverrunsSession, VoiceCallInfo } from '../api/types.js';
import { waitForConnected } from './connection.js';
import { Emitter } from './emitter.js';
import { waitForIceGathering } from './ice.js';
import { Lease } from './lease.js';
import { DEFAULT_AUDIO_CONSTRAINTS, acquireMicrophone, defaultGetUserMedia, stopTracks, type GetUserMedia } from './microphone.js';
import { CallState, EndReason, isActive } from './states.js';

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
  ended: { reason: EndReason; error: VoiceCallError | null };
  error: VoiceCallError;
  leasewarning: { remainingMs: number };
  /** The server-side end request finished (it never affects the UI). */
  endrequest: { reason: ServerEndReason; ok: boolean; status: number | null };
  /** The session an agent channel call went into. */
  session: EverrunsSession;
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

const now = () => performance.now();

export const CALL_DEFAULTS = {
  iceGatheringTimeoutMs: 700,
  connectTimeoutMs: 15_000,
  disconnectGraceMs: 5_000,
  leaseWarningMs: 30_000,
} as const;

// Keyed by the `EndReason` values themselves: computed keys would cost a lookup each in the bundle.
const SERVER_END_REASONS: Partial<Record<EndReason, ServerEndReason>> = {
  hangup: 'client_ended',
  'lease-expired': 'client_ended',
  error: 'client_error',
  'element-removed': 'element_removed',
  'page-hidden': 'page_unload',
};

/** One attempt's resources. A hang-up aborts it, so a late answer can never revive a dead call. */
class Attempt {
  readonly abort = new AbortController();
  // Unset until the step that makes each one; no initialisers, which the bundle would spell out.
  stream?: MediaStream;
  pc?: RTCPeerConnection;
  call?: VoiceCallInfo;
  lease?: Lease;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
  finished?: boolean;
  mic?: Promise<MediaStream>;
  ready?: Promise<RTCPeerConnection>;
  readonly timings: CallTimings = {};
  /** Settles the promise `start()` returned: at connect, or at `#finish` for every other way out. */
  settle: (error: VoiceCallError | null) => void = () => undefined;

  constructor(public config: CallConfig) {}

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }
}

/**
 * The call state machine: microphone, peer connection, create-call request, lease and teardown. No DOM
 * rendering; the element is a view over it.
 */
export class CallSession extends Emitter<CallSessionEvents> {
  #state: CallState = CallState.Idle;
  #attempt: Attempt | null = null;
  #pending: Promise<void> | null = null;
  #error: VoiceCallError | null = null;
  #endReason: EndReason | null = null;
  #call: VoiceCallInfo | null = null;
  #everrunsSession: EverrunsSession | null = null;
  #remoteStream: MediaStream | null = null;
  #muted = false;
  #prepared: Attempt | null = null;
  #preparedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly deps: CallDependencies = {}) {
    super();
  }

  get state(): CallState {
    return this.#state;
  }
  get error(): VoiceCallError | null {
    return this.#error;
  }
  /** The session the last agent channel call went into, or null. */
  get everrunsSession(): EverrunsSession | null {
    return this.#everrunsSession;
  }
  /** The current or last call's config; after a channel call, with the session id it went into. */
  get config(): CallConfig | null {
    return this.#attempt?.config ?? null;
  }
  get call(): VoiceCallInfo | null {
    return this.#call;
  }
  get endReason(): EndReason | null {
    return this.#endReason;
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
  /** Local-clock time when the lease runs out, or null when there is no call. */
  get leaseDeadline(): number | null {
    return this.#attempt?.lease?.deadline ?? null;
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
    if (!attempt?.stream || attempt.finished) return;
    const { deviceId: _chosen, ...audio } = attempt.config.audio ?? DEFAULT_AUDIO_CONSTRAINTS;
    const stream = await acquireMicrophone(this.#getUserMedia, deviceId ? { ...audio, deviceId: { exact: deviceId } } : audio);
    if (attempt.finished) return stopTracks(stream);
    const old = attempt.stream;
    attempt.stream = stream;
    this.muted = this.#muted;
    stopTracks(old);
    this.#watchMicrophone(attempt);
    await attempt.pc?.getSenders()[0]?.replaceTrack(stream.getAudioTracks()[0]!);
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
        if (attempt.finished || attempt.stream?.getAudioTracks()[0] !== track) return;
        this.switchMicrophone().catch((error: VoiceCallError) => this.#finish(attempt, EndReason.Error, error));
      },
      { signal: attempt.abort.signal, once: true },
    );
  }

  get #getUserMedia(): GetUserMedia | null {
    return this.deps.getUserMedia === undefined ? defaultGetUserMedia() : this.deps.getUserMedia;
  }

  /**
   * Starts a call. Resolves when connected (or when hung up while starting); rejects with the
   * `VoiceCallError` that ended it. While a call is starting or up, returns the same promise: no second call.
   */
  start(config: CallConfig): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.#state === CallState.Connected) return Promise.resolve();
    const attempt = this.#takePrepared() ?? new Attempt(config);
    attempt.config = config;
    attempt.timings.start = now();
    this.#attempt = attempt;
    this.#error = null;
    this.#endReason = null;
    this.#call = null;
    this.#everrunsSession = null;
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
    if (this.#prepared || this.#pending || this.active) return;
    const attempt = (this.#prepared = new Attempt(config));
    attempt.timings.prepare = now();
    this.#preparedTimer = setTimeout(() => this.#releasePrepared(), ttlMs);
    (attempt.ready = this.#offer(attempt)).catch(() => undefined);
    globalThis.navigator?.permissions?.query({ name: 'microphone' as PermissionName }).then(({ state }) => {
      if (state === 'granted' && !attempt.aborted) this.#mic(attempt).catch(() => undefined);
    }, () => undefined);
  }

  #takePrepared(): Attempt | null {
    const attempt = this.#prepared;
    this.#prepared = null;
    clearTimeout(this.#preparedTimer);
    return attempt;
  }

  /** Not through #finish: a prepared attempt has no call, no state and no remote stream to touch. */
  #releasePrepared(): void {
    const attempt = this.#takePrepared();
    attempt?.abort.abort();
    stopTracks(attempt?.stream ?? null);
    attempt?.pc?.close();
  }

  /** Ends the current call, if any, releasing everything at once; with `error`, in the error state. Safe in every state. */
  hangup(reason: EndReason = EndReason.Hangup, error: VoiceCallError | null = null): void {
    this.#releasePrepared();
    const attempt = this.#attempt;
    if (attempt && !attempt.finished) this.#finish(attempt, reason, error);
  }

  async #run(attempt: Attempt): Promise<void> {
    const { config } = attempt;
    this.#setState(CallState.RequestingMicrophone);
    try {
      // Refused before the microphone is even asked for.
      if (!isSecureBase(config.baseUrl)) {
        throw fail(ErrorKind.Config, 'The voice service address (base-url) must start with https://.', 'insecure-base-url');
      }
      const stream = await this.#mic(attempt);
      if (attempt.aborted) return;
      this.muted = this.#muted;
      this.#setState(CallState.Connecting);

      const pc = await (attempt.ready ??= this.#offer(attempt));
      // A hang-up from a statechange listener came before #offer made this connection: #finish missed it.
      if (attempt.aborted) return pc.close();
      // A prepared offer was made before the microphone: its sender takes the track now, no renegotiation.
      const [sender] = pc.getSenders();
      if (sender && !sender.track) await sender.replaceTrack(stream.getAudioTracks()[0]!);

      const sdp = pc.localDescription?.sdp ?? '';
      attempt.timings.post = now();
      const { call, clockSkewMs, session } = await createCall(config, config.sessionId, sdp, config, attempt.abort.signal);
      if (session) {
        // The end route and the event stream need the session the server put the call in.
        attempt.config = { ...config, sessionId: session.id };
        this.emit('session', (this.#everrunsSession = session));
      }
      attempt.timings.answer = now();
      attempt.call = call;
      // A hang-up raced the answer (a fetch that ignored the abort): the call exists on the server only.
      if (attempt.aborted) return this.#tellServer(attempt, 'client_ended');
      this.#call = call;
      attempt.lease = new Lease(call.expires_at, clockSkewMs);
      if (attempt.lease.remainingMs() <= 0) {
        throw fail(ErrorKind.Lease, 'The call’s time had already run out when it started.', 'lease-expired');
      }

      try {
        await pc.setRemoteDescription({ type: 'answer', sdp: call.answer_sdp });
      } catch (cause) {
        if (attempt.aborted) return;
        throw fail(ErrorKind.Protocol, 'The voice service sent an answer this browser cannot use.', 'bad-answer-sdp', cause);
      }
      await waitForConnected(pc, config.connectTimeoutMs ?? CALL_DEFAULTS.connectTimeoutMs, attempt.abort.signal);
      if (attempt.aborted) return;
      this.#onConnected(attempt, pc);
    } catch (cause) {
      // After a hang-up this is the teardown failing what was in flight; #finish ignores it.
      this.#finish(attempt, EndReason.Error, cause instanceof VoiceCallError ? cause : fail(ErrorKind.WebRtc, 'The call could not be set up.', null, cause));
    }
  }

  /** The microphone, once per attempt; a stream that arrives after a hang-up is stopped at once. */
  #mic(attempt: Attempt): Promise<MediaStream> {
    const audio = attempt.config.audio ?? DEFAULT_AUDIO_CONSTRAINTS;
    const acquire = (constraints: MediaTrackConstraints) => acquireMicrophone(this.#getUserMedia, constraints);
    // A chosen microphone that is gone (unplugged since it was remembered): the default one, not a failed call.
    return (attempt.mic ??= acquire(audio)
      .catch((error: VoiceCallError) => (error.code === 'OverconstrainedError' && audio.deviceId ? acquire({ ...audio, deviceId: undefined }) : Promise.reject(error)))
      .then((stream) => {
        attempt.stream = stream;
        attempt.timings.mic = now();
        if (attempt.aborted) stopTracks(stream);
        return stream;
      }));
  }

  /** Peer connection, offer and bounded ICE gathering: everything the request needs but the microphone. */
  async #offer(attempt: Attempt): Promise<RTCPeerConnection> {
    const pc = this.#createPeerConnection(attempt);
    await pc.setLocalDescription(await pc.createOffer());
    attempt.timings.offer = now();
    await waitForIceGathering(pc, {
      timeoutMs: attempt.config.iceGatheringTimeoutMs ?? CALL_DEFAULTS.iceGatheringTimeoutMs,
      signal: attempt.abort.signal,
    });
    attempt.timings.ice = now();
    return pc;
  }

  #createPeerConnection(attempt: Attempt): RTCPeerConnection {
    const { iceServers = [], iceTransportPolicy } = attempt.config;
    const configuration: RTCConfiguration = { iceServers, iceTransportPolicy, bundlePolicy: 'max-bundle' };
    const pc = this.deps.createPeerConnection?.(configuration) ?? new RTCPeerConnection(configuration);
    attempt.pc = pc;
    pc.addEventListener('track', ({ track }) => {
      // Read now, not at creation: a prepared connection exists before start() makes the call's stream.
      const remote = this.#remoteStream;
      if (remote && !remote.getTracks().includes(track)) remote.addTrack(track);
    });
    const { stream } = attempt;
    if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
    else pc.addTransceiver('audio');
    return pc;
  }

  #onConnected(attempt: Attempt, pc: RTCPeerConnection): void {
    const { config } = attempt;
    attempt.timings.connected = now();
    this.#setState(CallState.Connected);
    this.emit('connected', attempt.call!);
    attempt.settle(null);
    this.#watchMicrophone(attempt);
    attempt.lease!.arm(
      config.leaseWarningMs ?? CALL_DEFAULTS.leaseWarningMs,
      (remainingMs) => this.emit('leasewarning', { remainingMs }),
      () => this.#finish(attempt, EndReason.LeaseExpired, null),
    );
    // Every listener goes with the attempt: #finish aborts this signal.
    const options = { signal: attempt.abort.signal };
    const watch = () => this.#onLinkChange(attempt, pc);
    pc.addEventListener('connectionstatechange', watch, options);
    // The OS knows about a lost network seconds before ICE consent checks run out.
    for (const type of ['online', 'offline']) globalThis.addEventListener?.(type, watch, options);
    // The remote side closing DTLS is the clearest "the agent hung up" signal a browser gives.
    const transport = pc.getSenders()[0]?.transport;
    transport?.addEventListener(
      'statechange',
      () => {
        if (transport.state === 'closed') this.#finish(attempt, EndReason.RemoteEnded, null);
      },
      options,
    );
    watch();
  }

  #onLinkChange(attempt: Attempt, pc: RTCPeerConnection): void {
    if (attempt.finished) return;
    const offline = globalThis.navigator?.onLine === false;
    switch (offline ? 'disconnected' : pc.connectionState) {
      case 'connected':
        clearTimeout(attempt.graceTimer);
        attempt.graceTimer = undefined;
        break;
      case 'disconnected':
        // Wi-Fi hand-overs and short drops recover on their own; give them a bounded chance.
        attempt.graceTimer ??= setTimeout(
          () => this.#finish(attempt, EndReason.Error, fail(ErrorKind.WebRtc, 'The connection was lost. Check your network, then call again.', 'disconnected')),
          attempt.config.disconnectGraceMs ?? CALL_DEFAULTS.disconnectGraceMs,
        );
        break;
      case 'failed':
        this.#finish(attempt, EndReason.Error, fail(ErrorKind.WebRtc, 'The connection failed.', 'failed'));
        break;
      case 'closed':
        this.#finish(attempt, EndReason.RemoteEnded, null);
        break;
    }
  }

  /** The single exit: every path releases the mic, the connection, the request and the timers. */
  #finish(attempt: Attempt, reason: EndReason, error: VoiceCallError | null): void {
    if (attempt.finished) return;
    attempt.finished = true;
    // The agent ends the call itself when the lease runs out, a moment before or after our own timer:
    // whichever of its signals lands first (DTLS close, the session stream), the cause is the lease.
    if (reason === EndReason.RemoteEnded && attempt.lease && attempt.lease.remainingMs() < 1000) reason = EndReason.LeaseExpired;
    attempt.abort.abort();
    attempt.lease?.disarm();
    clearTimeout(attempt.graceTimer);
    stopTracks(attempt.stream);
    attempt.pc?.close();
    for (const track of this.#remoteStream?.getTracks() ?? []) track.stop();

    this.#tellServer(attempt, SERVER_END_REASONS[reason]);

    attempt.settle(error);
    if (this.#attempt !== attempt) return;
    this.#pending = null;
    this.#endReason = reason;
    this.#error = error;
    this.#setState(error ? CallState.Error : CallState.Ended);
    if (error) this.emit('error', error);
    this.emit('ended', { reason, error });
  }

  /** Lets the server free the call now rather than at its lease or connect timeout. */
  #tellServer(attempt: Attempt, reason: ServerEndReason | undefined): void {
    const { call, config } = attempt;
    if (reason && call?.voice_connection_id) {
      void endCall(config, config.sessionId, call.voice_connection_id, reason).then(({ ok, status }) => this.emit('endrequest', { reason, ok, status }));
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
