import { transform } from 'lightningcss';
import type { Plugin } from 'vite';

// A css`…` literal without interpolations or escapes: its text is exactly the stylesheet, so it can be
// minified as CSS and put back unchanged in meaning.
const PLAIN_CSS_LITERAL = /\bcss`([^`$\\]*)`/g;

/** Minifies the CSS text inside Lit `css` tagged templates; the whitespace in them is a fifth of the styles. */
export function minifyCssLiterals(source: string, filename: string): string {
  return source.replace(PLAIN_CSS_LITERAL, (_, text: string) => {
    const { code } = transform({ filename, code: Buffer.from(text), minify: true });
    return `css\`${code.toString()}\``;
  });
}

/** Vite plugin: {@link minifyCssLiterals} on the project's TypeScript sources. */
export function litCss(): Plugin {
  return {
    name: 'voice-call:lit-css',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/src\/.*\.ts$/.test(id) || !code.includes('css`')) return null;
      return { code: minifyCssLiterals(code, id), map: null };
    },
  };
}
