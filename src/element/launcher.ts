import { html, type ReactiveController } from 'lit';
import { isActive } from '../call/states.js';
import type { VoiceCallStrings } from './strings.js';
import type { VoiceCallElement } from './voice-call.js';
import type { View } from './views/view.js';

/** The corners a launcher sits in (`placement`); anything else is the first. */
const PLACEMENTS = ['bottom-right', 'bottom-left', 'top-right', 'top-left'];

/** A microphone (capsule, stand and foot), drawn inline in one stroke: no icon font, no request. */
const ICON = html`<svg part="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M9 5a3 3 0 0 1 6 0v6a3 3 0 0 1-6 0zM5 11a7 7 0 0 0 14 0M12 18v4"></path></svg>`;

/**
 * `layout="launcher"`: a round button fixed in a corner of the viewport that opens and closes the call card.
 * Closing the card only hides it: a call goes on, and shows on the button. Escape or the close button
 * closes it and gives focus back to the round button.
 */
export class Launcher implements ReactiveController {
  /** The card is shown. */
  open = false;
  readonly #host: VoiceCallElement;
  /** What gets focus after the next render: the card's first action when it opens, the round button when it closes. */
  #focus: string | null = null;

  constructor(host: VoiceCallElement) {
    this.#host = host;
    host.addController(this);
  }

  #show(open: boolean): void {
    this.open = open;
    this.#focus = open ? '[part=accept],[part=button]' : '[part=launcher]';
    this.#host.requestUpdate();
  }

  toggle = (): void => this.#show(!this.open);

  close = (): void => this.#show(false);

  onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape' && this.open) this.close();
  };

  hostUpdated(): void {
    if (this.#focus) this.#host.renderRoot.querySelector<HTMLElement>(this.#focus)?.focus();
    this.#focus = null;
  }
}

/** The round button and, after it in focus order, the card (the element's views) as a non-modal dialog. */
export function launcher({ host, launcher, onKey }: View, strings: VoiceCallStrings, views: unknown) {
  const { state, placement } = host;
  const corner = PLACEMENTS.includes(placement) ? placement : PLACEMENTS[0];
  // The round button's name says when a call is live, as its badge shows it.
  const name = isActive(state) ? `${strings.launcher} · ${strings.states[state]}` : strings.launcher;
  return html`
    <div class="launcher ${corner}" @keydown=${launcher.onKey}>
      <button part="launcher" type="button" aria-label=${name} aria-expanded=${launcher.open} aria-controls="card" @click=${launcher.toggle}>
        ${ICON}
      </button>
      <div part="base" class="card" id="card" role="dialog" aria-label=${strings.launcher} ?hidden=${!launcher.open} @keydown=${onKey}>
        <button part="close" type="button" aria-label=${strings.close} @click=${launcher.close}>×</button>
        ${views}
      </div>
    </div>
  `;
}
