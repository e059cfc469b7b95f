// Property-based fuzzing of the session event stream a connected call reads: fast-check generates the
// events (known and unknown types, our voice connection, another one or none, fields of the wrong type,
// events that are not objects at all) and a real call (real microphone, real RTCPeerConnection, the
// reference agent's answer) reads them through an injected fetch. For every case: nothing throws out of the
// reader, every turn is a well-formed TranscriptTurn whose text is a string, the call ends only when an event
// for our connection says so, and nothing is left running afterwards.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import { CallSession } from '../../src/index.js';
import { agents, until } from '../support/helpers.js';
import { fuzzSeeds } from '../support/fuzz.js';
import { watchResources } from '../support/leaks.js';

const RUNS = 25;
/** Seeds that found bugs (commit 10bae32), replayed on every run beside a fresh one. */
const REGRESSIONS = { 'a number or object in delta, accumulated or item_id became transcript text or a turn id': 20261126 };
const OURS = '<ours>';

const anyValue = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.constant({ text: 'x' }), fc.constant(['x']), fc.boolean());
const textOrJunk = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: anyValue });

const eventData = fc.record(
  {
    voice_connection_id: fc.oneof({ weight: 5, arbitrary: fc.constant(OURS) }, { weight: 1, arbitrary: fc.constant('voice_conn_other') }, { weight: 1, arbitrary: anyValue }),
    item_id: fc.oneof(fc.constantFrom('item_a', 'item_b', 'item_c'), anyValue),
    response_id: fc.oneof(fc.constantFrom('resp_a', 'resp_b'), anyValue),
    delta: textOrJunk,
    accumulated: textOrJunk,
    reason: textOrJunk,
    error: anyValue,
  },
  { requiredKeys: [] },
);

const TYPES = [
  'voice.input_transcript.delta',
  'voice.input_transcript.completed',
  'voice.output_transcript.delta',
  'voice.output_transcript.completed',
  'voice.output.interrupted',
  'voice.session.started',
  'voice.session.ended',
  'voice.session.failed',
  'message.created',
  'voice.output_transcript.deltaX',
];

/** What `data:` carries: mostly `{id, type, data}`, sometimes something else entirely. */
const streamEvent = fc.oneof(
  { weight: 12, arbitrary: fc.record({ type: fc.constantFrom(...TYPES), data: eventData }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom(...TYPES), data: anyValue }) },
  { weight: 1, arbitrary: anyValue.map((value) => ({ raw: value })) },
);

type Generated = { type: string; data: unknown } | { raw: unknown };

/** The SSE text of `events` from index `from` on, ids `evt_<index>`, with our real voice connection id put in. */
function sseText(events: Generated[], ours: string, from: number): string {
  return events
    .map((event, i) => {
      const body = 'raw' in event ? event.raw : { id: `evt_${i}`, ...event };
      return `id: evt_${i}\ndata: ${JSON.stringify(body).replaceAll(JSON.stringify(OURS), JSON.stringify(ours))}\n\n`;
    })
    .slice(from)
    .join('');
}

/**
 * Whether an event ends our call: voice.session.ended / .failed naming our voice connection. One that names
 * none could be any caller's, so it ends nothing; data that is null cannot be read and is skipped.
 */
function endsOurCall(event: Generated): boolean {
  if ('raw' in event || !/^voice\.session\.(ended|failed)$/.test(event.type) || event.data == null) return false;
  return (event.data as { voice_connection_id?: unknown }).voice_connection_id === OURS;
}

describe('fuzzing the session event stream', function () {
  this.timeout(180_000);

  for (const { name, seed } of fuzzSeeds(REGRESSIONS)) it(`${RUNS} generated streams, ${name}: every invariant holds`, async () => {
    const uncaught: string[] = [];
    const onError = (event: ErrorEvent | PromiseRejectionEvent) => uncaught.push(String('reason' in event ? event.reason : event.message));
    addEventListener('error', onError);
    addEventListener('unhandledrejection', onError);
    let ended = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(streamEvent, { minLength: 1, maxLength: 12 }), async (events) => {
          const resources = watchResources();
          const session = new CallSession();
          try {
            // A server that honours since_id: each stream sends what follows the last event read, then
            // `disconnecting` (retry_ms 1); once everything was sent, a stream that stays open.
            let drained = false;
            const injected: typeof fetch = async (input, init) => {
              if (!String(input).includes('/sse')) return fetch(input, init);
              const since = new URL(String(input)).searchParams.get('since_id');
              const from = since ? Number(since.slice('evt_'.length)) + 1 : 0;
              drained = from >= events.length;
              const text = drained ? '' : `${sseText(events, session.call!.voice_connection_id, from)}event: disconnecting\ndata: {"retry_ms":1}\n\n`;
              const body = new ReadableStream<Uint8Array>({
                start(controller) {
                  if (text) controller.enqueue(new TextEncoder().encode(text));
                  init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
                },
              });
              return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
            };
            session.muted = true;
            await session.start({ baseUrl: agents.open, sessionId: 'session_stream_fuzz', fetch: injected });
            // Every event was read once the reader asks for what follows the last one, or the call ended.
            await until(() => drained || session.state !== 'connected', 'the stream to be read', 15_000);
            const shouldEnd = events.some(endsOurCall);
            expect(session.state, shouldEnd ? 'an event ended our call' : 'no event was for us to end').to.equal(shouldEnd ? (session.error ? 'error' : 'ended') : 'connected');
            if (shouldEnd) ended++;
            for (const turn of session.turns) {
              expect(['user', 'assistant']).to.include(turn.role);
              expect(turn.text, 'a turn’s text is a string').to.be.a('string');
              expect(turn.text).not.to.match(/\[object|undefined/);
              expect(turn.final).to.be.a('boolean');
              expect(turn.interrupted).to.be.a('boolean');
              if (turn.id !== undefined) expect(turn.id).to.be.a('string');
            }
            if (session.error) {
              expect(session.error.message).not.to.match(/undefined|\[object|NaN/);
              if (session.error.serverMessage !== null) expect(session.error.serverMessage).to.be.a('string');
            }
          } finally {
            session.hangup();
            await resources.released(1000);
            resources.restore();
          }
        }),
        { numRuns: RUNS, seed, endOnFailure: true },
      );
    } finally {
      removeEventListener('error', onError);
      removeEventListener('unhandledrejection', onError);
    }
    expect(uncaught, 'nothing thrown out of the reader').to.deep.equal([]);
    expect(ended, 'some generated streams end the call').to.be.greaterThan(0);
  });
});
