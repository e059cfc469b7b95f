// layout="launcher" (issue 14 point 2): a round button fixed in a corner of the viewport opens a small call
// card; Escape or close gives focus back to the button; closing the card does not end a call, which shows on
// the button; the four placements; 360 px wide. Real calls to the reference agent, both engines. (Safe-area
// insets need an emulation only Chromium has: test/e2e/site.test.ts.)
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agents, part, until, watchMicrophones } from '../support/helpers.js';

const launcherOf = (el: VoiceCallElement) => part(el, 'launcher') as HTMLButtonElement;
const card = (el: VoiceCallElement) => part(el, 'base')!;
const shown = (node: Element) => node.getClientRects().length > 0;
const focused = (el: VoiceCallElement) => el.shadowRoot!.activeElement?.getAttribute('part');
/** The accessible name of the round button (its icon is aria-hidden). */
const nameOf = (button: HTMLElement) => button.getAttribute('aria-label');

async function launcher(placement?: string): Promise<VoiceCallElement> {
  return fixture<VoiceCallElement>(
    html`<voice-call layout="launcher" placement=${placement ?? 'bottom-right'} base-url=${agents.open} session-id="session_launcher"></voice-call>`,
  );
}

describe('<voice-call layout="launcher">', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  beforeEach(() => (mics = watchMicrophones()));
  afterEach(async () => {
    mics.restore();
    await setViewport({ width: 800, height: 600 });
  });

  it('a round button opens the card and moves focus into it; Escape and the close button give focus back', async () => {
    const el = await launcher();
    const button = launcherOf(el);
    expect(shown(button)).to.equal(true);
    expect(shown(card(el)), 'the card starts closed').to.equal(false);
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(nameOf(button)).to.equal('Voice call');
    const { width, height } = button.getBoundingClientRect();
    expect(width).to.equal(height);
    expect(getComputedStyle(button).borderRadius).to.equal('50%');
    await expect(el).to.be.accessible();

    button.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(shown(card(el))).to.equal(true);
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    expect(card(el).getAttribute('role')).to.equal('dialog');
    expect(focused(el), 'focus goes to the call button').to.equal('button');
    await expect(el).to.be.accessible();

    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(shown(card(el))).to.equal(false);
    expect(focused(el)).to.equal('launcher');

    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    (part(el, 'close') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(shown(card(el))).to.equal(false);
    expect(focused(el)).to.equal('launcher');
    expect(mics.streams, 'opening and closing asks nothing of the browser').to.have.length(0);
  });

  it('closing the card does not end the call: it goes on and shows on the button until it ends', async () => {
    const el = await launcher();
    launcherOf(el).click();
    await el.updateComplete;
    (part(el, 'button') as HTMLButtonElement).click();
    await until(() => el.state === 'connected', 'connected', 15_000);
    await el.updateComplete;
    await expect(el).to.be.accessible();

    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(shown(card(el))).to.equal(false);
    expect(el.state).to.equal('connected');
    expect(el.peerConnection!.connectionState).to.equal('connected');
    expect(mics.tracks().every((track) => track.readyState === 'live')).to.equal(true);
    const button = launcherOf(el);
    expect(nameOf(button)).to.equal('Voice call · Connected');
    const badge = getComputedStyle(button, '::after');
    expect(badge.content, 'a badge while the call is live').to.not.equal('none');
    el.style.setProperty('--voice-call-danger', 'rgb(4, 5, 6)');
    expect(getComputedStyle(button, '::after').backgroundColor, 'the badge is the danger colour').to.equal('rgb(4, 5, 6)');
    await expect(el).to.be.accessible();

    button.click();
    await el.updateComplete;
    (part(el, 'button') as HTMLButtonElement).click();
    await until(() => el.state === 'ended', 'ended');
    await el.updateComplete;
    expect(nameOf(button)).to.equal('Voice call');
    expect(getComputedStyle(button, '::after').content).to.equal('none');
    expect(mics.allEnded()).to.equal(true);
  });

  it('with a consent, the card asks first: focus on Accept; Escape declines and keeps the card open', async () => {
    const el = await fixture<VoiceCallElement>(
      html`<voice-call layout="launcher" consent="Calls are recorded." base-url=${agents.open} session-id="session_launcher"></voice-call>`,
    );
    launcherOf(el).focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(focused(el)).to.equal('accept');
    await expect(el).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(shown(card(el)), 'the first Escape answers the consent only').to.equal(true);
    expect(focused(el)).to.equal('button');
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(shown(card(el))).to.equal(false);
    expect(focused(el)).to.equal('launcher');
    expect(mics.streams).to.have.length(0);
  });

  it('sits in the corner its placement names, 1em from both edges, the card beside it', async () => {
    const margin = (el: VoiceCallElement) => parseFloat(getComputedStyle(el).fontSize);
    const corners = {
      'bottom-right': (box: DOMRect) => [innerWidth - box.right, innerHeight - box.bottom],
      'bottom-left': (box: DOMRect) => [box.left, innerHeight - box.bottom],
      'top-right': (box: DOMRect) => [innerWidth - box.right, box.top],
      'top-left': (box: DOMRect) => [box.left, box.top],
      // Anything else is the default corner.
      middle: (box: DOMRect) => [innerWidth - box.right, innerHeight - box.bottom],
    };
    for (const [placement, gaps] of Object.entries(corners)) {
      const el = await launcher(placement);
      launcherOf(el).click();
      await el.updateComplete;
      const [x, y] = gaps(launcherOf(el).getBoundingClientRect());
      expect([Math.round(x!), Math.round(y!)], placement).to.deep.equal([margin(el), margin(el)]);
      // The card is on the same side, between the button and the middle of the screen.
      const [cardX, cardY] = gaps(card(el).getBoundingClientRect());
      expect(Math.round(cardX!), `${placement}: card aligned with the button`).to.equal(margin(el));
      expect(cardY, `${placement}: card clear of the button`).to.be.above(launcherOf(el).getBoundingClientRect().height + margin(el));
      el.remove();
    }
  });

  it('works 360 px wide: the open card fits the screen and nothing scrolls sideways', async () => {
    await setViewport({ width: 360, height: 640 });
    const el = await launcher();
    launcherOf(el).click();
    await el.updateComplete;
    (part(el, 'button') as HTMLButtonElement).click();
    await until(() => el.state === 'connected', 'connected', 15_000);
    await el.updateComplete;
    for (const node of [card(el), launcherOf(el), part(el, 'glance')!]) {
      const box = node.getBoundingClientRect();
      expect(box.left, node.getAttribute('part')!).to.be.at.least(0);
      expect(box.right, node.getAttribute('part')!).to.be.at.most(360);
      expect(box.bottom, node.getAttribute('part')!).to.be.at.most(640);
    }
    expect(document.documentElement.scrollWidth).to.be.at.most(360);
    await expect(el).to.be.accessible();
    el.hangup();
    expect(mics.allEnded()).to.equal(true);
  });
});
