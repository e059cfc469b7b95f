import { ErrorKind, VoiceCallError, fail } from './errors.js';
import { httpError } from './problem.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ApiConfig,
  type CallOptions,
  type CreateCallRequest,
  type CreateCallResult,
  type EverrunsSession,
  type VoiceCallInfo,
} from './types.js';

/** Builds `{base}/v1/...` from already-encoded path segments; tolerates a trailing slash on the base. */
export function apiUrl(baseUrl: string, ...segments: string[]): string {
  const encode = (segment: string) => {
    // `.` and `..`, even percent-encoded, are path steps to every URL parser: no id can be one.
    if (/^\.\.?$/.test(segment)) throw fail(ErrorKind.Config, 'The session id is not valid.', 'invalid-id');
    return encodeURIComponent(segment);
  };
  return `${baseUrl.replace(/\/+$/, '')}/v1/${segments.map(encode).join('/')}`;
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

function present(value: string | null | undefined): value is string {
  return typeof value === 'string' && value !== '';
}

/** Only the options that were set travel; the server picks its defaults for the rest. */
export function buildCreateCallRequest(sdp: string, options: CallOptions): CreateCallRequest {
  const body: CreateCallRequest = { sdp };
  if (present(options.instructions)) body.instructions = options.instructions;
  if (present(options.model)) body.model = options.model;
  if (present(options.providerId)) body.provider_id = options.providerId;
  if (present(options.reasoningEffort)) body.reasoning_effort = options.reasoningEffort;
  if (present(options.voice)) body.voice = options.voice;
  return body;
}

async function resolveToken(config: ApiConfig): Promise<string | null> {
  if (!config.getToken) return config.token || null;
  try {
    return (await config.getToken()) || null;
  } catch (cause) {
    // The host's token service failed, not the voice service: say so, and keep the host's error as the cause.
    throw fail(ErrorKind.Http, 'Could not get a sign-in token for the voice service.', 'get-token', cause);
  }
}

export async function headersFor(config: ApiConfig): Promise<Headers> {
  const headers = new Headers({ 'Content-Type': 'application/json', Accept: 'application/json' });
  const token = await resolveToken(config);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (present(config.orgId)) headers.set('X-Org-Id', config.orgId);
  return headers;
}

/** Every request of ours goes out with the host's `fetch` (tests inject one) and its cookie policy. */
export function request(config: ApiConfig, url: string, init: RequestInit): Promise<Response> {
  return (config.fetch ?? fetch)(url, { credentials: config.credentials ?? 'same-origin', ...init });
}

async function send(
  config: ApiConfig,
  url: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const timeoutMs = config.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const attempt = async () => {
    // One timeout plus the caller's signal, without relying on `AbortSignal.any` (Safari 17.4+).
    const link = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      link.abort();
    }, timeoutMs);
    const forward = () => link.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    try {
      // The timeout covers the host's getToken too: a token endpoint that hangs must not hang the call.
      const headers = await Promise.race([
        headersFor(config),
        new Promise<never>((_, reject) => link.signal.addEventListener('abort', () => reject(link.signal.reason), { once: true })),
      ]);
      return await request(config, url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        // A redirect on this API means a login wall or a misconfigured base URL; following it turns a
        // clear auth problem into a confusing "not JSON" one.
        redirect: 'manual',
        signal: link.signal,
      });
    } catch (cause) {
      if (timedOut) throw fail(ErrorKind.Network, `The voice service did not answer within ${Math.ceil(timeoutMs / 1000)} s.`, 'timeout', cause);
      if (signal?.aborted || cause instanceof VoiceCallError) throw cause;
      throw fail(ErrorKind.Network, 'Could not reach the voice service. Check your connection.', 'network', cause);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  };
  const response = await attempt();
  // An expired short-lived token is refreshed once: getToken runs before every attempt.
  if (response.status === 401 && config.getToken) return attempt();
  return response;
}

function failIfNotOk(response: Response): Promise<never> | null {
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    return Promise.reject(
      new VoiceCallError(ErrorKind.Http, 'The voice service redirected the request (often to a sign-in page).', {
        status: response.status || null,
        code: 'redirect',
      }),
    );
  }
  if (!response.ok) return httpError(response).then((error) => Promise.reject(error));
  return null;
}

function protocolError(message: string, cause?: unknown): VoiceCallError {
  return fail(ErrorKind.Protocol, `The voice service sent an unexpected answer: ${message}.`, null, cause);
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw protocolError('the response is not JSON', cause);
  }
}

/** Validates a 2xx body strictly where the call depends on it and liberally elsewhere. */
export function parseCallInfo(text: string): VoiceCallInfo {
  return callInfo(parseJson(text));
}

function callInfo(body: unknown): VoiceCallInfo {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw protocolError('the response is not an object');
  const record = body as Record<string, unknown>;
  if (typeof record.answer_sdp !== 'string' || record.answer_sdp.trim() === '') throw protocolError('answer_sdp is missing');
  if (typeof record.expires_at !== 'string' || Number.isNaN(Date.parse(record.expires_at))) {
    throw protocolError('expires_at is missing or not a date');
  }
  // answer_sdp and expires_at come with the spread, checked above.
  return {
    ...record,
    model: optionalString(record.model) ?? '',
    provider: optionalString(record.provider) ?? '',
    provider_call_id: optionalString(record.provider_call_id),
    reasoning_effort: optionalString(record.reasoning_effort),
    voice: optionalString(record.voice) ?? '',
    voice_connection_id: optionalString(record.voice_connection_id) ?? '',
  } as VoiceCallInfo;
}

/** The server's clock minus ours, when the `Date` header is readable (cross-origin only if exposed). */
export function clockSkewFrom(response: Response, receivedAt: number, sentAt = receivedAt): number {
  const date = response.headers.get('date');
  const serverTime = date === null ? Number.NaN : Date.parse(date);
  if (Number.isNaN(serverTime)) return 0;
  // The header is truncated to the second and stamped during the round trip, so the server's clock at
  // receipt lies in [serverTime, serverTime + 1 s + round trip]. Only a local time outside that
  // window is skew, and only by the distance to its nearest edge: guessing more would shift the lease
  // the wrong way as often as the right one.
  if (receivedAt < serverTime) return serverTime - receivedAt;
  return Math.min(0, serverTime + 1000 - sentAt);
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
  const { agentId, channelId, providerId } = options;
  const channel = present(agentId) && present(channelId);
  const sentAt = Date.now();
  const response = await send(
    config,
    channel ? apiUrl(config.baseUrl, 'agents', agentId, 'channels', channelId!, 'voice', 'calls') : apiUrl(config.baseUrl, 'sessions', sessionId, 'voice', 'calls'),
    channel ? { sdp, ...(present(sessionId) && { session_id: sessionId }), ...(present(providerId) && { provider_id: providerId }) } : buildCreateCallRequest(sdp, options),
    signal,
  );
  const receivedAt = Date.now();
  await failIfNotOk(response);
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw fail(ErrorKind.Network, 'The connection dropped while the call was being set up.', null, cause);
  }
  const clockSkewMs = clockSkewFrom(response, receivedAt, sentAt);
  if (!channel) return { call: parseCallInfo(text), clockSkewMs };
  const { session, voice } = (parseJson(text) ?? {}) as { session?: EverrunsSession; voice?: unknown };
  if (typeof session?.id !== 'string') throw protocolError('session is missing');
  return { call: callInfo(voice), session, clockSkewMs };
}

/** Reasons the client gives the server when it ends a call. */
export type ServerEndReason = 'client_ended' | 'page_unload' | 'element_removed' | 'client_error';

/**
 * `POST {base}/v1/sessions/{session_id}/voice/{voice_connection_id}/end`, with `keepalive` so it survives
 * page unload. Never throws: the call is already over for the user.
 */
export async function endCall(
  config: ApiConfig,
  sessionId: string,
  voiceConnectionId: string,
  reason: ServerEndReason,
): Promise<{ ok: boolean; status: number | null; error?: unknown }> {
  const url = apiUrl(config.baseUrl, 'sessions', sessionId, 'voice', voiceConnectionId, 'end');
  try {
    const response = await request(config, url, {
      method: 'POST',
      headers: await headersFor(config),
      body: JSON.stringify({ reason }),
      keepalive: true,
      // Nobody waits on it, but no request of ours stays open for ever.
      signal: AbortSignal.timeout?.(config.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    });
    return { ok: response.ok, status: response.status };
  } catch (error) {
    return { ok: false, status: null, error };
  }
}
