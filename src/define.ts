import { VoiceCallElement } from './element/voice-call.js';

export const TAG_NAME = 'voice-call';

/** Registers `<voice-call>`; harmless when already registered (two bundles on one page). */
export function defineVoiceCall(tagName = TAG_NAME): void {
  if (typeof customElements !== 'undefined' && !customElements.get(tagName)) {
    // A constructor can back only one tag name: other names get their own subclass.
    customElements.define(tagName, tagName === TAG_NAME ? VoiceCallElement : class extends VoiceCallElement {});
  }
}

defineVoiceCall();

declare global {
  interface HTMLElementTagNameMap {
    'voice-call': VoiceCallElement;
  }
}
