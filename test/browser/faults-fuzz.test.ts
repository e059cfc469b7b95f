// Property-based fuzzing of everything the server can send back: fast-check generates the create-call
// response (status, headers, body shape, SDP, dates) and the network's behaviour, and a real call session
// (real microphone, real RTCPeerConnection) receives it through an injected fetch. Some cases take the
// reference agent's real answer and bend its fields, so they can really connect. For every case the same
// invariants hold: start() settles in bounded time; a failure is one typed VoiceCallError with a human
// message, one error event and one ended event; nothing is left running; the token never leaks.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import { CallSession, VoiceCallError } from '../../src/index.js';
import { agents, expectTypedFailure } from '../support/helpers.js';
import { fuzzSeeds } from '../support/fuzz.js';
import { watchResources } from '../support/leaks.js';

const RUNS = 60;
const TOKEN = 'secret-token-7f3a9c';
const KINDS = ['microphone', 'http', 'protocol', 'network', 'webrtc', 'lease'];

type Body = { kind: 'text'; text: string } | { kind: 'bend'; fields: Record<string, unknown>; drop: string[] };
interface Reply {
  network: 'answer' | 'reject' | 'hang' | 'broken-body';
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  date: string | null;
  body: Body;
}

const garbageText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '42', '<html><body><h1>502 Bad Gateway</h1><script>alert(1)</script></body></html>', '{"error":', 'v=0'),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? ''),
  fc.record({
    error: fc.oneof(fc.string(), fc.integer(), fc.record({ message: fc.string() })),
    title: fc.option(fc.string()),
    detail: fc.option(fc.string({ maxLength: 2000 })),
    code: fc.option(fc.oneof(fc.string(), fc.integer())),
    retry_after_seconds: fc.option(fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), fc.string())),
  }).map((value) => JSON.stringify(value)),
);

const date = fc.oneof(
  fc.date({ min: new Date(1990, 0, 1), max: new Date(2200, 0, 1), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: -3600, max: 3600 }).map((s) => new Date(Date.now() + s * 1000).toISOString()),
  fc.constantFrom('', 'soon', '2026-13-45T99:99:99Z', 'NaN', '0'),
  fc.string({ maxLength: 30 }),
);

/** A field of the real answer replaced by something else (or removed). */
const bentFields = fc.record(
  {
    answer_sdp: fc.oneof(fc.string({ maxLength: 100 }), fc.integer(), fc.constant(null), fc.constant('v=0\r\n'), fc.constant(['v=0'])),
    expires_at: fc.oneof(date, fc.integer(), fc.constant(null)),
    voice_connection_id: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null), fc.constant('../../x?y#z')),
    model: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    reasoning_effort: fc.oneof(fc.string(), fc.constant(null)),
    unknown_field: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

const reply: fc.Arbitrary<Reply> = fc.record({
  network: fc.constantFrom<Reply['network']>('answer', 'answer', 'answer', 'answer', 'answer', 'answer', 'reject', 'hang', 'broken-body'),
  status: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(200, 201, 201, 201, 202, 204, 206) }, { weight: 2, arbitrary: fc.integer({ min: 300, max: 599 }) }),
  contentType: fc.option(fc.constantFrom('application/json', 'application/problem+json', 'text/html; charset=utf-8', 'text/plain', 'application/octet-stream')),
  retryAfter: fc.option(fc.oneof(fc.nat({ max: 100_000 }).map(String), date, fc.string({ maxLength: 10 }))),
  date: fc.option(fc.oneof(date.map((d) => new Date(Date.parse(d) || 0).toUTCString()), fc.string({ maxLength: 20 }))),
  body: fc.oneof(
    garbageText.map((text): Body => ({ kind: 'text', text })),
    fc.tuple(bentFields, fc.subarray(['answer_sdp', 'expires_at', 'voice_connection_id', 'model', 'provider', 'voice'])).map(
      ([fields, drop]): Body => ({ kind: 'bend', fields, drop }),
    ),
    // Untouched: these connect for real, so the invariants are checked on the way out of a live call too.
    fc.constant<Body>({ kind: 'bend', fields: {}, drop: [] }),
  ),
});

/** A fetch that answers the create-call request with `r`, using the reference agent's real answer when bending. */
function fetchFor(r: Reply): typeof fetch {
  return async (input, init) => {
    const signal = init?.signal ?? undefined;
    if (String(input).endsWith('/end')) return fetch(input, init);
    if (r.network === 'reject') throw new TypeError('Failed to fetch');
    if (r.network === 'hang') {
      return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    let text: string;
    if (r.body.kind === 'text') text = r.body.text;
    else {
      // The real agent's answer: a real SDP that can connect, bent field by field.
      const real = (await (await fetch(input, init)).json()) as Record<string, unknown>;
      for (const field of r.body.drop) delete real[field];
      text = JSON.stringify({ ...real, ...r.body.fields });
    }
    const headers = new Headers();
    if (r.contentType) headers.set('content-type', r.contentType);
    if (r.retryAfter) headers.set('retry-after', r.retryAfter);
    if (r.date) headers.set('date', r.date);
    const nullBody = r.status === 204 || r.status === 205 || r.status === 304;
    const body =
      r.network === 'broken-body'
        ? new ReadableStream({ pull: (controller) => controller.error(new TypeError('network error')) })
        : text;
    return new Response(nullBody ? null : body, { status: r.status, headers });
  };
}

describe('fuzzing the server’s answers', function () {
  this.timeout(120_000);

  for (const { name, seed } of fuzzSeeds()) it(`${RUNS} generated responses, ${name}: every invariant holds`, async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(reply, async (r) => {
        const resources = watchResources();
        try {
          const session = new CallSession();
          const errors: VoiceCallError[] = [];
          const ended: { reason: string; error: VoiceCallError | null; durationMs: number | null; agentReason: string | null }[] = [];
          session.on('error', (error) => errors.push(error));
          session.on('ended', (detail) => ended.push(detail));
          const settled = await Promise.race([
            session
              .start({
                baseUrl: agents.open,
                sessionId: 'session_fuzz',
                token: TOKEN,
                timeoutMs: 300,
                connectTimeoutMs: 3000,
                fetch: fetchFor(r),
              })
              .then(
                () => ({ ok: true as const }),
                (error: unknown) => ({ ok: false as const, error }),
              ),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('start() did not settle within 6 s')), 6000)),
          ]);

          if (settled.ok) {
            expect(session.state).to.equal('connected');
            session.hangup();
            expect(ended).to.have.length(1);
            expect(ended[0]).to.deep.include({ reason: 'hangup', error: null, agentReason: null });
            expect(ended[0]!.durationMs).to.be.a('number').at.least(0);
            outcomes.set('connected', (outcomes.get('connected') ?? 0) + 1);
          } else {
            const error = settled.error as VoiceCallError;
            const key = expectTypedFailure(error, KINDS);
            expect(session.state).to.equal('error');
            expect(session.error).to.equal(error);
            expect(errors).to.deep.equal([error]);
            expect(ended).to.deep.equal([{ reason: 'error', error, durationMs: null, agentReason: null }]);
            if (error.serverMessage !== null) {
              expect(error.serverMessage.length).to.be.at.most(501);
              expect(error.serverMessage).not.to.match(/<script/i);
            }
            if (error.retryAfterSeconds !== null) expect(Number.isInteger(error.retryAfterSeconds) && error.retryAfterSeconds >= 0).to.be.true;
            expect(JSON.stringify(error)).not.to.contain(TOKEN);
            expect(error.message).not.to.contain(TOKEN);
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          }
          await resources.released(500);
        } finally {
          resources.restore();
        }
      }),
      { numRuns: RUNS, seed, endOnFailure: true },
    );
    console.log(`fuzz outcomes over ${RUNS} cases: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(outcomes.get('connected') ?? 0, 'some generated cases connect for real').to.be.greaterThan(0);
    expect(outcomes.size, 'the cases spread over many outcomes').to.be.greaterThan(5);
  });

});
