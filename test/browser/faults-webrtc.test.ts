// The fault matrix, part 2: the media path. ICE that never connects, an outage after connecting (real: the
// reference agent drops every packet both ways), the agent hanging up, an agent that sends no audio, the
// page going offline, and the lease running out. Call sessions are driven directly where a test needs
// short bounds (connect timeout, disconnect grace), the element where the host-facing events matter.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, VoiceCallError, type CallConfig, type CallEnd, type VoiceCallElement } from '../../src/index.js';
import { agentCall, agents, audioBothWays, audioSoFar, faultUrl, inboundAudio, playOut, recordEvents, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

type Ended = CallEnd & { at: number };

/** A session with its end recorded (wall-clock time, to compare with the agent's). */
function session(modes: string, config: Partial<CallConfig> = {}) {
  const s = new CallSession();
  const ended: Ended[] = [];
  const errors: VoiceCallError[] = [];
  /** Each `reconnecting` event's value, in order. */
  const reconnects: boolean[] = [];
  s.on('ended', (detail) => ended.push({ ...detail, at: Date.now() }));
  s.on('error', (error) => errors.push(error));
  s.on('reconnecting', ({ reconnecting }) => reconnects.push(reconnecting));
  const start = () => s.start({ baseUrl: modes ? faultUrl(modes) : agents.open, sessionId: 'session_webrtc', ...config });
  return { s, ended, errors, reconnects, start };
}

/** The same session, after a fault, makes a healthy call again and releases it. */
async function callsAgain(s: CallSession, resources: ReturnType<typeof watchResources>): Promise<void> {
  await s.start({ baseUrl: agents.open, sessionId: 'session_webrtc' });
  expect(s.state).to.equal('connected');
  s.hangup();
  await resources.released();
}

describe('fault matrix: the media path', function () {
  this.timeout(45_000);
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => resources.restore());

  it('ICE that never connects ends in a bounded time with an error, then a second call connects', async () => {
    const call = session('no-ice', { connectTimeoutMs: 1500 });
    const started = performance.now();
    const error = await call.start().then(() => null, (e: unknown) => e);
    const took = performance.now() - started;
    expect(error).to.be.instanceOf(VoiceCallError);
    expect(error).to.include({ kind: 'webrtc' });
    expect((error as VoiceCallError).message).to.match(/^Could not connect the audio/);
    expect(['ice-timeout', 'ice-failed']).to.include((error as VoiceCallError).code);
    expect(took, 'bounded by the connect timeout').to.be.below(1500 + 3000);
    expect(call.s.state).to.equal('error');
    expect(call.errors).to.deep.equal([error]);
    expect(call.ended.map(({ reason }) => reason)).to.deep.equal(['error']);
    await resources.released();
    // The agent is told at once rather than waiting 30 s for a peer that never comes.
    const id = call.s.call!.voice_connection_id;
    const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the agent to end the call');
    expect(record.endReason).to.equal('client-ended');

    await callsAgain(call.s, resources);
  });

  it('the agent hanging up ends the call as remote-ended, released within 500 ms', async () => {
    const call = session('remote-close-300');
    await call.start();
    expect(call.s.state).to.equal('connected');
    const id = call.s.call!.voice_connection_id;
    await until(() => call.ended.length > 0, 'the remote end to be noticed', 5000);
    expect(call.s.state).to.equal('ended');
    expect(call.ended).to.have.length(1);
    expect(call.ended[0]).to.deep.include({ reason: 'remote-ended', error: null });
    // Two signals race: DTLS closing (no reason) and the session stream's voice.session.ended (the agent's own).
    expect([null, 'agent_closed']).to.include(call.ended[0]!.agentReason);
    expect(call.ended[0]!.durationMs, 'the agent closes 300 ms after connecting').to.be.within(250, 5000);
    expect(call.errors).to.have.length(0);
    const agentEnd = (await agentCall(id)).endedAt!;
    const lag = call.ended[0]!.at - agentEnd;
    expect(lag, `noticed ${lag} ms after the agent closed`).to.be.below(500);
    await resources.released(500);

    await callsAgain(call.s, resources);
  });

  it('an agent that sends no audio: the call stays up (silence is not an error), stats show nothing arriving', async () => {
    const call = session('no-audio');
    await call.start();
    const pc = call.s.peerConnection!;
    const id = call.s.call!.voice_connection_id;
    // Long enough for echoed audio to have arrived many times over (the agent echoes after 400 ms).
    await until(async () => (await agentCall(id)).rtpReceived > 100, 'the agent to receive 2 s of our audio');
    expect((await inboundAudio(pc)).packetsReceived).to.equal(0);
    expect(call.s.state).to.equal('connected');
    call.s.hangup();
    expect(call.ended.map(({ reason }) => reason)).to.deep.equal(['hangup']);
    await resources.released();
  });

  describe('a real outage: the agent drops every packet both ways', () => {
    // Started together so the file waits for the slowest engine's ICE timers once, not once per case.
    let blip: ReturnType<typeof session>;
    let recovers: ReturnType<typeof session>;
    let dies: ReturnType<typeof session>;
    let fails: ReturnType<typeof session>;
    let states: Map<ReturnType<typeof session>, string[]>;
    const links: string[] = [];
    let stopPlaying: (() => void)[] = [];
    before(async () => {
      blip = session('drop-2000');
      // ICE notices an outage after 6 s (Chromium) to 9 s (Firefox) and recovers a few seconds after it ends.
      recovers = session('drop-13000', { disconnectGraceMs: 10_000 });
      dies = session('drop-60000', { disconnectGraceMs: 1000 });
      fails = session('drop-60000', { disconnectGraceMs: 60_000 });
      states = new Map();
      for (const call of [blip, recovers, dies, fails]) {
        const seen: string[] = [];
        states.set(call, seen);
        call.s.on('statechange', ({ state }) => seen.push(state));
      }
      await Promise.all([blip, recovers, dies, fails].map((call) => call.start()));
      // These two must be heard again after the outage: played out, as a page would.
      stopPlaying = [blip, recovers].map((call) => playOut(call.s.remoteStream!));
      const pc = recovers.s.peerConnection!;
      pc.addEventListener('connectionstatechange', () => links.push(pc.connectionState));
    });
    after(() => {
      for (const stop of stopPlaying) stop();
      for (const call of [blip, recovers, dies, fails]) call.s.hangup();
    });

    it('2 s of silence on the wire: the call survives and audio flows again', async () => {
      const pc = blip.s.peerConnection!;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const id = blip.s.call!.voice_connection_id;
      await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));
      expect(blip.s.state).to.equal('connected');
      expect(blip.ended).to.have.length(0);
    });

    it('an outage ICE notices (disconnected) but that ends inside the grace period: the call survives', async () => {
      const pc = recovers.s.peerConnection!;
      await until(() => links.includes('disconnected') && pc.connectionState === 'connected', 'ICE to notice the outage and recover', 25_000);
      expect(links.slice(0, 2)).to.deep.equal(['disconnected', 'connected']);
      expect(recovers.reconnects.slice(0, 2)).to.deep.equal([true, false]);
      expect(recovers.s.state).to.equal('connected');
      expect(recovers.ended).to.have.length(0);
      const id = recovers.s.call!.voice_connection_id;
      await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));
    });

    it('an outage longer than the grace period: a clean end with an error', async () => {
      await until(() => dies.ended.length > 0, 'the call to end', 20_000);
      expect(dies.s.state).to.equal('error');
      expect(dies.ended).to.have.length(1);
      expect(dies.errors).to.have.length(1);
      expect(dies.errors[0]).to.include({ kind: 'webrtc', code: 'disconnected' });
      expect(dies.reconnects).to.deep.equal([true]);
      expect(dies.s.localStream!.getTracks().every((track) => track.readyState === 'ended')).to.be.true;
      expect(dies.s.peerConnection!.signalingState).to.equal('closed');
    });

    it('ICE giving up (failed) ends the call with an error even inside the grace period', async () => {
      await until(() => fails.ended.length > 0, 'the call to fail', 40_000);
      expect(fails.s.state).to.equal('error');
      expect(fails.errors).to.have.length(1);
      expect(fails.errors[0]).to.include({ kind: 'webrtc', code: 'failed' });
      expect(fails.s.peerConnection!.signalingState).to.equal('closed');
      expect(states.get(fails)).to.deep.equal(['requesting-microphone', 'connecting', 'connected', 'error']);
    });
  });

  it('the element while the link is away: "Reconnecting…", the reconnecting attribute and events, then back to "Connected"', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_reconnect"></voice-call>`);
    const log = recordEvents(el, ['voice-call-reconnecting', 'voice-call-ended']);
    const status = () => el.shadowRoot!.querySelector('[part=status]')!.textContent;
    await el.start();
    const offline = goOffline();
    try {
      window.dispatchEvent(new Event('offline'));
      await el.updateComplete;
      expect(status()).to.equal('Reconnecting…');
      expect(el.hasAttribute('reconnecting')).to.be.true;
      expect(el.state, 'the call itself is still up').to.equal('connected');
      await expect(el).to.be.accessible();
      offline.restore();
      window.dispatchEvent(new Event('online'));
      await el.updateComplete;
      expect(status()).to.equal('Connected');
      expect(el.hasAttribute('reconnecting')).to.be.false;
      expect(log.of('voice-call-reconnecting').map((event) => event.detail)).to.deep.equal([{ reconnecting: true }, { reconnecting: false }]);
      expect(log.of('voice-call-ended')).to.have.length(0);
    } finally {
      offline.restore();
      el.hangup();
    }
    await resources.released();
  });

  it('offline while the media still flows: "Reconnecting…", but the call goes on past the grace period', async () => {
    // A grace of 300 ms, and audio checked for seconds: only the connection's own state may end the call.
    const call = session('', { disconnectGraceMs: 300 });
    await call.start();
    const stop = playOut(call.s.remoteStream!);
    const pc = call.s.peerConnection!;
    const id = call.s.call!.voice_connection_id;
    const offline = goOffline();
    try {
      window.dispatchEvent(new Event('offline'));
      expect(call.reconnects).to.deep.equal([true]);
      expect(call.s.reconnecting).to.be.true;
      const before = await audioSoFar(pc, id);
      // 20 more audible packets each way take ≥ 2 s (Chromium's fake beep: 10 a second), far past the grace.
      await audioBothWays(pc, id, agents.open, await audioBothWays(pc, id, agents.open, before));
      expect(call.ended, 'the call was not ended').to.deep.equal([]);
      expect(call.s.state).to.equal('connected');
      offline.restore();
      window.dispatchEvent(new Event('online'));
      expect(call.reconnects).to.deep.equal([true, false]);
    } finally {
      offline.restore();
      stop();
      call.s.hangup();
    }
    await resources.released();
  });

  it('the lease: a warning first, then the end as lease-expired', async () => {
    const el = await fixture<VoiceCallElement>(
      html`<voice-call base-url=${faultUrl('lease-3')} session-id="session_lease" lease-warning="2"></voice-call>`,
    );
    const log = recordEvents(el, ['voice-call-lease-warning', 'voice-call-ended', 'voice-call-error']);
    await el.start();
    const id = el.call!.voice_connection_id;
    await until(() => log.of('voice-call-ended').length > 0, 'the lease to run out', 6000);
    const [warning] = log.of('voice-call-lease-warning');
    expect(warning, 'a warning before the end').to.exist;
    expect(log.events.indexOf(warning!)).to.be.below(log.events.indexOf(log.of('voice-call-ended')[0]!));
    expect(warning!.detail.remainingMs).to.be.within(1, 2000);
    const { durationMs, ...end } = log.of('voice-call-ended')[0]!.detail;
    const { agentReason, ...ours } = end;
    expect(ours).to.deep.equal({ reason: 'lease-expired', error: null });
    // Our lease timer and the agent's own voice.session.ended race: the agent's reason, when it came first.
    expect(agentReason).to.be.oneOf([null, 'lease_expired']);
    // The 3 s lease counts from the agent's answer; connected comes a few hundred ms later.
    expect(durationMs).to.be.within(2000, 3500);
    expect(log.of('voice-call-error')).to.have.length(0);
    expect(el.state).to.equal('ended');
    expect(el.hasAttribute('lease-ending')).to.be.false;
    await resources.released();
    // Both sides run out at the same instant; whichever acts first, the agent's call is over.
    const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the agent to end the call');
    expect(['lease-expired', 'client-ended']).to.include(record.endReason);
  });
});

describe('the lease, ended by the client alone', () => {
  it('ends the call as lease-expired at expires_at, and tells the agent, whose own lease runs longer', async () => {
    // expires_at says 3 s while the agent holds the call for 15 minutes, and no session stream tells the
    // widget anything: only its own lease timer can end this call.
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${faultUrl('expires-3,sse-fail-404')} session-id="session_client_lease"></voice-call>`);
    const log = recordEvents(el, ['voice-call-ended', 'voice-call-error']);
    await el.start();
    const id = el.call!.voice_connection_id;
    await until(() => log.of('voice-call-ended').length > 0, 'the lease to run out', 8000);
    const { durationMs, ...end } = log.of('voice-call-ended')[0]!.detail;
    expect(end).to.deep.equal({ reason: 'lease-expired', error: null, agentReason: null });
    expect(durationMs).to.be.below(3000);
    expect(log.of('voice-call-error')).to.have.length(0);
    const record = await until(async () => ((await agentCall(id)).state === 'ended' ? agentCall(id) : null), 'the agent to end the call');
    expect([record.endReason, record.endRequest]).to.deep.equal(['client-ended', { reason: 'client_ended' }]);
  });
});

/** `navigator.onLine` reads false until restored; the test dispatches the events itself. */
function goOffline() {
  Object.defineProperty(navigator, 'onLine', { value: false, configurable: true });
  return { restore: () => delete (navigator as { onLine?: boolean }).onLine };
}
