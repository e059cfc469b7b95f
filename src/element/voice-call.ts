import { html, nothing, type PropertyValues } from 'lit';
import type { VoiceCallError } from '../api/errors.js';
import type { EverrunsSession, VoiceCallInfo } from '../api/types.js';
import type { CallTimings } from '../call/call-session.js';
import { CallState, isActive } from '../call/states.js';
import type { CallStats } from '../call/stats.js';
import { CallController } from './call-controller.js';
import { Consent, consent } from './consent.js';
import { Copier, copyTranscript } from './copy.js';
import { Devices } from './devices.js';
import { Launcher, launcher } from './launcher.js';
import { VoiceCallEvent, emit } from './events.js';
import { Meters } from './meters.js';
import { Playback } from './playback.js';
import { VoiceCallSettings, callConfig } from './settings.js';
import { mergeStrings } from './strings.js';
import { styles } from './voice-call.styles.js';
import { controls, unblock } from './views/controls.js';
import { details, panel, stats } from './views/panel.js';
import { error, glance, status } from './views/status.js';
import { TranscriptLog, transcript } from './views/transcript.js';
import type { View, ViewRender } from './views/view.js';

/** The views inside `part="base"`, top to bottom; each renders itself or `nothing`. */
const VIEWS: ViewRender[] = [consent, controls, status, error, unblock, glance, panel, stats, details, transcript, copyTranscript];

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
 * @fires voice-call-error - The call failed; or a microphone or speaker switch failed (`kind` `microphone` / `speaker`), the property went back and the call goes on. Detail: a `VoiceCallError` (`kind`, `status`, `serverMessage`, `code`).
 * @fires voice-call-lease-warning - The lease runs out within `lease-warning` seconds. Detail: `{remainingMs}`.
 * @fires voice-call-mute-change - The microphone was muted or unmuted. Detail: `{muted}`.
 * @fires voice-call-device-change - A microphone or speaker was chosen (live during a call). Detail: `{kind, deviceId}`.
 * @fires voice-call-stats - Each second while connected. Detail: `CallStats` (`rttMs`, `jitterMs`, `loss`, packets, bytes).
 * @fires voice-call-transcript - A transcript turn was added or changed. Detail: `{turn, turns}`; a turn is `{role, text, final, interrupted, id}`.
 * @fires voice-call-session - An agent channel call went into a session (created when `session-id` is empty). Detail: the session (`id`, …).
 * @fires voice-call-end-request - The end request to the server finished (it never affects the call). Detail: `{reason, ok, status}`.
 * @fires voice-call-reconnecting - The connected call lost its link (`{reconnecting: true}`; it ends with a `disconnected` error unless the link is back within 5 s) or the browser went offline (nothing ends while the connection holds), or either came back (`{reconnecting: false}`).
 *
 * @slot start-label - Content of the call button when it starts a call.
 * @slot hangup-label - Content of the call button when it ends a call.
 * @slot consent - Rich consent text (links allowed) shown before a call with Accept and Decline; replaces the `consent` attribute's text.
 *
 * @csspart base - The wrapper around everything (absent with `appearance="none"`); with `layout="launcher"`, the card (`role="dialog"`).
 * @csspart launcher - With `layout="launcher"`: the round button fixed in a corner that opens the card (`aria-expanded`); a badge while a call is live.
 * @csspart close - With `layout="launcher"`: the card's close button (the call goes on).
 * @csspart copy - A copy button: the transcript as text (below it, once it has a turn) and the session and voice connection ids (in the details); it reads "Copied" for 2 s after copying.
 * @csspart icon - The launcher's drawn microphone (an inline SVG, stroked in `currentColor`).
 * @csspart controls - The row of call and mute buttons.
 * @csspart button - The call / hang-up button.
 * @csspart mute - The microphone toggle (`aria-pressed`).
 * @csspart status - The state in words (a polite live region).
 * @csspart error - The error message.
 * @csspart unblock - "Tap to hear the agent", shown when the browser blocked playback.
 * @csspart glance - While connected: the `model` and `voice` chips (each also `chip`, with a `chip-label` only screen readers get) and the `lease` countdown, `time` its value.
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
 * @csspart consent - The consent shown before a call: `consent-text`, then `actions` with the `accept` and `decline` buttons.
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
export class VoiceCallElement extends VoiceCallSettings {
  static override styles = styles;

  readonly #controller = new CallController(this);
  readonly #session = this.#controller.session;
  readonly #meters = new Meters(this);
  readonly #devices = new Devices(this, this.#session);
  readonly #playback = new Playback(this, this.#session);
  readonly #consent = new Consent(this);
  readonly #view: View = {
    host: this,
    session: this.#session,
    clock: this.#controller,
    devices: this.#devices,
    playback: this.#playback,
    transcript: new TranscriptLog(this),
    consent: this.#consent,
    launcher: new Launcher(this),
    copier: new Copier(this),
    onKey: (event) => {
      // M toggles the microphone while one of the widget's buttons has focus (WCAG 2.1.4: focus-scoped).
      if (event.key.toLowerCase() === 'm' && !(event.ctrlKey || event.metaKey || event.altKey) && (event.target as Element).localName === 'button' && isActive(this.state)) {
        this.muted = !this.muted;
      }
    },
    onButtonClick: (event) => {
      // The second click of a double click (click count 2) must not cancel the call the first one started.
      if (event.detail > 1) return;
      if (isActive(this.state)) this.hangup();
      else this.start().catch(() => undefined);
    },
    onButtonHover: () => {
      // Nothing of a call before its consent is accepted, the microphone included.
      if (this.prewarm && !this.#consent.needed) this.#session.prepare(callConfig(this));
    },
    onUnblock: () => {
      this.#playback.play();
      this.#meters.resume();
    },
  };

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
    return this.#session.stats;
  }

  /**
   * Starts a call with the current attributes (changes made during a call apply to the next one).
   * Resolves once connected; rejects with the `VoiceCallError` that stopped it. A second call while one
   * is starting or up returns the same promise and makes no second request. With a `consent`, it first
   * waits for Accept (then follows the call) or Decline (then rejects with a `consent` error).
   */
  start(): Promise<void> {
    if (this.#consent.needed) return this.#consent.ask();
    // Nothing here that the create-call request does not need: the meters open once the call is connected.
    const pending = this.#session.start(callConfig(this));
    // Inside the click: `play()` runs in the user gesture, so browsers that gate autoplay let the first words through.
    this.#playback.bind(true);
    return pending;
  }

  /** Ends the call (or cancels one that is starting). Safe in every state. */
  hangup(): void {
    this.#consent.cancel();
    this.#session.hangup();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    this.#devices.willUpdate(changed);
    const session = this.#session;
    const { muted } = this;
    if (session.muted !== muted) {
      session.muted = muted;
      // An old value of undefined is the first update: the initial value is no change to announce.
      if (changed.get('muted') !== undefined) emit(this, VoiceCallEvent.MuteChange, { muted });
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    const session = this.#session;
    const { state } = this;
    this.#playback.updated(changed);
    this.toggleAttribute('reconnecting', session.reconnecting);
    this.#meters.sync(isActive(state) ? (state === CallState.Connected ? [session.localStream, session.remoteStream] : []) : null);
  }

  override render() {
    const strings = mergeStrings(this.strings);
    const view = this.#view;
    const views = VIEWS.map((render) => render(view, strings));
    const chrome = this.layout === 'launcher' ? launcher(view, strings, views) : html`<div part="base" class=${this.layout} @keydown=${view.onKey}>${views}</div>`;
    return html`${this.appearance === 'none' ? nothing : chrome}<audio part="audio" autoplay></audio>`;
  }
}
