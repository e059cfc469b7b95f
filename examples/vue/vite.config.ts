// `vite build examples/vue`: resolves `voice-call` to this repository's built package (run `npm run build`).
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [
    vue({
      // <voice-call> is a custom element, not a Vue component: Vue must leave it to the browser.
      template: { compilerOptions: { isCustomElement: (tag) => tag === 'voice-call' } },
    }),
  ],
});
