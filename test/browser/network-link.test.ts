// A bad link, for real: the agent's answer points at a UDP relay in the test process (the relay-* faults,
// server/relay.ts) that, once the call is up, drops 5 % or 20 % of the packets both ways with jitter (packets
// overtake each other), or blacks out for 2 s or 10 s. The call lives through the loss and the short
// blackout ("Reconnecting…", then connected, audio back), ends cleanly with `disconnected` after the grace
// period on the long one, and the stats report the current loss rate, not the call's lifetime average.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, type CallStats, type VoiceCallElement } from '../../src/index.js';
import { agentCall, audioBothWays, audioSoFar, faultUrl, inboundAudio, part, playOut, recordEvents, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

/** Resolves once `packets` more of the agent's audio packets have arrived than now. */
async function audioArrives(pc: RTCPeerConnection, packets: number, what: string): Promise<void> {
  const before = (await inboundAudio(pc)).packetsReceived;
  await until(async () => (await inboundAudio(pc)).packetsReceived >= before + packets, what, 10_000);
}

/** Every call of the current test, hung up after it even when it fails (no timers leak into the next one). */
const calls: { hangup(): void }[] = [];

/** A call on `modes`, with every stats reading and reconnecting change recorded. */
async function lossyCall(modes: string) {
  const session = new CallSession();
  calls.push(session);
  const readings: CallStats[] = [];
  const reconnects: boolean[] = [];
  session.on('stats', (stats) => readings.push(stats));
  session.on('reconnecting', ({ reconnecting }) => reconnects.push(reconnecting));
  await session.start({ baseUrl: faultUrl(modes), sessionId: uniqueSession('link') });
  return { session, readings, reconnects };
}

describe('a bad link: a lossy, jittery relay between the browser and the agent', function () {
  this.timeout(40_000);
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => {
    for (const call of calls.splice(0)) call.hangup();
    resources.restore();
  });

  for (const percent of [5, 20]) {
    it(`${percent} % loss with 40 ms of jitter: the call stays up, audio keeps arriving, and the stats show the loss`, async () => {
      const { session, readings, reconnects } = await lossyCall(`relay-loss-${percent},relay-jitter-40`);
      const pc = session.peerConnection!;
      const stopPlaying = playOut(session.remoteStream!);
      await audioArrives(pc, 100, "2 s of the agent's audio through the relay");
      // Heard as sound both ways, through the loss and the reordering.
      await audioBothWays(pc, session.call!.voice_connection_id);
      stopPlaying();
      // Five readings after the loss began: the window is all lossy by now.
      const start = readings.length;
      await until(() => readings.length >= start + 5, 'five stats readings', 10_000);
      const { loss } = readings.at(-1)!;
      // About `percent` over some 250 packets (3 runs on the usual busy machine, both engines: 3.4–7.2 % and
      // 15.2–25.6 %). A machine hogged on top of the suite adds losses of its own (the relay's event loop
      // stalls, buffers overflow: 16 % was seen for 5 %), so only the floor is tight: the loss shows. The
      // next test pins the window.
      console.log(`relay-loss-${percent}: the stats reported ${loss === null ? 'null' : (loss * 100).toFixed(1)} % lost`);
      expect(loss, `the reported loss (${loss})`).to.be.within((percent / 100) * 0.2, 0.5);
      const record = await agentCall(session.call!.voice_connection_id);
      expect(record.relay!.dropped, 'the relay dropped packets').to.be.greaterThan(0);
      expect(session.state).to.equal('connected');
      // A lossy link is a live one: nothing ends. (With CPU hogs on top of the suite, the relay's own event
      // loop can stall for a second and let nothing through; then "Reconnecting…" may show, and must clear.)
      expect(reconnects.at(-1) ?? false, 'not reconnecting at the end').to.equal(false);
      session.hangup();
      await resources.released();
    });
  }

  it('the stats report the loss of the last seconds: after the loss stops, it falls back near 0 within a few seconds', async () => {
    const healAfterMs = 6000;
    const { session, readings } = await lossyCall(`relay-loss-20,relay-heal-${healAfterMs}`);
    await until(() => readings.some(({ loss }) => loss !== null && loss > 0.1), 'the loss to show', 10_000);
    const lossy = readings.length;
    // The relay is clean from 6 s after the connect; the window must forget the lossy seconds soon after.
    await until(() => readings.length >= lossy + 5 && readings.at(-1)!.loss !== null && readings.at(-1)!.loss! < 0.02, 'the reported loss to fall below 2 %', 15_000);
    const last = readings.at(-1)!;
    expect(last.lifetimeLoss, 'the lifetime figure still remembers the lossy seconds').to.be.greaterThan(0.03);
    expect(last.packetsLost, 'packets lost over the whole call').to.be.greaterThan(10);
    session.hangup();
    await resources.released();
  });

  it('a 2 s blackout: "Reconnecting…", then connected again with the audio back', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${faultUrl('relay-blackout-2000')} session-id=${uniqueSession('blackout')}></voice-call>`);
    calls.push(el);
    const log = recordEvents(el, ['voice-call-reconnecting', 'voice-call-ended']);
    const statuses: string[] = [];
    const status = () => part(el, 'status')!.textContent!;
    await el.start();
    const watcher = setInterval(() => statuses.push(status()), 50);
    try {
      await audioArrives(el.peerConnection!, 20, 'audio before the blackout');
      await until(() => el.hasAttribute('reconnecting'), 'the lost link to show', 6000);
      await el.updateComplete;
      expect(status()).to.equal('Reconnecting…');
      await until(() => !el.hasAttribute('reconnecting'), 'the link to come back', 8000);
      await el.updateComplete;
      expect(status()).to.equal('Connected');
      // The audio is back: sound decoded both ways after the link returned.
      await audioBothWays(el.peerConnection!, el.call!.voice_connection_id, undefined, await audioSoFar(el.peerConnection!, el.call!.voice_connection_id));
    } finally {
      clearInterval(watcher);
    }
    expect(statuses, 'seen on screen').to.include('Reconnecting…');
    expect(log.of('voice-call-reconnecting').map((event) => event.detail.reconnecting)).to.deep.equal([true, false]);
    expect(log.of('voice-call-ended')).to.have.length(0);
    expect(el.state).to.equal('connected');
    el.hangup();
    await resources.released();
  });

  it('a 10 s blackout: the call ends cleanly with `disconnected` after the grace period, before the link comes back', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${faultUrl('relay-blackout-10000')} session-id=${uniqueSession('blackout')}></voice-call>`);
    calls.push(el);
    const log = recordEvents(el, ['voice-call-reconnecting', 'voice-call-ended', 'voice-call-error']);
    await el.start();
    const connectedAt = performance.now();
    await until(() => log.of('voice-call-ended').length > 0, 'the call to end', 16_000);
    // The blackout starts once the agent has sent a second of audio (1.4 s after the connect at the earliest)
    // and lasts 10 s: the call must end before the link comes back, a grace period after the loss showed.
    const [lost] = log.of('voice-call-reconnecting');
    const endedAfter = performance.now() - connectedAt;
    expect(endedAfter, `ended ${Math.round(endedAfter)} ms after connecting`).to.be.below(11_000);
    const grace = log.of('voice-call-ended')[0]!.timeStamp - lost!.timeStamp;
    expect(grace, `ended ${Math.round(grace)} ms after the loss showed`).to.be.within(4500, 6500);
    expect(log.of('voice-call-reconnecting').map((event) => event.detail.reconnecting)).to.deep.equal([true]);
    const [ended] = log.of('voice-call-ended');
    expect(ended!.detail.reason).to.equal('error');
    expect(ended!.detail.error).to.include({ kind: 'webrtc', code: 'disconnected' });
    expect(log.of('voice-call-error')).to.have.length(1);
    expect(el.state).to.equal('error');
    await resources.released();
  });
});
