import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { CallSession } from '../call/call-session.js';
import { Transcript } from '../call/transcript.js';
import { VoiceCallEvent, emit } from './events.js';
import type { VoiceCallStrings } from './strings.js';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * Puts the live transcript in the element: re-renders and fires `voice-call-transcript` on every change,
 * and keeps the list on its newest turn unless the user scrolled up to read. Its styles are in
 * voice-call.styles.ts (one stylesheet for the element).
 */
export class TranscriptView implements ReactiveController {
  readonly #host: Host;
  readonly #transcript: Transcript;
  /** False while the user is scrolled away from the bottom. */
  #follow = true;

  constructor(host: Host, session: CallSession) {
    this.#host = host;
    host.addController(this);
    (this.#transcript = new Transcript(session)).on('change', (detail) => {
      host.requestUpdate();
      emit(host, VoiceCallEvent.Transcript, detail);
    });
  }

  hostUpdated(): void {
    const list = this.#host.shadowRoot?.querySelector('[part=transcript]');
    if (list && this.#follow) list.scrollTop = list.scrollHeight;
  }

  #onScroll = ({ target }: Event) => {
    const list = target as HTMLElement;
    this.#follow = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
  };

  render(strings: VoiceCallStrings) {
    // A log of paragraphs: `role="log"` on a list would strip the list semantics its items need.
    return html`<div part="transcript" role="log" @scroll=${this.#onScroll}>${this.#transcript.turns.map(
      ({ role, text, final, interrupted }) =>
        html`<p part="turn ${role}${final ? '' : ' partial'}${interrupted ? ' interrupted' : ''}"><b>${strings[role]}:</b> ${text}${interrupted ? html` <i>${strings.interrupted}</i>` : nothing}</p>`,
    )}</div>`;
  }
}
