import { VoiceCallError, ErrorKind, httpMessage } from './errors.js';

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

function asString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

export function parseErrorBody(text: string, contentType: string): ParsedErrorBody {
  const empty: ParsedErrorBody = { serverMessage: null, code: null, retryAfterSeconds: null };
  if (text.trim() === '') return empty;
  // A proxy's HTML error page says nothing the user can use, and must never reach the DOM as markup.
  if (/html/i.test(contentType) || /^\s*</.test(text)) return empty;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ...empty, serverMessage: clip(text) };
  }
  if (typeof body !== 'object' || body === null) return { ...empty, serverMessage: clip(String(body)) };
  const record = body as Record<string, unknown>;
  const message =
    asString(record.error) ??
    asString((record.error as Record<string, unknown> | null)?.message) ??
    asString(record.detail) ??
    asString(record.title) ??
    asString(record.message);
  const retry = record.retry_after_seconds;
  return {
    serverMessage: message === null ? null : clip(message),
    code: asString(record.code),
    retryAfterSeconds: typeof retry === 'number' && Number.isFinite(retry) && retry >= 0 ? Math.ceil(retry) : null,
  };
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(header!);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export async function httpError(response: Response): Promise<VoiceCallError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone is still worth reporting.
  }
  const parsed = parseErrorBody(text, response.headers.get('content-type') ?? '');
  const retryAfterSeconds = parsed.retryAfterSeconds ?? parseRetryAfter(response.headers.get('retry-after'));
  return new VoiceCallError(ErrorKind.Http, httpMessage(response.status, retryAfterSeconds), {
    status: response.status,
    serverMessage: parsed.serverMessage,
    code: parsed.code,
    retryAfterSeconds,
  });
}
