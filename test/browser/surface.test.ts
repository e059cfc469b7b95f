// The Everruns surface around a call, end to end against the reference agent: the end route, the live
// transcript over the session's event stream, agent voice channels, organisations, token refresh and both
// server versions.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, type TranscriptChange, type VoiceCallElement, type VoiceCallEndedDetail } from '../../src/index.js';
import type { StreamRecord } from '../../server/sse.js';
import { agentCall, agents, faultUrl, nextEvent, part, recordEvents, uniqueSession, until, watchMicrophones } from '../support/helpers.js';

/** The reference agent's scripted greeting (server/conversation.ts, which is Node-only). */
const GREETING = 'Hello! I am the reference agent. I play back what you say, a moment later.';


/** What the agent saw of a session's event streams (its debug route). */
async function agentStreams(sessionId: string, base = agents.open): Promise<StreamRecord[]> {
  return (await (await fetch(`${base}/_agent/sessions/${encodeURIComponent(sessionId)}`)).json()).streams;
}

interface Attrs {
  base?: string;
  session?: string;
  muted?: boolean;
}

function callElement({ base = agents.open, session = uniqueSession('surface'), muted = false }: Attrs = {}): Promise<VoiceCallElement> {
  return fixture<VoiceCallElement>(html`<voice-call base-url=${base} session-id=${session} transcript ?muted=${muted}></voice-call>`);
}

/**
 * The first `voice-call-transcript`, listened for from now on: call it before `start()`. Firefox's fake
 * microphone is one long tone, so the agent's greeting is cut at once and the next turn is 10 s away (its
 * longest burst): on a loaded machine those first events can land before a listener added after `start()`.
 */
const firstTranscript = (el: VoiceCallElement) => nextEvent(el, 'voice-call-transcript', 15_000);

const endReason = async (id: string, base = agents.open) =>
  until(async () => (await agentCall(id, base)).endRequest?.reason as string | undefined, 'the end request');

describe('the end route', () => {
  it('is told client_ended on hang-up, and the page hears how it went', async () => {
    const el = await callElement();
    await el.start();
    const id = el.call!.voice_connection_id;
    const done = nextEvent<{ reason: string; ok: boolean; status: number }>(el, 'voice-call-end-request');
    el.hangup();
    expect((await done).detail).to.deep.equal({ reason: 'client_ended', ok: true, status: 200 });
    expect(await endReason(id)).to.equal('client_ended');
    expect((await agentCall(id)).endReason).to.equal('client-ended');
  });

  it('reports a failed end request as an event, never as an error', async () => {
    const el = await callElement();
    await el.start();
    // Fault injection: the end route is down (503) by the time of the hang-up.
    const ownFetch = window.fetch;
    window.fetch = (input, init) => (String(input).endsWith('/end') ? Promise.resolve(new Response('{"error":"down"}', { status: 503 })) : ownFetch(input, init));
    try {
      const done = nextEvent<{ reason: string; ok: boolean; status: number }>(el, 'voice-call-end-request');
      el.hangup();
      expect((await done).detail).to.deep.equal({ reason: 'client_ended', ok: false, status: 503 });
    } finally {
      window.fetch = ownFetch;
    }
    await el.updateComplete;
    expect(el.state).to.equal('ended');
    expect(el.error).to.equal(null);
    expect(part(el, 'error')).to.equal(null);
  });

  it('on pagehide, sends the end request at once with the call’s own token, though getToken would not answer now', async () => {
    const el = await callElement({ base: agents.secured });
    let asked = 0;
    // A token service that answers the create request and then never again (the page is going away).
    el.getToken = () => (asked++ ? new Promise<string>(() => undefined) : Promise.resolve(agents.token));
    await el.start();
    const id = el.call!.voice_connection_id;
    // Observes (passes through) the page's fetch: the request must leave inside the pagehide dispatch.
    const ownFetch = window.fetch;
    const sent: string[] = [];
    window.fetch = (input, init) => (sent.push(String(input)), ownFetch(input, init));
    try {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      expect(sent.filter((url) => url.endsWith(`/${id}/end`)), 'issued synchronously in pagehide').to.have.length(1);
    } finally {
      window.fetch = ownFetch;
    }
    expect(await endReason(id, agents.secured)).to.equal('page_unload');
    expect((await agentCall(id, agents.secured)).endReason, 'the agent accepted its token').to.equal('client-ended');
  });

  it('is told page_unload on pagehide', async () => {
    const el = await callElement();
    await el.start();
    window.dispatchEvent(new Event('pagehide'));
    expect(el.state).to.equal('ended');
    expect(await endReason(el.call!.voice_connection_id)).to.equal('page_unload');
  });

  it('is told element_removed when the element leaves the page', async () => {
    const el = await callElement();
    await el.start();
    el.remove();
    await until(() => el.state === 'ended', 'the call to end');
    expect(await endReason(el.call!.voice_connection_id)).to.equal('element_removed');
  });

  it('is told client_error when the call fails after the server created it', async () => {
    const el = await callElement({ base: faultUrl('bad-answer-sdp') });
    const log = recordEvents(el, ['voice-call-end-request']);
    await el.start().catch(() => undefined);
    expect(el.state).to.equal('error');
    expect(await endReason(el.call!.voice_connection_id)).to.equal('client_error');
    await until(() => log.events.length, 'the end-request event');
    expect(part(el, 'error')!.textContent).not.to.contain('end');
  });
});

describe('the live transcript', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  beforeEach(() => (mics = watchMicrophones()));
  afterEach(() => mics.restore());

  const turns = (el: VoiceCallElement) => [...el.shadowRoot!.querySelectorAll('[part~=turn]')] as HTMLElement[];
  /** Copies of each event's turn as it was when the event fired (turns change in place). */
  function snapshots(el: VoiceCallElement) {
    const seen: { role: string; text: string; final: boolean; interrupted: boolean; id?: string }[] = [];
    el.addEventListener('voice-call-transcript', (event) => seen.push({ ...event.detail.turn }));
    return seen;
  }

  it('shows the agent’s and the caller’s turns, partial text replaced in place by the final', async () => {
    const el = await callElement({ muted: true });
    const seen = snapshots(el);
    await el.start();
    const first = await nextEvent<TranscriptChange>(el, 'voice-call-transcript');
    await el.updateComplete;
    expect(turns(el)).to.have.length(1);
    expect(turns(el)[0]!.getAttribute('part')).to.equal('turn assistant partial');

    await until(() => seen.some((turn) => turn.final), 'the greeting’s final text');
    await el.updateComplete;
    const greeting = seen.filter((turn) => turn.role === 'assistant');
    expect(greeting.length).to.be.greaterThan(3);
    expect(new Set(greeting.map((turn) => turn.id)).size).to.equal(1, 'one turn, updated in place');
    expect(greeting.slice(0, -1).every((turn) => !turn.final && GREETING.startsWith(turn.text))).to.be.true;
    expect(greeting.at(-1)).to.deep.include({ text: GREETING, final: true, interrupted: false });
    expect(turns(el)).to.have.length(1);
    expect(turns(el)[0]!.getAttribute('part')).to.equal('turn assistant');
    expect(turns(el)[0]!.textContent!.replace(/\s+/g, ' ').trim()).to.equal(`Agent: ${GREETING}`);
    expect(first.detail.turns[0]).to.equal(first.detail.turn, 'the detail carries the live list');

    el.muted = false;
    await until(() => seen.some((turn) => turn.role === 'user'), 'the caller’s partial turn');
    await el.updateComplete;
    expect(turns(el)[1]!.getAttribute('part')).to.equal('turn user partial');
    el.muted = true;
    const answer = await until(() => seen.find((turn) => turn.role === 'assistant' && turn.final && turn.text !== GREETING), 'the agent’s answer');
    expect(answer.text).to.match(/^You spoke for \d+\.\d seconds\.$/);
    await el.updateComplete;
    const rendered = turns(el).map((li) => [li.getAttribute('part'), li.textContent!.replace(/\s+/g, ' ').trim()]);
    expect(rendered).to.have.length(3);
    expect(rendered[1]![0]).to.equal('turn user');
    expect(rendered[1]![1]).to.match(/^You: \[speech, \d+\.\d s\]$/);
    expect(rendered[2]).to.deep.equal(['turn assistant', `Agent: ${answer.text}`]);
    el.hangup();
  });

  it('marks the answer the caller talked over', async () => {
    const el = await callElement({ muted: true });
    const seen = snapshots(el);
    const transcript = firstTranscript(el);
    await el.start();
    await transcript;
    el.muted = false;
    await until(() => seen.some((turn) => turn.interrupted), 'the interruption');
    await el.updateComplete;
    const greeting = turns(el)[0]!;
    expect(greeting.getAttribute('part')).to.equal('turn assistant interrupted');
    expect(greeting.textContent).to.contain('(interrupted)');
    expect(greeting.textContent!.replace(/\s+/g, ' ')).not.to.contain(GREETING);
    await expect(el).to.be.accessible();
    el.hangup();
  });

  it('follows the newest turn unless the user scrolled up', async () => {
    const el = await callElement({ muted: true });
    el.style.cssText = 'display:block;width:220px;--voice-call-transcript-height:1.5em';
    await el.start();
    const list = el.shadowRoot!.querySelector('[part=transcript]') as HTMLElement;
    const atBottom = () => Math.abs(list.scrollHeight - list.clientHeight - list.scrollTop) < 2;
    const scrolled = (top: number) => {
      const event = new Promise((resolve) => list.addEventListener('scroll', resolve, { once: true }));
      list.scrollTop = top;
      return event;
    };
    await until(() => list.scrollHeight > list.clientHeight + 10, 'the transcript to overflow');
    await el.updateComplete;
    expect(atBottom()).to.be.true;
    // A region that scrolls must be reachable from the keyboard to be read (axe: scrollable-region-focusable).
    await expect(el).to.be.accessible();

    await scrolled(0);
    const count = turns(el).length;
    el.muted = false;
    await until(() => turns(el).length > count, 'the caller’s turn');
    await el.updateComplete;
    expect(list.scrollTop).to.equal(0, 'left where the reader is');

    await scrolled(list.scrollHeight);
    el.muted = true;
    await until(() => turns(el).length > count + 1, 'the agent’s answer');
    await el.updateComplete;
    expect(atBottom()).to.be.true;
    el.hangup();
  });

  it('hides with the transcript attribute off, and still fires voice-call-transcript', async () => {
    const el = await callElement({ muted: true });
    el.transcript = false;
    const transcript = firstTranscript(el);
    await el.start();
    await transcript;
    await el.updateComplete;
    expect(part(el, 'transcript')).to.equal(null);
    el.transcript = true;
    await el.updateComplete;
    expect(turns(el).length).to.be.greaterThan(0);
    el.hangup();
  });

  it('stops the stream when the call ends', async () => {
    const session = uniqueSession('stop');
    const el = await callElement({ session });
    await el.start();
    await until(async () => (await agentStreams(session)).length, 'the stream to open');
    el.hangup();
    const streams = await until(async () => {
      const all = await agentStreams(session);
      return all.every((stream) => stream.closedAt !== null) && all;
    }, 'the agent to see the stream closed');
    expect(streams).to.have.length(1);
  });

  it('ends our call on voice.session.ended for our voice connection, and only ours', async () => {
    const session = uniqueSession('ended');
    const ours = await callElement({ base: faultUrl('session-ended-300'), session });
    const other = await callElement({ session });
    await other.start();
    const ended = nextEvent<VoiceCallEndedDetail>(ours, 'voice-call-ended');
    await ours.start();
    const { durationMs, ...end } = (await ended).detail;
    expect(end).to.deep.equal({ reason: 'remote-ended', error: null, agentReason: 'agent_ended' });
    expect(durationMs, 'the event comes 300 ms after connect').to.be.within(250, 3000);
    expect(mics.streams[1]!.getTracks().every((track) => track.readyState === 'ended')).to.be.true;
    const record = await agentCall(ours.call!.voice_connection_id);
    expect(record.state).to.equal('connected', 'ended by the event, not by the agent’s peer');
    expect(record.endRequest).to.equal(null, 'the server ended it: nothing to tell it');
    expect(other.state).to.equal('connected');
    other.hangup();
  });

  it('counts a voice.session.ended in the lease’s last second as the lease running out', async () => {
    // At lease end the agent's stream event and DTLS close race our own lease timer; whichever lands
    // first, the cause is the lease. Here the stream says so 0.8 s before the 4 s lease is over, timed from
    // the lease itself: a slow connect on a loaded machine must not move it past our own timer.
    const el = await callElement({ base: faultUrl('lease-4,ended-before-expiry-800') });
    const ended = nextEvent<VoiceCallEndedDetail>(el, 'voice-call-ended');
    await el.start();
    const { durationMs, ...end } = (await ended).detail;
    expect(end).to.deep.equal({ reason: 'lease-expired', error: null, agentReason: 'agent_ended' });
    expect(durationMs).to.be.below(4000);
    expect(mics.allEnded()).to.be.true;
  });

  it('fails our call on voice.session.failed', async () => {
    const el = await callElement({ base: faultUrl('session-failed-300') });
    await el.start();
    await until(() => el.state === 'error', 'the call to fail');
    expect(el.error).to.include({ kind: 'webrtc', code: 'session-failed' });
    expect(el.error!.serverMessage).to.contain('reference fault');
    expect(mics.allEnded()).to.be.true;
  });

  it('reconnects with since_id after a stream goes silent for longer than the heartbeat bound, without duplicate turns', async () => {
    const sessionId = uniqueSession('silent');
    const base = faultUrl('sse-silent-250');
    const session = new CallSession();
    session.muted = true;
    await session.start({ sessionId, baseUrl: base, streamIdleMs: 600 });
    const greeting = await until(() => session.turns.find((turn) => turn.final), 'the whole greeting', 12_000);
    expect(greeting.text).to.equal(GREETING);
    expect(session.turns).to.have.length(1);
    session.hangup();

    const streams = await agentStreams(sessionId);
    expect(streams.length).to.be.greaterThan(1);
    // Each stream resumes after an event the widget had read (from the start only if it had read none).
    // What the server wrote is not always what the widget read: on a loaded machine the watchdog can cut a
    // stream while its last event is still in flight; that event is sent again and read once (one turn above).
    const resumedFrom = streams.slice(1).map((stream) => stream.sinceId);
    expect(resumedFrom.filter(Boolean), 'resumed with since_id').not.to.be.empty;
    streams.slice(1).forEach(({ sinceId }, i) => {
      const earlier = streams.slice(0, i + 1).flatMap((stream) => stream.sent);
      expect([null, ...earlier], `stream ${i + 1} resumes after an event it was sent`).to.include(sinceId);
    });
  });

  it('waits retry_ms after disconnecting, then resumes with since_id', async () => {
    const session = uniqueSession('disconnecting');
    const el = await callElement({ base: faultUrl('sse-disconnect-1000'), session, muted: true });
    await el.start();
    const [first, second] = await until(async () => {
      const streams = await agentStreams(session);
      return streams.length > 1 ? streams : null;
    }, 'the stream to reopen');
    expect(first!.disconnectedAt).to.be.a('number');
    expect(second!.openedAt - first!.disconnectedAt!).to.be.at.least(1000);
    expect(first!.sent).not.to.be.empty;
    expect(second!.sinceId).to.equal(first!.sent.at(-1));
    el.hangup();
  });
});

describe('auth, channels, organisations and server versions', () => {
  it('reads the stream with the bearer token (fetch, not EventSource)', async () => {
    const session = uniqueSession('token');
    const el = await callElement({ base: agents.secured, session });
    el.token = agents.token;
    const transcript = firstTranscript(el);
    await el.start();
    await transcript;
    const [stream] = await agentStreams(session, agents.secured);
    expect(stream!.authorized).to.be.true;
    el.hangup();
    expect(await endReason(el.call!.voice_connection_id, agents.secured)).to.equal('client_ended');
  });

  it('calls getToken before each request and once more after a 401', async () => {
    const el = await callElement({ base: agents.secured });
    const given: string[] = [];
    el.getToken = async () => {
      given.push(given.length ? agents.token : 'expired');
      return given.at(-1)!;
    };
    const transcript = firstTranscript(el);
    await el.start();
    await transcript;
    el.hangup();
    await endReason(el.call!.voice_connection_id, agents.secured);
    // The end request reuses the create request's headers: it must leave at once, even inside pagehide.
    expect(given).to.deep.equal(['expired', agents.token, agents.token], 'create (401), create, stream');

    given.length = 0;
    el.getToken = async () => (given.push('wrong'), 'wrong');
    await el.start().catch(() => undefined);
    expect(el.error).to.include({ kind: 'http', status: 401 });
    expect(given).to.have.length(2);
  });

  it('starts from an agent voice channel, creating the session, and exposes it', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} agent-id="agent_1" channel-id="appchan_surface"></voice-call>`);
    const created = nextEvent<{ id: string }>(el, 'voice-call-session');
    const transcript = firstTranscript(el);
    await el.start();
    const session = (await created).detail;
    expect(session.id).to.match(/^session_[0-9a-f]{32}$/);
    expect(el.session).to.equal(session);
    expect(el.call!.channel_id).to.equal('appchan_surface');
    const record = await agentCall(el.call!.voice_connection_id);
    expect(record.sessionId).to.equal(session.id);
    expect(Object.keys(record.request)).to.deep.equal(['sdp']);
    await transcript;
    expect((await agentStreams(session.id)).length).to.equal(1, 'the stream follows the new session');
    el.hangup();
    expect(await endReason(el.call!.voice_connection_id)).to.equal('client_ended');

    el.sessionId = session.id;
    await el.start();
    expect((await agentCall(el.call!.voice_connection_id)).request).to.deep.include({ session_id: session.id });
    expect(el.session!.id).to.equal(session.id);
    el.hangup();
  });

  it('sends org-id as X-Org-Id on every request', async () => {
    const session = uniqueSession('org');
    const el = await callElement({ base: agents.org, session });
    await el.start().catch(() => undefined);
    expect(el.error).to.include({ status: 400 });

    el.orgId = agents.orgId;
    const transcript = firstTranscript(el);
    await el.start();
    await transcript;
    expect((await agentStreams(session, agents.org)).map((stream) => stream.orgId)).to.deep.equal([agents.orgId]);
    el.hangup();
    expect(await endReason(el.call!.voice_connection_id, agents.org)).to.equal('client_ended');
  });

  it('works with both server versions', async () => {
    const el = await callElement({ base: faultUrl('v2') });
    await el.start();
    expect(el.call).to.include({ reasoning_effort: null, channel_id: null });
    expect('channel_id' in el.call!).to.be.true;
    await el.updateComplete;
    expect(part(el, 'details')!.textContent).to.contain('default');
    el.hangup();

    el.baseUrl = agents.open;
    await el.start();
    expect(el.call!.reasoning_effort).to.equal('medium');
    expect('channel_id' in el.call!).to.be.false;
    el.hangup();

    for (const [modes, serverMessage, retryAfterSeconds] of [
      ['problem-429', 'reference fault 429', 12],
      ['status-429', 'reference fault 429', null],
      ['retry-after-7', 'too many requests (reference fault)', 7],
    ] as const) {
      el.baseUrl = faultUrl(modes);
      await el.start().catch(() => undefined);
      expect(el.error, modes).to.include({ status: 429, serverMessage, retryAfterSeconds });
    }
  });
});
