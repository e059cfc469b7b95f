// The client side of the surface, in Node with an injected fetch: the event stream reader's parsing,
// resumption and refusal rules, and the agent voice channel request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createCall } from '../../src/api/client.ts';
import { VoiceCallError } from '../../src/api/errors.ts';
import { followSession, type SessionEvent } from '../../src/api/sse.ts';
import type { ApiConfig } from '../../src/api/types.ts';
import { fuzzSeeds } from '../support/fuzz.ts';

const BASE = 'https://api.test/api';

/** A response whose body arrives in exactly these chunks, then ends or stays open until the fetch is aborted. */
function streamResponse(chunks: string[], keepOpen = false) {
  return (signal: AbortSignal) => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        if (keepOpen) signal.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        else controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
}

/** A stream that delivers exactly these byte chunks, then ends. */
function byteStream(chunks: Uint8Array[]) {
  return () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) if (chunk.length) controller.enqueue(chunk);
          controller.close();
        },
      }),
      { status: 200, headers: { 'Content-Type': 'text/event-stream' } },
    );
}

type Answer = (signal: AbortSignal) => Response;

interface Request {
  url: string;
  headers: Headers;
}

/** A fetch that answers each request with the next of `answers`, and records the requests. */
function scriptedFetch(answers: Answer[], requests: Request[], onDone: () => void) {
  return (async (url: string, init: RequestInit) => {
    requests.push({ url, headers: new Headers(init.headers) });
    const answer = answers.shift();
    if (!answer) {
      onDone();
      return new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    return answer(init.signal!);
  }) as unknown as typeof fetch;
}

async function follow(answers: Answer[], config: Partial<ApiConfig> = {}, idleMs?: number) {
  const requests: Request[] = [];
  const events: SessionEvent[] = [];
  const stop = new AbortController();
  let exhausted!: () => void;
  const done = new Promise<void>((resolve) => (exhausted = resolve));
  const fetch = scriptedFetch(answers, requests, () => exhausted());
  const followed = followSession({ baseUrl: BASE, fetch, ...config }, 'session 1', (event) => events.push(event), stop.signal, idleMs);
  // Ends when the reader gives up by itself, or asks for more than the script has.
  const gaveUp = await Promise.race([followed.then(() => true), done.then(() => false)]);
  stop.abort();
  await followed;
  return { requests, events, gaveUp };
}

const event = (id: string, type = 'voice.output_transcript.delta') => ({ id, type, data: { voice_connection_id: 'voice_conn_1' } });
const frame = (e: ReturnType<typeof event>) => `event: ${e.type}\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`;

describe('followSession', () => {
  test('parses events across chunk boundaries, CRLF and comments, and resumes with since_id after a drop', async () => {
    const one = frame(event('evt_1'));
    const two = frame(event('evt_2')).replace(/\n/g, '\r\n');
    const { requests, events, gaveUp } = await follow([
      streamResponse([': heartbeat\n\n', one.slice(0, 9), one.slice(9), two.slice(0, 30), two.slice(30)]),
      streamResponse([frame(event('evt_3'))]),
    ]);
    assert.equal(gaveUp, false);
    assert.deepEqual(events.map((e) => e.id), ['evt_1', 'evt_2', 'evt_3']);
    assert.deepEqual(events[0], event('evt_1'));
    assert.deepEqual(requests.map((r) => r.url), [
      `${BASE}/v1/sessions/session%201/sse`,
      `${BASE}/v1/sessions/session%201/sse?since_id=evt_2`,
      `${BASE}/v1/sessions/session%201/sse?since_id=evt_3`,
    ]);
    assert.equal(requests[0]!.headers.get('accept'), 'text/event-stream');
  });

  // The seeds that found a CRLF cut between its CR and LF read as a blank line (commit df70996) and a U+2028 in
  // a transcript read as a line end, and a fresh one.
  for (const { name, seed } of fuzzSeeds({ 'a CRLF cut between CR and LF': 20261126, 'U+2028 inside a data line': 1932433040 })) test(`fuzz (${name}): any events, any line endings and comments, cut into chunks at any byte, parse to the same events`, async () => {
    const sessionEvent = fc.record({
      id: fc.stringMatching(/^evt_[0-9a-z]{1,8}$/),
      type: fc.constantFrom('voice.input_transcript.delta', 'voice.output_transcript.completed', 'voice.session.started', 'message.created'),
      data: fc.record({ voice_connection_id: fc.constant('voice_conn_1'), delta: fc.string({ unit: 'binary', maxLength: 30 }) }),
    });
    const stream = fc.record({
      events: fc.array(sessionEvent, { minLength: 1, maxLength: 6 }),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      comments: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(stream, async ({ events, eol, comments, cuts }) => {
        // Each event as the server frames it, then `disconnecting` (its retry_ms makes the reader come back at once).
        const frames = events.map((e) => [`event: ${e.type}`, `id: ${e.id}`, `data: ${JSON.stringify(e)}`]);
        const text = [...frames, ['event: disconnecting', 'data: {"retry_ms":1}']]
          .map((lines) => [...(comments ? [': heartbeat'] : []), ...lines, ''].join(eol) + eol)
          .join('');
        const bytes = new TextEncoder().encode(text);
        // Cut anywhere, inside a CRLF or a multi-byte character included.
        const at = [...new Set(cuts.map((cut) => cut % bytes.length))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((start, i) => bytes.slice(start, [...at, bytes.length][i]));
        const { events: parsed, requests } = await follow([byteStream(chunks)]);
        assert.deepEqual(parsed, JSON.parse(JSON.stringify(events)));
        // Resumed after the last event, not before it: its id line was read whatever the cuts.
        assert.equal(new URL(requests[1]!.url).searchParams.get('since_id'), events.at(-1)!.id);
      }),
      { numRuns: 200, seed },
    );
  });

  test('takes every listener it adds to the call’s signal off again, however many times it reconnects', { timeout: 10_000 }, async () => {
    // The listeners on the signal passed in: each reconnect's wait must not leave one behind. A listener added
    // with its own `signal` option goes when that signal aborts.
    const stop = new AbortController();
    const { signal } = stop;
    const listening = new Set<unknown>();
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: EventListener, options?: AddEventListenerOptions) => {
      listening.add(listener);
      options?.signal?.addEventListener('abort', () => listening.delete(listener), { once: true });
      add(type, listener, options);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, listener: EventListener) => {
      listening.delete(listener);
      remove(type, listener);
    }) as typeof signal.removeEventListener;
    const disconnect = streamResponse([frame(event('evt_1')), 'event: disconnecting\ndata: {"retry_ms":1}\n\n']);
    const requests: Request[] = [];
    let exhausted!: () => void;
    const done = new Promise<void>((resolve) => (exhausted = resolve));
    const RECONNECTS = 8;
    const fetch = scriptedFetch(Array.from({ length: RECONNECTS }, () => disconnect), requests, () => exhausted());
    const followed = followSession({ baseUrl: BASE, fetch }, 's', () => undefined, signal);
    try {
      await done;
      // The last request stays open: one listener for its link, none left from the eight waits before it.
      assert.equal(requests.length, RECONNECTS + 1);
      assert.equal(listening.size, 1, `${listening.size} listeners on the call's signal after ${RECONNECTS} reconnects`);
    } finally {
      stop.abort();
      await followed;
    }
  });

  test('joins multi-line data and keeps the last id for events without one', async () => {
    const body = JSON.stringify(event('evt_9'), null, 1).split('\n').map((line) => `data: ${line}`).join('\n');
    const { events, requests } = await follow([streamResponse([`id: evt_9\n${body}\n\n`, `data: {"id":"x","type":"t","data":{}}\n\n`])]);
    assert.deepEqual(events.map((e) => e.id), ['evt_9', 'x']);
    assert.equal(new URL(requests[1]!.url).searchParams.get('since_id'), 'evt_9');
  });

  test('keeps U+2028 and U+2029 inside a data line: JSON text may carry them raw, and they end no SSE line', async () => {
    // JSON.stringify leaves both unescaped; a transcript can hold them. Read as line ends, the event's JSON
    // was cut short and the whole event lost (found by the fuzzer below, fresh seed 1932433040).
    const said = { ...event('evt_7', 'voice.input_transcript.delta'), data: { voice_connection_id: 'voice_conn_1', delta: 'one\u2028two\u2029three' } };
    const { events } = await follow([streamResponse([frame(said as ReturnType<typeof event>)])]);
    assert.deepEqual(events, [said]);
  });

  test('waits retry_ms after disconnecting, rather than its backoff', async () => {
    const started = Date.now();
    const { requests } = await follow([streamResponse([frame(event('evt_1')), 'event: disconnecting\ndata: {"retry_ms":700}\n\n'], true)]);
    assert.equal(requests.length, 2);
    assert.ok(Date.now() - started >= 700, 'reconnected after retry_ms');
    assert.match(requests[1]!.url, /since_id=evt_1$/);
  });

  test('a CRLF cut between its CR and LF is one line end, not a blank line that ends the event early', async () => {
    // Read as two line ends, the LF would dispatch `disconnecting` before its data: the reader would then
    // come back after its backoff (0.25–0.5 s) instead of the retry_ms asked for.
    const started = Date.now();
    const { requests } = await follow([streamResponse(['event: disconnecting\r', '\ndata: {"retry_ms":1500}\r\n\r\n'], true)]);
    assert.equal(requests.length, 2);
    assert.ok(Date.now() - started >= 1500, `came back after ${Date.now() - started} ms, not after retry_ms`);
  });

  test('counts a silent stream as dead after idleMs, and backs off with jitter when the server fails', async () => {
    const { requests } = await follow([streamResponse([frame(event('evt_1'))], true), () => new Response('', { status: 503 })], {}, 150);
    assert.equal(requests.length, 3, 'the silent stream was cut and reopened, then the 503 retried');
  });

  test('stops on a 4xx; after a 401, asks getToken once more first', async () => {
    const tokens: string[] = [];
    const getToken = () => (tokens.push(`t${tokens.length}`), tokens.at(-1)!);
    const refused = await follow([() => new Response('', { status: 401 }), () => new Response('', { status: 401 })], { getToken });
    assert.equal(refused.gaveUp, true);
    assert.deepEqual(refused.requests.map((r) => r.headers.get('authorization')), ['Bearer t0', 'Bearer t1']);
    assert.equal((await follow([() => new Response('', { status: 404 })])).gaveUp, true);
    const orgs = await follow([() => new Response('', { status: 403 })], { orgId: 'org_1' });
    assert.equal(orgs.requests[0]!.headers.get('x-org-id'), 'org_1');
  });
});

describe('createCall through an agent voice channel', () => {
  async function channelCall(answer: unknown, options: Record<string, string> = {}, sessionId = '') {
    let sent: { url: string; body: unknown } | undefined;
    const fetch: typeof globalThis.fetch = (async (url: string, init: RequestInit) => {
      sent = { url, body: JSON.parse(init.body as string) };
      return new Response(JSON.stringify(answer), { status: 201 });
    }) as unknown as typeof fetch;
    const result = await createCall({ baseUrl: BASE, fetch }, sessionId, 'v=0', { agentId: 'agent 1', channelId: 'appchan_1', ...options });
    return { result, sent: sent! };
  }
  const voice = { answer_sdp: 'v=0', expires_at: '2030-01-01T00:00:00Z', voice_connection_id: 'voice_conn_1', channel_id: 'appchan_1' };

  test('posts {sdp, session_id?, provider_id?} to the channel route and returns the session', async () => {
    const { result, sent } = await channelCall({ session: { id: 'session_1', title: 't' }, voice }, { providerId: 'prov_1', model: 'm', voice: 'v' });
    assert.equal(sent.url, `${BASE}/v1/agents/agent%201/channels/appchan_1/voice/calls`);
    assert.deepEqual(sent.body, { sdp: 'v=0', provider_id: 'prov_1' });
    assert.deepEqual(result.session, { id: 'session_1', title: 't' });
    assert.equal(result.call.voice_connection_id, 'voice_conn_1');
    assert.equal(result.call.channel_id, 'appchan_1');
    assert.equal(result.call.reasoning_effort, null);
    assert.deepEqual((await channelCall({ session: { id: 's' }, voice }, {}, 'session_2')).sent.body, { sdp: 'v=0', session_id: 'session_2' });
  });

  test('an answer without a session or a valid call is a protocol error', async () => {
    for (const answer of [{ voice }, { session: {}, voice }, { session: { id: 's' } }, { session: { id: 's' }, voice: { ...voice, answer_sdp: 1 } }]) {
      await assert.rejects(channelCall(answer), (error: unknown) => error instanceof VoiceCallError && error.kind === 'protocol', JSON.stringify(answer));
    }
  });
});
