// The phase timeline of the current call: where the time between the click and "connected" goes, from
// the element's `timings` (performance.now() marks). A prewarmed call's first phases fall before the click.
import type { CallTimings } from '../src/call/call-session.js';
import type { VoiceCallElement } from '../src/element/voice-call.js';

interface Phase {
  label: string;
  from?: number;
  to?: number;
}

function phases(t: CallTimings): Phase[] {
  const prewarmedMic = t.prepare !== undefined && t.mic !== undefined && t.mic < t.start!;
  return [
    { label: 'microphone granted', from: prewarmedMic ? t.prepare : t.start, to: t.mic },
    { label: 'offer created', from: t.prepare ?? t.mic, to: t.offer },
    { label: 'ICE gathered', from: t.offer, to: t.ice },
    { label: 'POST sent → answer', from: t.post, to: t.answer },
    { label: 'answer → connected', from: t.answer, to: t.connected },
  ];
}

const ms = (value: number) => `${Math.round(value)} ms`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, style: Partial<CSSStyleDeclaration> = {}, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  Object.assign(node.style, style);
  node.textContent = text;
  return node;
}

/** Adds the chart (and a prewarm switch) below the widget's section; redraws after each call. */
export function phaseChart(call: VoiceCallElement): void {
  const section = el('section');
  section.setAttribute('aria-labelledby', 'phases-title');
  const title = el('h2', {}, 'Connect phases');
  title.id = 'phases-title';
  const toggle = el('label');
  const checkbox = el('input');
  checkbox.type = 'checkbox';
  checkbox.checked = call.prewarm;
  checkbox.addEventListener('change', () => (call.prewarm = checkbox.checked));
  toggle.append(checkbox, ' prewarm (prepare on hover or focus of the button)');
  const figure = el('figure', { margin: '0.5em 0' });
  const caption = el('figcaption', {}, 'No call yet.');
  const rows = el('div', { display: 'grid', gap: '0.2em' });
  figure.append(caption, rows);
  section.append(title, toggle, figure);
  (call.closest('section') ?? call).after(section);

  const draw = () => {
    const t = { ...call.timings };
    if (t.start === undefined) return;
    const list = phases(t).filter((phase): phase is Required<Phase> => phase.from !== undefined && phase.to !== undefined);
    const first = Math.min(t.start, ...list.map((phase) => phase.from));
    const last = Math.max(t.start, ...list.map((phase) => phase.to));
    const span = Math.max(1, last - first);
    const at = (value: number) => `${((value - first) / span) * 100}%`;
    caption.textContent =
      t.connected === undefined
        ? 'The call did not connect: phases so far, from the click.'
        : `Click (the line) → connected in ${ms(t.connected - t.start)}${t.prepare === undefined ? '' : '; prewarmed: bars left of the line ran before the click'}.`;
    rows.replaceChildren(
      ...list.flatMap((phase) => {
        const track = el('div', { position: 'relative', height: '0.8em', marginBottom: '0.3em', background: 'rgba(127,127,127,.15)' });
        const bar = el('div', { position: 'absolute', top: '0', bottom: '0', left: at(phase.from), width: `max(2px, ${at(first + phase.to - phase.from)})`, background: 'var(--voice-call-accent, #0b57d0)' });
        const click = el('div', { position: 'absolute', top: '-2px', bottom: '-2px', left: at(t.start!), borderLeft: '2px solid currentColor' });
        click.title = 'click';
        track.append(bar, click);
        return [el('div', {}, `${phase.label}: ${ms(phase.to - phase.from)}, done at ${ms(phase.to - t.start!)}`), track];
      }),
    );
  };
  call.addEventListener('voice-call-connected', draw);
  call.addEventListener('voice-call-error', draw);
}

const widget = document.querySelector('voice-call');
if (widget) phaseChart(widget);
