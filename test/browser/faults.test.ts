// The fault matrix, part 1: everything that can go wrong before the call connects — the microphone, the
// HTTP answer, the answer's content, the network. Every case runs against the reference agent's fault
// modes (or, for the microphone, a getUserMedia that fails as the browser's would) and then checks the
// same promises: a typed error with a human message, exactly one error event, everything released
// within 500 ms, no timer left, and a second start() that connects once the cause is gone.
import { expect } from '@open-wc/testing';
import '../../src/index.js';
import { VoiceCallError, type ErrorKind, type VoiceCallElement } from '../../src/index.js';
import { agentCallsFor, agents, expectHumanMessage, faultUrl, part, recordEvents, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

const EVENTS = ['voice-call-state-change', 'voice-call-connected', 'voice-call-ended', 'voice-call-error'];

interface FaultCase {
  name: string;
  /** Base URL for the failing call. */
  base?: string;
  /** Replaces navigator.mediaDevices.getUserMedia for the failing call (`undefined`: missing). */
  getUserMedia?: MediaDevices['getUserMedia'] | undefined;
  requestTimeout?: number;
  /** The host's token callback for the failing call. */
  getToken?: () => Promise<string>;
  kind: ErrorKind;
  status?: number | null;
  code?: string | null;
  serverMessage?: string | null;
  retryAfterSeconds?: number;
  message: RegExp;
}

const rejectWith = (name: string) => () => Promise.reject(new DOMException(`fake ${name}`, name));

const CASES: FaultCase[] = [
  // The microphone: each message says what the user can do about it.
  { name: 'permission denied (NotAllowedError)', getUserMedia: rejectWith('NotAllowedError'), kind: 'microphone', code: 'NotAllowedError', message: /denied\. Allow it in the browser’s site settings/ },
  { name: 'no microphone (NotFoundError)', getUserMedia: rejectWith('NotFoundError'), kind: 'microphone', code: 'NotFoundError', message: /No microphone was found\. Connect one/ },
  { name: 'microphone busy (NotReadableError)', getUserMedia: rejectWith('NotReadableError'), kind: 'microphone', code: 'NotReadableError', message: /in use by another app.*Close that app/ },
  { name: 'microphone blocked by policy (SecurityError)', getUserMedia: rejectWith('SecurityError'), kind: 'microphone', code: 'SecurityError', message: /blocked on this page/ },
  { name: 'getUserMedia missing (insecure context)', getUserMedia: undefined, kind: 'microphone', code: 'unsupported', message: /must be served over HTTPS/ },

  // HTTP statuses with {"error": …}: the server's text is kept, the message is ours.
  ...[400, 401, 403, 404, 409, 422, 500, 502, 503].map((status): FaultCase => ({
    name: `HTTP ${status} with {"error"}`,
    base: faultUrl(`status-${status}`),
    kind: 'http',
    status,
    serverMessage: `reference fault ${status}`,
    message: new RegExp(`\\(HTTP ${status}\\)$`),
  })),
  { name: 'HTTP 429 with Retry-After: 20', base: faultUrl('retry-after-20'), kind: 'http', status: 429, retryAfterSeconds: 20, message: /^Too many calls right now\. Try again in 20 s\. \(HTTP 429\)$/ },
  { name: 'HTTP 409 as problem+json', base: faultUrl('problem-409'), kind: 'http', status: 409, code: 'reference_fault', serverMessage: 'reference fault 409', message: /^Voice is off for this agent\. \(HTTP 409\)$/ },
  { name: 'HTTP 500 with an empty body', base: faultUrl('empty-500'), kind: 'http', status: 500, serverMessage: null, message: /^The voice service failed\. \(HTTP 500\)$/ },
  { name: 'HTTP 502 with a proxy’s HTML page', base: faultUrl('html-502'), kind: 'http', status: 502, serverMessage: null, message: /provider is unavailable\. \(HTTP 502\)$/ },
  { name: 'HTTP 500 with a body that is not JSON', base: faultUrl('text-500'), kind: 'http', status: 500, serverMessage: 'upstream connect error or disconnect/reset before headers (reference fault 500)', message: /\(HTTP 500\)$/ },
  { name: 'a redirect to a sign-in page', base: faultUrl('redirect-login'), kind: 'http', code: 'redirect', message: /redirected the request \(often to a sign-in page\)/ },

  // The 2xx answer itself.
  { name: '201 without answer_sdp', base: faultUrl('no-answer-sdp'), kind: 'protocol', message: /answer_sdp is missing/ },
  { name: '201 with a number as answer_sdp', base: faultUrl('answer-sdp-number'), kind: 'protocol', message: /answer_sdp is missing/ },
  { name: '201 with an answer_sdp that is not SDP', base: faultUrl('bad-answer-sdp'), kind: 'protocol', code: 'bad-answer-sdp', message: /an answer this browser cannot use/ },
  { name: '201 without expires_at', base: faultUrl('no-expiry'), kind: 'protocol', message: /expires_at is missing or not a date/ },
  { name: '201 with an unparsable expires_at', base: faultUrl('bad-expiry'), kind: 'protocol', message: /expires_at is missing or not a date/ },
  { name: '201 with an expires_at in the past', base: faultUrl('past-expiry'), kind: 'lease', code: 'lease-expired', message: /time had already run out/ },

  // The network.
  { name: 'connection refused', base: agents.refused, kind: 'network', code: 'network', message: /Could not reach the voice service\. Check your connection\./ },
  { name: 'DNS failure', base: 'https://nonexistent.invalid/api', kind: 'network', code: 'network', message: /Could not reach the voice service/ },
  { name: 'a request that never answers (request-timeout 300 ms)', base: faultUrl('hang'), requestTimeout: 300, kind: 'network', code: 'timeout', message: /^The voice service did not answer within 1 s\.$/ },
  { name: 'an answer that stalls after its headers (request-timeout 300 ms)', base: faultUrl('stall-body'), requestTimeout: 300, kind: 'network', code: 'timeout', message: /^The voice service did not answer within 1 s\.$/ },
  { name: 'a getToken that never settles (request-timeout 300 ms)', getToken: () => new Promise(() => undefined), requestTimeout: 300, kind: 'network', code: 'timeout', message: /did not answer within 1 s/ },
  { name: 'a getToken that throws', getToken: () => Promise.reject(new Error('token service down')), kind: 'http', code: 'get-token', message: /Could not get a sign-in token/ },
];

describe('fault matrix: failures before the call connects', () => {
  let el: VoiceCallElement;
  let resources: ReturnType<typeof watchResources>;

  before(() => {
    el = document.createElement('voice-call');
    el.sessionId = 'session_faults';
    document.body.append(el);
  });
  after(() => el.remove());
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => {
    el.hangup();
    el.baseUrl = agents.open;
    el.requestTimeout = 15_000;
    el.getToken = null;
    resources.restore();
  });

  for (const fault of CASES) {
    it(fault.name, async () => {
      const devices = navigator.mediaDevices;
      const ownGetUserMedia = Object.getOwnPropertyDescriptor(devices, 'getUserMedia');
      if ('getUserMedia' in fault) Object.defineProperty(devices, 'getUserMedia', { value: fault.getUserMedia, configurable: true, writable: true });
      el.baseUrl = fault.base ?? agents.open;
      if (fault.requestTimeout) el.requestTimeout = fault.requestTimeout;
      el.getToken = fault.getToken ?? null;
      const log = recordEvents(el, EVENTS);
      let released: Record<string, boolean> | null = null;
      el.addEventListener(
        'voice-call-ended',
        () => {
          // Taken inside the event: by the time anyone hears of the end, the mic and connection are gone.
          released = {
            mic: resources.mics.allEnded(),
            pc: resources.pcs.open().length === 0,
          };
        },
        { once: true },
      );

      const outcome = await el.start().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      if (ownGetUserMedia) Object.defineProperty(devices, 'getUserMedia', ownGetUserMedia);

      const error = el.error!;
      expect(outcome, 'start() rejects with the error').to.equal(error);
      expect(error).to.be.instanceOf(VoiceCallError);
      expect(el.state).to.equal('error');
      expect(el.getAttribute('state')).to.equal('error');
      expect(error.kind).to.equal(fault.kind);
      expect(error.message).to.match(fault.message);
      if ('status' in fault) expect(error.status).to.equal(fault.status);
      if ('code' in fault) expect(error.code).to.equal(fault.code);
      if ('serverMessage' in fault) expect(error.serverMessage).to.equal(fault.serverMessage);
      if ('retryAfterSeconds' in fault) expect(error.retryAfterSeconds).to.equal(fault.retryAfterSeconds);
      expectHumanMessage(error.message);

      expect(log.of('voice-call-error').map((event) => event.detail)).to.deep.equal([error]);
      expect(log.of('voice-call-ended').map((event) => event.detail)).to.deep.equal([{ reason: 'error', error, durationMs: null, agentReason: null }]);
      expect(log.of('voice-call-connected')).to.have.length(0);
      expect(released, 'released when voice-call-ended fired').to.deep.equal({ mic: true, pc: true });
      await resources.released(500);

      await el.updateComplete;
      expect(part(el, 'error')!.textContent).to.equal(error.message);
      expect(part(el, 'error')!.children, 'server text is never markup').to.have.length(0);

      // The cause is gone: the same element calls again.
      el.baseUrl = agents.open;
      el.requestTimeout = 15_000;
      el.getToken = null;
      await el.start();
      expect(el.state).to.equal('connected');
      expect(el.error).to.equal(null);
      el.hangup();
      expect(el.state).to.equal('ended');
      await resources.released(500);
    });
  }
});

describe('an answer that stalls after its headers', () => {
  it('hang-up aborts the body read: the agent sees the request go away, and everything is released', async () => {
    const resources = watchResources();
    // Observes the page's fetch (a pass-through): a hang-up before the headers would abort the request itself.
    const ownFetch = window.fetch;
    let answered = false;
    window.fetch = async (...args) => {
      const response = await ownFetch(...args);
      if (String(args[0]).endsWith('/voice/calls')) answered = true;
      return response;
    };
    const el = document.createElement('voice-call');
    el.sessionId = uniqueSession('stall');
    el.baseUrl = faultUrl('stall-body');
    document.body.append(el);
    try {
      const started = el.start().catch(() => undefined);
      // The agent made the call and sent its headers and half its body; the widget still waits for the rest.
      await until(() => answered, 'the headers of the answer');
      const [call] = await agentCallsFor(el.sessionId);
      expect(el.state).to.equal('connecting');
      el.hangup();
      await started;
      expect(el.state).to.equal('ended');
      await resources.released(500);
      // Only a read that was aborted closes the connection; one left running would hold it (and the call) open.
      const ended = await until(async () => (await agentCallsFor(el.sessionId)).find((record) => record.endReason), 'the agent to see the request closed');
      expect([ended.voiceConnectionId, ended.endReason]).to.deep.equal([call!.voiceConnectionId, 'client-aborted']);
    } finally {
      window.fetch = ownFetch;
      el.remove();
      resources.restore();
    }
  });
});
