import { html, nothing } from 'lit';
import { CallState, isActive } from '../../call/states.js';
import type { ViewRender } from './view.js';

/** A button that toggles a setting, pressed while it is on. */
export const toggle = (part: string, label: string, pressed: boolean, onClick: () => void) =>
  html`<button part=${part} type="button" aria-pressed=${pressed} @click=${onClick}>${label}</button>`;

// The templates carry no whitespace between tags: it would render nothing (the containers are grid or
// flex boxes, the button trims it) and would ship in the bundle. Line breaks go inside the `${}`.

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
