/**
 * The reference agent: the Everruns voice-call routes in front of a real WebRTC peer that echoes the
 * caller's audio (or, in turns mode, answers it) and speaks the `oai-events` data channel. `npm start` serves the demo with it and the browser end-to-end tests call it.
 * Loopback only: it is a test double, not a service.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CallRegistry, type AgentCall, type CallSettings, type LinkSettings } from './calls.ts';
import { CHANNEL_CALL, channelSession, unknownChannel, type Channel, type ChannelSession } from './channels.ts';
import { Conversation } from './conversation.ts';
import { PROTOTYPE_CODES, parseFaultPath, type Faults } from './faults.ts';
import { isJsonContentType, parseJson, readBody, send, sendError, sendJson, setCors } from './http.ts';
import { OfferRejectedError } from './peer.ts';
import { SessionEvents } from './sse.ts';

export type { AgentCall } from './calls.ts';

export interface AgentServerOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** The call's lease, reported as `expires_at`; the call ends when it runs out. Default 900. */
  leaseSeconds?: number;
  /** When set, the `/v1` routes require `Authorization: Bearer <token>`. */
  token?: string;
  /** The agent's audio is the caller's, played back this much later. Default 400. */
  echoDelayMs?: number;
  /** Larger request bodies get 413. Default 256 KiB. */
  maxBodyBytes?: number;
  /** Handles every request that is not the agent's (the demo's Vite middleware). Default: 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Default: silent. */
  log?: (line: string) => void;
  /** When set, the `/v1` routes require `X-Org-Id: <orgId>` (400 without it, 403 with another). */
  orgId?: string;
  /** Answer create-call like a newer server, as the `v2` fault does. */
  v2?: boolean;
  /** Event stream heartbeat interval. Default 30 000. */
  sseHeartbeatMs?: number;
  /** An event stream is closed with `disconnecting` after this long. Default 300 000. */
  sseDisconnectMs?: number;
  /** The `retry_ms` of `disconnecting`. Default 1000. */
  sseRetryMs?: number;
  /** The session stream's text lines' pace in echo mode, per word. Default 150. */
  wordMs?: number;
  /**
   * The agent takes turns like a real one (greets, listens, thinks, answers with the caller's recording)
   * instead of echoing; the `turns` / `echo` faults choose per call. Default false (echo).
   */
  turns?: boolean;
  /** In turns mode, from the end of the caller's speech to its answer. Default 400. */
  thinkMs?: number;
}

export interface AgentServer {
  /** `http://127.0.0.1:PORT`, the `{base}` to give the widget. */
  url: string;
  port: number;
  /** Live calls and the last ended ones, by voice connection id. */
  calls: Map<string, AgentCall>;
  /** The underlying server, for attaching WebSocket upgrades (Vite's HMR). */
  httpServer: Server;
  /** The request handler, also usable as middleware in another server. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  endCall(id: string, reason?: string): void;
  /** Ends every call, frees its peer and closes the HTTP server. */
  close(): Promise<void>;
}

type CreateCallRequest = Record<string, unknown> & { sdp: string };

const OPTIONAL_STRING_FIELDS = ['instructions', 'model', 'provider_id', 'reasoning_effort', 'voice'] as const;
const REASONING_EFFORTS = ['low', 'medium', 'high'];
const AGENT_PATH = /^\/(v1|_fault|_agent)(\/|$)|^\/login$/;
const CREATE_CALL = /^\/v1\/sessions\/([^/]+)\/voice\/calls$/;
const END_CALL = /^\/v1\/sessions\/([^/]+)\/voice\/([^/]+)\/end$/;
const DEBUG_CALLS = /^\/_agent\/calls(?:\/([^/]+))?$/;
const SESSION_SSE = /^\/v1\/sessions\/([^/]+)\/sse$/;
const DEBUG_SESSION = /^\/_agent\/sessions\/([^/]+)$/;

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Sign in</h1><p>Your session has expired. Sign in again to continue.</p>
<form method="post" action="/login"><input name="email" type="email"><button>Sign in</button></form></body></html>
`;

export async function createAgentServer(options: AgentServerOptions = {}): Promise<AgentServer> {
  const {
    port = 0,
    host = '127.0.0.1',
    leaseSeconds = 900,
    token,
    echoDelayMs = 400,
    maxBodyBytes = 256 * 1024,
    fallback,
    log = () => undefined,
    orgId,
    v2 = false,
  } = options;
  const events = new SessionEvents({
    heartbeatMs: options.sseHeartbeatMs ?? 30_000,
    disconnectMs: options.sseDisconnectMs ?? 300_000,
    retryMs: options.sseRetryMs ?? 1000,
  });
  const conversation = new Conversation((sessionId, type, data) => events.publish(sessionId, type, data), {
    wordMs: options.wordMs ?? 150,
    echoDelayMs,
    mode: options.turns ? 'turns' : 'echo',
    thinkMs: options.thinkMs ?? 400,
    log,
  });
  const registry = new CallRegistry(log, conversation);
  // Aborts the waits of delayed requests, so close() does not wait for them.
  const shutdown = new AbortController();
  const creating = new Set<Promise<void>>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req);
    if (!AGENT_PATH.test(path)) {
      if (fallback) fallback(req, res);
      else sendError(res, 404, 'not found');
      return;
    }
    setCors(req, res);
    if (req.method === 'OPTIONS') {
      send(res, 204, null, '');
      return;
    }
    route(req, res, path).catch((error: unknown) => {
      log(`${req.method} ${req.url} failed: ${(error as Error).stack ?? String(error)}`);
      sendError(res, 500, 'internal error in the reference agent');
    });
  };

  async function route(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    const parsed = parseFaultPath(rawPath);
    if ('error' in parsed) return sendError(res, 400, parsed.error);
    const { path, faults } = parsed;

    if (path === '/login') {
      return req.method === 'GET' ? send(res, 200, 'text/html', LOGIN_PAGE) : methodNotAllowed(res, 'GET');
    }
    const debug = DEBUG_CALLS.exec(path);
    if (debug) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      if (debug[1] === undefined) return sendJson(res, 200, [...registry.calls.values()]);
      const call = registry.calls.get(decodeSegment(debug[1]) ?? '');
      return call ? sendJson(res, 200, call) : sendError(res, 404, 'no such call');
    }
    const debugSession = DEBUG_SESSION.exec(path);
    if (debugSession) return sendJson(res, 200, events.debug(decodeSegment(debugSession[1]!) ?? ''));
    const create = CREATE_CALL.exec(path);
    const end = END_CALL.exec(path);
    const sse = SESSION_SSE.exec(path);
    const channelCall = CHANNEL_CALL.exec(path);
    if (!create && !end && !sse && !channelCall) return sendError(res, 404, `no route for ${path}`);
    const method = sse ? 'GET' : 'POST';
    if (req.method !== method) return methodNotAllowed(res, method);
    if (token !== undefined && !sameSecret(req.headers.authorization, `Bearer ${token}`)) {
      return sendError(res, 401, 'missing or invalid bearer token', { 'WWW-Authenticate': 'Bearer' });
    }
    if (orgId !== undefined) {
      const sent = req.headers['x-org-id'];
      if (!sent) return sendError(res, 400, 'X-Org-Id is required: the token belongs to several organisations');
      if (sent !== orgId) return sendError(res, 403, 'not a member of that organisation');
    }
    if (channelCall) {
      const channel = { agentId: decodeSegment(channelCall[1]!) ?? '', channelId: decodeSegment(channelCall[2]!) ?? '' };
      const unknown = unknownChannel(channel);
      return unknown ? sendError(res, 404, unknown) : track(createCall(req, res, '', faults, channel));
    }
    const sessionId = decodeSegment((create ?? end ?? sse)![1]!);
    if (sessionId === undefined) return sendError(res, 400, 'invalid session id');
    if (sse) return events.open(req, res, sessionId, new URL(req.url ?? '/', 'http://agent').searchParams.get('since_id'), faults);
    if (create) return track(createCall(req, res, sessionId, faults));
    return endCall(req, res, sessionId, decodeSegment(end![2]!) ?? '');
  }

  function track(done: Promise<void>): Promise<void> {
    creating.add(done);
    return done.finally(() => creating.delete(done));
  }

  /** Both create routes: the session's, and an agent channel's (which may create the session). */
  async function createCall(req: IncomingMessage, res: ServerResponse, sessionId: string, faults: Faults, channel?: Channel) {
    if (shutdown.signal.aborted) return sendError(res, 503, 'the reference agent is shutting down');
    const raw = await readRawBody(req, res);
    if (raw === undefined) return;
    const aborted = AbortSignal.any([shutdown.signal, closedSignal(res)]);
    const delay = faults.get('delay');
    if (delay != null) await sleep(delay, undefined, { signal: aborted }).catch(() => undefined);
    // A hanging request stays open until the client gives up or the server closes its connections.
    if (aborted.aborted || faults.has('hang')) return;
    // Before validation: a failing server or proxy does not look at the request.
    if (sendHttpFault(res, faults)) return;

    const body = parseJsonBody(req, res, raw, true);
    if (body === undefined) return;
    const request = validateCreateRequest(body);
    if (typeof request === 'string') return sendError(res, 400, request);
    let session: ChannelSession | string | undefined;
    if (channel) {
      session = channelSession(channel, request);
      if (typeof session === 'string') return sendError(res, 400, session);
      sessionId = session.id;
    }
    const settings: CallSettings = {
      leaseSeconds: faults.get('lease') ?? leaseSeconds,
      sendAudio: !faults.has('no-audio'),
      unreachable: faults.has('no-ice'),
      application: faults.has('dc-reject') ? 'reject' : faults.has('dc-absent') ? 'absent' : 'accept',
      remoteCloseMs: faults.get('remote-close') ?? null,
      dropMs: faults.get('drop') ?? null,
      link: linkSettings(faults),
    };
    let created: Awaited<ReturnType<CallRegistry['create']>>;
    try {
      created = await registry.create(sessionId, request, settings, faults);
    } catch (error) {
      if (error instanceof OfferRejectedError) return sendError(res, 400, error.message);
      throw error;
    }
    const { call, answerSdp } = created;
    if (aborted.aborted) {
      // Nobody will ever use this answer.
      registry.end(call.voiceConnectionId, shutdown.signal.aborted ? 'server-closed' : 'client-aborted');
      return;
    }
    const { status, body: response } = callResponse(call, answerSdp, request, v2 ? new Map([...faults, ['v2', null]]) : faults);
    const answer = session ? { session, voice: { ...response, channel_id: channel!.channelId } } : response;
    if (faults.has('stall-body')) return stallBody(res, session ? 201 : status, JSON.stringify(answer), () => registry.end(call.voiceConnectionId, 'client-aborted'));
    sendJson(res, session ? 201 : status, answer);
  }

  async function endCall(req: IncomingMessage, res: ServerResponse, sessionId: string, id: string) {
    const raw = await readRawBody(req, res);
    if (raw === undefined) return;
    const body = parseJsonBody(req, res, raw, false);
    if (body === undefined) return;
    if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      return sendError(res, 400, 'the body must be a JSON object');
    }
    const reason = (body as Record<string, unknown> | null)?.reason;
    if (reason !== undefined && reason !== null && typeof reason !== 'string') {
      return sendError(res, 400, 'reason must be a string');
    }
    const call = registry.calls.get(id);
    if (!call || call.sessionId !== sessionId) return sendError(res, 404, 'no such voice connection');
    registry.end(id, 'client-ended', (body as Record<string, unknown> | null) ?? {});
    sendJson(res, 200, { voice_connection_id: id, status: 'ended' });
  }

  /** The body, or `undefined` once a 413 has been answered or the client went away. */
  async function readRawBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
    const result = await readBody(req, maxBodyBytes);
    if (result.kind === 'too-large') {
      sendError(res, 413, `the body is larger than ${maxBodyBytes} bytes`, { Connection: 'close' });
    }
    return result.kind === 'ok' ? result.body : undefined;
  }

  /**
   * The parsed JSON body, `null` for an empty body when that is allowed, or `undefined` once a 415 or 422
   * has been answered.
   */
  function parseJsonBody(req: IncomingMessage, res: ServerResponse, raw: Buffer, required: boolean): unknown {
    if (!required && raw.length === 0) return null;
    if (!isJsonContentType(req)) {
      sendError(res, 415, 'Content-Type must be application/json');
      return undefined;
    }
    const json = parseJson(raw);
    if (!json) {
      sendError(res, 422, 'malformed JSON');
      return undefined;
    }
    return json.value;
  }

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    calls: registry.calls,
    httpServer: server,
    handle,
    endCall: (id, reason = 'ended-by-agent') => void registry.end(id, reason),
    async close() {
      shutdown.abort();
      await Promise.allSettled(creating);
      await registry.endAll('server-closed');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function validateCreateRequest(body: unknown): CreateCallRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const request = body as Record<string, unknown>;
  const { sdp } = request;
  if (sdp === undefined || sdp === null) return 'sdp is required';
  if (typeof sdp !== 'string') return 'sdp must be a string';
  if (!sdp.startsWith('v=0') || !/^m=audio /m.test(sdp)) return 'sdp must be an SDP offer with an audio section';
  for (const field of OPTIONAL_STRING_FIELDS) {
    const value = request[field];
    if (value !== undefined && value !== null && typeof value !== 'string') return `${field} must be a string or null`;
  }
  const effort = request.reasoning_effort;
  if (typeof effort === 'string' && !REASONING_EFFORTS.includes(effort)) {
    return `reasoning_effort must be one of ${REASONING_EFFORTS.join(', ')}`;
  }
  return { ...request, sdp };
}

function callResponse(call: AgentCall, answerSdp: string, request: CreateCallRequest, faults: Faults) {
  const body: Record<string, unknown> = {
    answer_sdp: answerSdp,
    expires_at: new Date(call.expiresAt).toISOString(),
    model: stringOr(request.model, 'reference-echo'),
    provider: 'reference',
    provider_call_id: call.providerCallId,
    reasoning_effort: stringOr(request.reasoning_effort, 'medium'),
    voice: stringOr(request.voice, 'echo'),
    voice_connection_id: call.voiceConnectionId,
  };
  if (faults.has('no-answer-sdp')) delete body.answer_sdp;
  if (faults.has('answer-sdp-number')) body.answer_sdp = 42;
  if (faults.has('bad-answer-sdp')) body.answer_sdp = 'this is not an SDP answer';
  if (faults.has('no-expiry')) delete body.expires_at;
  if (faults.has('bad-expiry')) body.expires_at = 'in fifteen minutes';
  if (faults.has('past-expiry')) body.expires_at = new Date(call.createdAt - 60_000).toISOString();
  const expires = faults.get('expires');
  if (expires != null) body.expires_at = new Date(call.createdAt + expires * 1000).toISOString();
  if (faults.has('extra-fields')) {
    Object.assign(body, { transport: 'webrtc', ice_servers: [], reference: { echo: true, note: 'unknown field' } });
  }
  if (faults.has('v2')) {
    delete body.reasoning_effort;
    body.channel_id = null;
    return { status: 200, body };
  }
  return { status: 201, body };
}

const LINK_FAULTS = ['relay', 'relay-loss', 'relay-jitter', 'relay-blackout', 'relay-heal'] as const;

/** The bad link the `relay-*` faults ask for, or `null` when the media goes straight to the agent. */
function linkSettings(faults: Faults): LinkSettings | null {
  if (!LINK_FAULTS.some((name) => faults.has(name))) return null;
  return {
    conditions: { loss: (faults.get('relay-loss') ?? 0) / 100, delayMs: 0, jitterMs: faults.get('relay-jitter') ?? 0 },
    blackoutMs: faults.get('relay-blackout') ?? null,
    healMs: faults.get('relay-heal') ?? null,
  };
}

/** Answers with the first HTTP-level fault asked for; false when there is none. */
function sendHttpFault(res: ServerResponse, faults: Faults): boolean {
  const status = (name: 'status' | 'problem' | 'empty' | 'html' | 'text') => faults.get(name) ?? undefined;
  const reason = (code: number) => STATUS_CODES[code] ?? 'Error';
  let code: number | undefined;
  if ((code = status('status')) !== undefined) {
    sendError(res, code, `reference fault ${code}`);
  } else if ((code = status('problem')) !== undefined) {
    const problem = { title: reason(code), status: code, detail: `reference fault ${code}`, code: 'reference_fault', ...(code === 429 && { retry_after_seconds: 12 }) };
    send(res, code, 'application/problem+json', JSON.stringify(problem));
  } else if ((code = faults.get('prototype-code') ?? undefined) !== undefined) {
    send(res, 400, 'application/problem+json', JSON.stringify({ title: 'Bad Request', status: 400, detail: 'reference fault', code: PROTOTYPE_CODES[code] }));
  } else if ((code = status('empty')) !== undefined) {
    send(res, code, null, '');
  } else if ((code = status('html')) !== undefined) {
    const title = `${code} ${reason(code)}`;
    send(res, code, 'text/html', `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>\n`);
  } else if ((code = status('text')) !== undefined) {
    send(res, code, 'text/plain', `upstream connect error or disconnect/reset before headers (reference fault ${code})\n`);
  } else if ((code = faults.get('retry-after') ?? undefined) !== undefined) {
    sendError(res, 429, 'too many requests (reference fault)', { 'Retry-After': String(code) });
  } else if (faults.has('redirect-login')) {
    send(res, 302, null, '', { Location: '/login' });
  } else {
    return false;
  }
  return true;
}

/**
 * The status, the headers (announcing the whole body) and its first half, then silence: a server or proxy
 * that stalls mid-answer. `onClosed` runs when the client gives up and closes the connection.
 */
function stallBody(res: ServerResponse, status: number, body: string, onClosed: () => void): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
  res.write(body.slice(0, Math.floor(body.length / 2)));
  res.once('close', onClosed);
}

/** Compared in constant time, so how long a refusal takes says nothing about how much of a guess was right. */
function sameSecret(sent: string | undefined, expected: string): boolean {
  const a = Buffer.from(sent ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, `method not allowed; use ${allow}`, { Allow: `${allow}, OPTIONS` });
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** The request's path, still percent-encoded so that an encoded `/` stays inside its segment. */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split(/[?#]/)[0] ?? '/';
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Aborts when the response is closed before it was sent: the client gave up. */
function closedSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
