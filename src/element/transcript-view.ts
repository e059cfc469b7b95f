import { css, html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { CallSession } from '../call/call-session.js';
import { Transcript } from '../call/transcript.js';
import { VoiceCallEvent, emit } from './events.js';
import type { VoiceCallStrings } from './strings.js';

export const transcriptStyles = css`
  [part='transcript'] {
    max-height: var(--voice-call-transcript-height, 12em);
    overflow: auto;
    margin-top: 0.5em;
  }
  [part~='turn'] {
    margin: 0.25em 0;
  }
  [part~='partial'] {
    color: var(--voice-call-muted-color, #555);
  }
`;

/**
 * Puts the live transcript in the element: re-renders and fires `voice-call-transcript` on every change,
 * and keeps the list on its newest turn unless the user scrolled up to read.
 */
export class TranscriptView implements ReactiveController {
  readonly transcript: Transcript;
  /** False while the user is scrolled away from the bottom. */
  #follow = true;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    session: CallSession,
  ) {
    host.addController(this);
    this.transcript = new Transcript(session);
    this.transcript.on('change', (detail) => {
      host.requestUpdate();
      emit(host, VoiceCallEvent.Transcript, detail);
    });
  }

  hostUpdated(): void {
    const list = this.host.shadowRoot?.querySelector('[part=transcript]');
    if (list && this.#follow) list.scrollTop = list.scrollHeight;
  }

  #onScroll = ({ target }: Event) => {
    const list = target as HTMLElement;
    this.#follow = list.scrollHeight - list.scrollTop - list.clientHeight < 8;
  };

  render(strings: VoiceCallStrings) {
    // A log of paragraphs: `role="log"` on a list would strip the list semantics its items need.
    return html`<div part="transcript" role="log" @scroll=${this.#onScroll}>${this.transcript.turns.map(
      ({ role, text, final, interrupted }) =>
        html`<p part="turn ${role}${final ? '' : ' partial'}${interrupted ? ' interrupted' : ''}"><b>${strings[role]}:</b> ${text}${interrupted ? html` <i>${strings.interrupted}</i>` : nothing}</p>`,
    )}</div>`;
  }
}
