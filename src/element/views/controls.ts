import { html, nothing } from 'lit';
import { CallState, isActive } from '../../call/states.js';
import type { ViewRender } from './view.js';

/** A button that toggles a setting, pressed while it is on. */
export const toggle = (part: string, label: string, pressed: boolean, onClick: () => void) =>
  html`<button part=${part} type="button" aria-pressed=${pressed} @click=${onClick}>${label}</button>`;

// Templates may be written on several lines: the build, the demo and the browser tests take line breaks and
// indentation between tags out (scripts/lit-literals.ts). A space that matters sits on its line: `</b> ${text}`.

/** The call button (its label slotted) and, during a call, the microphone toggle. */
export const controls: ViewRender = ({ host, consent, onButtonClick, onButtonHover }, strings) => {
  const { state, muted } = host;
  const active = isActive(state);
  // The consent's Accept takes the call button's place while it shows.
  if (consent.asking) return nothing;
  return html`<div part="controls"><button part="button" type="button" @click=${onButtonClick} @pointerenter=${onButtonHover} @focus=${onButtonHover}><slot name=${active ? 'hangup-label' : 'start-label'}>${
    state === CallState.Connected ? strings.hangup : active ? strings.cancel : state === CallState.Idle ? strings.start : strings.retry
  }</slot></button>${
    active ? toggle('mute', strings.mute, muted, () => (host.muted = !muted)) : nothing
  }</div>`;
};

/** "Tap to hear the agent", while the browser blocks the connected call's playback until a gesture. */
export const unblock: ViewRender = ({ host, playback, onUnblock }, strings) =>
  host.state === CallState.Connected && playback.blocked
    ? html`<button part="unblock" type="button" @click=${onUnblock}>${strings.unblock}</button>`
    : nothing;
