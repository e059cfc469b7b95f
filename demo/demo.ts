// The QA console: every attribute editable, faults of the reference agent selectable, events on a timeline,
// live connection quality, device pickers.
import { VoiceCallEvent, type CallStats } from '../src/index.js';
import { FAULT_MODES } from '../server/faults.js';
import './phases.js';

const call = document.querySelector('voice-call')!;
const form = document.querySelector<HTMLFormElement>('#settings')!;
const timeline = document.querySelector<HTMLOListElement>('#timeline')!;
const faults = document.querySelector<HTMLDivElement>('#faults')!;

// Fault modes without an argument are checkboxes; those with one ("status-<code>") take a number.
for (const [mode, description] of Object.entries(FAULT_MODES)) {
  const label = document.createElement('label');
  const takesArgument = mode.includes('<');
  const input = document.createElement('input');
  input.dataset.fault = mode;
  if (takesArgument) {
    input.type = 'number';
    input.placeholder = mode.replace(/.*<(\w+)>/, '$1');
    input.style.width = '6em';
  } else {
    input.type = 'checkbox';
  }
  label.append(input, ` ${mode.replace(/-<\w+>$/, '')} — ${description}`);
  faults.append(label);
}

function faultPrefix(): string {
  const modes: string[] = [];
  for (const input of faults.querySelectorAll<HTMLInputElement>('input[data-fault]')) {
    const mode = input.dataset.fault!;
    if (input.type === 'checkbox' && input.checked) modes.push(mode);
    if (input.type === 'number' && input.value !== '') modes.push(mode.replace(/<\w+>$/, input.value));
  }
  const lease = (form.elements.namedItem('lease') as HTMLInputElement).value;
  if (lease) modes.push(`lease-${lease}`);
  return modes.length ? `/_fault/${modes.join(',')}` : '';
}

const TEXT_ATTRIBUTES = [
  'session-id', 'agent-id', 'channel-id', 'model', 'voice', 'instructions', 'provider-id', 'reasoning-effort', 'org-id',
  'lease-warning', 'request-timeout', 'credentials', 'layout', 'placement', 'appearance', 'volume', 'microphone-id', 'speaker-id',
  'consent', 'consent-key',
];
const BOOLEAN_ATTRIBUTES = ['muted', 'agent-muted', 'remember-devices', 'transcript'];

function apply(): void {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  for (const name of TEXT_ATTRIBUTES) {
    const value = text(name);
    if (value) call.setAttribute(name, value);
    else call.removeAttribute(name);
  }
  for (const name of BOOLEAN_ATTRIBUTES) call.toggleAttribute(name, data.has(name));
  call.setAttribute('base-url', (text('base-url') || `${location.origin}`) + faultPrefix());
  call.token = text('token') || null;
}

form.addEventListener('input', apply);
form.addEventListener('change', apply);
apply();

const started = performance.now();
function log(type: string, detail: unknown): void {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = `+${((performance.now() - started) / 1000).toFixed(3)} s`;
  // textContent only: details can hold server text, which must never become markup.
  // Long strings (the SDP) are cut, so one event stays a line or two.
  item.append(time, `${type} ${JSON.stringify(detail, (_, value) => (typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…` : value))}`);
  timeline.append(item);
  // Scroll the list, not the page: the widget must stay in view while events arrive.
  timeline.scrollTop = timeline.scrollHeight;
}

// Every event on the timeline, except the stats (once a second they would drown it, so they get a panel)
// and the data channel's events, which get a shorter line of their own below.
const OWN_LINES = new Set<string>([VoiceCallEvent.Stats, 'voice-call-realtime-event']);
for (const type of Object.values(VoiceCallEvent)) {
  if (!OWN_LINES.has(type)) call.addEventListener(type, (event) => log(type, (event as CustomEvent).detail));
}

// The oai-events channel (issue 15): each server event as `realtime <type>` and its fields (event_id left
// out: it is noise to a reader); and what the agent is doing, in words beside the widget.
call.addEventListener('voice-call-realtime-event', (event) => {
  const { type, event_id: _eventId, ...fields } = (event as CustomEvent<{ type: string; [field: string]: unknown }>).detail;
  log(`realtime ${type}`, fields);
});
const agentState = document.querySelector<HTMLOutputElement>('#agent-state')!;
call.addEventListener('voice-call-agent-state', (event) => {
  agentState.value = (event as CustomEvent<{ state: string | null }>).detail.state ?? '—';
});

// The widget's own buttons reflect `muted` and `agent-muted`: keep the checkboxes in step.
new MutationObserver(() => {
  for (const name of ['muted', 'agent-muted']) (form.elements.namedItem(name) as HTMLInputElement).checked = call.hasAttribute(name);
}).observe(call, { attributes: true, attributeFilter: ['muted', 'agent-muted'] });

const statsList = document.querySelector<HTMLDListElement>('#stats')!;
const ms = new Intl.NumberFormat(undefined, { style: 'unit', unit: 'millisecond', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
const count = new Intl.NumberFormat();
call.addEventListener('voice-call-stats', ({ detail: s }: CustomEvent<CallStats>) => {
  const or = (value: number | null, format: Intl.NumberFormat) => (value === null ? '—' : format.format(value));
  const rows: [string, string][] = [
    ['round trip', or(s.rttMs, ms)],
    ['jitter in / out', `${or(s.jitterMs, ms)} / ${or(s.remoteJitterMs, ms)}`],
    ['loss in / out', `${or(s.loss, percent)} / ${or(s.remoteLoss, percent)}`],
    ['packets in / out', `${count.format(s.packetsReceived)} / ${count.format(s.packetsSent)}`],
    ['bytes in / out', `${count.format(s.bytesReceived)} / ${count.format(s.bytesSent)}`],
  ];
  statsList.replaceChildren(...rows.flatMap(([term, value]) => [Object.assign(document.createElement('dt'), { textContent: term }), Object.assign(document.createElement('dd'), { textContent: value })]));
  document.querySelector('#stats-empty')!.toggleAttribute('hidden', true);
});

// Device pickers for microphone-id / speaker-id; devices have labels once the microphone was allowed.
async function listDevices(): Promise<void> {
  const devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
  for (const select of document.querySelectorAll<HTMLSelectElement>('select.devices')) {
    const chosen = select.value;
    const options = devices
      .filter((device) => device.kind === select.dataset.kind && device.label)
      .map((device) => Object.assign(document.createElement('option'), { value: device.deviceId, textContent: device.label }));
    select.replaceChildren(select.options[0]!, ...options);
    select.value = chosen;
    if (select.selectedIndex < 0) select.selectedIndex = 0;
  }
}
navigator.mediaDevices?.addEventListener('devicechange', listDevices);
call.addEventListener('voice-call-connected', listDevices);
void listDevices();

document.querySelector('#start')!.addEventListener('click', () => call.start().catch(() => undefined));
document.querySelector('#hangup')!.addEventListener('click', () => call.hangup());
document.querySelector('#clear')!.addEventListener('click', () => timeline.replaceChildren());
