// The widget inside an iframe: the embedding page decides whether the microphone may be used there
// (`allow="microphone"`). When it does not, no browser setting of the user's helps, and the error says so
// where the browser lets us tell (Chromium's `document.featurePolicy`); elsewhere it is an ordinary denial.
import { expect } from '@open-wc/testing';
import type { VoiceCallElement, VoiceCallError } from '../../src/index.js';
import { agents } from '../support/helpers.js';

/** test/support/frame.html (the element alone) in an iframe with this `allow`, its element pointed at the agent. */
async function framed(allow: string) {
  const frame = document.createElement('iframe');
  frame.allow = allow;
  frame.src = '/test/support/frame.html';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  const win = frame.contentWindow as Window & typeof globalThis;
  await win.customElements.whenDefined('voice-call');
  const el = win.document.querySelector('voice-call') as VoiceCallElement;
  el.baseUrl = agents.open;
  return { frame, el };
}

describe('in an iframe', function () {
  this.timeout(30_000);
  const frames: HTMLIFrameElement[] = [];
  afterEach(() => frames.splice(0).forEach((frame) => frame.remove()));

  it('without allow="microphone": a microphone error that names the iframe (Chromium) and no call', async () => {
    const { frame, el } = await framed("microphone 'none'");
    frames.push(frame);
    const error = (await el.start().then(() => null, (e: unknown) => e)) as VoiceCallError | null;
    expect(error, 'the call must not start').to.exist;
    expect(error!.kind).to.equal('microphone');
    expect(el.state).to.equal('error');
    expect(el.call, 'no request was made').to.equal(null);
    const shown = el.shadowRoot!.querySelector('[part=error]')!.textContent;
    if ('featurePolicy' in frame.contentDocument!) {
      expect(error!.code).to.equal('frame-not-allowed');
      expect(shown).to.equal('This embedded page may not use the microphone: its iframe needs allow="microphone".');
    } else {
      // Firefox exposes no way to tell a frame's policy from the user's refusal.
      expect(error!.code).to.equal('NotAllowedError');
      expect(shown).to.match(/denied/);
    }
  });

  it('with allow="microphone": the same page calls', async () => {
    const { frame, el } = await framed('microphone');
    frames.push(frame);
    await el.start();
    expect(el.state).to.equal('connected');
    el.hangup();
    expect(el.state).to.equal('ended');
  });
});
