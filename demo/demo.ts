// The QA console: every attribute editable, faults of the reference agent selectable, events on a timeline.
import '../src/index.js';
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

function apply(): void {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  for (const name of ['session-id', 'model', 'voice', 'instructions', 'provider-id', 'reasoning-effort', 'org-id', 'lease-warning']) {
    const value = text(name);
    if (value) call.setAttribute(name, value);
    else call.removeAttribute(name);
  }
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
  item.append(time, `${type} ${JSON.stringify(detail)}`);
  timeline.append(item);
  item.scrollIntoView({ block: 'nearest' });
}

for (const type of [
  'voice-call-state-change',
  'voice-call-connected',
  'voice-call-ended',
  'voice-call-error',
  'voice-call-lease-warning',
  'voice-call-mute-change',
] as const) {
  call.addEventListener(type, (event) => log(type, (event as CustomEvent).detail));
}

document.querySelector('#start')!.addEventListener('click', () => call.start().catch(() => undefined));
document.querySelector('#hangup')!.addEventListener('click', () => call.hangup());
document.querySelector('#clear')!.addEventListener('click', () => timeline.replaceChildren());
