// What the host configures reaches the browser's own objects: the audio processing constraints reach
// getUserMedia, the ICE servers and relay-only policy reach RTCPeerConnection — and a relay-only call
// through a TURN server that cannot be reached ends in bounded time instead of hanging.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import { CallSession, VoiceCallError, type VoiceCallElement } from '../../src/index.js';
import { agents, faultUrl, until } from '../support/helpers.js';
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

  it('number attributes that are not usable numbers fall back to their defaults: the call and its end request work', async () => {
    for (const [timeout, warning] of [['soon', 'x'], ['0', '-5'], ['', 'Infinity']]) {
      const el = await fixture<VoiceCallElement>(
        html`<voice-call base-url=${agents.open} session-id="session_config" request-timeout=${timeout} lease-warning=${warning} volume="loud"></voice-call>`,
      );
      const endRequest = new Promise<{ ok: boolean }>((resolve) =>
        el.addEventListener('voice-call-end-request', (event) => resolve(event.detail), { once: true }),
      );
      await el.start();
      expect(el.state, `request-timeout="${timeout}"`).to.equal('connected');
      expect(el.shadowRoot!.querySelector('audio')!.volume).to.equal(1);
      el.hangup();
      expect((await endRequest).ok, `the end request with request-timeout="${timeout}"`).to.equal(true);
    }
    // A 5 s lease and an unusable warning time: the 30 s default applies, so the warning comes at once.
    const leased = await fixture<VoiceCallElement>(html`<voice-call base-url=${faultUrl('lease-5')} session-id="session_config" lease-warning="x"></voice-call>`);
    let warned = false;
    leased.addEventListener('voice-call-lease-warning', () => (warned = true));
    await leased.start();
    await until(() => warned, 'the lease warning (30 s default) on a 5 s lease', 2000);
    leased.hangup();

    const session = new CallSession();
    const ended = new Promise<{ ok: boolean }>((resolve) => session.on('endrequest', resolve));
    await session.start({ baseUrl: agents.open, sessionId: 'session_config', timeoutMs: Number.NaN, leaseWarningMs: -1, connectTimeoutMs: Number.NaN });
    session.hangup();
    expect((await ended).ok).to.equal(true);
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

  it('ICE servers the browser refuses fail as a config error before any request, released, prepared or not', async () => {
    for (const iceServers of [[{ urls: 'nope' }], [{ urls: 'turn:127.0.0.1:3478' }]] as RTCIceServer[][]) {
      const session = new CallSession();
      let requests = 0;
      const counted: typeof fetch = (...args) => (requests++, fetch(...args));
      const error = await session.start({ baseUrl: agents.open, sessionId: 'session_config', iceServers, fetch: counted }).then(() => null, (e: unknown) => e);
      expect(requests, 'no request made').to.equal(0);
      expect(error, JSON.stringify(iceServers)).to.be.instanceOf(VoiceCallError);
      expect(error).to.include({ kind: 'config', code: 'bad-ice-servers', message: 'The ICE servers (iceServers) are not valid.' });
      // The browser's own reason stays on the error for the developer.
      expect((error as VoiceCallError).cause).to.be.instanceOf(DOMException);
      expect(session.state).to.equal('error');
      const prepared = new CallSession();
      prepared.prepare({ baseUrl: agents.open, sessionId: 'session_config', iceServers });
      prepared.hangup();
    }
    await resources.released();
  });
});
