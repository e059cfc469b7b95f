import { VoiceCallError, fail } from './errors.js';
import { asString, httpError } from './problem.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ApiConfig,
  type CallOptions,
  type CreateCallRequest,
  type CreateCallResult,
  type EverrunsSession,
  type VoiceCallInfo,
} from './types.js';

/** Builds `{base}/v1/...` from path segments it percent-encodes; tolerates a trailing slash on the base. */
export function apiUrl(baseUrl: string, ...segments: string[]): string {
  // `.` and `..`, even percent-encoded, are path steps to every URL parser: no id can be one.
  if (segments.some((segment) => /^\.\.?$/.test(segment))) throw fail('config', 'The session id is not valid.', 'invalid-id');
  return `${baseUrl.replace(/\/+$/, '')}/v1/${segments.map(encodeURIComponent).join('/')}`;
}

/** A token must never travel over plain HTTP: only `https:`, or `http:` to this machine, is accepted. */
export function isSecureBase(baseUrl: string): boolean {
  try {
    const { protocol, hostname } = new URL(baseUrl, globalThis.location?.href);
    return protocol === 'https:' || (protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname));
  } catch {
    return false;
  }
}

function present(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

type SetOnly<T> = { [K in keyof T]?: Exclude<T[K], null | undefined | ''> };

/** Only the fields that are set travel; the server picks its defaults for the rest. */
function setOnly<T extends object>(fields: T): SetOnly<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => present(value))) as SetOnly<T>;
}

export function buildCreateCallRequest(sdp: string, options: CallOptions): CreateCallRequest {
  return {
    sdp,
    ...setOnly({
      instructions: options.instructions,
      model: options.model,
      provider_id: options.providerId,
      reasoning_effort: options.reasoningEffort,
      voice: options.voice,
    }),
  };
}

/** `Accept` is JSON but for the event stream. */
export async function headersFor(config: ApiConfig, accept = 'application/json'): Promise<Record<string, string>> {
  let token;
  try {
    token = config.getToken ? await config.getToken() : config.token;
  } catch (cause) {
    // The host's token service failed, not the voice service: say so, and keep the host's error as the cause.
    throw fail('http', 'Could not get a sign-in token.', 'get-token', cause);
  }
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: accept,
    ...(!!token && { Authorization: `Bearer ${token}` }),
    ...(present(config.orgId) && { 'X-Org-Id': config.orgId }),
  };
  // fetch refuses a header it cannot send (a line break, a character past U+00FF) with a bare TypeError
  // that would read as a network failure: it is the page's setting.
  if (/[^\t -~\x80-\xff]/.test(Object.values(headers).join(''))) {
    throw fail('config', 'The token or org-id cannot be sent in a request header.', 'bad-header');
  }
  return headers;
}

/**
 * A usable timer delay, else `fallback`: not NaN (a mistyped number attribute), not below `min`, and inside
 * `setTimeout`'s range (a longer delay fires at once).
 */
export const delayOr = (ms: number | undefined, fallback: number, min = 1): number => (ms! >= min && ms! < 2 ** 31 ? ms! : fallback);

/** Every request of ours goes out with the host's `fetch` (tests inject one) and its cookie policy. */
export function request(config: ApiConfig, url: string, init: RequestInit): Promise<Response> {
  const { credentials } = config;
  // Like an HTML enumerated attribute, a value that is not one of the three means the default.
  return (config.fetch ?? fetch)(url, { credentials: /^(omit|include)$/.test(credentials!) ? credentials : 'same-origin', ...init });
}

/** An answer with its body read in full, when its headers arrived, and the headers (token included) that got it. */
interface Answer {
  response: Response;
  text: string;
  receivedAt: number;
  headers: Record<string, string>;
}

async function send(config: ApiConfig, url: string, body: unknown, signal: AbortSignal | undefined): Promise<Answer> {
  const timeoutMs = delayOr(config.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  const attempt = async (): Promise<Answer> => {
    // One timeout plus the caller's signal, without relying on `AbortSignal.any` (Safari 17.4+): the link
    // aborted while the caller's signal is not means the timeout struck.
    const link = new AbortController();
    const timer = setTimeout(() => link.abort(), timeoutMs);
    const forward = () => link.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward);
    let answered = false;
    try {
      // The timeout covers the host's getToken too: a token endpoint that hangs must not hang the call.
      const headers = await Promise.race([
        headersFor(config),
        new Promise<never>((_, reject) => (link.signal.onabort = () => reject(link.signal.reason))),
      ]);
      const response = await request(config, url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        // A redirect on this API means a login wall or a misconfigured base URL; following it turns a
        // clear auth problem into a confusing "not JSON" one.
        redirect: 'manual',
        signal: link.signal,
      });
      const receivedAt = Date.now();
      answered = true;
      // The body is part of the answer: the timeout bounds it and a hang-up aborts it (fetch's signal covers
      // the body), or a response that stalls after its headers would hold the call in `connecting` for ever.
      const text = await response.text().catch((cause: unknown) => {
        // An error's status alone is still worth reporting; a success without its body is not a success.
        if (link.signal.aborted || response.ok) throw cause;
        return '';
      });
      return { response, text, receivedAt, headers };
    } catch (cause) {
      if (signal?.aborted || cause instanceof VoiceCallError) throw cause;
      if (link.signal.aborted) throw fail('network', `The voice service did not answer within ${Math.ceil(timeoutMs / 1000)} s.`, 'timeout', cause);
      throw answered
        ? fail('network', 'The connection dropped during call setup.', null, cause)
        : fail('network', 'Could not reach the voice service. Check your connection.', 'network', cause);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  };
  const answer = await attempt();
  // An expired short-lived token is refreshed once: getToken runs before every attempt.
  return answer.response.status === 401 && config.getToken ? attempt() : answer;
}

function protocolError(message: string, cause?: unknown): VoiceCallError {
  return fail('protocol', `The voice service sent an unexpected answer: ${message}.`, null, cause);
}

/** The text fields the widget reads, and what stands in for one that is missing or not a string. */
const TEXT_FIELDS = { model: '', provider: '', provider_call_id: null, reasoning_effort: null, voice: '', voice_connection_id: '' };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw protocolError('not JSON', cause);
  }
}

/** Validates a 2xx body strictly where the call depends on it and liberally elsewhere. */
export function parseCallInfo(text: string): VoiceCallInfo {
  return callInfo(parseJson(text));
}

function callInfo(body: unknown): VoiceCallInfo {
  // Any JSON but an object (null, an array, a string) has no answer_sdp.
  const record: Record<string, unknown> = Object(body);
  if (!asString(record.answer_sdp)) throw protocolError('answer_sdp is missing');
  if (typeof record.expires_at !== 'string' || isNaN(Date.parse(record.expires_at))) throw protocolError('expires_at is missing or not a date');
  // answer_sdp and expires_at are checked above; unknown fields are kept.
  const call = { ...record };
  for (const [field, missing] of Object.entries(TEXT_FIELDS)) if (typeof call[field] !== 'string') call[field] = missing;
  return call as VoiceCallInfo;
}

/** The server's clock minus ours, when the `Date` header is readable (cross-origin only if exposed). */
export function clockSkewFrom(response: Response, receivedAt: number, sentAt = receivedAt): number {
  const serverTime = Date.parse(response.headers.get('date') ?? '');
  if (isNaN(serverTime)) return 0;
  // The header is truncated to the second and stamped during the round trip, so the server's clock at
  // receipt lies in [serverTime, serverTime + 1 s + round trip]. Only a local time outside that
  // window is skew, and only by the distance to its nearest edge: guessing more would shift the lease
  // the wrong way as often as the right one.
  return receivedAt < serverTime ? serverTime - receivedAt : Math.min(0, serverTime + 1000 - sentAt);
}

/**
 * `POST {base}/v1/sessions/{session_id}/voice/calls`; with `agentId` and `channelId`, the agent's voice
 * channel route instead (newer servers: `{sdp, session_id?, provider_id?}`), which answers `{session, voice}`
 * and creates the session when `sessionId` is empty. Rejects with a `VoiceCallError` or an `AbortError`.
 */
export async function createCall(
  config: ApiConfig,
  sessionId: string,
  sdp: string,
  options: CallOptions,
  signal?: AbortSignal,
): Promise<CreateCallResult> {
  const { agentId, channelId } = options;
  const channel = present(agentId) && present(channelId);
  const sentAt = Date.now();
  const { response, text, receivedAt, headers } = await send(
    config,
    apiUrl(config.baseUrl, ...(channel ? ['agents', agentId, 'channels', channelId!] : ['sessions', sessionId]), 'voice', 'calls'),
    channel ? { sdp, ...setOnly({ session_id: sessionId, provider_id: options.providerId }) } : buildCreateCallRequest(sdp, options),
    signal,
  );
  const { status } = response;
  if (response.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
    throw new VoiceCallError('http', 'The voice service redirected the request (often to a sign-in page).', {
      status: status || null,
      code: 'redirect',
    });
  }
  if (!response.ok) throw httpError(response, text);
  const clockSkewMs = clockSkewFrom(response, receivedAt, sentAt);
  const body = parseJson(text) as { session?: EverrunsSession; voice?: unknown } | null;
  if (!channel) return { call: callInfo(body), clockSkewMs, headers };
  const session = body?.session;
  if (typeof session?.id !== 'string') throw protocolError('session is missing');
  return { call: callInfo(body!.voice), session, clockSkewMs, headers };
}

/** Reasons the client gives the server when it ends a call. */
export type ServerEndReason = 'client_ended' | 'page_unload' | 'element_removed' | 'client_error';

/**
 * `POST {base}/v1/sessions/{session_id}/voice/{voice_connection_id}/end`, with `keepalive` so it survives
 * page unload. Given the `headers` the call was created with, the request is issued synchronously, before
 * this returns: inside `pagehide` there is no later (an async `getToken` would be awaited past the page's
 * end). A fresh token is asked for only after a 401. Never throws: the call is already over for the user.
 */
export async function endCall(
  config: ApiConfig,
  sessionId: string,
  voiceConnectionId: string,
  reason: ServerEndReason,
  headers?: Record<string, string>,
): Promise<{ ok: boolean; status: number | null; error?: unknown }> {
  const post = (headers: Record<string, string>) =>
    request(config, apiUrl(config.baseUrl, 'sessions', sessionId, 'voice', voiceConnectionId, 'end'), {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason }),
      keepalive: true,
      // Nobody waits on it, but no request of ours stays open for ever.
      signal: AbortSignal.timeout?.(delayOr(config.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS)),
    });
  try {
    let response = await post(headers ?? (await headersFor(config)));
    if (response.status === 401 && headers && config.getToken) response = await post(await headersFor(config));
    const { ok, status } = response;
    return { ok, status };
  } catch (error) {
    return { ok: false, status: null, error };
  }
}
