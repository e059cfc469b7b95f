// Security faults: an insecure base URL, hostile session ids, and the token — which must never reach an
// attribute, the DOM, an error, an event or the console, on success or on failure.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, type VoiceCallElement } from '../../src/index.js';
import { agentCall, agents, faultUrl, part, recordEvents } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

const ALL_EVENTS = ['voice-call-state-change', 'voice-call-connected', 'voice-call-ended', 'voice-call-error', 'voice-call-lease-warning', 'voice-call-stats'];

describe('security', () => {
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => resources.restore());

  describe('base-url must be https (a token must never travel in clear)', () => {
    for (const base of ['http://example.com/api', 'http://192.168.1.10:8080', 'ftp://example.com', 'javascript:alert(1)', 'file:///etc', 'http://localhost.example.com', 'http://127.0.0.1.example.com']) {
      it(`refuses ${base} before asking for the microphone or sending anything`, async () => {
        const el = await fixture<VoiceCallElement>(html`<voice-call session-id="session_sec"></voice-call>`);
        el.baseUrl = base;
        el.token = 'secret-token-base';
        const sent: string[] = [];
        const fetchBefore = window.fetch;
        window.fetch = (input, init) => (sent.push(String(input)), fetchBefore(input, init));
        try {
          const error = await el.start().then(() => null, (e: unknown) => e);
          expect(error).to.include({ kind: 'config', code: 'insecure-base-url' });
          expect(el.error!.message).to.equal('The voice service address (base-url) must start with https://.');
          expect(el.state).to.equal('error');
          expect(resources.mics.granted, 'no microphone asked for').to.equal(0);
          expect(sent, 'nothing sent').to.deep.equal([]);
          await resources.released();
        } finally {
          window.fetch = fetchBefore;
        }
      });
    }

    it('accepts http only on this machine (127.0.0.1, localhost), and relative URLs against an https page or this machine', async () => {
      const port = new URL(agents.open).port;
      const session = new CallSession();
      for (const base of [agents.open, `http://localhost:${port}`]) {
        await session.start({ baseUrl: base, sessionId: 'session_sec' });
        expect(session.state, base).to.equal('connected');
        session.hangup();
      }
      // This page is http://localhost: a relative base resolves to it and is allowed (the test server has no such route).
      const error = await session.start({ baseUrl: '/no-such-api', sessionId: 'session_sec' }).then(() => null, (e: unknown) => e);
      expect(error).to.include({ kind: 'http' });
      await resources.released();
    });
  });

  it('session ids are one path segment, whatever they contain', async () => {
    const session = new CallSession();
    for (const id of ['../../v1/agents', '?x=1', '#frag', 'a%2Fb', 'a/../../b', '..%2F', ' spaced ', 'ünï']) {
      await session.start({ baseUrl: agents.open, sessionId: id });
      expect(session.state, id).to.equal('connected');
      expect((await agentCall(session.call!.voice_connection_id)).sessionId, id).to.equal(id);
      session.hangup();
    }
    // URL parsers treat `.` and `..` (and %2E%2E) as path steps, so these cannot be sent at all.
    for (const id of ['..', '.']) {
      const error = await session.start({ baseUrl: agents.open, sessionId: id }).then(() => null, (e: unknown) => e);
      expect(error, id).to.include({ kind: 'config', code: 'invalid-id' });
    }
    await resources.released();
  });

  describe('the token stays out of the DOM, errors, events and logs', () => {
    for (const how of ['token', 'getToken'] as const) {
      it(`via ${how}: on a call that connects and on one refused with 401`, async () => {
        const secret = `${agents.token}`;
        const wrong = 'wrong-secret-4d1c';
        const logged: string[] = [];
        const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
        const originals = methods.map((method) => console[method]);
        methods.forEach((method, i) => {
          console[method] = (...args: unknown[]) => {
            logged.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${JSON.stringify(arg)}` : typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
            originals[i]!.apply(console, args);
          };
        });
        try {
          const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.secured} session-id="session_token"></voice-call>`);
          const log = recordEvents(el, ALL_EVENTS);
          const use = (value: string) => {
            if (how === 'token') el.token = value;
            else el.getToken = async () => value;
          };

          use(secret);
          await el.start();
          expect(el.state).to.equal('connected');
          await el.updateComplete;
          el.hangup();

          use(wrong);
          await el.start().catch(() => undefined);
          expect(el.error).to.include({ kind: 'http', status: 401 });
          await el.updateComplete;

          const surfaces = [
            el.outerHTML,
            el.shadowRoot!.innerHTML,
            [...el.attributes].map((attribute) => `${attribute.name}=${attribute.value}`).join(' '),
            JSON.stringify(el.error),
            el.error!.message,
            String(el.error!.serverMessage),
            ...log.events.map((event) => `${event.type} ${JSON.stringify(event.detail)}`),
            ...logged,
          ];
          for (const text of surfaces) {
            expect(text).not.to.contain(secret);
            expect(text).not.to.contain(wrong);
          }
          expect(log.events.length).to.be.greaterThan(4);
        } finally {
          methods.forEach((method, i) => (console[method] = originals[i]!));
        }
      });
    }
  });

  it('a huge error body is kept short, and never rendered', async () => {
    const session = new CallSession();
    const body = JSON.stringify({ error: `${'<img src=x onerror=alert(1)>'.repeat(4000)}` });
    const error = await session
      .start({ baseUrl: faultUrl('status-500'), sessionId: 'session_sec', fetch: async () => new Response(body, { status: 500, headers: { 'content-type': 'application/json' } }) })
      .then(() => null, (e: unknown) => e);
    expect(error).to.include({ kind: 'http', status: 500 });
    expect(session.error!.serverMessage!.length).to.be.at.most(501);
    expect(session.error!.message).to.equal('The voice service failed. (HTTP 500)');
    await resources.released();
  });
});

describe('server text is never a key into one of our tables', () => {
  // The names a plain `table[text]` finds on every object (server/faults.ts PROTOTYPE_CODES, in that order).
  const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

  NAMES.forEach((name, n) => {
    it(`a problem code ${name} shows our message, and keeps the code for the page`, async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call session-id="session_proto" base-url=${faultUrl(`prototype-code-${n}`)}></voice-call>`);
      // A host table of replacements that has other codes: only its own entries may be found.
      el.strings = { errors: { reference_fault: 'Replaced.' } };
      await el.start().catch(() => undefined);
      expect(el.error).to.include({ kind: 'http', status: 400, code: name });
      await el.updateComplete;
      expect(part(el, 'error')!.textContent).to.equal('The call request was refused. (HTTP 400)');
    });

    it(`a microphone error named ${name} shows our message`, async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call session-id="session_proto" base-url=${agents.open}></voice-call>`);
      const devices = navigator.mediaDevices;
      const ownGetUserMedia = Object.getOwnPropertyDescriptor(devices, 'getUserMedia');
      Object.defineProperty(devices, 'getUserMedia', { value: () => Promise.reject(new DOMException('fake', name)), configurable: true, writable: true });
      try {
        await el.start().catch(() => undefined);
      } finally {
        if (ownGetUserMedia) Object.defineProperty(devices, 'getUserMedia', ownGetUserMedia);
        else delete (devices as { getUserMedia?: unknown }).getUserMedia;
      }
      expect(el.error).to.include({ kind: 'microphone', code: name, message: 'The microphone could not be used.' });
      await el.updateComplete;
      expect(part(el, 'error')!.textContent).to.equal('The microphone could not be used.');
    });
  });
});

describe('nothing to call', () => {
  // Neither a session nor an agent channel (agent-id and channel-id both): there is no URL to post to.
  for (const attrs of [{}, { agentId: 'agent_1' }, { channelId: 'appchan_1' }]) {
    it(`fails before the microphone as config/missing-session with ${JSON.stringify(attrs)}`, async () => {
      const resources = watchResources();
      const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open}></voice-call>`);
      Object.assign(el, attrs);
      const sent: string[] = [];
      const ownFetch = window.fetch;
      window.fetch = (input, init) => (sent.push(String(input)), ownFetch(input, init));
      try {
        const error = await el.start().then(() => null, (e: unknown) => e);
        expect(error).to.include({ kind: 'config', code: 'missing-session' });
        expect(el.error!.message).to.equal('Nothing to call: set session-id, or agent-id and channel-id.');
        expect(resources.mics.granted, 'no microphone asked for').to.equal(0);
        expect(sent, 'nothing sent').to.deep.equal([]);
        await el.updateComplete;
        expect(part(el, 'error')!.textContent).to.equal(el.error!.message);
        await resources.released();
      } finally {
        window.fetch = ownFetch;
        resources.restore();
      }
    });
  }
});
