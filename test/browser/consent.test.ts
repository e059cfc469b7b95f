// Consent before a call (issue 14 point 4): the `consent` text or slot shows with Accept and Decline before
// anything of the call happens — no microphone, no request — for the button and for start() alike; Accept
// calls the reference agent for real, Decline leaves the widget idle and start() rejects; `consent-key`
// remembers an acceptance in localStorage.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/index.js';
import { VoiceCallError, type VoiceCallElement } from '../../src/index.js';
import { agentCallsFor, agents, part, uniqueSession, until, watchMicrophones } from '../support/helpers.js';

const KEY = 'test-voice-consent';
const TEXT = 'This call is recorded. By accepting you agree to our terms.';

/** Every request the page sends to the agent (an observer: the requests still go out). */
function watchRequests() {
  const original = window.fetch;
  const urls: string[] = [];
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(agents.open)) urls.push(url);
    return original.call(window, input, init);
  };
  return { urls, restore: () => (window.fetch = original) };
}

const visibleText = (node: HTMLElement | null) => (node && node.getClientRects().length ? node.innerText.trim() : '');

describe('<voice-call> consent', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  let requests: ReturnType<typeof watchRequests>;
  beforeEach(() => {
    mics = watchMicrophones();
    requests = watchRequests();
    localStorage.removeItem(KEY);
  });
  afterEach(() => {
    mics.restore();
    requests.restore();
    localStorage.removeItem(KEY);
  });

  it('asks before the button calls: no microphone and no request until Accept, then a real call; focus goes to Accept', async () => {
    const session = uniqueSession('consent_accept');
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${session} consent=${TEXT}></voice-call>`);
    expect(part(el, 'consent')).to.equal(null);
    part(el, 'button')!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;

    expect(visibleText(part(el, 'consent-text'))).to.equal(TEXT);
    expect(part(el, 'button'), 'Accept takes the call button\'s place').to.equal(null);
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'accept'));
    expect(part(el, 'accept')!.textContent).to.equal('Accept');
    expect(part(el, 'decline')!.textContent).to.equal('Decline');
    await expect(el).to.be.accessible();
    expect(el.state).to.equal('idle');
    expect(mics.streams, 'no microphone before Accept').to.have.length(0);
    expect(requests.urls, 'no request before Accept').to.deep.equal([]);
    expect(await agentCallsFor(session)).to.deep.equal([]);

    await sendKeys({ press: 'Enter' });
    await until(() => el.state === 'connected', 'connected after Accept', 15_000);
    await el.updateComplete;
    expect(part(el, 'consent')).to.equal(null);
    expect(part(el, 'status')!.textContent).to.equal('Connected');
    expect((await agentCallsFor(session)).length).to.equal(1);
    expect(localStorage.getItem(KEY), 'nothing stored without consent-key').to.equal(null);

    // Accepted once, the element does not ask again for its next call.
    el.hangup();
    await el.start();
    expect(el.state).to.equal('connected');
    el.hangup();
    expect(mics.allEnded()).to.equal(true);
  });

  it('Decline leaves the widget idle, start() rejects with a consent error, and nothing was asked of the browser', async () => {
    const session = uniqueSession('consent_decline');
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id=${session} consent=${TEXT}></voice-call>`);
    const started = el.start();
    const again = el.start();
    await el.updateComplete;
    expect(part(el, 'consent')).to.not.equal(null);
    // A script's start() moves no focus.
    expect(el.shadowRoot!.activeElement).to.equal(null);

    part(el, 'decline')!.click();
    const error = await started.then(() => null, (reason: unknown) => reason);
    expect(error).to.be.instanceOf(VoiceCallError);
    expect((error as VoiceCallError).kind).to.equal('consent');
    expect(await again.then(() => null, (reason: unknown) => reason), 'a second start() got the same answer').to.equal(error);
    await el.updateComplete;
    expect(el.state).to.equal('idle');
    expect(el.error).to.equal(null);
    expect(part(el, 'consent')).to.equal(null);
    expect(part(el, 'button')!.textContent).to.equal('Start call');
    expect(part(el, 'error')).to.equal(null);
    expect(mics.streams).to.have.length(0);
    expect(requests.urls).to.deep.equal([]);
    expect(await agentCallsFor(session)).to.deep.equal([]);

    // Declined is not refused for good: the next click asks again.
    part(el, 'button')!.click();
    await el.updateComplete;
    expect(part(el, 'consent')).to.not.equal(null);
  });

  it('Escape declines and gives focus back to the call button', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_consent_escape" consent=${TEXT}></voice-call>`);
    part(el, 'button')!.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'accept'));
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(part(el, 'consent')).to.equal(null);
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'button'));
    expect(mics.streams).to.have.length(0);
  });

  it('consent-key remembers Accept in localStorage: the next element calls at once', async () => {
    const first = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_consent_key" consent=${TEXT} consent-key=${KEY}></voice-call>`);
    const started = first.start();
    await first.updateComplete;
    part(first, 'accept')!.click();
    await started;
    first.hangup();
    const stored = localStorage.getItem(KEY);
    expect(stored, 'the time of acceptance').to.be.a('string');
    expect(Date.now() - Date.parse(stored!)).to.be.within(0, 60_000);

    const second = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_consent_key" consent=${TEXT} consent-key=${KEY}></voice-call>`);
    await second.start();
    expect(second.state).to.equal('connected');
    expect(part(second, 'consent')).to.equal(null);
    second.hangup();
    expect(mics.allEnded()).to.equal(true);
  });

  it('the consent slot shows rich text with a working link instead of the attribute; the text is never markup', async () => {
    const el = await fixture<VoiceCallElement>(
      html`<voice-call base-url=${agents.open} session-id="session_consent_slot" consent="<b>not this</b>"><span slot="consent">Read our <a href="#terms">terms</a> first.</span></voice-call>`,
    );
    const link = el.querySelector('a')!;
    expect(link.getClientRects().length, 'slotted content is not shown before a call').to.equal(0);
    el.start().catch(() => undefined);
    await el.updateComplete;
    const slot = part(el, 'consent-text')!.querySelector('slot')!;
    expect(slot.assignedNodes().map((node) => node.textContent).join('')).to.equal('Read our terms first.');
    expect(link.getClientRects().length, 'the link is on screen').to.be.above(0);
    await expect(el).to.be.accessible();
    part(el, 'decline')!.click();

    // Without a slot the attribute shows, as text.
    el.querySelector('span')!.remove();
    el.start().catch(() => undefined);
    await el.updateComplete;
    expect(visibleText(part(el, 'consent-text'))).to.equal('<b>not this</b>');
    expect(el.shadowRoot!.querySelector('b')).to.equal(null);
    part(el, 'decline')!.click();
  });

  it('hang-up or removal while it asks closes it and resolves start(); prewarm prepares nothing before Accept', async () => {
    const Original = window.RTCPeerConnection;
    let connections = 0;
    window.RTCPeerConnection = class extends Original {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        connections++;
      }
    };
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_consent_cancel" consent=${TEXT} prewarm></voice-call>`);
    try {
      part(el, 'button')!.dispatchEvent(new PointerEvent('pointerenter'));
      part(el, 'button')!.dispatchEvent(new FocusEvent('focus'));
      expect(connections, 'prewarm made no peer connection before Accept').to.equal(0);
    } finally {
      window.RTCPeerConnection = Original;
    }
    const started = el.start();
    await el.updateComplete;
    el.hangup();
    await started;
    await el.updateComplete;
    expect(part(el, 'consent')).to.equal(null);
    expect(el.state).to.equal('idle');

    const removed = el.start();
    await el.updateComplete;
    el.remove();
    await removed;
    expect(mics.streams).to.have.length(0);
    expect(requests.urls).to.deep.equal([]);
    expect(el.peerConnection).to.equal(null);
  });
});
