// The default look a site ships (issue 14 point 1 and the default layout): while connected, the model, the
// voice and the time left are visible without opening anything, in every layout; the default card keeps the
// devices, volume, levels, stats and ids one click away in the details, and `layout="full"` keeps the QA
// panel in view. Real calls to the reference agent, both engines.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agents, part, until } from '../support/helpers.js';

// checkVisibility: a closed <details> keeps its content laid out but hidden (content-visibility), so boxes alone do not tell.
const shown = (node: Element | null) => !!node && node.checkVisibility() && node.getBoundingClientRect().width > 1;

async function connected(layout?: string): Promise<VoiceCallElement> {
  const el = layout
    ? await fixture<VoiceCallElement>(html`<voice-call layout=${layout} base-url=${agents.open} session-id="session_card"></voice-call>`)
    : await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_card"></voice-call>`);
  await el.start();
  await el.updateComplete;
  return el;
}

describe('<voice-call> at a glance and the default card', () => {
  it('the default card: model, voice and time left at a glance; devices, volume, stats and ids one click away', async () => {
    const el = await connected();
    expect(el.layout).to.equal('card');
    const glance = part(el, 'glance')!;
    expect(shown(glance)).to.equal(true);
    const { model, voice, voice_connection_id } = el.call!;
    expect(part(el, 'model')!.textContent).to.equal(`Model: ${model}`);
    expect(part(el, 'voice')!.textContent).to.equal(`Voice: ${voice}`);
    // The labels are for screen readers: what shows is the value alone.
    for (const label of glance.querySelectorAll('[part=chip-label]')) expect(label.getBoundingClientRect().width).to.be.at.most(1);
    expect(part(el, 'lease')!.textContent).to.match(/^Time left: \d+:\d\d$/);
    expect(shown(part(el, 'time'))).to.equal(true);

    for (const name of ['volume', 'mute-agent', 'microphone', 'stats', 'list']) expect(shown(part(el, name)), `${name} waits in the details`).to.equal(false);
    await expect(el).to.be.accessible();

    (part(el, 'details') as HTMLDetailsElement).open = true;
    await until(() => part(el, 'microphone'), 'the microphone picker');
    for (const name of ['volume', 'mute-agent', 'microphone', 'list']) expect(shown(part(el, name)), `${name} in the open details`).to.equal(true);
    expect(part(el, 'list')!.textContent).to.contain(voice_connection_id);
    await expect(el).to.be.accessible();
    el.hangup();
  });

  it('layout="full" keeps the QA panel in view, and shows the glance too', async () => {
    const el = await connected('full');
    // The pickers come once the browser names the devices.
    await until(() => part(el, 'microphone'), 'the microphone picker');
    for (const name of ['glance', 'volume', 'mute-agent', 'microphone']) expect(shown(part(el, name)), name).to.equal(true);
    expect(shown(part(el, 'list')), 'ids stay in the details').to.equal(false);
    await expect(el).to.be.accessible();
    el.hangup();
  });

  it('layout="compact" shows the glance in its row, and no details', async () => {
    const el = await connected('compact');
    expect(shown(part(el, 'glance'))).to.equal(true);
    expect(part(el, 'details')).to.equal(null);
    await expect(el).to.be.accessible();
    el.hangup();
  });

  it('the glance shows only while connected', async () => {
    const el = await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_card"></voice-call>`);
    expect(part(el, 'glance')).to.equal(null);
    await el.start();
    el.hangup();
    await el.updateComplete;
    expect(part(el, 'glance')).to.equal(null);
  });
});
