// What the build does to the text of Lit's tagged templates, so the source can be written for people: CSS
// in css`…` is minified as CSS, and the markup in html`…` loses what only the source needs (line breaks and
// indentation between tags, quotes around plain attribute values). Applied by Vite (build and the demo's dev
// server), `npm run size`'s module figures and the browser tests (web-test-runner.config.mjs): what is
// tested is what ships.
import { transform } from 'lightningcss';
import ts from 'typescript';
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

/** An attribute value HTML reads the same without quotes (and that cannot run into a following `/>`). */
const PLAIN_VALUE = /^[\w.-]+$/;

/**
 * The static text of html`…` templates without what only the source needs. Like JSX, whitespace that holds a
 * line break is formatting: between a tag and a tag or a binding it goes, inside a tag (between attributes)
 * and inside text it becomes one space (which HTML renders as the whitespace would). Whitespace without a line
 * break is content and stays (`${a} ${b}`). A quoted attribute value of letters, digits, `_`, `.` and `-`
 * loses its quotes. Template text is read by Lit through the HTML parser, for which both are the same markup.
 */
export function minifyHtmlLiterals(source: string, filename: string): string {
  if (!source.includes('html`')) return source;
  const file = ts.createSourceFile(filename, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'html') {
      const { template } = node;
      const pieces = ts.isNoSubstitutionTemplateLiteral(template) ? [template] : [template.head, ...template.templateSpans.map(({ literal }) => literal)];
      // The markup runs on across the bindings: a binding can sit inside a tag, even inside a quoted value.
      const state: Markup = { inTag: false, quote: null };
      for (const piece of pieces) {
        // The text between the opening backtick or `}` and the closing backtick or `${`.
        const start = piece.getStart(file) + 1;
        const end = piece.end - (ts.isTemplateHead(piece) || ts.isTemplateMiddle(piece) ? 2 : 1);
        const text = minifyMarkup(source.slice(start, end), state);
        if (text !== source.slice(start, end)) edits.push({ start, end, text });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // From the end of the file back, so each edit leaves the positions of the ones still to apply as they were.
  edits.sort((a, b) => b.start - a.start);
  return edits.reduce((result, { start, end, text }) => result.slice(0, start) + text + result.slice(end), source);
}

/** Where a template's markup is at the end of one static piece, and so at the start of the next. */
interface Markup {
  inTag: boolean;
  /** The quote of the attribute value being read, if any. */
  quote: string | null;
}

/** One static piece of a template, read from `state` and leaving it as the piece ends. */
function minifyMarkup(raw: string, state: Markup): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (state.quote) {
      // Inside a quoted value (one with a binding in it, or one that needs its quotes): as written.
      if (char === state.quote) state.quote = null;
      out += char;
    } else if (state.inTag && (char === '"' || char === "'")) {
      const close = raw.indexOf(char, i + 1);
      const value = close < 0 ? null : raw.slice(i + 1, close);
      if (value !== null && out.endsWith('=') && PLAIN_VALUE.test(value) && raw[close + 1] !== '/') {
        out += value;
        i = close;
      } else {
        state.quote = char;
        out += char;
      }
    } else if (/\s/.test(char)) {
      let run = char;
      while (i + 1 < raw.length && /\s/.test(raw[i + 1]!)) run += raw[++i];
      // A piece's start and end are where a binding (or the template) begins or ends.
      const afterTag = out === '' || out.endsWith('>');
      const beforeTag = i + 1 === raw.length || raw[i + 1] === '<';
      if (!run.includes('\n')) out += run;
      else if (state.inTag) out += ' ';
      else if (!afterTag && !beforeTag) out += ' ';
    } else {
      if (!state.inTag && char === '<' && /[a-zA-Z/]/.test(raw[i + 1] ?? '')) state.inTag = true;
      else if (state.inTag && char === '>') state.inTag = false;
      out += char;
    }
  }
  return out;
}

/** Vite plugin: {@link minifyCssLiterals} and {@link minifyHtmlLiterals} on the project's TypeScript sources. */
export function litLiterals(): Plugin {
  return {
    name: 'voice-call:lit-literals',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/src\/.*\.ts$/.test(id)) return null;
      const text = minifyHtmlLiterals(minifyCssLiterals(code, id), id);
      return text === code ? null : { code: text, map: null };
    },
  };
}
