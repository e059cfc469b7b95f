import { html, nothing } from 'lit';
import { CallState } from '../../call/states.js';
import { copyButton } from '../copy.js';
import { toggle } from './controls.js';
import type { View, ViewRender } from './view.js';

const formatters: Record<string, Intl.NumberFormat> = {};
/** Building an `Intl.NumberFormat` costs more than the rest of a stats render: keep one per locale and unit. */
const formatter = (locale: string | undefined, unit?: string) =>
  (formatters[`${locale}|${unit}`] ??= new Intl.NumberFormat(locale, { maximumFractionDigits: 1, style: unit ? 'unit' : 'percent', unit }));

/** A device picker, when the browser has named devices of its kind. */
function picker({ host, devices }: View, part: 'microphone' | 'speaker', label: string, selected?: string) {
  const list = devices.list.filter((device) => device.kind === (part === 'speaker' ? 'audiooutput' : 'audioinput'));
  const choose = (event: Event) => (host[`${part}Id`] = (event.target as HTMLSelectElement).value);
  return list.length
    ? html`<label part="label">${label}<select part=${part} @change=${choose}>${list.map(
        (device) => html`<option value=${device.deviceId} ?selected=${device.deviceId === selected}>${device.label}</option>`,
      )}</select></label>`
    : nothing;
}

/** Whether the connected views (panel, stats, details) show: in every layout but `compact`. */
const full = ({ host, session }: View) => session.state === CallState.Connected && !!session.call && host.layout !== 'compact';

/**
 * The `full` layout (the QA panel) shows the devices, volume, levels and stats in the first view; the
 * default card and the launcher keep them one click away, inside the details.
 */
const inline = ({ host }: View) => host.layout === 'full';

/** Device pickers, the agent's volume and mute, and both level meters. */
const settings: ViewRender = (view, strings) => {
  if (!full(view)) return nothing;
  const { host, session } = view;
  const level = (which: string) => html`<div part="level ${which}-level" aria-hidden="true"></div>`;
  const audio = host.renderRoot.querySelector('audio');
  return html`<div part="panel">${
    picker(view, 'microphone', strings.microphone, host.microphoneId ?? session.localStream?.getAudioTracks()[0]?.getSettings().deviceId)
  }${level('input')}<span part="label">${strings.volume}</span><div part="agent"><input part="volume" type="range" min="0" max="1" step="0.05" aria-label=${strings.volume} .value=${String(host.volume)} @input=${
    (event: Event) => (host.volume = +(event.target as HTMLInputElement).value)
  }>${
    toggle('mute-agent', strings.muteAgent, host.agentMuted, () => (host.agentMuted = !host.agentMuted))
  }</div>${level('output')}${
    audio?.setSinkId ? picker(view, 'speaker', strings.speaker, host.speakerId ?? audio.sinkId) : nothing
  }</div>`;
};

/** Round trip, loss and jitter, formatted for the page's language. */
const quality: ViewRender = (view, strings) => {
  const { stats } = view.session;
  if (!full(view) || !stats) return nothing;
  const locale = view.host.closest<HTMLElement>('[lang]')?.lang || undefined;
  const format = (value: number | null, unit?: string) => (value === null ? '–' : formatter(locale, unit).format(value));
  return html`<div part="stats">${strings.rtt} ${format(stats.rttMs, 'millisecond')} · ${strings.loss} ${format(stats.loss)} · ${strings.jitter} ${format(stats.jitterMs, 'millisecond')}</div>`;
};

export const panel: ViewRender = (view, strings) => (inline(view) ? settings(view, strings) : nothing);
export const stats: ViewRender = (view, strings) => (inline(view) ? quality(view, strings) : nothing);

/** Model, voice, provider and ids, one click away in a disclosure (with the settings and stats, but in `full`). */
export const details: ViewRender = (view, strings) => {
  const { call, config } = view.session;
  if (!full(view) || !call) return nothing;
  // The third field marks the ids a support request needs: they get a copy button.
  const rows: [string, string | null | undefined, boolean?][] = [
    [strings.model, call.model],
    [strings.voice, call.voice],
    [strings.provider, call.provider],
    [strings.reasoningEffort, call.reasoning_effort ?? strings.defaultValue],
    [strings.sessionId, config?.sessionId, true],
    [strings.voiceConnectionId, call.voice_connection_id, true],
    [strings.providerCallId, call.provider_call_id],
  ];
  return html`<details part="details"><summary part="summary">${strings.details}</summary>${
    inline(view) ? nothing : [settings(view, strings), quality(view, strings)]
  }<dl part="list">${
    rows.map(([label, value, copyable]) =>
      value ? html`<dt part="term">${label}</dt><dd part="value">${value}${copyable ? copyButton(view, strings, label, () => value) : nothing}</dd>` : nothing,
    )
  }</dl></details>`;
};
