// Controls a person uses during a call: mute (pointer and keyboard), agent volume and mute, the microphone
// and speaker pickers with a live switch, and remembering the choice — against the reference agent.
import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/index.js';
import type { VoiceCallElement } from '../../src/index.js';
import { agentCall, agents, audioBothWays, audioSoFar, inboundAudio, nextEvent, part, recordEvents, until, watchMicrophones } from '../support/helpers.js';

const STORAGE_KEY = 'voice-call-devices';
const firefox = navigator.userAgent.includes('Firefox');

/** A connected call in the QA layout, where the panel's controls are in view (the default card keeps them in the details). */
async function connected(): Promise<VoiceCallElement> {
  const el = await fixture<VoiceCallElement>(html`<voice-call layout="full" base-url=${agents.open} session-id="session_ux"></voice-call>`);
  await el.start();
  await el.updateComplete;
  return el;
}

const sentTrack = (el: VoiceCallElement) => el.peerConnection!.getSenders()[0]!.track!;
const audioOf = (el: VoiceCallElement) => el.shadowRoot!.querySelector('audio')!;

function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

describe('<voice-call> call controls', () => {
  let mics: ReturnType<typeof watchMicrophones>;
  beforeEach(() => {
    mics = watchMicrophones();
    localStorage.removeItem(STORAGE_KEY);
  });
  afterEach(() => {
    mics.restore();
    localStorage.removeItem(STORAGE_KEY);
  });

  it('the call button is the accent colour when it starts a call and the danger colour while one is active', async () => {
    const el = await fixture<VoiceCallElement>(
      html`<voice-call style="--voice-call-accent: rgb(1, 2, 3); --voice-call-danger: rgb(4, 5, 6)"></voice-call>`,
    );
    const background = () => getComputedStyle(part(el, 'button')!).backgroundColor;
    // The stylesheet reads only the reflected attribute: every state the controller can write, in turn.
    const seen = Object.fromEntries(
      ['idle', 'requesting-microphone', 'connecting', 'connected', 'ended', 'error'].map((state) => {
        el.setAttribute('state', state);
        return [state, background()];
      }),
    );
    expect(seen).to.deep.equal({
      idle: 'rgb(1, 2, 3)',
      'requesting-microphone': 'rgb(4, 5, 6)',
      connecting: 'rgb(4, 5, 6)',
      connected: 'rgb(4, 5, 6)',
      ended: 'rgb(1, 2, 3)',
      error: 'rgb(1, 2, 3)',
    });
  });

  it('mute is a pressed toggle: it disables the track, shows and announces it, and M toggles it from the keyboard', async () => {
    const idle = await fixture<VoiceCallElement>(html`<voice-call></voice-call>`);
    expect(Boolean(part(idle, 'mute')), 'no mute button before a call').to.be.false;

    const el = await connected();
    const log = recordEvents(el, ['voice-call-mute-change']);
    const mute = part(el, 'mute') as HTMLButtonElement;
    expect(mute.localName).to.equal('button');
    expect(mute.getAttribute('aria-pressed')).to.equal('false');
    expect(mute.textContent).to.equal('Mute');
    const unpressed = getComputedStyle(mute).backgroundColor;

    mute.click();
    await el.updateComplete;
    expect(el.muted).to.be.true;
    expect(el.hasAttribute('muted')).to.be.true;
    expect(mute.getAttribute('aria-pressed')).to.equal('true');
    expect(sentTrack(el).enabled).to.be.false;
    expect(part(el, 'status')!.textContent).to.equal('Connected · Microphone muted');
    expect(getComputedStyle(mute).backgroundColor, 'pressed looks different').to.not.equal(unpressed);

    mute.focus();
    await sendKeys({ press: 'm' });
    await el.updateComplete;
    expect(el.muted).to.be.false;
    expect(sentTrack(el).enabled).to.be.true;
    expect(part(el, 'status')!.textContent).to.equal('Connected');

    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(el.muted).to.be.true;
    await sendKeys({ down: 'Control' });
    await sendKeys({ press: 'm' });
    await sendKeys({ up: 'Control' });
    await el.updateComplete;
    expect(el.muted, 'a modified key is not the shortcut').to.be.true;
    expect(log.events.map((event) => event.detail.muted)).to.deep.equal([true, false, true]);

    // Muting carries over to the next call: it starts with the track disabled.
    el.hangup();
    await el.start();
    expect(sentTrack(el).enabled).to.be.false;
    el.hangup();
  });

  it('agent volume and mute drive the audio element, from the property and from the slider, and the call goes on', async () => {
    const el = await connected();
    const audio = audioOf(el);
    expect(audio.volume).to.equal(1);
    el.volume = 0.3;
    await el.updateComplete;
    expect(audio.volume).to.be.closeTo(0.3, 1e-6);

    const slider = part(el, 'volume') as HTMLInputElement;
    expect(slider.type).to.equal('range');
    expect(slider.getAttribute('aria-label')).to.equal('Agent volume');
    slider.focus();
    await sendKeys({ press: 'ArrowRight' });
    await el.updateComplete;
    expect(el.volume).to.be.closeTo(0.35, 1e-6);
    expect(audio.volume).to.be.closeTo(0.35, 1e-6);

    const muteAgent = part(el, 'mute-agent') as HTMLButtonElement;
    muteAgent.click();
    await el.updateComplete;
    expect(el.agentMuted).to.be.true;
    expect(el.hasAttribute('agent-muted')).to.be.true;
    expect(muteAgent.getAttribute('aria-pressed')).to.equal('true');
    expect(audio.muted).to.be.true;
    expect(sentTrack(el).enabled, 'muting the agent leaves the microphone alone').to.be.true;

    // Silencing the agent does not stop the call, nor the agent hearing us, nor its audio arriving (what
    // captions would be made from). Chromium decodes only what plays, so sound itself is checked once unmuted.
    const { voice_connection_id: id } = el.call!;
    const pc = el.peerConnection!;
    const before = await audioSoFar(pc, id);
    await until(async () => (await inboundAudio(pc)).packetsReceived > before.inbound.packetsReceived + 10, 'the agent to keep sending');
    await until(async () => (await agentCall(id)).heard.audiblePackets > before.heard.audiblePackets + 10, 'the agent to keep hearing us');
    expect(el.state).to.equal('connected');
    el.agentMuted = false;
    await el.updateComplete;
    expect(audio.muted).to.be.false;
    await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));

    el.volume = 7;
    await el.updateComplete;
    expect(audio.volume, 'out-of-range volumes are clamped').to.equal(1);
    el.hangup();
  });

  it('lists the microphones once allowed and switches live with replaceTrack: same call, old track stopped', async () => {
    const el = await connected();
    const picker = (await until(() => part(el, 'microphone'), 'the microphone picker')) as HTMLSelectElement;
    const options = [...picker.options];
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === 'audioinput');
    expect(options.map((option) => option.textContent)).to.deep.equal(devices.map((device) => device.label));
    expect(options.every((option) => option.textContent)).to.be.true;
    expect(picker.closest('label')!.textContent).to.contain('Microphone');

    const { voice_connection_id: id } = el.call!;
    const sender = el.peerConnection!.getSenders()[0]!;
    const oldTrack = sender.track!;
    // Chromium's fake devices give three microphones; Firefox's one (switching to it still swaps the track).
    const target = options.at(-1)!.value;
    const change = nextEvent<{ kind: string; deviceId: string }>(el, 'voice-call-device-change');
    choose(picker, target);
    expect((await change).detail).to.deep.equal({ kind: 'audioinput', deviceId: target });

    expect(el.microphoneId).to.equal(target);
    expect(sender.track).to.not.equal(oldTrack);
    expect(oldTrack.readyState).to.equal('ended');
    expect(sender.track!.readyState).to.equal('live');
    expect(sender.track!.getSettings().deviceId).to.equal(target);
    expect(el.call!.voice_connection_id).to.equal(id);
    expect(el.state).to.equal('connected');
    expect(mics.streams).to.have.length(2);
    // The agent hears the new microphone (decoded sound, not packets), and we still hear the agent.
    const pc = el.peerConnection!;
    await audioBothWays(pc, id, agents.open, await audioSoFar(pc, id));

    el.hangup();
    expect(mics.allEnded(), 'every microphone track is stopped at hang-up').to.be.true;
  });

  it('re-lists devices on devicechange (a microphone unplugged)', async () => {
    const el = await connected();
    const picker = (await until(() => part(el, 'microphone'), 'the microphone picker')) as HTMLSelectElement;
    const count = picker.options.length;
    const devices = navigator.mediaDevices;
    const original = devices.enumerateDevices;
    // Fault injection: the OS reports one microphone fewer, as after unplugging it.
    devices.enumerateDevices = async function (this: MediaDevices) {
      const list = await original.call(this);
      const last = list.filter((device) => device.kind === 'audioinput').at(-1);
      return list.filter((device) => device !== last);
    };
    try {
      devices.dispatchEvent(new Event('devicechange'));
      await until(() => (part(el, 'microphone') as HTMLSelectElement | null)?.options.length !== count, 'the picker to update');
      expect((part(el, 'microphone') as HTMLSelectElement | null)?.options.length ?? 0).to.equal(count - 1);
    } finally {
      devices.enumerateDevices = original;
    }
    el.hangup();
  });

  it(firefox
    ? 'offers no speaker picker: Firefox lists no outputs without selectAudioOutput()'
    : 'picks the speaker with setSinkId', async () => {
    const el = await connected();
    await until(() => part(el, 'microphone'), 'the device list');
    const picker = part(el, 'speaker') as HTMLSelectElement | null;
    const outputs = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === 'audiooutput');
    if (firefox) {
      expect(outputs).to.have.length(0);
      expect(Boolean(picker)).to.be.false;
    } else {
      expect([...picker!.options].map((option) => option.value)).to.deep.equal(outputs.map((device) => device.deviceId));
      const target = outputs.at(-1)!.deviceId;
      const change = nextEvent(el, 'voice-call-device-change');
      choose(picker!, target);
      expect((await change).detail).to.deep.equal({ kind: 'audiooutput', deviceId: target });
      expect(audioOf(el).sinkId).to.equal(target);
    }
    el.hangup();
  });

  it('a microphone switch that fails keeps the call on the old microphone, sets the property back and says why', async () => {
    const el = await connected();
    const picker = (await until(() => part(el, 'microphone'), 'the microphone picker')) as HTMLSelectElement;
    const oldTrack = sentTrack(el);
    const previous = el.microphoneId;
    const log = recordEvents(el, ['voice-call-error', 'voice-call-device-change', 'voice-call-ended']);
    // Fault injection: the next microphone is busy (another app holds it).
    const devices = navigator.mediaDevices;
    const original = devices.getUserMedia;
    devices.getUserMedia = () => Promise.reject(new DOMException('fake busy', 'NotReadableError'));
    try {
      const failed = nextEvent<Error>(el, 'voice-call-error');
      choose(picker, [...picker.options].at(-1)!.value);
      expect((await failed).detail).to.include({ kind: 'microphone', code: 'NotReadableError' });
    } finally {
      devices.getUserMedia = original;
    }
    await el.updateComplete;
    expect(el.microphoneId, 'the property is set back').to.equal(previous);
    expect(sentTrack(el)).to.equal(oldTrack);
    expect(oldTrack.readyState).to.equal('live');
    expect(el.state, 'the call goes on').to.equal('connected');
    expect(el.error, 'the call did not fail').to.equal(null);
    expect(log.of('voice-call-device-change'), 'no change announced').to.have.length(0);
    expect(log.of('voice-call-ended')).to.have.length(0);
    expect(log.of('voice-call-error')).to.have.length(1);
    el.hangup();
  });

  it('a speaker the browser refuses: the property is set back and the page hears why, the call goes on', async () => {
    const el = await connected();
    const audio = audioOf(el);
    if (!audio.setSinkId) return;
    const log = recordEvents(el, ['voice-call-error', 'voice-call-device-change', 'voice-call-ended']);
    const failed = nextEvent<Error>(el, 'voice-call-error');
    el.speakerId = 'no-such-speaker';
    expect((await failed).detail).to.include({ kind: 'speaker', message: 'The selected speaker could not be used. Choose another.' });
    await el.updateComplete;
    expect(el.speakerId, 'the property is set back').to.equal(null);
    expect(audio.sinkId).to.equal('');
    expect(el.state).to.equal('connected');
    expect(log.of('voice-call-device-change')).to.have.length(0);
    expect(log.of('voice-call-ended')).to.have.length(0);
    el.hangup();
  });

  it('remembers the devices per origin only when the host opts in with remember-devices', async () => {
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === 'audioinput');
    const chosen = devices.at(-1)!.deviceId;

    const plain = await fixture<VoiceCallElement>(html`<voice-call></voice-call>`);
    plain.microphoneId = chosen;
    await plain.updateComplete;
    expect(localStorage.getItem(STORAGE_KEY), 'nothing stored without the opt-in').to.equal(null);

    const first = await fixture<VoiceCallElement>(html`<voice-call remember-devices></voice-call>`);
    first.microphoneId = chosen;
    await first.updateComplete;
    expect(JSON.parse(localStorage.getItem(STORAGE_KEY)!)).to.deep.equal([chosen, null]);

    const next = await fixture<VoiceCallElement>(
      html`<voice-call remember-devices base-url=${agents.open} session-id="session_ux"></voice-call>`,
    );
    expect(next.microphoneId).to.equal(chosen);
    await next.start();
    expect(sentTrack(next).getSettings().deviceId, 'the next call opens the remembered microphone').to.equal(chosen);
    next.hangup();

    // Remembered but unplugged since: the call goes ahead on the default microphone.
    localStorage.setItem(STORAGE_KEY, JSON.stringify(['gone-device', null]));
    const stale = await fixture<VoiceCallElement>(
      html`<voice-call remember-devices base-url=${agents.open} session-id="session_ux"></voice-call>`,
    );
    expect(stale.microphoneId).to.equal('gone-device');
    await stale.start();
    expect(sentTrack(stale).readyState).to.equal('live');
    stale.hangup();
  });
});
