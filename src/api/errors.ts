/** What went wrong, coarsely: hosts branch on this, users read `message`. */
export const ErrorKind = {
  Microphone: 'microphone',
  Http: 'http',
  Protocol: 'protocol',
  Network: 'network',
  WebRtc: 'webrtc',
  Lease: 'lease',
  /** The host page's setup is wrong (an insecure `base-url`). */
  Config: 'config',
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

/** The one error type the widget reports. `message` is short and human; the rest is for the host page. */
export class VoiceCallError extends Error {
  override readonly name = 'VoiceCallError';
  readonly kind: ErrorKind;
  readonly status: number | null;
  readonly serverMessage: string | null;
  readonly code: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(kind: ErrorKind, message: string, init: VoiceCallErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = kind;
    this.status = init.status ?? null;
    this.serverMessage = init.serverMessage ?? null;
    this.code = init.code ?? null;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }

  /** Plain data for logs and `JSON.stringify` (Error fields are not enumerable). */
  toJSON() {
    const { kind, message, status, serverMessage, code, retryAfterSeconds } = this;
    return { name: this.name, kind, message, status, serverMessage, code, retryAfterSeconds };
  }
}

/** The common shape of our own errors, one line at each of the many places that raise one. */
export const fail = (kind: ErrorKind, message: string, code?: string | null, cause?: unknown): VoiceCallError =>
  new VoiceCallError(kind, message, { code, cause });

// 400, 415 and other refusals share the 4xx fallback below; the status is in the message anyway.
const HTTP_MESSAGES: Record<number, string> = {
  401: 'You are not signed in, or your session has expired.',
  403: 'You are not allowed to start this call.',
  404: 'This conversation could not be found.',
  409: 'Voice is turned off for this agent.',
  413: 'The call request was too large.',
  422: 'The call request was malformed.',
  429: 'Too many calls right now.',
  500: 'The voice service had an internal error.',
  502: 'The voice provider is unavailable.',
  503: 'The voice service is temporarily unavailable.',
  504: 'The voice service did not answer in time.',
};

/** A short message for an HTTP failure; the server's text stays in `serverMessage`. */
export function httpMessage(status: number, retryAfterSeconds: number | null): string {
  const base =
    HTTP_MESSAGES[status] ??
    (status >= 500 ? 'The voice service failed.' : 'The call request was refused.');
  const wait = retryAfterSeconds === null ? '' : ` Try again in ${retryAfterSeconds} s.`;
  return `${base}${wait} (HTTP ${status})`;
}

/** Maps a getUserMedia failure to advice the user can act on. */
export function microphoneError(cause: unknown): VoiceCallError {
  const name = (cause as { name?: string } | null)?.name ?? 'Error';
  const messages: Record<string, string> = {
    NotAllowedError: 'Microphone access was denied. Allow it in the browser’s site settings, then try again.',
    SecurityError: 'Microphone access is blocked on this page (it must be served over HTTPS).',
    NotFoundError: 'No microphone was found. Connect one, then try again.',
    OverconstrainedError: 'The selected microphone is not available. Choose another one.',
    NotReadableError: 'The microphone is in use by another app or could not be started. Close that app, then try again.',
    AbortError: 'The microphone could not be started. Try again.',
    TypeError: 'This page cannot use the microphone (it must be served over HTTPS).',
  };
  return fail(ErrorKind.Microphone, messages[name] ?? 'The microphone could not be used.', name, cause);
}
