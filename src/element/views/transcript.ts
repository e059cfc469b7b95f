import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { ViewRender } from './view.js';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * Keeps the transcript log on its newest turn unless the user scrolled up to read. Its styles are in
 * voice-call.styles.ts (one stylesheet for the element).
 */
export class TranscriptLog implements ReactiveController {
  readonly #host: Host;
  /** False while the user is scrolled away from the bottom. */
  #follow = true;

  constructor(host: Host) {
    this.#host = host;
    host.addController(this);
  }

  hostUpdated(): void {
    const list = this.#host.shadowRoot?.querySelector('[part=transcript]');
    if (list && this.#follow) list.scrollTop = list.scrollHeight;
  }

  onScroll = ({ target }: Event) => {
    const list = target as HTMLElement;
    this.#follow = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
  };
}

/**
 * The newest turns only are on screen: an hour-long call has thousands, and each one rendered would grow the
 * DOM and every render without bound. `turns` (the call's, and `voice-call-transcript`'s) keeps them all.
 */
const TURNS_SHOWN = 50;

/** The live transcript, with the `transcript` attribute: one paragraph per turn of the call's newest ones. */
export const transcript: ViewRender = ({ host, session, transcript }, strings) =>
  // A log of paragraphs: `role="log"` on a list would strip the list semantics its items need. Focusable,
  // because it scrolls: a keyboard user must be able to reach it and scroll back through it.
  host.transcript
    ? html`
        <div part="transcript" role="log" tabindex="0" @scroll=${transcript.onScroll}>
          ${session.turns.slice(-TURNS_SHOWN).map(
            ({ role, text, final, interrupted }) => html`
              <p part="turn ${role}${final ? '' : ' partial'}${interrupted ? ' interrupted' : ''}">
                <b>${strings[role]}:</b> ${text}${interrupted ? html` <i>${strings.interrupted}</i>` : nothing}
              </p>
            `,
          )}
        </div>
      `
    : nothing;
