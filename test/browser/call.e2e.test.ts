// The main path, for real: a real RTCPeerConnection in this browser, the reference agent (a werift peer in
// Node) on loopback, and audio flowing both ways.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agentCall, agents, audioBothWays, faultUrl, inboundAudio, part, recordEvents, until, watchMicrophones } from '../support/helpers.js';

const EVENTS = ['voice-call-state-change', 'voice-call-connected', 'voice-call-ended', 'voice-call-error'];

async function callElement(attrs: { base?: string; session?: string } = {}): Promise<VoiceCallElement> {
  return fixture<VoiceCallElement>(html`<voice-call base-url=${attrs.base ?? agents.open} session-id=${attrs.session ?? 'session_e2e'}></voice-call>`);
}

describe('<voice-call> end to end against the reference agent', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  beforeEach(() => {
    mics = watchMicrophones();
  });
  afterEach(() => {
    mics.restore();
  });

  it('connects, carries audio both ways, shows the call, and releases everything on hang-up', async () => {
    const el = await callElement();
    const log = recordEvents(el, EVENTS);
    await el.start();

    expect(el.state).to.equal('connected');
    expect(el.getAttribute('state')).to.equal('connected');
    const call = el.call!;
    expect(call.voice_connection_id).to.be.a('string').and.not.empty;
    expect(log.of('voice-call-connected')[0].detail).to.equal(call);
    expect(log.of('voice-call-state-change').map((event) => event.detail.state)).to.deep.equal([
      'requesting-microphone',
      'connecting',
      'connected',
    ]);

    const pc = el.peerConnection!;
    // Decoded, audible sound both ways: the agent hears our microphone, and we hear the agent.
    await audioBothWays(pc, call.voice_connection_id);
    expect((await agentCall(call.voice_connection_id)).sessionId).to.equal('session_e2e');

    await el.updateComplete;
    expect(part(el, 'lease')!.textContent).to.match(/\d\d:\d\d/);
    const details = part(el, 'details')!.textContent!;
    for (const value of [call.model, call.voice, call.provider, call.reasoning_effort!]) expect(details).to.contain(value);
    expect(part(el, 'button')!.textContent!.trim()).to.equal('Hang up');

    const tracks = mics.tracks();
    expect(tracks.length).to.be.greaterThan(0);
    const connectedAt = log.of('voice-call-connected')[0].timeStamp;
    const hangupAt = performance.now();
    el.hangup();
    const hungUp = performance.now();
    expect(el.state).to.equal('ended');
    expect(tracks.every((track) => track.readyState === 'ended')).to.be.true;
    expect(pc.connectionState).to.equal('closed');
    const { durationMs, ...end } = log.of('voice-call-ended')[0].detail;
    expect(end).to.deep.equal({ reason: 'hangup', error: null, agentReason: null });
    // Measured from the connected mark, a moment before the connected event, to the hang-up.
    expect(durationMs).to.be.within(Math.floor(hangupAt - connectedAt), Math.ceil(hungUp - connectedAt) + 50);
    expect(durationMs, 'the test waited for audio both ways').to.be.above(100);
    expect(log.of('voice-call-error')).to.have.length(0);
    await until(async () => (await agentCall(call.voice_connection_id)).state === 'ended', 'the agent to end the call');
  });

  it('tells sound from silence: a muted call moves packets both ways, yet neither side hears anything until unmuted', async () => {
    const el = await callElement();
    el.muted = true;
    await el.start();
    const pc = el.peerConnection!;
    const id = el.call!.voice_connection_id;
    // What the old packet-count checks accepted as "audio both ways": a muted track and its echo.
    const record = await until(async () => {
      const call = await agentCall(id);
      return call.rtpReceived > 50 && call.rtpSent > 20 ? call : null;
    }, 'packets both ways');
    expect((await inboundAudio(pc)).packetsReceived).to.be.greaterThan(0);
    expect(record.heard.audiblePackets, 'the agent decoded only silence').to.equal(0);
    expect((await inboundAudio(pc)).totalAudioEnergy, 'we decoded only silence').to.be.below(1e-6);

    el.muted = false;
    await audioBothWays(pc, id);
    el.hangup();
  });

  it('sends exactly the options that were set', async () => {
    const el = await callElement();
    el.model = 'gpt-realtime';
    el.voice = 'alloy';
    await el.start();
    const { request } = await agentCall(el.call!.voice_connection_id);
    expect(Object.keys(request).sort()).to.deep.equal(['model', 'sdp', 'voice']);
    expect(request.model).to.equal('gpt-realtime');
    expect(el.call!.model).to.equal('gpt-realtime');
    el.hangup();

    el.instructions = 'Be brief.';
    el.providerId = 'prov_01abc';
    el.reasoningEffort = 'high';
    await el.start();
    const second = await agentCall(el.call!.voice_connection_id);
    expect(second.request).to.deep.include({
      instructions: 'Be brief.',
      provider_id: 'prov_01abc',
      reasoning_effort: 'high',
      voice: 'alloy',
      model: 'gpt-realtime',
    });
    expect(Object.keys(second.request)).to.have.length(6);
    expect(el.call!.reasoning_effort).to.equal('high');
    el.hangup();
  });

  it('percent-encodes the session id', async () => {
    const el = await callElement({ session: 'a b/c?d#e%f' });
    await el.start();
    expect((await agentCall(el.call!.voice_connection_id)).sessionId).to.equal('a b/c?d#e%f');
    el.hangup();
  });

  it('lands a 400 in the error state with the server message and the mic released', async () => {
    const el = await callElement({ base: faultUrl('status-400') });
    const log = recordEvents(el, EVENTS);
    let rejected: unknown;
    await el.start().catch((error) => (rejected = error));
    expect(el.state).to.equal('error');
    expect(rejected).to.equal(el.error);
    expect(el.error).to.include({ kind: 'http', status: 400, serverMessage: 'reference fault 400' });
    expect(log.of('voice-call-error')).to.have.length(1);
    expect(log.of('voice-call-ended')[0].detail.reason).to.equal('error');
    expect(mics.allEnded()).to.be.true;
    expect(mics.streams).to.have.length(1);
    expect(el.peerConnection!.connectionState).to.equal('closed');
    await el.updateComplete;
    expect(part(el, 'error')!.textContent).to.contain('HTTP 400');
  });

  it('answers 401 without the token and connects with it', async () => {
    const el = await callElement({ base: agents.secured });
    await el.start().catch(() => undefined);
    expect(el.state).to.equal('error');
    expect(el.error).to.include({ kind: 'http', status: 401 });
    expect(el.error!.serverMessage).to.be.a('string').and.not.empty;
    expect(mics.allEnded()).to.be.true;

    el.token = agents.token;
    await el.start();
    expect(el.state).to.equal('connected');
    expect(el.getAttribute('token')).to.equal(null);
    el.hangup();
  });

  it('makes one call for a second start() while starting', async () => {
    const el = await callElement();
    const first = el.start();
    const second = el.start();
    expect(second).to.equal(first);
    await first;
    await el.start();
    expect(mics.streams).to.have.length(1);
    el.hangup();
  });
});
