import { LitElement, html, nothing, type PropertyValues } from 'lit';
import type { VoiceCallError } from '../api/errors.js';
import { DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT_MS, type EverrunsSession, type VoiceCallInfo } from '../api/types.js';
import { CALL_DEFAULTS, type CallConfig, type CallTimings } from '../call/call-session.js';
import { formatRemaining } from '../call/lease.js';
import { CallState, isActive } from '../call/states.js';
import { CallController } from './call-controller.js';
import { VoiceCallEvent, emit } from './events.js';
import { mergeStrings, type VoiceCallStrings } from './strings.js';
import { TranscriptView, transcriptStyles } from './transcript-view.js';
import { styles } from './voice-call.styles.js';

/**
 * A realtime voice call with an Everruns agent over WebRTC.
 *
 * @summary Click to talk to an Everruns agent; shows the call's state, lease and model.
 * @tagname voice-call
 *
 * @fires voice-call-state-change - On every state transition. Detail: `{state, previous}`.
 * @fires voice-call-connected - Audio is flowing. Detail: the create-call response.
 * @fires voice-call-ended - The call is over. Detail: `{reason, error}`; reason is `hangup`, `lease-expired`, `remote-ended`, `error`, `element-removed` or `page-hidden`.
 * @fires voice-call-error - The call failed. Detail: a `VoiceCallError` (`kind`, `status`, `serverMessage`, `code`).
 * @fires voice-call-lease-warning - The lease runs out within `lease-warning` seconds. Detail: `{remainingMs}`.
 * @fires voice-call-mute-change - The microphone was muted or unmuted. Detail: `{muted}`.
 * @fires voice-call-transcript - A transcript turn was added or changed. Detail: `{turn, turns}`; a turn is `{role, text, final, interrupted, id}`.
 * @fires voice-call-session - An agent channel call went into a session (created when `session-id` is empty). Detail: the session (`id`, …).
 * @fires voice-call-end-request - The end request to the server finished (it never affects the call). Detail: `{reason, ok, status}`.
 *
 * @slot start-label - Content of the call button when it starts a call.
 * @slot hangup-label - Content of the call button when it ends a call.
 *
 * @csspart base - The wrapper around everything.
 * @csspart button - The call / hang-up button.
 * @csspart status - The state in words (a polite live region).
 * @csspart error - The error message.
 * @csspart lease - The lease countdown.
 * @csspart details - The list of model, voice, provider and ids.
 * @csspart transcript - The live transcript (with the `transcript` attribute), a list of `turn` items, each also `user` or `assistant`, `partial` until final, and `interrupted`.
 *
 * @cssprop [--voice-call-accent=#0b57d0] - Button and focus colour.
 * @cssprop [--voice-call-danger=#b3261e] - Hang-up button and error colour.
 * @cssprop [--voice-call-color=#1f1f1f] - Text colour.
 * @cssprop [--voice-call-muted-color=#555] - Secondary text colour.
 * @cssprop [--voice-call-background=#fff] - Background.
 * @cssprop [--voice-call-border-color=#c4c7c5] - Border colour.
 * @cssprop [--voice-call-radius=12px] - Corner radius.
 * @cssprop [--voice-call-padding=0.75em 1em] - Inner spacing.
 * @cssprop [--voice-call-font=14px/1.4 system-ui, sans-serif] - Font shorthand.
 * @cssprop [--voice-call-transcript-height=12em] - Height of the transcript before it scrolls.
 *
 * @attr {string} state - Read-only: the call state, reflected for styling (`voice-call[state=connected]`).
 */
export class VoiceCallElement extends LitElement {
  static override styles = [styles, transcriptStyles];
  // A `static properties` table, not decorators: the decorator helpers cost ~500 B gzip in the standalone build.
  static override properties = {
    sessionId: { attribute: 'session-id' },
    agentId: { attribute: 'agent-id' },
    channelId: { attribute: 'channel-id' },
    transcript: { type: Boolean },
    baseUrl: { attribute: 'base-url' },
    model: {},
    voice: {},
    instructions: {},
    providerId: { attribute: 'provider-id' },
    reasoningEffort: { attribute: 'reasoning-effort' },
    orgId: { attribute: 'org-id' },
    credentials: {},
    requestTimeout: { attribute: 'request-timeout', type: Number },
    leaseWarningSeconds: { attribute: 'lease-warning', type: Number },
    muted: { type: Boolean, reflect: true },
    prewarm: { type: Boolean },
    token: { attribute: false },
    getToken: { attribute: false },
    iceServers: { attribute: false },
    strings: { attribute: false },
  };

  readonly #controller = new CallController(this);
  readonly #transcript = new TranscriptView(this, this.#controller.session);

  /** The Everruns session to call into. Percent-encoded into the URL. */
  sessionId = '';

  /** With `channel-id`: call through this agent's voice channel (newer servers). */
  agentId: string | null = null;

  /** The agent's voice channel (`appchan_…`); the call goes into `session-id`, or a new session when it is empty. */
  channelId: string | null = null;

  /** Shows the live transcript of the call (`voice-call-transcript` events fire either way). */
  transcript = false;

  /** API root that precedes `/v1`. Point it at your own backend to keep keys server-side. */
  baseUrl = DEFAULT_BASE_URL;

  /** Realtime model, e.g. `gpt-realtime`. Omitted: the agent's default. */
  model: string | null = null;

  /** Voice preset, e.g. `alloy`. Omitted: the agent's default. */
  voice: string | null = null;

  /** Extra system instructions appended to the realtime session prompt. */
  instructions: string | null = null;

  /** Prefixed id of the realtime provider connection (`prov_…`). */
  providerId: string | null = null;

  /** `low`, `medium` or `high`. Omitted: the provider's default. */
  reasoningEffort: string | null = null;

  /** Organisation, sent as `X-Org-Id`. */
  orgId: string | null = null;

  /** Cookie policy for API requests: `include` sends cookies to a same-site API on another origin. */
  credentials: RequestCredentials = 'same-origin';

  /** Abort the create-call request after this many milliseconds. */
  requestTimeout: number = DEFAULT_REQUEST_TIMEOUT_MS;

  /** Seconds before the lease runs out at which `voice-call-lease-warning` fires. */
  leaseWarningSeconds = CALL_DEFAULTS.leaseWarningMs / 1000;

  /** Mutes the microphone (the track is disabled, the call goes on). */
  muted = false;

  /**
   * Prepares the call when the button is hovered or focused (connection, offer, ICE, and the microphone
   * if already allowed), so a click connects sooner. Unused, it is released after 10 s.
   */
  prewarm = false;

  /**
   * A bearer token. Property only: it is never read from or written to an attribute, so it stays out of
   * the DOM. Never put an API key in a public page.
   */
  token: string | null = null;

  /** Returns a fresh bearer token; called before each request and once more after a 401. */
  getToken: (() => string | null | undefined | Promise<string | null | undefined>) | null = null;

  /** STUN/TURN servers for the peer connection. */
  iceServers: RTCIceServer[] = [];

  /** Replacement text for any visible string (English by default). */
  strings: Partial<VoiceCallStrings> | null = null;

  /** The current state: `idle`, `requesting-microphone`, `connecting`, `connected`, `ended` or `error`. */
  get state(): CallState {
    return this.#controller.session.state;
  }

  /** The create-call response of the current or last call, or null. */
  get call(): VoiceCallInfo | null {
    return this.#controller.session.call;
  }

  /** The session the last agent channel call went into (`id`, …), or null. */
  get session(): EverrunsSession | null {
    return this.#controller.session.everrunsSession;
  }

  /** Why the last call failed, or null. */
  get error(): VoiceCallError | null {
    return this.#controller.session.error;
  }

  /** `performance.now()` marks of the current call's phases: `start`, `mic`, `offer`, `ice`, `post`, `answer`, `connected`. */
  get timings(): CallTimings {
    return this.#controller.session.timings;
  }

  /** The peer connection of the current call (for stats), or null. */
  get peerConnection(): RTCPeerConnection | null {
    return this.#controller.session.peerConnection;
  }

  /**
   * Starts a call with the current attributes (changes made during a call apply to the next one).
   * Resolves once connected; rejects with the `VoiceCallError` that stopped it. A second call while one
   * is starting or up returns the same promise and makes no second request.
   */
  start(): Promise<void> {
    const pending = this.#controller.session.start(this.#callConfig());
    this.#bindAudio(true);
    return pending;
  }

  /** Ends the call (or cancels one that is starting). Safe in every state. */
  hangup(): void {
    this.#controller.session.hangup();
  }

  #callConfig(): CallConfig {
    return {
      sessionId: this.sessionId,
      agentId: this.agentId,
      channelId: this.channelId,
      baseUrl: this.baseUrl || DEFAULT_BASE_URL,
      token: this.token,
      getToken: this.getToken,
      orgId: this.orgId,
      credentials: this.credentials,
      timeoutMs: this.requestTimeout,
      model: this.model,
      voice: this.voice,
      instructions: this.instructions,
      providerId: this.providerId,
      reasoningEffort: this.reasoningEffort,
      iceServers: this.iceServers,
      leaseWarningMs: this.leaseWarningSeconds * 1000,
    };
  }

  /**
   * Attaches the agent's stream to the audio element. Called inside the click, so `play()` runs in the
   * user gesture and browsers that gate autoplay let the agent's first words through.
   */
  #bindAudio(play: boolean): void {
    const audio = this.renderRoot?.querySelector('audio');
    const stream = this.#controller.session.remoteStream;
    if (!audio || !stream || audio.srcObject === stream) return;
    audio.srcObject = stream;
    if (play) audio.play().catch(() => undefined);
  }

  #onButtonHover(): void {
    if (this.prewarm) this.#controller.session.prepare(this.#callConfig());
  }

  #onButtonClick(event: MouseEvent): void {
    // The second click of a double click (click count 2) must not cancel the call the first one started.
    if (event.detail > 1) return;
    if (isActive(this.state)) this.hangup();
    else this.start().catch(() => undefined);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('muted')) {
      const session = this.#controller.session;
      if (session.muted !== this.muted) {
        session.muted = this.muted;
        if (changed.get('muted') !== undefined) emit(this, VoiceCallEvent.MuteChange, { muted: this.muted });
      }
    }
  }

  protected override updated(): void {
    this.#bindAudio(false);
  }

  override render() {
    const strings = mergeStrings(this.strings);
    const { state, call, error } = this;
    const active = isActive(state);
    const connected = state === CallState.Connected;
    const remaining = this.#controller.remainingMs();
    const buttonText = connected ? strings.hangup : active ? strings.cancel : state === CallState.Idle ? strings.start : strings.retry;
    const endReason = this.#controller.session.endReason;
    const statusText = state === CallState.Ended && endReason ? (strings.ended[endReason] ?? strings.states.ended) : strings.states[state];
    return html`
      <div part="base">
        <button part="button" type="button" @click=${this.#onButtonClick} @pointerenter=${this.#onButtonHover} @focus=${this.#onButtonHover}>
          ${active
            ? html`<slot name="hangup-label">${buttonText}</slot>`
            : html`<slot name="start-label">${buttonText}</slot>`}
        </button>
        <div part="status" role="status" aria-live="polite">${statusText}</div>
        ${error ? html`<div part="error" role="alert">${error.message}</div>` : nothing}
        ${remaining === null
          ? nothing
          : html`<div part="lease">
              ${strings.timeLeft}: <time>${formatRemaining(remaining)}</time>${this.#controller.leaseWarning
                ? html` — ${strings.leaseWarning}`
                : nothing}
            </div>`}
        ${connected && call ? this.#renderDetails(call, strings) : nothing}
        ${this.transcript ? this.#transcript.render(strings) : nothing}
        <audio autoplay></audio>
      </div>
    `;
  }

  #renderDetails(call: VoiceCallInfo, strings: VoiceCallStrings) {
    const rows: [string, string | null][] = [
      [strings.model, call.model],
      [strings.voice, call.voice],
      [strings.provider, call.provider],
      [strings.reasoningEffort, call.reasoning_effort ?? strings.defaultValue],
      [strings.voiceConnectionId, call.voice_connection_id],
      [strings.providerCallId, call.provider_call_id],
    ];
    return html`<dl part="details">
      ${rows.map(([label, value]) => (value ? html`<dt>${label}</dt><dd>${value}</dd>` : nothing))}
    </dl>`;
  }
}
