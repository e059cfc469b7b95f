/** What went wrong, coarsely: hosts branch on this, users read `message`. */
export const ErrorKind = {
  Microphone: 'microphone',
  /** The chosen speaker could not be used (`setSinkId` refused it); the call goes on. */
  Speaker: 'speaker',
  Http: 'http',
  Protocol: 'protocol',
  Network: 'network',
  WebRtc: 'webrtc',
  Lease: 'lease',
  /** The host page's setup is wrong (an insecure `base-url`). */
  Config: 'config',
  /** The user declined the `consent` text shown before a call. */
  Consent: 'consent',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface VoiceCallErrorInit {
  /** HTTP status, when the server answered. */
  status?: number | null;
  /** The server's own text (`error`, problem `detail`/`title`), never rendered as HTML. */
  serverMessage?: string | null;
  /** A machine-readable code (problem `code`, or the DOMException name for microphone errors). */
  code?: string | null;
  /** Seconds to wait before retrying (429 `Retry-After` / `retry_after_seconds`). */
  retryAfterSeconds?: number | null;
  cause?: unknown;
}

/** The fields an init may set; each is always present on the error, `null` when unknown. */
const INIT_FIELDS = ['status', 'serverMessage', 'code', 'retryAfterSeconds'] as const;

type VoiceCallErrorJSON = {
  name: 'VoiceCallError';
  kind: ErrorKind;
  message: string;
  status: number | null;
  serverMessage: string | null;
  code: string | null;
  retryAfterSeconds: number | null;
};

/** The one error type the widget reports. `message` is short and human; the rest is for the host page. */
export class VoiceCallError extends Error {
  override readonly name = 'VoiceCallError';
  declare readonly kind: ErrorKind;
  declare readonly status: number | null;
  declare readonly serverMessage: string | null;
  declare readonly code: string | null;
  declare readonly retryAfterSeconds: number | null;

  constructor(kind: ErrorKind, message: string, init: VoiceCallErrorInit = {}) {
    // Error reads only `cause` from its options; without one, the error gets no `cause` property at all.
    super(message, init.cause === undefined ? undefined : init);
    this.kind = kind;
    for (const field of INIT_FIELDS) (this as Record<string, unknown>)[field] = init[field] ?? null;
  }

  /** Plain data for logs and `JSON.stringify` (Error fields are not enumerable). */
  toJSON(): VoiceCallErrorJSON {
    return Object.fromEntries(['name', 'kind', 'message', ...INIT_FIELDS].map((field) => [field, this[field as keyof VoiceCallErrorJSON]])) as VoiceCallErrorJSON;
  }
}

/** The common shape of our own errors, one line at each of the many places that raise one. */
export const fail = (kind: ErrorKind, message: string, code?: string | null, cause?: unknown): VoiceCallError =>
  new VoiceCallError(kind, message, { code, cause });

/**
 * `table[key]` only when `table` itself has that entry. Every look-up keyed by text from outside (a server's
 * problem `code`, an error's `name`) goes through this: `constructor`, `toString` or `__proto__` would
 * otherwise find `Object.prototype`'s members and show a function's source as a message.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string | number | null | undefined): T | undefined {
  return key != null && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

// 400, 413, 415, 422 and other refusals share the 4xx fallback, 500 the 5xx one: the status is in the message.
const HTTP_MESSAGES: Record<number, string> = {
  401: 'Your sign-in is missing or has expired.',
  403: 'You may not start this call.',
  404: 'This conversation was not found.',
  409: 'Voice is off for this agent.',
  429: 'Too many calls right now.',
  502: 'The voice provider is unavailable.',
  503: 'The voice service is unavailable for now.',
  504: 'The voice service did not answer in time.',
};

/** A short message for an HTTP failure; the server's text stays in `serverMessage`. */
export function httpMessage(status: number, retryAfterSeconds: number | null): string {
  const base = own(HTTP_MESSAGES, status) ?? (status < 500 ? 'The call request was refused.' : 'The voice service failed.');
  return `${base}${retryAfterSeconds === null ? '' : ` Try again in ${retryAfterSeconds} s.`} (HTTP ${status})`;
}

const NOT_STARTED = 'The microphone is in use by another app or failed to start. Close that app.';
const HTTPS_ONLY = 'Microphone access is blocked on this page (it needs HTTPS).';

/** Maps a getUserMedia failure to advice the user can act on. */
export function microphoneError(cause: unknown): VoiceCallError {
  const name = (cause as { name?: string } | null)?.name ?? 'Error';
  const messages: Record<string, string> = {
    NotAllowedError: 'Microphone access was denied. Allow it in the browser’s site settings.',
    SecurityError: HTTPS_ONLY,
    NotFoundError: 'No microphone was found. Connect one, then try again.',
    OverconstrainedError: 'The selected microphone is unavailable. Choose another.',
    NotReadableError: NOT_STARTED,
    AbortError: NOT_STARTED,
    TypeError: HTTPS_ONLY,
  };
  // In a frame whose embedding page did not grant `allow="microphone"`, no setting of the user's helps: only
  // that page can. Chromium says so (`featurePolicy`); elsewhere it reads as an ordinary denial.
  if (name === 'NotAllowedError' && (globalThis.document as { featurePolicy?: { allowsFeature(f: string): boolean } } | undefined)?.featurePolicy?.allowsFeature('microphone') === false) {
    return fail('microphone', 'This embedded page may not use the microphone: its iframe needs allow="microphone".', 'frame-not-allowed', cause);
  }
  return fail('microphone', own(messages, name) ?? 'The microphone could not be used.', name, cause);
}
