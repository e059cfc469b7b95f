// Accessibility in every state, keyboard-only use, theming (custom properties, parts, colour schemes) and
// replaceable words — the element as people with different needs, and designers, meet it.
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../../src/index.js';
import { DEFAULT_STRINGS, type VoiceCallElement, type VoiceCallStrings } from '../../src/index.js';
import { agents, faultUrl, nextEvent, part, until } from '../support/helpers.js';

const firefox = navigator.userAgent.includes('Firefox');

async function element(base = agents.open): Promise<VoiceCallElement> {
  return fixture<VoiceCallElement>(html`<voice-call base-url=${base} session-id="session_a11y"></voice-call>`);
}

const buttonName = (el: VoiceCallElement) => part(el, 'button')!.textContent!.trim();

/** Holds getUserMedia until released (fault injection: a permission prompt the user has not answered yet). */
function holdMicrophone() {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  devices.getUserMedia = async function (this: MediaDevices, constraints?: MediaStreamConstraints) {
    await gate;
    return original.call(this, constraints);
  };
  return () => {
    devices.getUserMedia = original;
    release();
  };
}

describe('<voice-call> accessibility, theming and words', () => {
  it('passes an axe audit in every state, with a call button named for what it will do', async () => {
    const el = await element();
    await expect(el).to.be.accessible();
    expect(buttonName(el)).to.equal('Start call');
    expect(part(el, 'button')!.localName).to.equal('button');

    const release = holdMicrophone();
    const started = el.start();
    await el.updateComplete;
    expect(el.state).to.equal('requesting-microphone');
    expect(buttonName(el)).to.equal('Cancel call');
    await expect(el).to.be.accessible();
    release();

    await started;
    await el.updateComplete;
    expect(buttonName(el)).to.equal('Hang up');
    await expect(el).to.be.accessible();

    el.muted = true;
    await el.updateComplete;
    await expect(el).to.be.accessible();

    (part(el, 'details') as HTMLDetailsElement).open = true;
    await nextEvent(el, 'voice-call-stats', 3000);
    await el.updateComplete;
    await expect(el).to.be.accessible();

    el.hangup();
    await el.updateComplete;
    expect(el.state).to.equal('ended');
    expect(buttonName(el)).to.equal('Call again');
    await expect(el).to.be.accessible();
  });

  it('passes while connecting, with a lease warning, and in the error state', async () => {
    const connecting = await element(faultUrl('hang'));
    connecting.start().catch(() => undefined);
    await until(() => connecting.state === 'connecting', 'connecting');
    await connecting.updateComplete;
    expect(buttonName(connecting)).to.equal('Cancel call');
    await expect(connecting).to.be.accessible();
    connecting.hangup();

    const warned = await element(faultUrl('lease-60'));
    warned.leaseWarningSeconds = 120;
    await warned.start();
    await until(() => warned.hasAttribute('lease-ending'), 'the lease warning');
    await warned.updateComplete;
    await expect(warned).to.be.accessible();
    warned.hangup();

    const failed = await element(faultUrl('status-500'));
    await failed.start().catch(() => undefined);
    await failed.updateComplete;
    expect(failed.state).to.equal('error');
    expect(part(failed, 'error')!.getAttribute('role')).to.equal('alert');
    await expect(failed).to.be.accessible();
  });

  it('names the call button from the start-label / hangup-label slots when given', async () => {
    const el = await fixture<VoiceCallElement>(
      html`<voice-call base-url=${agents.open} session-id="session_a11y"><b slot="start-label">Talk to us</b><b slot="hangup-label">Stop</b></voice-call>`,
    );
    const slotted = () => (part(el, 'button')!.querySelector('slot') as HTMLSlotElement).assignedElements().map((node) => node.textContent);
    expect(slotted()).to.deep.equal(['Talk to us']);
    await expect(el).to.be.accessible();
    await el.start();
    await el.updateComplete;
    expect(slotted()).to.deep.equal(['Stop']);
    el.hangup();
  });

  it('announces state changes in one polite live region', async () => {
    const el = await element();
    const status = part(el, 'status')!;
    expect(status.getAttribute('role')).to.equal('status');
    await el.start();
    await el.updateComplete;
    expect(part(el, 'status')).to.equal(status);
    expect(status.textContent).to.equal('Connected');
    el.hangup();
    await el.updateComplete;
    expect(status.textContent).to.equal('Call ended');
  });

  it('is fully usable from the keyboard, with a visible focus ring', async () => {
    const el = await element();
    await sendKeys({ press: 'Tab' });
    const button = part(el, 'button')!;
    expect(el.shadowRoot!.activeElement).to.equal(button);
    expect(getComputedStyle(button).outlineStyle).to.equal('solid');
    expect(getComputedStyle(button).outlineWidth).to.equal('3px');

    await sendKeys({ press: 'Enter' });
    await until(() => el.state === 'connected', 'the call to connect from the keyboard');
    await el.updateComplete;
    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'mute'));
    expect(getComputedStyle(part(el, 'mute')!).outlineStyle).to.equal('solid');
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.muted).to.be.true;

    // Every control is reachable with Tab: in the default card, once the details are opened from the keyboard.
    const reached = new Set<string>();
    const details = part(el, 'details') as HTMLDetailsElement;
    for (let i = 0; i < 10; i++) {
      await sendKeys({ press: 'Tab' });
      const active = el.shadowRoot!.activeElement as HTMLElement | null;
      if (active) reached.add(active.getAttribute('part')!);
      if (active === part(el, 'summary') && !details.open) await sendKeys({ press: 'Enter' });
    }
    for (const name of ['microphone', 'volume', 'mute-agent', 'summary']) expect([...reached], name).to.include(name);

    button.focus();
    await sendKeys({ press: 'Enter' });
    expect(el.state).to.equal('ended');
  });

  it('takes its look from --voice-call-* custom properties and ::part, and has a part on every internal node', async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div>
      <style>
        voice-call::part(status) { text-transform: uppercase; }
      </style>
      <voice-call
        base-url=${agents.open}
        session-id="session_a11y"
        style="--voice-call-accent: rgb(1, 2, 3); --voice-call-background: rgb(250, 250, 240); --voice-call-color: rgb(7, 8, 9);
          --voice-call-radius: 3px; --voice-call-font: 20px serif; --voice-call-size: 50px; --voice-call-border-color: rgb(4, 5, 6)"
      ></voice-call>
    </div>`);
    const el = wrapper.querySelector('voice-call')!;
    const base = getComputedStyle(part(el, 'base')!);
    const button = getComputedStyle(part(el, 'button')!);
    expect(button.backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(button.color).to.equal('rgb(250, 250, 240)');
    expect(button.minHeight).to.equal('50px');
    expect(base.backgroundColor).to.equal('rgb(250, 250, 240)');
    expect(base.color).to.equal('rgb(7, 8, 9)');
    expect(base.borderTopLeftRadius).to.equal('3px');
    expect(base.borderTopColor).to.equal('rgb(4, 5, 6)');
    expect(base.fontSize).to.equal('20px');
    expect(base.fontFamily).to.equal('serif');
    expect(getComputedStyle(part(el, 'status')!).textTransform).to.equal('uppercase');

    await el.start();
    await nextEvent(el, 'voice-call-stats', 3000);
    await el.updateComplete;
    const unnamed = [...el.shadowRoot!.querySelectorAll('*')]
      .filter((node) => !['slot', 'option'].includes(node.localName) && !node.hasAttribute('part'))
      .map((node) => node.localName);
    expect(unnamed).to.deep.equal([]);
    el.hangup();
  });

  it('follows prefers-color-scheme (Chromium: Firefox cannot emulate it without CDP), and stays AA in dark', async function () {
    if (firefox) this.skip();
    const el = await element();
    expect(getComputedStyle(part(el, 'base')!).backgroundColor).to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'dark' });
    try {
      expect(getComputedStyle(part(el, 'base')!).backgroundColor).to.equal('rgb(31, 31, 31)');
      await el.start();
      el.muted = true;
      await el.updateComplete;
      await expect(el).to.be.accessible();
      el.hangup();
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
  });

  it('replaces every visible string through `strings`, error messages included', async () => {
    const markers = JSON.parse(JSON.stringify(DEFAULT_STRINGS), (key, value) => (typeof value === 'string' ? `«${key.toLowerCase()}»` : value)) as VoiceCallStrings;
    const el = await element();
    el.strings = { ...markers, errors: { 500: '«server-down»' } };
    await el.updateComplete;
    // Lower-case markers: a marker never contains one of the English strings it stands for.
    expect(buttonName(el)).to.equal('«start»');
    expect(part(el, 'status')!.textContent).to.equal('«idle»');

    await el.start();
    el.muted = true;
    await nextEvent(el, 'voice-call-stats', 3000);
    await el.updateComplete;
    const text = el.shadowRoot!.textContent!;
    const call = el.call!;
    const english = [DEFAULT_STRINGS, DEFAULT_STRINGS.states, DEFAULT_STRINGS.ended]
      .flatMap((table) => Object.values(table))
      .filter((value): value is string => typeof value === 'string');
    const leaked = english.filter((value) => text.includes(value));
    expect(leaked, 'English left in the widget').to.deep.equal([]);
    for (const key of ['hangup', 'mute', 'timeLeft', 'microphone', 'muteAgent', 'rtt', 'loss', 'jitter', 'details', 'model', 'voice', 'provider', 'voiceConnectionId']) {
      expect(text, key).to.contain(`«${key.toLowerCase()}»`);
    }
    expect(part(el, 'status')!.textContent).to.equal('«connected» · «muted»');
    expect(part(el, 'volume')!.getAttribute('aria-label')).to.equal('«volume»');
    expect(text).to.contain(call.model);
    el.hangup();

    el.baseUrl = faultUrl('status-500');
    await el.start().catch(() => undefined);
    await el.updateComplete;
    expect(part(el, 'error')!.textContent).to.equal('«server-down»');
    expect(buttonName(el)).to.equal('«retry»');
  });
});
