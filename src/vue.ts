/**
 * Types only: makes `<voice-call>` props and events type-check in Vue templates (vue-tsc, Volar).
 * Load it once, e.g. `import type {} from 'voice-call/vue'` in `env.d.ts`. The shape follows the Vue guide's
 * recipe for custom elements not built with Vue.
 */
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { VoiceCallEventMap } from './element/events.js';
import type { VoiceCallElement } from './element/voice-call.js';

/** Every public property of the element, settable from a template (`:session-id`, `:token`, `muted`, …). */
export type VoiceCallVueProps = Partial<Omit<VoiceCallElement, keyof HTMLElement | 'start' | 'hangup'>>;

declare module 'vue' {
  interface GlobalComponents {
    'voice-call': new () => VoiceCallElement & {
      /** @deprecated For template type-checking only: a `<voice-call>` ref has no `$props`. */
      $props: HTMLAttributes & VoiceCallVueProps & PublicProps;
      /** @deprecated For template type-checking only: a `<voice-call>` ref has no `$emit`. */
      $emit: EmitFn<{ [K in keyof VoiceCallEventMap]: (event: VoiceCallEventMap[K]) => void }>;
    };
  }
}
