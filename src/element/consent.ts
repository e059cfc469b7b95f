import { html, nothing, type ReactiveController } from 'lit';
import { ErrorKind, VoiceCallError } from '../api/errors.js';
import type { VoiceCallElement } from './voice-call.js';
import type { ViewRender } from './views/view.js';

interface Answer {
  promise: Promise<void>;
  resolve(value: Promise<void> | void): void;
  reject(error: VoiceCallError): void;
}

/**
 * The consent asked before a call, when the host gives a `consent` text or a `consent` slot: `start()` (the
 * button's too) waits for Accept or Decline, and nothing of the call happens before Accept (no microphone,
 * no request, no prewarm). Accepted once, it holds for the element's life; with `consent-key`, also in
 * localStorage under that key, for later visits.
 */
export class Consent implements ReactiveController {
  readonly #host: VoiceCallElement;
  #accepted = false;
  /** The answer `start()` waits for while the consent shows. */
  #answer: Answer | null = null;
  /** What gets focus after the next render: Accept when the consent appears, the call button after Decline. */
  #focus: string | null = null;

  constructor(host: VoiceCallElement) {
    this.#host = host;
    host.addController(this);
  }

  /** True when a call must ask first: a consent is given and was not accepted here or under `consent-key`. */
  get needed(): boolean {
    const host = this.#host;
    if (this.#accepted || !(host.consent || host.querySelector(':scope > [slot=consent]'))) return false;
    try {
      this.#accepted = !!host.consentKey && localStorage.getItem(host.consentKey) !== null;
    } catch {
      // Storage can be off (privacy modes, sandboxed frames): ask again.
    }
    return !this.#accepted;
  }

  /** True while the consent shows. */
  get asking(): boolean {
    return !!this.#answer;
  }

  /** Shows the consent; the promise follows the call Accept starts, or rejects on Decline. */
  ask(): Promise<void> {
    if (!this.#answer) {
      let resolve!: Answer['resolve'];
      let reject!: Answer['reject'];
      const promise = new Promise<void>((settle, fail) => {
        resolve = settle;
        reject = fail;
      });
      this.#answer = { promise, resolve, reject };
      // Focus moves only when the user was in the widget (a click or a key), not for a script's start().
      if (this.#host.matches(':focus-within')) this.#focus = 'accept';
      this.#host.requestUpdate();
    }
    return this.#answer.promise;
  }

  /** Closes the consent and hands back the answer it held. */
  #close(): Answer | null {
    const answer = this.#answer;
    this.#answer = null;
    this.#host.requestUpdate();
    return answer;
  }

  accept = (): void => {
    const { consentKey } = this.#host;
    this.#accepted = true;
    try {
      // The time of acceptance, for a site that wants to know when it was given.
      if (consentKey) localStorage.setItem(consentKey, new Date().toISOString());
    } catch {
      // Storage can be off: the acceptance then lasts for this page only.
    }
    // Inside the click: the microphone request and the agent's playback keep the user's gesture.
    this.#close()?.resolve(this.#host.start());
  };

  decline = (): void => {
    if (this.#host.matches(':focus-within')) this.#focus = 'button';
    this.#close()?.reject(new VoiceCallError(ErrorKind.Consent, 'The call was declined.'));
  };

  /** A hang-up or the element's removal while the consent shows: it closes, and `start()` resolves. */
  cancel(): void {
    this.#close()?.resolve();
  }

  onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      // Escape answers the consent only (a launcher's card stays open).
      event.stopPropagation();
      this.decline();
    }
  };

  hostDisconnected(): void {
    this.cancel();
  }

  hostUpdated(): void {
    if (this.#focus) this.#host.renderRoot.querySelector<HTMLElement>(`[part=${this.#focus}]`)?.focus();
    this.#focus = null;
  }
}

/** The consent text (the `consent` slot, else the `consent` attribute as plain text) with Accept and Decline. */
export const consent: ViewRender = ({ host, consent }, strings) =>
  consent.asking
    ? html`
        <div part="consent" @keydown=${consent.onKey}>
          <div part="consent-text" id="consent-text"><slot name="consent">${host.consent}</slot></div>
          <div part="actions">
            <button part="accept" type="button" aria-describedby="consent-text" @click=${consent.accept}>${strings.accept}</button>
            <button part="decline" type="button" @click=${consent.decline}>${strings.decline}</button>
          </div>
        </div>
      `
    : nothing;
