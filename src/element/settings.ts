import { LitElement } from 'lit';
import { DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT_MS } from '../api/types.js';
import { CALL_DEFAULTS, type CallConfig } from '../call/call-session.js';
import { DEFAULT_AUDIO_CONSTRAINTS } from '../call/microphone.js';
import type { VoiceCallStrings } from './strings.js';

/**
 * Every setting of `<voice-call>`: one documented field per attribute or property, in the `static
 * properties` table below. A new attribute goes here (and into the README's table); the element reads them.
 */
export class VoiceCallSettings extends LitElement {
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
    iceTransportPolicy: { attribute: 'ice-transport-policy' },
    strings: { attribute: false },
    layout: {},
    appearance: {},
    volume: { type: Number },
    agentMuted: { attribute: 'agent-muted', type: Boolean, reflect: true },
    microphoneId: { attribute: 'microphone-id' },
    speakerId: { attribute: 'speaker-id' },
    rememberDevices: { attribute: 'remember-devices', type: Boolean },
    placement: {},
    consent: {},
    consentKey: { attribute: 'consent-key' },
  };

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
   * A bearer token. Property only: it is never written to an attribute, so it stays out of the DOM (a
   * `token` attribute found when the element connects is moved in here and removed, with a warning). Never
   * put an API key in a public page.
   */
  token: string | null = null;

  /** Returns a fresh bearer token; called before each request and once more after a 401. */
  getToken: (() => string | null | undefined | Promise<string | null | undefined>) | null = null;

  /** STUN/TURN servers for the peer connection. */
  iceServers: RTCIceServer[] = [];

  /**
   * `relay` sends the media only through the TURN servers in `iceServers`, for networks that allow nothing
   * else (or to hide the caller's address); `all` (the default, also for any other value) lets ICE pick.
   */
  iceTransportPolicy: RTCIceTransportPolicy = 'all';

  /** Replacement text for any visible string (English by default). */
  strings: Partial<VoiceCallStrings> | null = null;

  /**
   * `card` (the default: the call button, the state, model, voice and time left at a glance, the rest one
   * click away in the details), `full` (the QA panel: pickers, levels and stats in view), `compact` (one
   * row) or `launcher` (a round button fixed in a corner that opens the card).
   */
  layout: 'card' | 'full' | 'compact' | 'launcher' = 'card';

  /** With `layout="launcher"`: the viewport corner, `bottom-right`, `bottom-left`, `top-right` or `top-left`. */
  placement = 'bottom-right';

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

  /**
   * Text shown before a call with Accept and Decline (plain text; the `consent` slot takes rich text and
   * links instead). Nothing of the call happens before Accept; Decline leaves the widget idle.
   */
  consent: string | null = null;

  /** Remembers an accepted consent in localStorage under this key, so later visits do not ask again. */
  consentKey: string | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    // A framework that renders before the element is defined (Vue's `:token` without `.prop`) sets a
    // `token` attribute: the secret would sit in the DOM and the call go without it. Take it into the
    // property and out of the DOM, and say how to do it right (never echoing the value).
    const token = this.getAttribute('token');
    if (token === null) return;
    this.token = token;
    this.removeAttribute('token');
    console.warn('<voice-call>: set the token property, not an attribute (Vue: :token.prop); it was moved out of the DOM.');
  }
}

/** The properties a call takes from the element under the same name. */
const CONFIG_KEYS = [
  'sessionId',
  'agentId',
  'channelId',
  'token',
  'getToken',
  'orgId',
  'credentials',
  'model',
  'voice',
  'instructions',
  'providerId',
  'reasoningEffort',
  'iceServers',
] as const satisfies readonly (keyof CallConfig & keyof VoiceCallSettings)[];

/** The call the element's settings describe (changes made during a call apply to the next one). */
export function callConfig(settings: VoiceCallSettings): CallConfig {
  return {
    ...(Object.fromEntries(CONFIG_KEYS.map((key) => [key, settings[key]])) as Pick<CallConfig, (typeof CONFIG_KEYS)[number]>),
    baseUrl: settings.baseUrl || DEFAULT_BASE_URL,
    timeoutMs: settings.requestTimeout,
    leaseWarningMs: settings.leaseWarningSeconds * 1000,
    // As HTML treats an unknown enumerated value: the default, not a call the browser refuses to set up.
    iceTransportPolicy: settings.iceTransportPolicy === 'relay' ? 'relay' : 'all',
    audio: settings.microphoneId ? { ...DEFAULT_AUDIO_CONSTRAINTS, deviceId: { exact: settings.microphoneId } } : undefined,
  };
}
