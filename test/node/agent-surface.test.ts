// The reference agent's surface around a call: the session event stream (voice events, since_id,
// heartbeats, disconnecting, stream faults), agent voice channels, X-Org-Id and the newer server's answers.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { createAgentServer, type AgentServer, type AgentServerOptions } from '../../server/agent-server.ts';
import { GREETING } from '../../server/conversation.ts';
import type { SessionEvent, StreamRecord } from '../../server/sse.ts';
import { Caller } from './werift-caller.ts';

const SESSION = 'session_0195f0c2a8b37d5e9c4f1a2b3c4d5e6f';
const JSON_HEADERS = { 'Content-Type': 'application/json' };
/** An Opus TOC byte and a body the size of a frame with sound in it. */
const LOUD = Buffer.concat([Buffer.from([0xf8]), Buffer.alloc(80, 0x5a)]);

async function startAgent(t: TestContext, options: AgentServerOptions = {}): Promise<AgentServer> {
  const server = await createAgentServer({ wordMs: 20, ...options });
  t.after(() => server.close());
  return server;
}

/** Polls `check`; the bound is generous because a loaded 2-core machine runs these timers late, not because anything waits that long. */
async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Stream {
  res: Response;
  events: SessionEvent[];
  /** `event: disconnecting` data, when one came. */
  disconnecting: { retry_ms: number } | null;
  comments: () => number;
  /** Resolves when the server ends the stream, `'error'` when it was cut. */
  done: Promise<'end' | 'error'>;
  close(): void;
}

/** A plain SSE reader, independent of the widget's, to check what the agent writes. */
async function openStream(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const res = await fetch(url, { headers, signal: controller.signal });
  const stream: Stream = { res, events: [], disconnecting: null, comments: () => comments, done: Promise.resolve('end'), close: () => controller.abort() };
  let comments = 0;
  if (!res.ok) return stream;
  stream.done = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) {
            comments++;
            continue;
          }
          const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          const data = JSON.parse(fields.data!);
          if (fields.event === 'disconnecting') stream.disconnecting = data;
          else {
            assert.equal(fields.event, data.type);
            assert.equal(fields.id, data.id);
            stream.events.push(data);
          }
        }
      }
      return 'end';
    } catch {
      return 'error';
    }
  })();
  return stream;
}

const sseUrl = (base: string, session = SESSION, sinceId?: string) =>
  `${base}/v1/sessions/${encodeURIComponent(session)}/sse${sinceId ? `?since_id=${encodeURIComponent(sinceId)}` : ''}`;

async function dial(t: TestContext, base: string, init: { headers?: Record<string, string>; path?: string; body?: Record<string, unknown> } = {}) {
  const caller = new Caller();
  t.after(() => caller.close());
  const res = await fetch(`${base}${init.path ?? `/v1/sessions/${SESSION}/voice/calls`}`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...init.headers },
    body: JSON.stringify({ sdp: await caller.offer(), ...init.body }),
  });
  assert.ok(res.ok, await res.clone().text());
  const body = (await res.json()) as Record<string, unknown>;
  const voice = (body.session ? body.voice : body) as Record<string, unknown>;
  await caller.accept(voice.answer_sdp as string);
  await caller.connected();
  // Quiet audio, as a muted microphone sends: werift holds the process for 30 s after a call without RTP.
  caller.startAudio();
  const id = voice.voice_connection_id as string;
  await until(async () => ((await (await fetch(`${base}/_agent/calls/${id}`)).json()) as { rtpReceived: number }).rtpReceived, 'RTP at the agent');
  return { caller, res, body, id };
}

async function debugSession(base: string, session = SESSION): Promise<{ events: SessionEvent[]; streams: StreamRecord[] }> {
  return (await fetch(`${base}/_agent/sessions/${encodeURIComponent(session)}`)).json() as never;
}

const ofType = (events: SessionEvent[], type: string) => events.filter((event) => event.type === type);

describe('the session event stream', () => {
  test('carries a call’s voice events: started, the greeting word by word, a caller burst, the answer, ended', async (t) => {
    const agent = await startAgent(t, { sseHeartbeatMs: 50 });
    const stream = await openStream(t, sseUrl(agent.url));
    assert.equal(stream.res.status, 200);
    assert.match(stream.res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const { caller, id } = await dial(t, agent.url);

    const greeting = await until(() => ofType(stream.events, 'voice.output_transcript.completed')[0], 'the greeting');
    assert.equal(greeting.data.accumulated, GREETING);
    assert.equal(greeting.data.phase, 'assistant_final');
    const started = stream.events[0]!;
    assert.equal(started.type, 'voice.session.started');
    assert.deepEqual(started.data, { voice_connection_id: id, model: 'reference-echo', voice: 'echo', reasoning_effort: 'medium', transport: 'webrtc' });
    const deltas = ofType(stream.events, 'voice.output_transcript.delta');
    assert.equal(deltas.length, GREETING.split(' ').length);
    assert.equal(deltas.map((event) => event.data.delta).join(''), GREETING);
    for (const [i, event] of deltas.entries()) {
      assert.equal(event.data.phase, 'assistant_partial');
      assert.equal(event.data.item_id, greeting.data.item_id);
      assert.equal(event.data.accumulated, deltas.slice(0, i + 1).map((d) => d.data.delta).join(''));
    }

    caller.startAudio(LOUD);
    const partial = await until(() => ofType(stream.events, 'voice.input_transcript.delta')[0], 'the caller’s burst');
    assert.equal(partial.data.phase, 'user_partial');
    caller.startAudio();
    const final = await until(() => ofType(stream.events, 'voice.input_transcript.completed')[0], 'the end of the burst');
    assert.equal(final.data.item_id, partial.data.item_id);
    assert.match(final.data.accumulated as string, /^\[speech, \d+\.\d s\]$/);
    const answer = await until(() => ofType(stream.events, 'voice.output_transcript.completed')[1], 'the answer');
    assert.match(answer.data.accumulated as string, /^You spoke for \d+\.\d seconds\.$/);
    assert.equal(ofType(stream.events, 'voice.output.interrupted').length, 0, 'the caller spoke after the greeting');

    const end = await fetch(`${agent.url}/v1/sessions/${SESSION}/voice/${id}/end`, { method: 'POST', headers: JSON_HEADERS, body: '{"reason":"client_ended"}' });
    assert.equal(end.status, 200);
    const ended = await until(() => ofType(stream.events, 'voice.session.ended')[0], 'voice.session.ended');
    assert.equal(ended.data.voice_connection_id, id);
    assert.equal(ended.data.reason, 'client_ended');
    assert.equal(typeof ended.data.duration_ms, 'number');
    assert.ok(stream.comments() > 0, 'heartbeat comments');
    const ids = stream.events.map((event) => event.id);
    assert.deepEqual([...ids].sort(), ids, 'ids sort in order');
    assert.equal(new Set(ids).size, ids.length);
  });

  test('marks the greeting interrupted when the caller talks over it', async (t) => {
    const agent = await startAgent(t, { wordMs: 300 });
    const stream = await openStream(t, sseUrl(agent.url));
    const { caller } = await dial(t, agent.url);
    await until(() => ofType(stream.events, 'voice.output_transcript.delta')[0], 'the greeting to start');
    caller.startAudio(LOUD);
    const interrupted = await until(() => ofType(stream.events, 'voice.output.interrupted')[0], 'the interruption');
    const cut = ofType(stream.events, 'voice.output_transcript.completed')[0]!;
    assert.equal(interrupted.data.item_id, cut.data.item_id);
    assert.ok((cut.data.accumulated as string).length < GREETING.length, 'the greeting stopped where it was cut');
    assert.ok(stream.events.indexOf(interrupted) < stream.events.indexOf(cut));
  });

  test('replays after since_id, everything without one or for an unknown one, and records each stream', async (t) => {
    const agent = await startAgent(t);
    const { caller } = await dial(t, agent.url);
    await until(async () => ofType((await debugSession(agent.url)).events, 'voice.output_transcript.completed').length, 'the greeting');
    const all = (await debugSession(agent.url)).events;
    const full = await openStream(t, sseUrl(agent.url));
    const resumed = await openStream(t, sseUrl(agent.url, SESSION, all[4]!.id));
    const unknown = await openStream(t, sseUrl(agent.url, SESSION, 'evt_unknown'));
    await until(() => full.events.length === all.length && resumed.events.length === all.length - 5 && unknown.events.length === all.length, 'the replays');
    assert.deepEqual(resumed.events, all.slice(5));
    assert.deepEqual(full.events, all);
    await caller.hangUp();

    const { streams } = await debugSession(agent.url);
    assert.deepEqual(streams.map((s) => s.sinceId), [null, all[4]!.id, 'evt_unknown']);
    assert.deepEqual(streams[1]!.sent, all.slice(5).map((event) => event.id));
    assert.equal(streams[0]!.authorized, false);
    full.close();
    await until(async () => (await debugSession(agent.url)).streams[0]!.closedAt, 'the agent to see the stream closed');
  });

  test('ends each stream with disconnecting and its retry_ms after the configured time', async (t) => {
    const agent = await startAgent(t, { sseDisconnectMs: 100, sseRetryMs: 1234 });
    const stream = await openStream(t, sseUrl(agent.url));
    assert.equal(await stream.done, 'end');
    assert.deepEqual(stream.disconnecting, { retry_ms: 1234 });
    const [record] = (await debugSession(agent.url)).streams;
    assert.ok(record!.disconnectedAt! >= record!.openedAt + 100);
  });
});

describe('stream faults', () => {
  const fault = (agent: AgentServer, modes: string) => `${agent.url}/_fault/${modes}`;

  test('sse-fail-<code> answers that status with {"error"}', async (t) => {
    const agent = await startAgent(t);
    const stream = await openStream(t, sseUrl(fault(agent, 'sse-fail-503')));
    assert.equal(stream.res.status, 503);
    assert.deepEqual(await stream.res.json(), { error: 'reference fault 503' });
  });

  test('sse-drop-<ms> cuts the stream; sse-disconnect-<ms> closes it with retry_ms <ms>', async (t) => {
    const agent = await startAgent(t);
    const dropped = await openStream(t, sseUrl(fault(agent, 'sse-drop-50')));
    assert.equal(await dropped.done, 'error');
    const disconnected = await openStream(t, sseUrl(fault(agent, 'sse-disconnect-80')));
    assert.equal(await disconnected.done, 'end');
    assert.deepEqual(disconnected.disconnecting, { retry_ms: 80 });
  });

  test('sse-heartbeat-<ms> paces the heartbeats; sse-silent-<ms> stops them and the events, keeping the stream open', async (t) => {
    const agent = await startAgent(t);
    // Silent after 600 ms: a loaded machine runs a 20 ms interval late, and a stalled interval fires once per
    // wake-up, so a shorter window may hold fewer than 5 heartbeats.
    const stream = await openStream(t, sseUrl(fault(agent, 'sse-heartbeat-20,sse-silent-600')));
    await until(() => stream.comments() >= 3, 'heartbeats');
    await until(async () => (await debugSession(agent.url)).streams[0]!.heartbeats >= 5, 'more heartbeats');
    await until(async () => Date.now() - (await debugSession(agent.url)).streams[0]!.openedAt > 700, 'the stream to go silent');
    const { heartbeats } = (await debugSession(agent.url)).streams[0]!;
    const { caller } = await dial(t, agent.url);
    await until(async () => (await debugSession(agent.url)).events.length > 3, 'events in the log');
    const [record] = (await debugSession(agent.url)).streams;
    assert.equal(record!.heartbeats, heartbeats, 'no heartbeat once silent');
    assert.deepEqual(record!.sent, []);
    assert.equal(stream.events.length, 0);
    assert.equal(record!.closedAt, null, 'still open');
    await caller.close();
  });

  test('session-ended-<ms> and session-failed-<ms> say so on the stream while the agent’s peer stays up', async (t) => {
    const agent = await startAgent(t);
    const stream = await openStream(t, sseUrl(agent.url));
    const ended = await dial(t, `${agent.url}/_fault/session-ended-100`);
    const failed = await dial(t, `${agent.url}/_fault/session-failed-100`);
    const endedEvent = await until(() => ofType(stream.events, 'voice.session.ended')[0], 'voice.session.ended');
    assert.equal(endedEvent.data.voice_connection_id, ended.id);
    assert.equal(endedEvent.data.reason, 'agent_ended');
    const failedEvent = await until(() => ofType(stream.events, 'voice.session.failed')[0], 'voice.session.failed');
    assert.equal(failedEvent.data.voice_connection_id, failed.id);
    assert.equal(typeof failedEvent.data.error, 'string');
    assert.equal(agent.calls.get(ended.id)!.state, 'connected');
    agent.endCall(ended.id);
    const log = (await debugSession(agent.url)).events;
    assert.equal(ofType(log, 'voice.session.ended').filter((event) => event.data.voice_connection_id === ended.id).length, 1, 'said once');
  });
});

describe('agent voice channels', () => {
  const channelPath = (agentId: string, channelId: string) => `/v1/agents/${agentId}/channels/${channelId}/voice/calls`;

  test('create the session when none is given and answer 201 {session, voice}', async (t) => {
    const agent = await startAgent(t);
    const { res, body, id } = await dial(t, agent.url, { path: channelPath('agent_1', 'appchan_1'), body: { provider_id: 'prov_1' } });
    assert.equal(res.status, 201);
    const session = body.session as Record<string, unknown>;
    assert.match(session.id as string, /^session_[0-9a-f]{32}$/);
    assert.deepEqual({ agent_id: session.agent_id, channel_id: session.channel_id }, { agent_id: 'agent_1', channel_id: 'appchan_1' });
    const voice = body.voice as Record<string, unknown>;
    assert.equal(voice.channel_id, 'appchan_1');
    assert.equal(voice.reasoning_effort, 'medium');
    const call = agent.calls.get(id)!;
    assert.equal(call.sessionId, session.id);
    assert.equal(call.request.provider_id, 'prov_1');
    await until(async () => ofType((await debugSession(agent.url, session.id as string)).events, 'voice.session.started').length, 'the new session’s events');
  });

  test('use the session given, and refuse unknown channels and bad session ids', async (t) => {
    const agent = await startAgent(t);
    const { body } = await dial(t, agent.url, { path: channelPath('agent_1', 'appchan_2'), body: { session_id: SESSION } });
    assert.equal((body.session as Record<string, unknown>).id, SESSION);
    const post = (path: string, extra: Record<string, unknown>) =>
      fetch(`${agent.url}${path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ sdp: 'v=0', ...extra }) });
    const unknown = await post(channelPath('agent_1', 'chan_1'), {});
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /chan_1/);
    const caller = new Caller();
    t.after(() => caller.close());
    const offer = await caller.offer();
    assert.equal((await post(channelPath('agent_1', 'appchan_1'), { sdp: offer, session_id: 7 })).status, 400);
  });
});

describe('organisations, auth and server versions', () => {
  test('orgId: every /v1 route needs the matching X-Org-Id (400 without, 403 with another)', async (t) => {
    const agent = await startAgent(t, { orgId: 'org_1' });
    const calls = `${agent.url}/v1/sessions/${SESSION}/voice/calls`;
    const refused = async (headers: Record<string, string>, status: number) => {
      const res = await fetch(calls, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: '{}' });
      assert.equal(res.status, status);
      assert.equal(typeof ((await res.json()) as { error: unknown }).error, 'string');
    };
    await refused({}, 400);
    await refused({ 'X-Org-Id': 'org_2' }, 403);
    assert.equal((await fetch(sseUrl(agent.url))).status, 400);
    const org = { 'X-Org-Id': 'org_1' };
    const stream = await openStream(t, sseUrl(agent.url), org);
    assert.equal(stream.res.status, 200);
    const { id } = await dial(t, agent.url, { headers: org });
    const end = `${agent.url}/v1/sessions/${SESSION}/voice/${id}/end`;
    assert.equal((await fetch(end, { method: 'POST' })).status, 400);
    assert.equal((await fetch(end, { method: 'POST', headers: org })).status, 200);
    assert.equal((await debugSession(agent.url)).streams[0]!.orgId, 'org_1');
  });

  test('a token guards the stream too', async (t) => {
    const agent = await startAgent(t, { token: 'evr_pat_1' });
    assert.equal((await fetch(sseUrl(agent.url))).status, 401);
    const stream = await openStream(t, sseUrl(agent.url), { Authorization: 'Bearer evr_pat_1' });
    assert.equal(stream.res.status, 200);
    assert.equal((await debugSession(agent.url)).streams[0]!.authorized, true);
    assert.equal((await fetch(sseUrl(agent.url), { method: 'POST' })).status, 405);
  });

  test('v2: the option answers like a newer server, as the fault does', async (t) => {
    const agent = await startAgent(t, { v2: true });
    const { res, body } = await dial(t, agent.url);
    assert.equal(res.status, 200);
    assert.equal('reasoning_effort' in body, false);
    assert.equal(body.channel_id, null);
  });
});
