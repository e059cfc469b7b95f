import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { own, type VoiceCallError } from '../api/errors.js';
import { DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT_MS, type EverrunsSession, type VoiceCallInfo } from '../api/types.js';
import { CALL_DEFAULTS, type CallConfig, type CallTimings } from '../call/call-session.js';
import { formatRemaining } from '../call/lease.js';
import { DEFAULT_AUDIO_CONSTRAINTS } from '../call/microphone.js';
import { CallState, isActive } from '../call/states.js';
import type { CallStats } from '../call/stats.js';
import { CallController } from './call-controller.js';
import { VoiceCallEvent, emit } from './events.js';
import { Meters } from './meters.js';
import { TranscriptView } from './transcript-view.js';
import { mergeStrings, type VoiceCallStrings } from './strings.js';
import { styles } from './voice-call.styles.js';

const STORAGE_KEY = 'voice-call-devices';

const formatters: Record<string, Intl.NumberFormat> = {};
/** Building an `Intl.NumberFormat` costs more than the rest of a stats render: keep one per locale and unit. */
const formatter = (locale: string | undefined, unit?: string) =>
  (formatters[`${locale}|${unit}`] ??= new Intl.NumberFormat(locale, { maximumFractionDigits: 1, style: unit ? 'unit' : 'percent', unit }));

/** The properties a call takes from the element under the same name. */
const CONFIG_KEYS = 'sessionId agentId channelId token getToken orgId credentials model voice instructions providerId reasoningEffort iceServers'.split(' ') as (keyof CallConfig & keyof VoiceCallElement)[];

/**
 * A realtime voice call with an Everruns agent over WebRTC.
 *
 * Keyboard: every control is a native button, select or slider; M toggles the microphone while one of the
 * widget's buttons has focus. `appearance="none"` renders nothing but the agent's audio, for a host UI built
 * on the events and properties.
 *
 * @summary Click to talk to an Everruns agent; shows the call's state, lease and model.
 * @tagname voice-call
 *
 * @fires voice-call-state-change - On every state transition. Detail: `{state, previous}`.
 * @fires voice-call-connected - Audio is flowing. Detail: the create-call response.
 * @fires voice-call-ended - The call is over. Detail: `{reason, error, durationMs, agentReason}`; reason is `hangup`, `lease-expired`, `remote-ended`, `error`, `element-removed` or `page-hidden`; `durationMs` is how long the call was connected (`null` if it never was); `agentReason` is the agent's own reason when it ended the call.
 * @fires voice-call-error - The call failed. Detail: a `VoiceCallError` (`kind`, `status`, `serverMessage`, `code`).
 * @fires voice-call-lease-warning - The lease runs out within `lease-warning` seconds. Detail: `{remainingMs}`.
 * @fires voice-call-mute-change - The microphone was muted or unmuted. Detail: `{muted}`.
 * @fires voice-call-device-change - A microphone or speaker was chosen (live during a call). Detail: `{kind, deviceId}`.
 * @fires voice-call-stats - Each second while connected. Detail: `CallStats` (`rttMs`, `jitterMs`, `loss`, packets, bytes).
 * @fires voice-call-transcript - A transcript turn was added or changed. Detail: `{turn, turns}`; a turn is `{role, text, final, interrupted, id}`.
 * @fires voice-call-session - An agent channel call went into a session (created when `session-id` is empty). Detail: the session (`id`, …).
 * @fires voice-call-end-request - The end request to the server finished (it never affects the call). Detail: `{reason, ok, status}`.
 * @fires voice-call-reconnecting - The connected call lost its link (`{reconnecting: true}`; it ends with a `disconnected` error unless the link is back within 5 s) or got it back (`{reconnecting: false}`).
 *
 * @slot start-label - Content of the call button when it starts a call.
 * @slot hangup-label - Content of the call button when it ends a call.
 *
 * @csspart base - The wrapper around everything (absent with `appearance="none"`).
 * @csspart controls - The row of call and mute buttons.
 * @csspart button - The call / hang-up button.
 * @csspart mute - The microphone toggle (`aria-pressed`).
 * @csspart status - The state in words (a polite live region).
 * @csspart error - The error message.
 * @csspart unblock - "Tap to hear the agent", shown when the browser blocked playback.
 * @csspart lease - The lease countdown; `time` its value.
 * @csspart panel - Full layout, while connected: device pickers, volume and levels.
 * @csspart label - A label in the panel.
 * @csspart microphone - The microphone picker.
 * @csspart speaker - The speaker picker (where the browser can choose one).
 * @csspart agent - The agent's volume slider and mute.
 * @csspart volume - The agent's volume slider.
 * @csspart mute-agent - The agent's mute toggle (`aria-pressed`).
 * @csspart level - Both level meters (`input-level` yours, `output-level` the agent's), filled to `--level` (0–1).
 * @csspart stats - Round trip, loss and jitter.
 * @csspart details - The disclosure with model, voice, provider and ids; `summary`, `list`, `term`, `value` inside it.
 * @csspart audio - The agent's audio element (never shown).
 * @csspart transcript - The live transcript (with the `transcript` attribute, `role="log"`): one `turn` paragraph per turn, each also `user` or `assistant`, `partial` until final, and `interrupted`.
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
 * @cssprop [--voice-call-size=2.5em] - Height of the buttons.
 * @cssprop [--voice-call-transcript-height=12em] - Height of the transcript before it scrolls.
 *
 * @attr {string} state - Read-only: the call state, reflected for styling (`voice-call[state=connected]`).
 * @attr {boolean} reconnecting - Read-only: present while a connected call waits for its lost link to come back.
 * @attr {boolean} lease-ending - Read-only: present while the lease warning is on (within `lease-warning` seconds of expiry).
 */
export class VoiceCallElement extends LitElement {
  static override styles = styles;
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
    layout: {},
    appearance: {},
    volume: { type: Number },
    agentMuted: { attribute: 'agent-muted', type: Boolean, reflect: true },
    microphoneId: { attribute: 'microphone-id' },
    speakerId: { attribute: 'speaker-id' },
    rememberDevices: { attribute: 'remember-devices', type: Boolean },
  };

  readonly #controller = new CallController(this);
  readonly #session = this.#controller.session;
  readonly #meters = new Meters(this);
  readonly #transcript = new TranscriptView(this, this.#session);
  /** Audio devices with labels (the browser gives labels once the microphone was allowed). */
  #devices: MediaDeviceInfo[] = [];
  /** The browser refused to play the agent without a user gesture. */
  #blocked = false;

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

  /** Abort the create-call request after this many milliseconds: its whole answer, body included. */
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

  /** `full` (pickers, levels, stats, details while connected) or `compact` (one row). */
  layout: 'full' | 'compact' = 'full';

  /** `none` renders no chrome at all, for hosts that build their own UI on the events; the agent still plays. */
  appearance: 'auto' | 'none' = 'auto';

  /** The agent's volume, 0–1. */
  volume = 1;

  /** Silences the agent's voice (the call and its events go on). */
  agentMuted = false;

  /** The microphone to use (a `deviceId`); changing it during a call switches the track live. */
  microphoneId: string | null = null;

  /** The speaker to play the agent on (a `deviceId`), where the browser supports `setSinkId`. */
  speakerId: string | null = null;

  /** Remembers the chosen microphone and speaker for this origin (localStorage). Off unless set. */
  rememberDevices = false;

  constructor() {
    super();
    // Once the microphone is allowed, the browser names the devices; capturing also lifts Chromium's autoplay block.
    this.addEventListener(VoiceCallEvent.Connected, () => {
      this.#listDevices();
      if (this.#audio?.paused) this.#play();
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    navigator.mediaDevices?.addEventListener('devicechange', this.#listDevices);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    navigator.mediaDevices?.removeEventListener('devicechange', this.#listDevices);
  }

  /** The current state: `idle`, `requesting-microphone`, `connecting`, `connected`, `ended` or `error`. */
  get state(): CallState {
    return this.#session.state;
  }

  /** The create-call response of the current or last call, or null. */
  get call(): VoiceCallInfo | null {
    return this.#session.call;
  }

  /** The session the last agent channel call went into (`id`, …), or null. */
  get session(): EverrunsSession | null {
    return this.#session.everrunsSession;
  }

  /** Why the last call failed, or null. */
  get error(): VoiceCallError | null {
    return this.#session.error;
  }

  /** `performance.now()` marks of the current call's phases: `start`, `mic`, `offer`, `ice`, `post`, `answer`, `connected`. */
  get timings(): CallTimings {
    return this.#session.timings;
  }

  /** The peer connection of the current call (for stats), or null. */
  get peerConnection(): RTCPeerConnection | null {
    return this.#session.peerConnection;
  }

  /** The last connection-quality reading (each second while connected), or null. */
  get stats(): CallStats | null {
    return this.#controller.stats;
  }

  /**
   * Starts a call with the current attributes (changes made during a call apply to the next one).
   * Resolves once connected; rejects with the `VoiceCallError` that stopped it. A second call while one
   * is starting or up returns the same promise and makes no second request.
   */
  start(): Promise<void> {
    const idle = !isActive(this.state);
    // The microphone is asked for first: a page's first AudioContext takes ~50 ms to open (measured in
    // Chromium), which would otherwise delay the request. The context still opens inside the click.
    const pending = this.#session.start(this.#callConfig());
    if (idle) this.#meters.open();
    this.#bindAudio(true);
    return pending;
  }

  /** Ends the call (or cancels one that is starting). Safe in every state. */
  hangup(): void {
    this.#session.hangup();
  }

  #callConfig(): CallConfig {
    return {
      ...(Object.fromEntries(CONFIG_KEYS.map((key) => [key, this[key]])) as Pick<CallConfig, (typeof CONFIG_KEYS)[number]>),
      baseUrl: this.baseUrl || DEFAULT_BASE_URL,
      timeoutMs: this.requestTimeout,
      leaseWarningMs: this.leaseWarningSeconds * 1000,
      audio: this.microphoneId ? { ...DEFAULT_AUDIO_CONSTRAINTS, deviceId: { exact: this.microphoneId } } : undefined,
    };
  }

  /**
   * Attaches the agent's stream to the audio element. Called inside the click, so `play()` runs in the
   * user gesture and browsers that gate autoplay let the agent's first words through.
   */
  #bindAudio(play: boolean): void {
    const audio = this.#audio;
    const stream = this.#session.remoteStream;
    if (!audio || !stream || audio.srcObject === stream) return;
    audio.srcObject = stream;
    if (play) this.#play();
  }

  get #audio(): HTMLAudioElement | null | undefined {
    return this.renderRoot?.querySelector('audio');
  }

  #play(): void {
    this.#blocked = false;
    this.#audio
      ?.play()
      .then(() => false, (error: Error) => error.name === 'NotAllowedError')
      .then((blocked) => {
        this.#blocked = blocked;
        this.requestUpdate();
      });
  }

  #listDevices = (): void => {
    navigator.mediaDevices?.enumerateDevices().then((devices) => {
      this.#devices = devices.filter((device) => device.label && device.kind !== 'videoinput');
      this.requestUpdate();
    });
  };

  /** M toggles the microphone while one of the widget's buttons has focus (WCAG 2.1.4: focus-scoped). */
  #onKey(event: KeyboardEvent): void {
    if (event.key.toLowerCase() === 'm' && !(event.ctrlKey || event.metaKey || event.altKey) && (event.target as Element).localName === 'button' && isActive(this.state)) {
      this.muted = !this.muted;
    }
  }

  #onButtonHover(): void {
    if (this.prewarm) this.#session.prepare(this.#callConfig());
  }

  #onButtonClick(event: MouseEvent): void {
    // The second click of a double click (click count 2) must not cancel the call the first one started.
    if (event.detail > 1) return;
    if (isActive(this.state)) this.hangup();
    else this.start().catch(() => undefined);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const session = this.#session;
    if (changed.has('rememberDevices') && this.rememberDevices) {
      try {
        const [microphone, speaker] = JSON.parse(localStorage.getItem(STORAGE_KEY)!) ?? [];
        this.microphoneId ??= microphone;
        this.speakerId ??= speaker;
      } catch {
        // Nothing usable was stored.
      }
    }
    try {
      if (this.rememberDevices && (changed.has('microphoneId') || changed.has('speakerId'))) localStorage.setItem(STORAGE_KEY, JSON.stringify([this.microphoneId, this.speakerId]));
    } catch {
      // Storage can be off (privacy modes, sandboxed frames); the choice then lasts for this page only.
    }
    const { microphoneId, muted } = this;
    // An old value of undefined is the first update: the initial values are no change to announce.
    if (changed.get('microphoneId') !== undefined) {
      const done = () => emit(this, VoiceCallEvent.DeviceChange, { kind: 'audioinput', deviceId: microphoneId });
      if (microphoneId && session.localStream) {
        session.switchMicrophone(microphoneId).then(() => {
          done();
          this.requestUpdate();
        }, () => undefined);
      } else done();
    }
    if (session.muted !== muted) {
      session.muted = muted;
      if (changed.get('muted') !== undefined) emit(this, VoiceCallEvent.MuteChange, { muted });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    const audio = this.#audio!;
    const session = this.#session;
    const { state, speakerId } = this;
    this.#bindAudio(false);
    this.toggleAttribute('reconnecting', session.reconnecting);
    audio.volume = this.volume >= 0 ? Math.min(1, this.volume) : 1;
    audio.muted = this.agentMuted;
    if (changed.has('speakerId')) {
      audio.setSinkId?.(speakerId ?? '').then(() => {
        if (changed.get('speakerId') !== undefined) emit(this, VoiceCallEvent.DeviceChange, { kind: 'audiooutput', deviceId: speakerId });
      }, () => undefined);
    }
    this.#meters.sync(isActive(state) ? (state === CallState.Connected ? [session.localStream, session.remoteStream] : []) : null);
  }

  // The templates carry no whitespace between tags: it would render nothing (the containers are grid or
  // flex boxes, the button trims it) and would ship in the bundle. Line breaks go inside the `${}`.
  override render() {
    const strings = mergeStrings(this.strings);
    const { state, call, error, muted } = this;
    const { errors } = strings;
    const controller = this.#controller;
    const active = isActive(state);
    const connected = state === CallState.Connected;
    const remaining = controller.remainingMs();
    const endReason = this.#session.endReason;
    const status = [
      state === CallState.Ended && endReason ? (strings.ended[endReason] ?? strings.states.ended) : this.#session.reconnecting ? strings.reconnecting : strings.states[state],
      connected && muted && strings.muted,
      controller.leaseWarning && strings.leaseWarning,
    ];
    const chrome = html`<div part="base" class=${this.layout} @keydown=${this.#onKey}><div part="controls"><button part="button" type="button" @click=${this.#onButtonClick} @pointerenter=${this.#onButtonHover} @focus=${this.#onButtonHover}><slot name=${active ? 'hangup-label' : 'start-label'}>${
      connected ? strings.hangup : active ? strings.cancel : state === CallState.Idle ? strings.start : strings.retry
    }</slot></button>${
      active ? this.#toggle('mute', strings.mute, muted, () => (this.muted = !muted)) : nothing
    }</div><div part="status" role="status">${status.filter(Boolean).join(' · ')}</div>${
      error ? html`<div part="error" role="alert">${own(errors, error.code) ?? own(errors, error.status) ?? own(errors, error.kind) ?? error.message}</div>` : nothing
    }${
      connected && this.#blocked ? html`<button part="unblock" type="button" @click=${this.#unblock}>${strings.unblock}</button>` : nothing
    }${
      remaining === null ? nothing : html`<div part="lease">${strings.timeLeft}: <time part="time">${formatRemaining(remaining)}</time></div>`
    }${
      connected && call && this.layout !== 'compact' ? this.#renderPanel(call, strings) : nothing
    }${
      this.transcript ? this.#transcript.render(strings) : nothing
    }</div>`;
    return html`${this.appearance === 'none' ? nothing : chrome}<audio part="audio" autoplay></audio>`;
  }

  #toggle(part: string, label: string, pressed: boolean, onClick: () => void) {
    return html`<button part=${part} type="button" aria-pressed=${pressed} @click=${onClick}>${label}</button>`;
  }

  #picker(part: 'microphone' | 'speaker', label: string, selected?: string) {
    const devices = this.#devices.filter((device) => device.kind === (part === 'speaker' ? 'audiooutput' : 'audioinput'));
    const choose = (event: Event) => (this[`${part}Id`] = (event.target as HTMLSelectElement).value);
    return devices.length
      ? html`<label part="label">${label}<select part=${part} @change=${choose}>${devices.map(
          (device) => html`<option value=${device.deviceId} ?selected=${device.deviceId === selected}>${device.label}</option>`,
        )}</select></label>`
      : nothing;
  }

  #unblock(): void {
    this.#play();
    this.#meters.resume();
  }

  #renderPanel(call: VoiceCallInfo, strings: VoiceCallStrings) {
    const stats = this.#controller.stats;
    const locale = this.closest<HTMLElement>('[lang]')?.lang || undefined;
    const format = (value: number | null, unit?: string) => (value === null ? '–' : formatter(locale, unit).format(value));
    const level = (which: string) => html`<div part="level ${which}-level" aria-hidden="true"></div>`;
    const audio = this.#audio;
    const details: [string, string | null][] = [
      [strings.model, call.model],
      [strings.voice, call.voice],
      [strings.provider, call.provider],
      [strings.reasoningEffort, call.reasoning_effort ?? strings.defaultValue],
      [strings.voiceConnectionId, call.voice_connection_id],
      [strings.providerCallId, call.provider_call_id],
    ];
    return html`<div part="panel">${
      this.#picker('microphone', strings.microphone, this.microphoneId ?? this.#session.localStream?.getAudioTracks()[0]?.getSettings().deviceId)
    }${level('input')}<span part="label">${strings.volume}</span><div part="agent"><input part="volume" type="range" min="0" max="1" step="0.05" aria-label=${strings.volume} .value=${String(this.volume)} @input=${
      (event: Event) => (this.volume = +(event.target as HTMLInputElement).value)
    }>${
      this.#toggle('mute-agent', strings.muteAgent, this.agentMuted, () => (this.agentMuted = !this.agentMuted))
    }</div>${level('output')}${
      audio?.setSinkId ? this.#picker('speaker', strings.speaker, this.speakerId ?? audio.sinkId) : nothing
    }</div>${
      stats ? html`<div part="stats">${strings.rtt} ${format(stats.rttMs, 'millisecond')} · ${strings.loss} ${format(stats.loss)} · ${strings.jitter} ${format(stats.jitterMs, 'millisecond')}</div>` : nothing
    }<details part="details"><summary part="summary">${strings.details}</summary><dl part="list">${
      details.map(([label, value]) => (value ? html`<dt part="term">${label}</dt><dd part="value">${value}</dd>` : nothing))
    }</dl></details>`;
  }
}
