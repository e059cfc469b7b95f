import { VoiceCallError, httpMessage } from './errors.js';

/** Server text worth keeping from an error body: RFC 9457 problem JSON, `{"error"}`, or short plain text. */
interface ParsedErrorBody {
  serverMessage: string | null;
  code: string | null;
  retryAfterSeconds: number | null;
}

const MAX_SERVER_TEXT = 500;

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_SERVER_TEXT ? `${trimmed.slice(0, MAX_SERVER_TEXT)}…` : trimmed;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function parseErrorBody(text: string, contentType: string): ParsedErrorBody {
  let message: unknown = null;
  let record: Record<string, unknown> = {};
  // A proxy's HTML error page says nothing the user can use, and must never reach the DOM as markup.
  if (text.trim() && !/html/i.test(contentType) && !/^\s*</.test(text)) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    if (body && typeof body === 'object') {
      record = body as Record<string, unknown>;
      message = [record.error, (record.error as Record<string, unknown> | null)?.message, record.detail, record.title, record.message].find(asString);
    } else {
      message = String(body);
    }
  }
  const retry = record.retry_after_seconds as number;
  return {
    serverMessage: typeof message === 'string' ? clip(message) : null,
    code: asString(record.code),
    // Number.isFinite is false for anything but a finite number.
    retryAfterSeconds: Number.isFinite(retry) && retry >= 0 ? Math.ceil(retry) : null,
  };
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(header!);
  return isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** `text` is the body, already read (or `''` when it could not be). */
export function httpError(response: Response, text: string): VoiceCallError {
  const { status, headers } = response;
  const parsed = parseErrorBody(text, headers.get('content-type') ?? '');
  const retryAfterSeconds = parsed.retryAfterSeconds ?? parseRetryAfter(headers.get('retry-after'));
  return new VoiceCallError('http', httpMessage(status, retryAfterSeconds), { ...parsed, status, retryAfterSeconds });
}
