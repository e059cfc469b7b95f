// `vite build examples/react`: resolves `voice-call` to this repository's built package (run `npm run build`).
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // Vite's own JSX transform; no React plugin is needed for a production build.
  oxc: { jsx: { runtime: 'automatic' } },
});
