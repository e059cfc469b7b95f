import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAgentServer, type AgentCall, type AgentServer, type AgentServerOptions } from '../../server/agent-server.ts';
import { FAULT_MODES } from '../../server/faults.ts';
import { withLocalCandidatesOnly } from '../../server/peer.ts';
import { Caller } from './werift-caller.ts';

const SESSION = 'session_0195f0c2a8b37d5e9c4f1a2b3c4d5e6f';
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** An offer werift accepts, without candidates: enough for the routes that never connect. */
let offer: string;
let agent: AgentServer;

before(async () => {
  agent = await createAgentServer();
  const caller = new Caller();
  offer = await caller.offer();
  await caller.close();
});
after(() => agent.close());

async function startAgent(t: TestContext, options: AgentServerOptions = {}): Promise<AgentServer> {
  const server = await createAgentServer(options);
  t.after(() => server.close());
  return server;
}

function callsUrl(base: string, sessionId = SESSION): string {
  return `${base}/v1/sessions/${encodeURIComponent(sessionId)}/voice/calls`;
}

function createCall(base: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  const raw = typeof body === 'string' || body instanceof ReadableStream || body instanceof Blob;
  return fetch(callsUrl(base), {
    method: 'POST',
    headers: JSON_HEADERS,
    body: raw ? body : JSON.stringify(body),
    ...init,
  });
}

async function debugCall(base: string, id: string): Promise<AgentCall> {
  const res = await fetch(`${base}/_agent/calls/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as AgentCall;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function assertError(res: Response, status: number): Promise<string> {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { error: unknown };
  assert.equal(typeof body.error, 'string');
  assert.ok((body.error as string).length > 0);
  return body.error as string;
}

/** Dials the agent like the widget: offer, POST, answer, connected. */
async function dial(t: TestContext, base: string, body: Record<string, unknown> = {}) {
  const caller = new Caller();
  t.after(() => caller.close());
  const res = await createCall(base, { sdp: await caller.offer(), ...body });
  assert.equal(res.status, 201, await res.clone().text());
  const response = (await res.json()) as Record<string, unknown>;
  await caller.accept(response.answer_sdp as string);
  await caller.connected();
  return { caller, response, id: response.voice_connection_id as string, res };
}

describe('a call', () => {
  test('is answered with every documented field, connects, and echoes the caller’s audio', async (t) => {
    const started = Date.now();
    const { caller, response, id, res } = await dial(t, agent.url);

    assert.deepEqual(Object.keys(response).sort(), [
      'answer_sdp', 'expires_at', 'model', 'provider', 'provider_call_id', 'reasoning_effort', 'voice', 'voice_connection_id',
    ]);
    assert.match(response.voice_connection_id as string, /^voice_conn_[0-9a-f]{32}$/);
    assert.match(response.provider_call_id as string, /^ref_call_[0-9a-f]+$/);
    assert.equal(response.model, 'reference-echo');
    assert.equal(response.voice, 'echo');
    assert.equal(response.provider, 'reference');
    assert.equal(response.reasoning_effort, 'medium');
    const answer = response.answer_sdp as string;
    assert.match(answer, /^v=0\r\n/);
    assert.match(answer, /^a=candidate:.* typ host/m, 'the answer carries its candidates: no trickle');
    assert.match(answer, /^a=sendrecv$/m);
    assert.match(answer, /^a=rtpmap:\d+ opus\/48000\/2$/im);
    const expiresAt = Date.parse(response.expires_at as string);
    assert.match(response.expires_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(Math.abs(expiresAt - (started + 900_000)) < 2000, `expires_at ${response.expires_at} is now + 900 s`);
    assert.ok(res.headers.get('date'), 'Date lets the widget correct its clock');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');

    caller.startAudio();
    await until(() => caller.echoed >= 5, 3000, 'echoed audio');
    const call = await debugCall(agent.url, id);
    assert.equal(call.state, 'connected');
    assert.equal(call.sessionId, SESSION);
    assert.ok(call.rtpReceived > 0 && call.rtpSent > 0, `rtp in ${call.rtpReceived}, out ${call.rtpSent}`);
    assert.ok(call.rtpSent <= call.rtpReceived, 'every packet sent back is one that came in');
  });

  test('echoes the caller’s audio only after the echo delay', async (t) => {
    const server = await startAgent(t, { echoDelayMs: 600 });
    const { caller } = await dial(t, server.url);
    caller.record();
    caller.startAudio();
    await until(() => caller.echoed > 0, 3000, 'the delayed echo');
    // Timed on one clock, not by counting packets: on a busy machine the caller's 20 ms timer runs late.
    const delay = caller.received[0]!.at - caller.firstSentAt!;
    assert.ok(delay >= 599, `the first echo came ${delay.toFixed(1)} ms after the first frame went out`);
  });

  test('keeps what the caller asked for and reports it back', async () => {
    const request = { instructions: 'Be brief.', model: 'gpt-realtime', provider_id: 'prov_01h', reasoning_effort: 'high', voice: 'alloy' };
    const res = await createCall(agent.url, { sdp: offer, ...request, channel_id: null });
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.model, 'gpt-realtime');
    assert.equal(body.voice, 'alloy');
    assert.equal(body.reasoning_effort, 'high');
    const call = await debugCall(agent.url, body.voice_connection_id as string);
    assert.deepEqual(call.request, { sdp: offer, ...request, channel_id: null }, 'unknown fields are kept, not rejected');
  });

  test('takes explicit nulls as omitted', async () => {
    const res = await createCall(agent.url, { sdp: offer, model: null, voice: null, reasoning_effort: null, instructions: null, provider_id: null });
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual([body.model, body.voice, body.reasoning_effort], ['reference-echo', 'echo', 'medium']);
  });

  test('gets the session id percent-decoded from the path', async () => {
    const res = await fetch(callsUrl(agent.url, 'a b/c'), { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ sdp: offer }) });
    assert.equal(res.status, 201);
    const { voice_connection_id } = (await res.json()) as { voice_connection_id: string };
    assert.equal((await debugCall(agent.url, voice_connection_id)).sessionId, 'a b/c');
  });

  test('ends through the end route, and only for its own session', async (t) => {
    const { caller, id } = await dial(t, agent.url);
    caller.startAudio();
    await until(() => caller.echoed > 0, 3000, 'echoed audio');
    const endUrl = (session: string, callId: string) => `${agent.url}/v1/sessions/${session}/voice/${callId}/end`;
    const end = (url: string, body?: unknown) => fetch(url, { method: 'POST', headers: JSON_HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });

    await assertError(await end(endUrl('session_other', id), { reason: 'hangup' }), 404);
    await assertError(await end(endUrl(SESSION, 'voice_conn_unknown')), 404);
    await assertError(await end(endUrl(SESSION, id), { reason: 7 }), 400);

    const res = await end(endUrl(SESSION, id), { reason: 'user-hangup' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { voice_connection_id: id, status: 'ended' });
    const call = await debugCall(agent.url, id);
    assert.equal(call.state, 'ended');
    assert.equal(call.endReason, 'client-ended');
    assert.deepEqual(call.endRequest, { reason: 'user-hangup' });
    assert.equal((await end(endUrl(SESSION, id))).status, 200, 'ending twice is harmless');
    const echoedAtEnd = caller.echoed;
    await sleep(800);
    assert.equal(caller.echoed, echoedAtEnd, 'the agent’s peer is gone: no more audio');
  });

  test('ends when its lease runs out', async (t) => {
    const server = await startAgent(t, { leaseSeconds: 1 });
    const started = Date.now();
    const { id, response } = await dial(t, server.url);
    assert.ok(Math.abs(Date.parse(response.expires_at as string) - (started + 1000)) < 1000);
    await until(() => server.calls.get(id)?.state === 'ended', 2500, 'the lease to expire');
    assert.equal(server.calls.get(id)?.endReason, 'lease-expired');
  });

  test('ends five seconds after the caller hangs up its peer', async (t) => {
    const { caller, id } = await dial(t, agent.url);
    // The agent's own view first: under load it can still be connecting when the caller already is.
    await until(() => agent.calls.get(id)?.state === 'connected', 20_000, 'the agent to see the call connected');
    await caller.hangUp();
    await sleep(4000);
    assert.equal(agent.calls.get(id)?.state, 'connected', 'a lost peer gets 5 s to come back');
    // A bound: the agent's 5 s timer runs late on a loaded machine.
    await until(() => agent.calls.get(id)?.state === 'ended', 10_000, 'the agent to give up');
    assert.equal(agent.calls.get(id)?.endReason, 'peer-closed');
  });
});

describe('requests it refuses', () => {
  const cases: [string, number, () => Promise<Response>][] = [
    ['no sdp', 400, () => createCall(agent.url, { model: 'x' })],
    ['a null sdp', 400, () => createCall(agent.url, { sdp: null })],
    ['an sdp that is not a string', 400, () => createCall(agent.url, { sdp: 42 })],
    ['an sdp that is not an offer', 400, () => createCall(agent.url, { sdp: 'hello' })],
    ['an offer without audio', 400, () => createCall(agent.url, { sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' })],
    ['an offer werift cannot answer', 400, () => createCall(agent.url, { sdp: 'v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' })],
    ['an unknown reasoning_effort', 400, () => createCall(agent.url, { sdp: offer, reasoning_effort: 'extreme' })],
    ['a voice that is not a string', 400, () => createCall(agent.url, { sdp: offer, voice: 3 })],
    ['instructions that are not a string', 400, () => createCall(agent.url, { sdp: offer, instructions: ['a'] })],
    ['a body that is an array', 400, () => createCall(agent.url, [offer])],
    ['malformed JSON', 422, () => createCall(agent.url, '{"sdp": ')],
    ['an empty body', 422, () => createCall(agent.url, '')],
    ['a body that is not JSON', 422, () => createCall(agent.url, 'v=0')],
    ['a wrong content type', 415, () => createCall(agent.url, { sdp: offer }, { headers: { 'Content-Type': 'text/plain' } })],
    ['no content type', 415, () => createCall(agent.url, new Blob([JSON.stringify({ sdp: offer })]), { headers: {} })],
    ['a body over the limit', 413, () => createCall(agent.url, { sdp: offer, instructions: 'x'.repeat(300 * 1024) })],
    ['a GET', 405, () => fetch(callsUrl(agent.url))],
    ['an unknown route', 404, () => fetch(`${agent.url}/v1/agents`, { method: 'POST' })],
    ['an unknown fault mode', 400, () => createCall(`${agent.url}/_fault/explode`, { sdp: offer })],
  ];
  for (const [what, status, request] of cases) {
    test(`${what}: ${status} with {"error"}`, async () => {
      const before = agent.calls.size;
      await assertError(await request(), status);
      assert.equal(agent.calls.size, before, 'no call was made');
    });
  }

  test('a body over the limit without a Content-Length (chunked): 413', async (t) => {
    const server = await startAgent(t, { maxBodyBytes: 1024 });
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(512)));
        controller.close();
      },
    });
    const res = await createCall(server.url, chunks, { duplex: 'half' } as RequestInit);
    await assertError(res, 413);
  });

  test('junk of every kind, and the agent still answers afterwards', async () => {
    const junk = ['v=0\r\nm=audio\r\n', 'v=0\r\nm=audio 9 X 0\r\n', 'v=0\nm=audio 1 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n', `v=0\r\nm=audio ${'9'.repeat(5000)}\r\n`, '\u0000'];
    for (const sdp of junk) assert.equal((await createCall(agent.url, { sdp })).status, 400);
    for (const raw of ['null', '[]', '"x"', '1e999', '{"sdp": {"toString": 1}}']) {
      assert.ok([400, 422].includes((await createCall(agent.url, raw)).status), raw);
    }
    assert.equal((await fetch(`${agent.url}/v1/sessions/%E0%A4%A/voice/calls`, { method: 'POST' })).status, 400);
    assert.equal((await fetch(`${agent.url}/_agent/calls/nope`)).status, 404);
    assert.equal((await createCall(agent.url, { sdp: offer })).status, 201);
  });
});

describe('auth and CORS', () => {
  test('a token makes the API routes require that bearer token', async (t) => {
    const server = await startAgent(t, { token: 'evr_pat_test' });
    await assertError(await createCall(server.url, { sdp: offer }), 401);
    await assertError(await createCall(server.url, { sdp: offer }, { headers: { ...JSON_HEADERS, Authorization: 'Bearer wrong' } }), 401);
    await assertError(await createCall(server.url, { sdp: offer }, { headers: { ...JSON_HEADERS, Authorization: 'evr_pat_test' } }), 401);
    const res = await createCall(server.url, { sdp: offer }, { headers: { ...JSON_HEADERS, Authorization: 'Bearer evr_pat_test' } });
    assert.equal(res.status, 201);
    const { voice_connection_id } = (await res.json()) as { voice_connection_id: string };
    const end = `${server.url}/v1/sessions/${SESSION}/voice/${voice_connection_id}/end`;
    await assertError(await fetch(end, { method: 'POST' }), 401);
    assert.equal((await fetch(end, { method: 'POST', headers: { Authorization: 'Bearer evr_pat_test' } })).status, 200);
    assert.equal((await fetch(`${server.url}/_agent/calls/${voice_connection_id}`)).status, 200, 'the debug route is open');
    assert.equal((await fetch(callsUrl(server.url), { method: 'OPTIONS' })).status, 204, 'preflights carry no credentials');
  });

  test('a preflight from a page is allowed, with credentials, for the widget’s headers', async () => {
    const res = await fetch(callsUrl(agent.url), {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8000', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization, x-org-id' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8000');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type, Authorization, X-Org-Id');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  test('responses expose Date and Retry-After to the page', async () => {
    const res = await createCall(`${agent.url}/_fault/retry-after-7`, { sdp: offer }, { headers: { ...JSON_HEADERS, Origin: 'http://localhost:8000' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8000');
    assert.equal(res.headers.get('access-control-expose-headers'), 'Date, Retry-After');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  });

  test('requests that are not the agent’s go to the fallback', async (t) => {
    const server = await startAgent(t, { fallback: (_req, res) => res.end('demo page') });
    assert.equal(await (await fetch(`${server.url}/demo/`)).text(), 'demo page');
    assert.equal((await fetch(`${agent.url}/demo/`)).status, 404, 'without a fallback: 404');
  });
});

describe('faults', () => {
  const fault = (modes: string, body: unknown = { sdp: offer }, init?: RequestInit) => createCall(`${agent.url}/_fault/${modes}`, body, init);

  test('the table lists every mode with a description', () => {
    assert.ok(Object.keys(FAULT_MODES).length >= 21);
    for (const [mode, description] of Object.entries(FAULT_MODES)) {
      assert.match(mode, /^[a-z0-9-]+(-<[a-z]+>)?$/);
      assert.ok(description.length > 10, mode);
    }
  });

  test('status-<code>: that status with {"error"}', async () => {
    assert.equal(await assertError(await fault('status-503'), 503), 'reference fault 503');
    assert.equal(await assertError(await fault('status-500', 'not even JSON'), 500), 'reference fault 500', 'before validation');
  });

  test('problem-<code>: RFC 9457 problem JSON', async () => {
    const res = await fault('problem-409');
    assert.equal(res.status, 409);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(await res.json(), { title: 'Conflict', status: 409, detail: 'reference fault 409', code: 'reference_fault' });
  });

  test('empty-<code>, html-<code>, text-<code>: bodies that are not JSON', async () => {
    const empty = await fault('empty-502');
    assert.equal(empty.status, 502);
    assert.equal(await empty.text(), '');
    assert.equal((await fault('empty-204')).status, 204);
    const html = await fault('html-502');
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await html.text(), /<html>.*502 Bad Gateway/s);
    const text = await fault('text-500');
    assert.equal(text.status, 500);
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    const plain = await text.text();
    assert.throws(() => JSON.parse(plain));
  });

  test('retry-after-<s>: 429 with Retry-After', async () => {
    const res = await fault('retry-after-7');
    assert.equal(res.headers.get('retry-after'), '7');
    await assertError(res, 429);
  });

  test('redirect-login: 302 to an HTML sign-in page', async () => {
    const res = await fault('redirect-login', { sdp: offer }, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/login');
    const followed = await fault('redirect-login');
    assert.equal(followed.status, 200);
    assert.ok(followed.redirected);
    assert.match(followed.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await followed.text(), /Sign in/);
  });

  test('v2: a newer server’s 200 without reasoning_effort, with channel_id', async () => {
    const res = await fault('v2');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal('reasoning_effort' in body, false);
    assert.equal(body.channel_id, null);
    assert.equal(typeof body.answer_sdp, 'string');
  });

  test('answer and expiry faults bend just that field', async () => {
    const body = async (modes: string) => {
      const res = await fault(modes);
      assert.equal(res.status, modes.startsWith('v2') ? 200 : 201);
      return (await res.json()) as Record<string, unknown>;
    };
    assert.equal('answer_sdp' in (await body('no-answer-sdp')), false);
    assert.equal((await body('answer-sdp-number')).answer_sdp, 42);
    const bad = (await body('bad-answer-sdp')).answer_sdp;
    assert.equal(typeof bad, 'string');
    assert.doesNotMatch(bad as string, /^v=0/);
    assert.equal('expires_at' in (await body('no-expiry')), false);
    assert.ok(Number.isNaN(Date.parse((await body('bad-expiry')).expires_at as string)));
    assert.ok(Date.parse((await body('past-expiry')).expires_at as string) < Date.now());
    const extra = await body('extra-fields');
    assert.ok(Object.keys(extra).length > 8);
    assert.equal(typeof extra.answer_sdp, 'string');
    const leased = await body('lease-60');
    assert.ok(Math.abs(Date.parse(leased.expires_at as string) - (Date.now() + 60_000)) < 2000);
    const both = await body('v2,no-expiry');
    assert.equal('expires_at' in both || 'reasoning_effort' in both, false, 'modes combine');
  });

  test('delay-<ms> waits, then answers', async () => {
    const started = performance.now();
    assert.equal((await fault('delay-300')).status, 201);
    assert.ok(performance.now() - started >= 290);
  });

  test('hang never answers, and frees the request when the client gives up', async () => {
    const before = agent.calls.size;
    await assert.rejects(fault('hang', { sdp: offer }, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
    assert.equal(agent.calls.size, before);
    assert.equal((await fault('delay-10')).status, 201, 'the agent still answers');
  });

  test('faults apply only to create-call; other routes behind the prefix work', async () => {
    const res = await fault('status-500');
    assert.equal(res.status, 500);
    const created = (await (await fault('no-audio')).json()) as { voice_connection_id: string };
    const end = await fetch(`${agent.url}/_fault/status-500/v1/sessions/${SESSION}/voice/${created.voice_connection_id}/end`, { method: 'POST' });
    assert.equal(end.status, 200);
  });

  test('no-audio: connects and listens but never sends audio back', async (t) => {
    const { caller, id } = await dial(t, `${agent.url}/_fault/no-audio`);
    caller.startAudio();
    await until(async () => (await debugCall(agent.url, id)).rtpReceived >= 25, 3000, 'audio at the agent');
    assert.equal(caller.echoed, 0);
    assert.equal((await debugCall(agent.url, id)).rtpSent, 0);
  });

  test('remote-close-<ms>: the agent hangs up after that long', async (t) => {
    const { id } = await dial(t, `${agent.url}/_fault/remote-close-200`);
    await until(() => agent.calls.get(id)?.state === 'ended', 2000, 'the agent to hang up');
    assert.equal(agent.calls.get(id)?.endReason, 'agent-closed');
  });

  test('no-ice: an answer whose candidates lead nowhere', async (t) => {
    const caller = new Caller();
    t.after(() => caller.close());
    const res = await fault('no-ice', { sdp: await caller.offer() });
    assert.equal(res.status, 201);
    const { answer_sdp: answer } = (await res.json()) as { answer_sdp: string };
    const ports = [...answer.matchAll(/^a=candidate:\S+ \d+ \S+ \d+ \S+ (\d+) /gm)].map((m) => m[1]);
    assert.ok(ports.length > 0);
    assert.deepEqual(new Set(ports), new Set(['9']));
    await caller.accept(answer);
    await sleep(1500);
    assert.notEqual(caller.pc.connectionState, 'connected');
  });
});

test('the offer’s candidates on other hosts are dropped before the agent checks them', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
    'a=candidate:2 1 udp 2122260223 8.8.8.8 50000 typ host',
    'a=candidate:3 1 udp 2122260223 3b9c7a3e-0f11-4c8e-a4e8-7c1b0e7f2f11.local 50000 typ host',
    'a=candidate:4 1 udp 1686052607 203.0.113.7 50001 typ srflx raddr 127.0.0.1 rport 50000',
    'a=mid:0',
    '',
  ].join('\r\n');
  const kept = withLocalCandidatesOnly(sdp);
  assert.match(kept, /127\.0\.0\.1 50000 typ host/);
  assert.doesNotMatch(kept, /8\.8\.8\.8|\.local|203\.0\.113\.7/);
  assert.match(kept, /^a=mid:0\r\n$/m);
});

test('twenty calls at once are all answered, and close() frees every peer', async (t) => {
  // Earlier tests' peers may still be closing, never opening: the count can only fall back to this.
  const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
  const socketsBefore = udpSockets();
  const server = await createAgentServer();
  const callers = Array.from({ length: 20 }, () => new Caller());
  const offers = await Promise.all(callers.map((caller) => caller.offer()));
  for (const caller of callers) await caller.close();

  const started = performance.now();
  const responses = await Promise.all(offers.map((sdp) => createCall(server.url, { sdp })));
  const elapsed = performance.now() - started;
  assert.deepEqual(responses.map((res) => res.status), Array(20).fill(201));
  const ids = await Promise.all(responses.map(async (res) => ((await res.json()) as { voice_connection_id: string }).voice_connection_id));
  assert.equal(new Set(ids).size, 20);
  assert.ok(udpSockets() >= socketsBefore + 20, 'each call has its own peer');
  t.diagnostic(`20 concurrent answers in ${Math.round(elapsed)} ms`);

  await server.close();
  assert.ok([...server.calls.values()].every((call) => call.state === 'ended' && call.endReason === 'server-closed'));
  await until(() => udpSockets() <= socketsBefore, 2000, 'every peer’s sockets to close');
});
