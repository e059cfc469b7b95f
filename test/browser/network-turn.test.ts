// A relay-only network: coturn on loopback (started by web-test-runner.config.mjs) as the TURN server. With
// the relay transport policy and TURN credentials the call goes through coturn, in both engines; and when TURN
// servers are given, ICE gathering waits (bounded) for the relay candidate instead of stopping 100 ms after the
// first server-reflexive one.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, VoiceCallError, type CallConfig, type VoiceCallElement } from '../../src/index.js';
import { agentCall, agents, audioBothWays, part, playOut, selectedCandidatePair, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

const { turn, slowTurn, deadTurn, natStun } = agents.network;

/** A session calling the open agent with `config`; `offer()` is the SDP the agent received. */
async function call(config: Partial<CallConfig>) {
  const session = new CallSession();
  await session.start({ baseUrl: agents.open, sessionId: uniqueSession('turn'), ...config });
  const record = await agentCall(session.call!.voice_connection_id);
  return { session, offer: record.request.sdp as string };
}

const candidateTypes = (sdp: string) => [...sdp.matchAll(/^a=candidate:.* typ (\w+)/gm)].map(([, type]) => type);

describe('a relay-only network (TURN)', function () {
  this.timeout(30_000);
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => {
    resources = watchResources();
  });
  afterEach(() => resources.restore());

  it('with iceTransportPolicy relay and TURN credentials, the call goes through the TURN server, audio both ways', async () => {
    const { session, offer } = await call({ iceServers: [turn], iceTransportPolicy: 'relay' });
    expect(session.state).to.equal('connected');
    expect(candidateTypes(offer), 'the offer has relay candidates only').to.include('relay').and.to.satisfy((types: string[]) => types.every((type) => type === 'relay'));
    const pc = session.peerConnection!;
    const selected = await until(() => selectedCandidatePair(pc), 'a selected candidate pair');
    expect(selected.local.candidateType, 'our side of the selected pair').to.equal('relay');
    expect(selected.local.address).to.equal('127.0.0.1');
    const stopPlaying = playOut(session.remoteStream!);
    await audioBothWays(pc, session.call!.voice_connection_id);
    stopPlaying();
    session.hangup();
    await resources.released();
  });

  it('with TURN servers, the offer waits for the relay candidate, not 100 ms after the first server-reflexive one', async () => {
    // The NAT-like STUN server gives an srflx candidate within milliseconds; the TURN server is 100 ms away
    // each way, so its relay candidate comes after two round trips (~400 ms). The bound is not the point here.
    const { session, offer } = await call({ iceServers: [{ urls: natStun }, slowTurn], iceGatheringTimeoutMs: 5000 });
    const types = candidateTypes(offer);
    expect(types, 'the early server-reflexive candidate').to.include('srflx');
    expect(types, `the relay candidate (the offer had: ${types.join(', ')})`).to.include('relay');
    session.hangup();
    await resources.released();
  });

  it('a TURN server that never answers holds the offer only until the gathering bound', async () => {
    const boundMs = 700;
    const { session, offer } = await call({ iceServers: [{ urls: natStun }, deadTurn], iceGatheringTimeoutMs: boundMs });
    const { offer: offered, ice } = session.timings;
    const gathering = ice! - offered!;
    expect(gathering, `gathering took ${Math.round(gathering)} ms`).to.be.within(boundMs - 50, boundMs + 1000);
    expect(candidateTypes(offer)).to.include('srflx').and.not.to.include('relay');
    expect(session.state, 'the call connects without the relay').to.equal('connected');
    session.hangup();
    await resources.released();
  });

  describe('<voice-call ice-transport-policy>', () => {
    it('the attribute with TURN credentials in iceServers: connected through the relay, audio both ways', async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${uniqueSession('turn')} ice-transport-policy="relay"></voice-call>`);
      el.iceServers = [turn];
      expect(el.iceTransportPolicy).to.equal('relay');
      await el.start();
      await el.updateComplete;
      expect(part(el, 'status')!.textContent).to.equal('Connected');
      const pc = el.peerConnection!;
      const selected = await until(() => selectedCandidatePair(pc), 'a selected candidate pair');
      expect(selected.local.candidateType).to.equal('relay');
      await audioBothWays(pc, el.call!.voice_connection_id);
      const record = await agentCall(el.call!.voice_connection_id);
      expect(candidateTypes(record.request.sdp as string)).to.satisfy((types: string[]) => types.length > 0 && types.every((type) => type === 'relay'));
      el.hangup();
      await resources.released();
    });

    it('the property: the offer carries relay candidates only', async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${uniqueSession('turn')}></voice-call>`);
      expect(el.iceTransportPolicy, 'the default').to.equal('all');
      el.iceTransportPolicy = 'relay';
      el.iceServers = [turn];
      await el.start();
      const record = await agentCall(el.call!.voice_connection_id);
      expect(candidateTypes(record.request.sdp as string)).to.satisfy((types: string[]) => types.length > 0 && types.every((type) => type === 'relay'));
      el.hangup();
      await resources.released();
    });

    it('relay with no TURN server fails at once as a config error, before the microphone is asked for', async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${uniqueSession('turn')} ice-transport-policy="relay"></voice-call>`);
      el.iceServers = [{ urls: natStun }];
      const error = await el.start().then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(VoiceCallError);
      expect(error).to.include({ kind: 'config', code: 'no-turn-server' });
      expect(resources.mics.granted, 'no microphone asked for').to.equal(0);
      expect(el.state).to.equal('error');
      await resources.released();
    });

    it('an unknown value is the default: ICE picks any path', async () => {
      const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${uniqueSession('turn')} ice-transport-policy="relay-please"></voice-call>`);
      await el.start();
      const record = await agentCall(el.call!.voice_connection_id);
      expect(candidateTypes(record.request.sdp as string)).to.include('host');
      el.hangup();
      await resources.released();
    });
  });
});
