// What the host configures reaches the browser's own objects: the audio processing constraints reach
// getUserMedia, the ICE servers and relay-only policy reach RTCPeerConnection — and a relay-only call
// through a TURN server that cannot be reached ends in bounded time instead of hanging.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, VoiceCallError, type VoiceCallElement } from '../../src/index.js';
import { agents, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

/** Records the constraints of every getUserMedia call (the real microphone still answers). */
function recordConstraints() {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia;
  const seen: MediaStreamConstraints[] = [];
  devices.getUserMedia = function (this: MediaDevices, constraints?: MediaStreamConstraints) {
    seen.push(structuredClone(constraints ?? {}));
    return original.call(this, constraints);
  };
  return { seen, restore: () => (devices.getUserMedia = original) };
}

describe('session configuration reaches the browser', () => {
  let resources: ReturnType<typeof watchResources>;
  let constraints: ReturnType<typeof recordConstraints>;
  beforeEach(() => {
    resources = watchResources();
    constraints = recordConstraints();
  });
  afterEach(() => {
    constraints.restore();
    resources.restore();
  });

  it('echo cancellation, noise suppression and auto gain are asked for by default (element and session)', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_config"></voice-call>`);
    await el.start();
    el.hangup();
    const session = new CallSession();
    await session.start({ baseUrl: agents.open, sessionId: 'session_config' });
    const track = session.localStream!.getAudioTracks()[0]!;
    session.hangup();
    const voiceTuned = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    expect(constraints.seen).to.deep.equal([
      { audio: voiceTuned, video: false },
      { audio: voiceTuned, video: false },
    ]);
    // Firefox's fake microphone reports no processing settings; where reported, they must be applied.
    const applied = track.getSettings().echoCancellation;
    if (applied !== undefined) expect(applied, 'the browser applied it').to.equal(true);
    await resources.released();
  });

  it('a host override replaces them', async () => {
    const session = new CallSession();
    const audio = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
    await session.start({ baseUrl: agents.open, sessionId: 'session_config', audio });
    const settings = session.localStream!.getAudioTracks()[0]!.getSettings();
    session.hangup();
    expect(constraints.seen).to.deep.equal([{ audio, video: false }]);
    if (settings.echoCancellation !== undefined) expect(settings.echoCancellation).to.equal(false);
    await resources.released();
  });

  it('STUN and TURN servers (TCP and TLS on 443) and relay-only reach the peer connection; an unreachable relay ends in bounded time', async () => {
    const iceServers: RTCIceServer[] = [
      { urls: 'stun:127.0.0.1:3478' },
      { urls: ['turn:127.0.0.1:443?transport=tcp', 'turns:127.0.0.1:443?transport=tcp'], username: 'user', credential: 'secret' },
    ];
    const session = new CallSession();
    const started = performance.now();
    const outcome = session.start({
      baseUrl: agents.open,
      sessionId: 'session_config',
      iceServers,
      iceTransportPolicy: 'relay',
      connectTimeoutMs: 1500,
    });
    const configuration = (await until(() => session.peerConnection, 'the peer connection')).getConfiguration();
    expect(configuration.iceTransportPolicy).to.equal('relay');
    const urls = (servers: RTCIceServer[]) => servers.map(({ urls }) => [urls].flat());
    expect(urls(configuration.iceServers!)).to.deep.equal(urls(iceServers));
    expect(configuration.iceServers![1]).to.include({ username: 'user', credential: 'secret' });

    // No TURN server listens there: no candidate can work, so the call must end by its bounds.
    const error = await outcome.then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(VoiceCallError);
    expect(error).to.include({ kind: 'webrtc' });
    expect(performance.now() - started, 'ICE gathering bound + connect timeout, not longer').to.be.below(700 + 1500 + 2500);
    await resources.released();
  });
});
