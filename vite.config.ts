// Builds for `npm run build` (scripts/build.mjs runs each mode in turn):
//   vite build                    the library for bundlers: ESM, lit, @lit/react and react external
//   vite build --mode standalone  dist/voice-call.js: one ESM file with Lit inlined, for a script tag or a CDN
//   vite build --mode iife        dist/voice-call.iife.js: the same as a classic script (window.VoiceCall)
// Every output is fully minified by oxc (Vite leaves whitespace in ES library output unless told).
import { defineConfig, type UserConfig } from 'vite';
import { litLiterals } from './scripts/lit-literals.ts';

/** oxc minifier options for every output (scripts/size.mjs minifies with them too). */
export const MINIFY = { compress: { target: 'es2022' }, mangle: { toplevel: true }, codegen: { removeWhitespace: true } } as const;
// No `/*@__PURE__*/` or licence comments: the notices of inlined code ship in dist/THIRD-PARTY-LICENSES.txt.
const output = { minify: MINIFY, comments: false } as const;

/** What every build shares; `lib` and `rolldownOptions` are what make each one. */
function build(lib: NonNullable<UserConfig['build']>['lib'], rolldownOptions: NonNullable<UserConfig['build']>['rolldownOptions']): UserConfig {
  return {
    plugins: [litLiterals()],
    build: { target: 'es2022', outDir: 'dist', emptyOutDir: false, sourcemap: true, lib, rolldownOptions },
  };
}

function library(): UserConfig {
  return build(
    {
      entry: {
        index: 'src/index.ts',
        element: 'src/element/voice-call.ts',
        define: 'src/define.ts',
        react: 'src/react.ts',
      },
      formats: ['es'],
    },
    {
      external: [/^lit(\/|$)/, /^@lit\/react(\/|$)/, /^react(\/|$)/],
      output: { ...output, chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  );
}

function standalone(format: 'es' | 'iife'): UserConfig {
  return build(
    {
      entry: 'src/index.ts',
      formats: [format],
      name: 'VoiceCall',
      fileName: () => (format === 'es' ? 'voice-call.js' : 'voice-call.iife.js'),
    },
    // A classic script's top-level names are globals: `VoiceCall` must keep its name.
    { output: format === 'es' ? output : { ...output, minify: { ...MINIFY, mangle: { toplevel: false } } } },
  );
}

export default defineConfig(({ mode }) =>
  mode === 'standalone' ? standalone('es') : mode === 'iife' ? standalone('iife') : library(),
);
