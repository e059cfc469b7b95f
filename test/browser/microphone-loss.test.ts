// A microphone that goes away mid-call (unplugged, permission revoked). Browsers end the track; nothing on
// this machine can unplug the fake device, so the test fires the track's `ended` event itself (fault
// injection) and everything after it is real: a new getUserMedia, replaceTrack, the agent's RTP count.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agents, audioBothWays, audioSoFar, recordEvents, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';
import { tapTrackEvents } from '../support/track-events.js';

async function connectedCall(): Promise<VoiceCallElement> {
  const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${uniqueSession('mic-loss')}></voice-call>`);
  await el.start();
  return el;
}

// Firefox does not deliver a script-dispatched `ended` to a MediaStreamTrack's listeners (checked: 0 calls):
// there the tap hands the widget's own listener the event (test/support/track-events.ts).
const senderTrack = (el: VoiceCallElement) => el.peerConnection!.getSenders()[0]!.track;

describe('a microphone lost mid-call', () => {
  let resources: ReturnType<typeof watchResources>;
  let tap: ReturnType<typeof tapTrackEvents>;
  beforeEach(() => {
    resources = watchResources();
    tap = tapTrackEvents();
  });
  afterEach(() => {
    tap.restore();
    resources.restore();
  });
  const liveMicrophone = () => resources.mics.tracks().filter((track) => track.readyState === 'live').at(-1)!;

  it('moves the call to the default microphone: same call, old track stopped, the agent still hears us', async () => {
    const el = await connectedCall();
    const id = el.call!.voice_connection_id;
    // The track getUserMedia handed out is the one the browser ends (Firefox's sender may hold another object).
    const lost = liveMicrophone();
    const sent = senderTrack(el);
    tap.fire(lost, 'ended');
    const replacement = await until(() => (senderTrack(el) !== sent ? senderTrack(el) : null), 'a new microphone track');
    expect(replacement.readyState).to.equal('live');
    expect(lost.readyState).to.equal('ended');
    expect(el.state).to.equal('connected');
    expect(el.call!.voice_connection_id).to.equal(id);
    const pc = el.peerConnection!;
    await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));
    el.hangup();
    await resources.released();
  });

  it('ends the call as a microphone error when no microphone is left, releasing everything', async () => {
    const el = await connectedCall();
    const log = recordEvents(el, ['voice-call-error', 'voice-call-ended']);
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia;
    devices.getUserMedia = () => Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));
    try {
      tap.fire(liveMicrophone(), 'ended');
      await until(() => el.state === 'error', 'the call to end');
    } finally {
      devices.getUserMedia = original;
    }
    expect(el.error).to.include({ kind: 'microphone', code: 'NotFoundError' });
    expect(log.of('voice-call-error')).to.have.length(1);
    expect(log.of('voice-call-ended')[0]!.detail.reason).to.equal('error');
    expect(el.peerConnection!.signalingState).to.equal('closed');
    await resources.released();
  });
});
