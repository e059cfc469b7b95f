// "Sound that starts": this file must run before anything gives the page a user gesture (a gesture is
// sticky for the page), so it has no sendKeys/sendMouse before the no-gesture checks.
import { expect, fixture, html } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agents, part, until } from '../support/helpers.js';

const firefox = navigator.userAgent.includes('Firefox');
const audioOf = (el: VoiceCallElement) => el.shadowRoot!.querySelector('audio')!;

describe('<voice-call> playback without a user gesture', () => {
  it('this page has no user activation, so an unmuted play() is refused (precondition)', async () => {
    const probe = new Audio();
    probe.srcObject = new MediaStream();
    const refusal = await probe.play().then(() => null, (error: Error) => error.name);
    expect(refusal).to.equal('NotAllowedError');
  });

  it(firefox
    ? 'Firefox keeps refusing while capturing: a "tap to hear the agent" button appears, and a real click plays'
    : 'Chromium lifts the block once the microphone is capturing: the agent plays with no extra control', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_autoplay"></voice-call>`);
    await el.start();
    const audio = audioOf(el);
    expect((audio.srcObject as MediaStream).getAudioTracks()).to.have.length(1);
    if (!firefox) {
      await until(() => !audio.paused, 'the agent audio to play');
      await el.updateComplete;
      expect(Boolean(part(el, 'unblock'))).to.be.false;
    } else {
      const unblock = await until(() => part(el, 'unblock'), 'the tap-to-hear control');
      expect(audio.paused).to.be.true;
      expect(unblock.localName).to.equal('button');
      expect(unblock.textContent).to.equal('Tap to hear the agent');
      const box = unblock.getBoundingClientRect();
      await sendMouse({ type: 'click', position: [Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2)] });
      await until(() => !audio.paused, 'the agent audio to play after the click');
      await until(() => !part(el, 'unblock'), 'the control to go away');
    }
    el.hangup();
  });
});
