import { html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { TranscriptTurn } from '../call/transcript.js';
import type { VoiceCallStrings } from './strings.js';
import type { View, ViewRender } from './views/view.js';

/** How long a copy button says "Copied" (or that it could not) before it reads "Copy" again. */
const FEEDBACK_MS = 2000;

/**
 * Copies text to the clipboard for the copy buttons (the transcript, the ids in the details) and says on
 * the button that did it whether it worked, for a moment.
 */
export class Copier implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  /** The button that copied last (by what it copies) and whether it worked, while its feedback shows. */
  #shown: { what: string; ok: boolean } | null = null;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** The button's words: "Copy" until it copies, then for a moment "Copied" or "Could not copy". */
  label(what: string, strings: VoiceCallStrings): string {
    const shown = this.#shown;
    return shown?.what !== what ? strings.copy : shown.ok ? strings.copied : strings.copyFailed;
  }

  copy(what: string, text: string): void {
    // No clipboard API (an insecure page) fails like a refused write.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(text))
      .then(
        () => this.#show(what, true),
        () => this.#show(what, false),
      );
  }

  #show(what: string, ok: boolean): void {
    this.#shown = { what, ok };
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#shown = null;
      this.#host.requestUpdate();
    }, FEEDBACK_MS);
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    clearTimeout(this.#timer);
    this.#shown = null;
  }
}

/** A copy button for `what` (its name says which: "Copy Session"), copying `text()` when pressed. */
export function copyButton({ copier }: View, strings: VoiceCallStrings, what: string, text: () => string) {
  const label = copier.label(what, strings);
  return html`<button part="copy" type="button" aria-label="${label} ${what}" @click=${() => copier.copy(what, text())}>${label}</button>`;
}

/** The transcript as plain text, a line a turn: "You: …", "Agent: … (interrupted)". */
export const transcriptText = (turns: readonly TranscriptTurn[], strings: VoiceCallStrings): string =>
  turns.map(({ role, text, interrupted }) => `${strings[role]}: ${text}${interrupted ? ` ${strings.interrupted}` : ''}`).join('\n');

/** "Copy transcript", below the transcript once it has a turn (with the `transcript` attribute). */
export const copyTranscript: ViewRender = (view, strings) =>
  view.host.transcript && view.session.turns.length ? copyButton(view, strings, strings.transcriptName, () => transcriptText(view.session.turns, strings)) : nothing;
