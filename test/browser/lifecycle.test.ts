// The fault matrix, part 3: what hosts and users do to a call — hang up at any moment, click twice, remove
// or move the element, change attributes mid-call, leave the page, run two widgets side by side.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, VoiceCallElement, defineVoiceCall } from '../../src/index.js';
import { agentCall, agentCallsFor, agents, audioBothWays, audioSoFar, faultUrl, part, recordEvents, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

const EVENTS = ['voice-call-state-change', 'voice-call-connected', 'voice-call-ended', 'voice-call-error'];

function callElement(sessionId: string, base = agents.open): Promise<VoiceCallElement> {
  return fixture<VoiceCallElement>(html`<voice-call base-url=${base} session-id=${sessionId}></voice-call>`);
}

/** Resolves with how the promise settled, or fails when it is still pending after `ms`. */
function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<'resolved' | 'rejected'> {
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)),
  ]);
}

/** Observes the page's create-call requests (the client reads `globalThis.fetch` at each request). */
function watchCreateCalls() {
  const original = window.fetch;
  const requests: { started: number; outcome: Promise<'answered' | 'aborted' | 'failed'> }[] = [];
  let onStart: (() => void) | null = null;
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    const promise = original.call(window, input, init);
    if (init?.method === 'POST' && String(input).endsWith('/voice/calls')) {
      requests.push({
        started: performance.now(),
        outcome: promise.then(
          () => 'answered',
          (error: unknown) => ((error as Error).name === 'AbortError' ? 'aborted' : 'failed'),
        ),
      });
      onStart?.();
    }
    return promise;
  };
  return {
    requests,
    /** Resolves when the next create-call request goes out. */
    next: () => new Promise<void>((resolve) => (onStart = resolve)),
    restore: () => (window.fetch = original),
  };
}

describe('lifecycle', () => {
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => resources.restore());

  it('the resource watchers see a live call (so their all-clear means something)', async () => {
    const el = await callElement(uniqueSession('watch'));
    part(el, 'button')!.click();
    await until(() => el.state === 'connected', 'the click to connect');
    const live = resources.leftovers();
    expect(live.some((line) => line.startsWith('live microphone track'))).to.be.true;
    expect(live.some((line) => line.startsWith('open RTCPeerConnection'))).to.be.true;
    expect(live.some((line) => line.startsWith('timeout') && line.includes('lease')), live.join('\n')).to.be.true;
    part(el, 'button')!.click();
    expect(el.state).to.equal('ended');
    const ms = await resources.released(500);
    console.log(`click hang-up: everything released ${ms.toFixed(0)} ms after the click (AudioContexts seen: ${resources.contexts.made})`);
  });

  describe('hangup() in every state', () => {
    it('idle: nothing happens', async () => {
      const el = await callElement(uniqueSession('idle'));
      const log = recordEvents(el, EVENTS);
      el.hangup();
      expect(el.state).to.equal('idle');
      expect(log.events).to.have.length(0);
    });

    it('requesting-microphone: ends at once, start() settles, and a late microphone is stopped on arrival', async () => {
      const el = await callElement(uniqueSession('mic'));
      const log = recordEvents(el, EVENTS);
      const devices = navigator.mediaDevices;
      const watched = devices.getUserMedia;
      let grant!: () => void;
      devices.getUserMedia = (constraints) => new Promise((resolve) => (grant = () => resolve(watched.call(devices, constraints))));
      try {
        const started = el.start();
        expect(el.state).to.equal('requesting-microphone');
        el.hangup();
        expect(await settlesWithin(started, 100)).to.equal('resolved');
        expect(el.state).to.equal('ended');
        expect(log.of('voice-call-ended').map((event) => event.detail)).to.deep.equal([{ reason: 'hangup', error: null, durationMs: null, agentReason: null }]);
        const eventsAtHangup = log.events.length;

        grant();
        await until(() => resources.mics.granted === 1, 'the late microphone');
        await until(() => resources.mics.allEnded(), 'the late microphone to be stopped', 500);
        // The offer is made while the microphone opens: the cancelled call had one connection, closed at the hang-up.
        expect(resources.pcs.made, 'at most the cancelled call’s own connection').to.be.at.most(1);
        expect(resources.pcs.open(), 'its connection closed with it').to.have.length(0);
        expect(el.state).to.equal('ended');
        expect(log.events).to.have.length(eventsAtHangup);
        await resources.released();
      } finally {
        devices.getUserMedia = watched;
      }
    });

    it('connecting, before the request: no request goes out', async () => {
      const session = uniqueSession('offer');
      const el = await callElement(session);
      const posts = watchCreateCalls();
      try {
        el.addEventListener('voice-call-state-change', ({ detail }) => {
          if (detail.state === 'connecting') el.hangup();
        });
        expect(await settlesWithin(el.start(), 1000)).to.equal('resolved');
        expect(el.state).to.equal('ended');
        await resources.released();
        // The offer and ICE gathering (bounded at 700 ms) were under way: give them their time, then look.
        await new Promise((resolve) => setTimeout(resolve, 800));
        expect(posts.requests).to.have.length(0);
        expect(await agentCallsFor(session)).to.have.length(0);
      } finally {
        posts.restore();
      }
    });

    it('connecting, request in flight: the request is aborted, and the answer made later is never used', async () => {
      const session = uniqueSession('inflight');
      const el = await callElement(session, faultUrl('delay-600'));
      const log = recordEvents(el, EVENTS);
      const posts = watchCreateCalls();
      try {
        const sent = posts.next();
        const started = el.start();
        await sent;
        const sentAt = performance.now();
        el.hangup();
        expect(await settlesWithin(started, 100)).to.equal('resolved');
        expect(await posts.requests[0]!.outcome).to.equal('aborted');
        await resources.released();
        const eventsAtHangup = log.events.length;
        // Past the agent's delay: it saw the caller leave and made no call; nothing reached the element.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + 900 - performance.now())));
        expect(await agentCallsFor(session)).to.have.length(0);
        expect(el.state).to.equal('ended');
        expect(el.call).to.equal(null);
        expect(log.events).to.have.length(eventsAtHangup);
        expect(resources.mics.granted).to.equal(1);
      } finally {
        posts.restore();
      }
    });

    it('connecting, answer applied, ICE checking: the agent is told the call is over', async () => {
      const session = uniqueSession('checking');
      const el = await callElement(session, faultUrl('no-ice'));
      const connecting = el.start();
      await until(() => el.call, 'the answer');
      expect(el.state).to.equal('connecting');
      el.hangup();
      expect(await settlesWithin(connecting, 100)).to.equal('resolved');
      await resources.released();
      const id = el.call!.voice_connection_id;
      const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the end request');
      expect(record.endReason).to.equal('client-ended');
      expect(record.endRequest).to.deep.equal({ reason: 'client_ended' });
    });

    it('connected: the agent hears client_ended', async () => {
      const el = await callElement(uniqueSession('connected'));
      await el.start();
      const id = el.call!.voice_connection_id;
      el.hangup();
      await resources.released();
      const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the end request');
      expect(record.endRequest).to.deep.equal({ reason: 'client_ended' });
    });

    it('ended and error: nothing more happens', async () => {
      const el = await callElement(uniqueSession('after'), faultUrl('status-500'));
      await el.start().catch(() => undefined);
      const log = recordEvents(el, EVENTS);
      el.hangup();
      expect(el.state).to.equal('error');
      el.baseUrl = agents.open;
      await el.start();
      el.hangup();
      el.hangup();
      expect(log.of('voice-call-ended')).to.have.length(1);
      await resources.released();
    });

    it('a late answer from a fetch that ignores the abort is dropped without touching the call, and freed on the agent', async () => {
      const session = uniqueSession('late');
      const call = new CallSession();
      const events: string[] = [];
      for (const type of ['statechange', 'connected', 'ended', 'error'] as const) call.on(type, () => events.push(type));
      let answered!: () => void;
      const answer = new Promise<void>((resolve) => (answered = resolve));
      let sent!: () => void;
      const request = new Promise<void>((resolve) => (sent = resolve));
      const deaf: typeof fetch = (input, init) => {
        sent();
        const response = fetch(input, { ...init, signal: null });
        void response.finally(answered);
        return response;
      };
      const applied: unknown[] = [];
      const { setRemoteDescription } = RTCPeerConnection.prototype;
      RTCPeerConnection.prototype.setRemoteDescription = function (this: RTCPeerConnection, description?: RTCSessionDescriptionInit) {
        applied.push(description);
        return (setRemoteDescription as (d?: RTCSessionDescriptionInit) => Promise<void>).call(this, description);
      } as typeof setRemoteDescription;
      try {
        const started = call.start({ baseUrl: faultUrl('delay-300'), sessionId: session, fetch: deaf });
        await request;
        call.hangup();
        expect(await settlesWithin(started, 100)).to.equal('resolved');
        const eventsAtHangup = events.length;
        await answer;
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(call.state).to.equal('ended');
        expect(call.call).to.equal(null);
        expect(events).to.have.length(eventsAtHangup);
        expect(applied, 'the late answer was never applied').to.have.length(0);
        await resources.released();
      } finally {
        RTCPeerConnection.prototype.setRemoteDescription = setRemoteDescription;
      }
      const [record] = await until(async () => {
        const calls = await agentCallsFor(session);
        return calls[0]?.state === 'ended' ? calls : null;
      }, 'the agent to be told');
      expect(record!.endReason).to.equal('client-ended');
    });
  });

  describe('double start', () => {
    it('start() twice, and once more while connected: one request, one microphone', async () => {
      const session = uniqueSession('twice');
      const el = await callElement(session);
      const first = el.start();
      expect(el.start()).to.equal(first);
      await first;
      await el.start();
      expect(await agentCallsFor(session)).to.have.length(1);
      expect(resources.mics.granted).to.equal(1);
      el.hangup();
      await resources.released();
    });

    it('a fast double click on the button: one request, and the call is not cancelled by the second click', async () => {
      const session = uniqueSession('dblclick');
      const el = await callElement(session);
      const button = part(el, 'button')!;
      // What a double click dispatches: two clicks, the second with click count 2.
      button.dispatchEvent(new MouseEvent('click', { detail: 1, bubbles: true, composed: true }));
      button.dispatchEvent(new MouseEvent('click', { detail: 2, bubbles: true, composed: true }));
      await until(() => el.state === 'connected', 'the call to connect');
      expect(await agentCallsFor(session)).to.have.length(1);
      el.hangup();
      await resources.released();
    });
  });

  describe('the element leaving the page', () => {
    it('removed mid-call: ends as element-removed, everything released, the agent told', async () => {
      const el = await callElement(uniqueSession('removed'));
      const log = recordEvents(el, EVENTS);
      await el.start();
      const id = el.call!.voice_connection_id;
      el.remove();
      await resources.released();
      expect(el.state).to.equal('ended');
      const [{ durationMs, ...end }] = log.of('voice-call-ended').map((event) => event.detail);
      expect(end).to.deep.equal({ reason: 'element-removed', error: null, agentReason: null });
      expect(durationMs, 'connected, then removed at once').to.be.a('number').within(0, 1000);
      const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the end request');
      expect(record.endRequest).to.deep.equal({ reason: 'element_removed' });
    });

    for (const state of ['requesting-microphone', 'connecting'] as const) {
      it(`removed mid-connect (${state}): ends, start() settles, everything released`, async () => {
        const el = await callElement(uniqueSession('removed-early'));
        const log = recordEvents(el, EVENTS);
        el.addEventListener('voice-call-state-change', ({ detail }) => {
          if (detail.state === state) el.remove();
        });
        expect(await settlesWithin(el.start(), 2000)).to.equal('resolved');
        expect(el.state).to.equal('ended');
        expect(log.of('voice-call-ended').map((event) => event.detail.reason)).to.deep.equal(['element-removed']);
        await resources.released();
        // A microphone granted after the removal is stopped on arrival.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await resources.released();
      });
    }

    it('moved in the DOM mid-call: the call goes on', async () => {
      const el = await callElement(uniqueSession('moved'));
      const log = recordEvents(el, EVENTS);
      await el.start();
      const pc = el.peerConnection!;
      const elsewhere = document.createElement('section');
      document.body.append(elsewhere);
      try {
        elsewhere.insertBefore(el, null);
        document.body.prepend(el);
        elsewhere.append(el);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(el.state).to.equal('connected');
        expect(pc.connectionState).to.equal('connected');
        expect(log.of('voice-call-ended')).to.have.length(0);
        const id = el.call!.voice_connection_id;
        await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));
        el.hangup();
        await resources.released();
      } finally {
        elsewhere.remove();
      }
    });

    it('pagehide: ends as page-hidden and tells the agent page_unload', async () => {
      const el = await callElement(uniqueSession('pagehide'));
      await el.start();
      const id = el.call!.voice_connection_id;
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      expect(el.state).to.equal('ended');
      await resources.released();
      const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the end request');
      expect(record.endRequest).to.deep.equal({ reason: 'page_unload' });
    });

    it('a real page leaving (a frame navigating away mid-call): the agent gets page_unload', async () => {
      const session = uniqueSession('navigate');
      const frame = document.createElement('iframe');
      frame.srcdoc = `<!doctype html><voice-call base-url="${agents.open}" session-id="${session}"></voice-call>
        <script type="module">import '/src/index.ts'; window.ready = customElements.whenDefined('voice-call');</script>`;
      document.body.append(frame);
      try {
        await until(() => (frame.contentWindow as unknown as { ready?: Promise<unknown> }).ready, 'the frame to load the widget');
        await (frame.contentWindow as unknown as { ready: Promise<unknown> }).ready;
        const inner = frame.contentDocument!.querySelector('voice-call')!;
        await inner.start();
        const id = inner.call!.voice_connection_id;
        const track = inner.peerConnection!.getSenders()[0]!.track!;
        frame.contentWindow!.location.replace('about:blank');
        const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the end request');
        expect(record.endRequest).to.deep.equal({ reason: 'page_unload' });
        expect(track.readyState).to.equal('ended');
      } finally {
        frame.remove();
      }
    });
  });

  it('attributes changed mid-call apply to the next call', async () => {
    const first = uniqueSession('attrs');
    const second = uniqueSession('attrs-next');
    const el = await callElement(first);
    el.voice = 'alloy';
    await el.start();
    const call = el.call!;
    el.setAttribute('voice', 'verse');
    el.setAttribute('model', 'gpt-realtime');
    el.setAttribute('session-id', second);
    el.setAttribute('base-url', faultUrl('status-500'));
    await el.updateComplete;
    expect(el.state).to.equal('connected');
    expect(el.call).to.equal(call);
    expect(call.voice).to.equal('alloy');
    // Hanging up still ends the call where it was made (its session, its base URL).
    el.hangup();
    const record = await until(async () => ((await agentCall(call.voice_connection_id)).state === 'ended' ? agentCall(call.voice_connection_id) : null), 'the end request');
    expect(record.endRequest).to.deep.equal({ reason: 'client_ended' });

    el.setAttribute('base-url', agents.open);
    await el.start();
    const next = await agentCall(el.call!.voice_connection_id);
    expect(next.sessionId).to.equal(second);
    expect(next.request).to.deep.include({ voice: 'verse', model: 'gpt-realtime' });
    el.hangup();
    await resources.released();
  });

  it('two widgets side by side: each its own state, microphone and connection; ending one leaves the other up', async () => {
    const a = await callElement(uniqueSession('side-a'));
    const b = await callElement(uniqueSession('side-b'));
    await Promise.all([a.start(), b.start()]);
    expect(a.peerConnection).not.to.equal(b.peerConnection);
    expect(a.call!.voice_connection_id).not.to.equal(b.call!.voice_connection_id);
    const [trackA, trackB] = [a, b].map((el) => el.peerConnection!.getSenders()[0]!.track!);
    expect(trackA).not.to.equal(trackB);

    a.hangup();
    expect(a.state).to.equal('ended');
    expect(trackA!.readyState).to.equal('ended');
    expect(b.state).to.equal('connected');
    expect(trackB!.readyState).to.equal('live');
    const pc = b.peerConnection!;
    const id = b.call!.voice_connection_id;
    await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));
    expect(pc.connectionState).to.equal('connected');
    b.hangup();
    await resources.released();
  });

  it('a token attribute found on upgrade (Vue’s :token before the script loaded) moves into the property and out of the DOM, with a warning', async () => {
    const tag = 'voice-call-token-attribute';
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    container.innerHTML = `<${tag} session-id="session_token_attribute"></${tag}>`;
    const el = container.firstElementChild as VoiceCallElement;
    el.setAttribute('base-url', agents.secured);
    el.setAttribute('token', agents.token);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      defineVoiceCall(tag);
    } finally {
      console.warn = warn;
    }
    await el.updateComplete;
    expect(el.hasAttribute('token'), 'the secret left the DOM').to.be.false;
    expect(container.innerHTML).not.to.contain(agents.token);
    expect(el.token).to.equal(agents.token);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain(':token.prop').and.not.contain(agents.token);
    // The secured agent refuses a call without its token: connecting proves it went with the request.
    await el.start();
    expect(el.state).to.equal('connected');
    el.hangup();
    await resources.released();
  });

  it('properties and attributes set before the tag is defined (a framework rendering before the script loads) are kept', async () => {
    const tag = 'voice-call-late-upgrade';
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    container.innerHTML = `<${tag} session-id="session_late" muted></${tag}>`;
    const el = container.firstElementChild as VoiceCallElement;
    expect(el.start, 'not upgraded yet').to.equal(undefined);
    // What React or Vue do before the element class exists: plain own properties on the unknown element.
    Object.assign(el, { baseUrl: agents.secured, token: agents.token, volume: 0.25 });
    defineVoiceCall(tag);
    expect(el).to.be.instanceOf(VoiceCallElement);
    await el.updateComplete;
    expect([el.baseUrl, el.token, el.volume, el.sessionId, el.muted]).to.deep.equal([agents.secured, agents.token, 0.25, 'session_late', true]);
    // The secured agent refuses a call without its token: connecting proves the early token reached the request.
    await el.start();
    expect(el.state).to.equal('connected');
    expect(el.shadowRoot!.querySelector('audio')!.volume).to.equal(0.25);
    el.hangup();
    await resources.released();
  });
});
