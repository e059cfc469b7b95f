// Prewarm: a call prepared on hover or focus (peer connection, offer, ICE, and the microphone when it is
// already allowed) that start() picks up, or that is released unused — never a leaked track or connection.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, type VoiceCallElement } from '../../src/index.js';
import { agents, audioBothWays, part, until, watchMicrophones } from '../support/helpers.js';

const config = { sessionId: 'session_prewarm', baseUrl: agents.open };

/** Records every RTCPeerConnection the page creates (real ones) until `restore()`. */
function watchConnections() {
  const created: RTCPeerConnection[] = [];
  const Original = RTCPeerConnection;
  window.RTCPeerConnection = class extends Original {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      created.push(this);
    }
  };
  return { created, restore: () => (window.RTCPeerConnection = Original) };
}

/** A session whose peer connections (real ones) the test can see. */
function watchedSession() {
  const connections: RTCPeerConnection[] = [];
  const session = new CallSession({
    createPeerConnection: (configuration) => {
      const pc = new RTCPeerConnection(configuration);
      connections.push(pc);
      return pc;
    },
  });
  return { session, connections };
}

const microphoneAllowed = async () =>
  (await navigator.permissions?.query({ name: 'microphone' as PermissionName }).catch(() => null))?.state === 'granted';

describe('prewarm', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  beforeEach(() => {
    mics = watchMicrophones();
  });
  afterEach(() => {
    mics.restore();
  });

  it('prepares on hover and focus; the click reuses it and the call carries audio', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call prewarm base-url=${agents.open} session-id="session_prewarm"></voice-call>`);
    const button = part(el, 'button')!;
    const connections = watchConnections();
    try {
      button.dispatchEvent(new PointerEvent('pointerenter'));
      button.focus();
      // One preparation for both triggers, its ICE gathered before the click; nothing shows yet.
      expect(connections.created).to.have.length(1);
      await until(() => connections.created[0]!.iceGatheringState === 'complete', 'ICE gathering before the click');
      if (await microphoneAllowed()) await until(() => mics.streams.length === 1, 'the allowed microphone before the click');
      else expect(mics.streams).to.have.length(0);
      expect(el.state).to.equal('idle');
      expect(el.timings).to.deep.equal({});
    } finally {
      connections.restore();
    }

    await el.start();
    expect(el.peerConnection).to.equal(connections.created[0]);
    const { timings } = el;
    expect(timings.prepare).to.be.a('number');
    expect(timings.ice!).to.be.lessThan(timings.start!);
    expect(timings.post!).to.be.at.least(timings.start!);
    expect(timings.connected!).to.be.greaterThan(timings.answer!);
    expect(mics.streams).to.have.length(1);
    const [sender] = el.peerConnection!.getSenders();
    expect(sender!.track).to.equal(mics.tracks()[0]);

    const { voice_connection_id: id } = el.call!;
    // The prepared sender took the microphone's track: the agent hears it, and we hear the agent.
    await audioBothWays(el.peerConnection!, id);
    el.hangup();
    expect(mics.allEnded()).to.be.true;
  });

  it('does nothing on hover without the prewarm attribute', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_prewarm"></voice-call>`);
    part(el, 'button')!.dispatchEvent(new PointerEvent('pointerenter'));
    await el.start();
    expect(el.timings.prepare).to.equal(undefined);
    expect(el.timings.mic!).to.be.greaterThan(el.timings.start!);
    el.hangup();
  });

  it('releases an unused preparation after its bound, microphone included', async () => {
    const { session, connections } = watchedSession();
    session.prepare(config, 400);
    session.prepare(config, 400);
    expect(connections).to.have.length(1);
    const [pc] = connections;
    await until(() => pc!.connectionState === 'closed', 'the prepared connection to close', 3000);
    expect(mics.allEnded()).to.be.true;
    expect(session.state).to.equal('idle');

    // A later call starts from scratch and works.
    await session.start(config);
    expect(connections).to.have.length(2);
    expect(session.state).to.equal('connected');
    session.hangup();
    expect(mics.allEnded()).to.be.true;
  });

  it('releases it when the element leaves the page', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call prewarm base-url=${agents.open} session-id="session_prewarm"></voice-call>`);
    const { created, restore } = watchConnections();
    try {
      part(el, 'button')!.dispatchEvent(new PointerEvent('pointerenter'));
      expect(created).to.have.length(1);
      if (await microphoneAllowed()) await until(() => mics.streams.length === 1, 'the allowed microphone');
      el.remove();
      await until(() => created[0]!.connectionState === 'closed', 'the prepared connection to close', 2000);
      await until(() => mics.allEnded(), 'a prewarmed microphone to stop', 2000);
    } finally {
      restore();
    }
  });

  it('hang-up during preparation closes the connection at once', async () => {
    const { session, connections } = watchedSession();
    session.prepare(config);
    session.hangup();
    expect(connections[0]!.connectionState).to.equal('closed');
    expect(session.state).to.equal('idle');
  });

  it('stops a prewarmed microphone that arrives after the hang-up', async function () {
    // Only where the browser reports the microphone as already allowed does prewarm ask for it.
    if (!(await microphoneAllowed())) this.skip();
    let deliver!: (stream: MediaStream) => void;
    let asked = false;
    const session = new CallSession({
      getUserMedia: () => {
        asked = true;
        return new Promise((resolve) => (deliver = resolve));
      },
    });
    session.prepare(config);
    await until(() => asked, 'the prewarm to ask for the microphone');
    session.hangup();
    const late = await navigator.mediaDevices.getUserMedia({ audio: true });
    deliver(late);
    await until(() => late.getTracks().every((track) => track.readyState === 'ended'), 'the late track to be stopped', 2000);
  });
});
