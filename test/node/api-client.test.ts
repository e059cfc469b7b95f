// The API client alone, in Node: request shape, response validation and error parsing. A stub fetch
// injects server answers here; the real server is exercised by the browser end-to-end tests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiUrl, buildCreateCallRequest, clockSkewFrom, createCall, endCall, parseCallInfo } from '../../src/api/client.ts';
import { VoiceCallError, httpMessage, microphoneError, own } from '../../src/api/errors.ts';
import { parseErrorBody, parseRetryAfter } from '../../src/api/problem.ts';

const VALID = {
  answer_sdp: 'v=0\r\n',
  expires_at: '2030-01-01T00:00:00Z',
  model: 'm',
  provider: 'p',
  provider_call_id: null,
  reasoning_effort: 'low',
  voice: 'v',
  voice_connection_id: 'voice_conn_1',
};

function stubFetch(...responses: Array<() => Response>) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    const next = responses.shift();
    if (!next) throw new Error('no more responses');
    return next();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

/** Like a server that never answers: settles only when the request's signal aborts, as fetch does. */
const hangingFetch = ((_url: string, init: RequestInit) =>
  new Promise((_resolve, reject) => {
    const abort = () => reject(new DOMException('aborted', 'AbortError'));
    if (init.signal!.aborted) abort();
    else init.signal!.addEventListener('abort', abort);
  })) as unknown as typeof globalThis.fetch;

async function rejection(promise: Promise<unknown>): Promise<VoiceCallError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VoiceCallError, `expected VoiceCallError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('request', () => {
  it('percent-encodes path segments and trims a trailing slash', () => {
    assert.equal(apiUrl('https://x.test/api/', 'sessions', 'a b/c?d', 'voice', 'calls'), 'https://x.test/api/v1/sessions/a%20b%2Fc%3Fd/voice/calls');
  });

  it('sends only the options that are set', () => {
    assert.deepEqual(buildCreateCallRequest('SDP', {}), { sdp: 'SDP' });
    assert.deepEqual(buildCreateCallRequest('SDP', { model: '', voice: null, instructions: undefined }), { sdp: 'SDP' });
    assert.deepEqual(
      buildCreateCallRequest('SDP', { model: 'm', voice: 'v', instructions: 'i', providerId: 'prov_1', reasoningEffort: 'high' }),
      { sdp: 'SDP', model: 'm', voice: 'v', instructions: 'i', provider_id: 'prov_1', reasoning_effort: 'high' },
    );
  });

  it('sends the bearer token and org id, and refreshes the token once after a 401', async () => {
    let issued = 0;
    const { fetch, requests } = stubFetch(
      () => new Response('{"error":"expired"}', { status: 401 }),
      () => new Response(JSON.stringify(VALID), { status: 201 }),
    );
    const result = await createCall({ baseUrl: 'https://x.test', getToken: async () => `t${++issued}`, orgId: 'org_1', fetch }, 's', 'SDP', {});
    assert.equal(result.call.voice_connection_id, 'voice_conn_1');
    assert.equal(requests.length, 2);
    const headers = requests.map(({ init }) => new Headers(init.headers));
    assert.deepEqual(headers.map((h) => h.get('authorization')), ['Bearer t1', 'Bearer t2']);
    assert.equal(headers[0]!.get('x-org-id'), 'org_1');
    assert.equal(requests[0]!.init.redirect, 'manual');
  });

  it('sends a credentials mode it does not know as the default, as HTML does with an enumerated attribute', async () => {
    for (const [given, sent] of [['include', 'include'], ['omit', 'omit'], [undefined, 'same-origin'], ['', 'same-origin'], ['bogus', 'same-origin']]) {
      const { fetch, requests } = stubFetch(() => new Response(JSON.stringify(VALID), { status: 201 }));
      await createCall({ baseUrl: 'https://x.test', credentials: given as RequestCredentials, fetch }, 's', 'SDP', {});
      assert.equal(requests[0]!.init.credentials, sent, `credentials ${String(given)}`);
    }
  });

  it('refuses a token or org id a header cannot carry as the page’s config, sending nothing', async () => {
    for (const config of [{ token: 'abc\r\nX-Evil: 1' }, { orgId: 'org_漢字' }, { getToken: () => 'tok\0en' }]) {
      const { fetch, requests } = stubFetch(() => new Response(JSON.stringify(VALID), { status: 201 }));
      const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch, ...config }, 's', 'SDP', {}));
      assert.deepEqual([error.kind, error.code, requests.length], ['config', 'bad-header', 0]);
      assert.doesNotMatch(error.message, /abc|evil|漢/i, 'the message does not echo the value');
    }
    // Latin-1 and tabs are fine: fetch sends them.
    const { fetch } = stubFetch(() => new Response(JSON.stringify(VALID), { status: 201 }));
    await createCall({ baseUrl: 'https://x.test', fetch, orgId: 'org_\tcafé' }, 's', 'SDP', {});
  });

  it('reports a second 401 as an http error', async () => {
    const { fetch, requests } = stubFetch(
      () => new Response('{"error":"expired"}', { status: 401 }),
      () => new Response('{"error":"still expired"}', { status: 401 }),
    );
    const error = await rejection(createCall({ baseUrl: 'https://x.test', getToken: () => 't', fetch }, 's', 'SDP', {}));
    assert.equal(requests.length, 2);
    assert.equal(error.status, 401);
    assert.equal(error.serverMessage, 'still expired');
  });

  it('times out a hanging request as a network error', async () => {
const fetch = hangingFetch;
    const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch, timeoutMs: 50 }, 's', 'SDP', {}));
    assert.equal(error.kind, 'network');
    assert.equal(error.code, 'timeout');
  });

  /** Answers with these headers and the first bytes of the body, then sends nothing more until aborted. */
  const stallingFetch = (status = 201) => {
    const seen: { bodyCancelled: boolean } = { bodyCancelled: false };
    const fetch = (async (_url: string, init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify(VALID).slice(0, 20)));
          // As fetch does: the request's signal also errors the body being read.
          init.signal!.addEventListener('abort', () => {
            seen.bodyCancelled = true;
            controller.error(new DOMException('aborted', 'AbortError'));
          });
        },
      });
      return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
    }) as unknown as typeof globalThis.fetch;
    return { fetch, seen };
  };

  it('times out a response that stalls after its headers (the body is part of the answer)', { timeout: 5000 }, async () => {
    for (const status of [201, 500]) {
      const { fetch, seen } = stallingFetch(status);
      const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch, timeoutMs: 50 }, 's', 'SDP', {}));
      assert.deepEqual([error.kind, error.code, seen.bodyCancelled], ['network', 'timeout', true], `status ${status}`);
    }
  });

  it('aborts the body read of a stalled response on hang-up', { timeout: 5000 }, async () => {
    const { fetch, seen } = stallingFetch();
    const controller = new AbortController();
    const pending = createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {}, controller.signal);
    // Let the headers arrive first: the stall is in the body.
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError');
    assert.equal(seen.bodyCancelled, true);
  });

  it('passes a caller abort through as an AbortError, not a VoiceCallError', async () => {
const fetch = hangingFetch;
    const controller = new AbortController();
    const pending = createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {}, controller.signal);
    controller.abort();
    await assert.rejects(pending, (error: Error) => error.name === 'AbortError' && !(error instanceof VoiceCallError));
  });

  it('reports a refused connection as a network error', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof globalThis.fetch;
    const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {}));
    assert.equal(error.kind, 'network');
  });

  it('treats a redirect as an auth problem, not as a body to parse', async () => {
    const { fetch } = stubFetch(() => new Response('', { status: 302, headers: { location: '/login' } }));
    const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {}));
    assert.equal(error.kind, 'http');
    assert.equal(error.code, 'redirect');
  });

  it('ends a call with keepalive and never throws', async () => {
    const { fetch, requests } = stubFetch(() => new Response('{"status":"ended"}', { status: 200 }));
    assert.deepEqual(await endCall({ baseUrl: 'https://x.test', fetch }, 's 1', 'voice_conn_1', 'client_ended'), { ok: true, status: 200 });
    assert.equal(requests[0]!.url, 'https://x.test/v1/sessions/s%201/voice/voice_conn_1/end');
    assert.equal(requests[0]!.init.keepalive, true);
    assert.deepEqual(JSON.parse(String(requests[0]!.init.body)), { reason: 'client_ended' });
    const failing = stubFetch();
    assert.equal((await endCall({ baseUrl: 'https://x.test', fetch: failing.fetch }, 's', 'v', 'client_error')).ok, false);
  });
});

describe('the end request', () => {
  it('goes out synchronously with the headers the call was created with, never waiting for getToken', async () => {
    const { fetch, requests } = stubFetch(
      () => new Response(JSON.stringify(VALID), { status: 201 }),
      () => new Response('{"status":"ended"}', { status: 200 }),
    );
    let asked = 0;
    const config = { baseUrl: 'https://x.test', fetch, getToken: () => (asked++ ? new Promise<string>(() => undefined) : Promise.resolve('t1')) };
    const { headers } = await createCall(config, 's', 'SDP', {});
    const pending = endCall(config, 's', 'voice_conn_1', 'page_unload', headers);
    assert.equal(requests.length, 2, 'issued before endCall returned');
    assert.equal(new Headers(requests[1]!.init.headers).get('authorization'), 'Bearer t1');
    assert.deepEqual(await pending, { ok: true, status: 200 });
    assert.equal(asked, 1);
  });

  it('asks for a fresh token only after a 401', async () => {
    const { fetch, requests } = stubFetch(
      () => new Response('{"error":"expired"}', { status: 401 }),
      () => new Response('{"status":"ended"}', { status: 200 }),
    );
    const config = { baseUrl: 'https://x.test', fetch, getToken: () => 'fresh' };
    assert.deepEqual(await endCall(config, 's', 'v', 'client_ended', { Authorization: 'Bearer old' }), { ok: true, status: 200 });
    assert.deepEqual(requests.map(({ init }) => new Headers(init.headers).get('authorization')), ['Bearer old', 'Bearer fresh']);
  });
});

describe('response validation', () => {
  it('accepts both server versions and keeps unknown fields', () => {
    const { reasoning_effort: _dropped, ...newer } = VALID;
    const call = parseCallInfo(JSON.stringify({ ...newer, channel_id: 'appchan_1', extra: 1 }));
    assert.equal(call.reasoning_effort, null);
    assert.equal(call.channel_id, 'appchan_1');
    assert.equal(call.extra, 1);
  });

  for (const [name, body] of [
    ['not JSON', '<html>'],
    ['an array', '[]'],
    ['no answer_sdp', JSON.stringify({ ...VALID, answer_sdp: undefined })],
    ['a numeric answer_sdp', JSON.stringify({ ...VALID, answer_sdp: 5 })],
    ['no expires_at', JSON.stringify({ ...VALID, expires_at: undefined })],
    ['an unparsable expires_at', JSON.stringify({ ...VALID, expires_at: 'soon' })],
  ] as const) {
    it(`rejects ${name} as a protocol error`, () => {
      assert.throws(() => parseCallInfo(body), (error: VoiceCallError) => error.kind === 'protocol');
    });
  }

  it('reads the server clock skew from the Date header', async () => {
    const serverNow = new Date(Date.now() + 120_000).toUTCString();
    const { fetch } = stubFetch(() => new Response(JSON.stringify(VALID), { status: 201, headers: { date: serverNow } }));
    const { clockSkewMs } = await createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {});
    assert.ok(Math.abs(clockSkewMs - 120_000) < 2000, `skew ${clockSkewMs}`);
  });

  it('reads no skew from a Date header that only lags by its own truncation', () => {
    const receivedAt = Date.parse('2030-01-01T00:00:10.900Z');
    const at = (date: string) => clockSkewFrom(new Response('', { headers: { date } }), receivedAt);
    assert.equal(at('Tue, 01 Jan 2030 00:00:10 GMT'), 0);
    assert.equal(at('Tue, 01 Jan 2030 00:00:09 GMT'), -900);
    assert.equal(at('Tue, 01 Jan 2030 00:00:12 GMT'), 1100);
    assert.equal(clockSkewFrom(new Response(''), receivedAt), 0);
    // A slow round trip widens the window: 00:00:09 could have been stamped up to 1.5 s before receipt.
    assert.equal(clockSkewFrom(new Response('', { headers: { date: 'Tue, 01 Jan 2030 00:00:09 GMT' } }), receivedAt, receivedAt - 500), -400);
  });
});

describe('error bodies', () => {
  it('reads {"error"}, problem+json, plain text, and ignores HTML and empty bodies', () => {
    assert.equal(parseErrorBody('{"error":"no sdp"}', 'application/json').serverMessage, 'no sdp');
    assert.deepEqual(
      parseErrorBody('{"title":"Too Many","status":429,"detail":"slow down","code":"rate","retry_after_seconds":7}', 'application/problem+json'),
      { serverMessage: 'slow down', code: 'rate', retryAfterSeconds: 7 },
    );
    assert.equal(parseErrorBody('bad gateway', 'text/plain').serverMessage, 'bad gateway');
    assert.equal(parseErrorBody('<html><b>502</b></html>', 'text/html').serverMessage, null);
    assert.equal(parseErrorBody('', '').serverMessage, null);
    assert.equal(parseErrorBody('x'.repeat(2000), 'text/plain').serverMessage!.length, 501);
  });

  it('finds only own entries when server text is the key (constructor, toString, __proto__ …)', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      assert.equal(own({ known: 1 }, name), undefined, name);
      assert.equal(microphoneError({ name }).message, 'The microphone could not be used.', name);
    }
    assert.equal(own({ constructor: 'mine' }, 'constructor'), 'mine');
    assert.equal(own({ 404: 'gone' }, 404), 'gone');
    assert.equal(own({}, null), undefined);
    assert.equal(microphoneError({ name: 'NotFoundError' }).message, 'No microphone was found. Connect one, then try again.');
    assert.equal(httpMessage(404, null), 'This conversation was not found. (HTTP 404)');
  });

  it('parses Retry-After as seconds or a date', () => {
    assert.equal(parseRetryAfter('12'), 12);
    assert.equal(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString()), 30);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter(null), null);
  });

  it('puts the wait into a 429 message', async () => {
    const { fetch } = stubFetch(() => new Response('{"error":"rate limited"}', { status: 429, headers: { 'retry-after': '20' } }));
    const error = await rejection(createCall({ baseUrl: 'https://x.test', fetch }, 's', 'SDP', {}));
    assert.equal(error.retryAfterSeconds, 20);
    assert.match(error.message, /20 s/);
    assert.equal(error.serverMessage, 'rate limited');
  });
});
