// `npm run size`: prints min / gzip -9 / brotli of every shipped script in dist/ and fails when a build is
// over its budget. `npm run analyze` (or any failure) also prints which source modules weigh most.
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { minifySync } from 'vite';
import { MINIFY } from '../vite.config.ts';
import { minifyCssLiterals, minifyHtmlLiterals } from './lit-literals.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const LIT = ['lit', 'lit/*', 'react', 'react/*'];

/** gzip -9 bytes: the figure the budgets are written in. */
export const gzip = (code) => gzipSync(code, { level: 9 }).length;
const brotli = (code) => brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/**
 * The size budget `npm test` enforces (gzip -9). The standalone file stays one file with every feature (one
 * script tag, one origin to allow under CSP): at most 22,000 B, at least 8.7x below the ElevenLabs widget
 * embed (191,522 B measured). What `import 'voice-call'` adds to an app bundle, Lit not counted: 16,000 B.
 * The number a visitor feels is the load-time bench (`npm run bench`), not this one.
 */
export const BUDGET = {
  /** The script-tag files, Lit inlined. */
  standalone: 22_000,
  /** What `import 'voice-call'` adds to an app bundle, Lit not counted. */
  library: 16_000,
};

function scripts(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'types' ? [] : scripts(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/**
 * What `import 'voice-call'` puts into an app: an app's one-line entry bundled with the library's files
 * (esbuild), lit left out, minified again as the build minifies (oxc). The app's bundle keeps everything the
 * element uses, which is every export, but not the library's export list: inside an app bundle the names are
 * the bundler's own (measuring dist/index.js as the entry counted that list, 192 B gzip, which no app ships).
 */
async function libraryInAnApp() {
  const result = await build({
    stdin: { contents: "import './index.js';", resolveDir: dist, sourcefile: 'app.js' },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    external: LIT,
    write: false,
    legalComments: 'none',
  });
  const { code } = minifySync('library.js', result.outputFiles[0].text, { module: true, ...MINIFY });
  // A wrong `sideEffects` in package.json would shake the element out of the app, and the figure would read small.
  if (!code.includes('customElements.define')) throw new Error("size: the app's bundle has no element: check package.json sideEffects");
  return code;
}

/** The same template minification as the build, so the figures per module match what ships. */
const litLiterals = {
  name: 'lit-literals',
  setup(build) {
    build.onLoad({ filter: /\/src\/.*\.ts$/ }, ({ path }) => ({
      contents: minifyHtmlLiterals(minifyCssLiterals(readFileSync(path, 'utf8'), path), path),
      loader: 'ts',
    }));
  },
};

/** Minified bytes per source module, largest first, from a fresh bundle of src/ (esbuild metafile). */
async function weights(entry, external) {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    external,
    write: false,
    metafile: true,
    legalComments: 'none',
    plugins: [litLiterals],
    conditions: ['production'],
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => [path, bytesInOutput])
    .sort((a, b) => b[1] - a[1]);
}

/**
 * What each of our modules adds to the library figure: gzip -9 of the whole minus gzip -9 of the whole without
 * that module, minified as the build minifies. gzip shares text between modules (a name or message written
 * twice costs little the second time), so this, not a module's minified bytes, is what removing it would save.
 */
async function gzipShares() {
  const result = await build({
    entryPoints: [join(root, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    external: LIT,
    write: false,
    legalComments: 'none',
    plugins: [litLiterals],
    logLevel: 'silent',
  });
  // An unminified esbuild bundle starts each module with a `// src/…` line (the first one also takes the
  // imports) and ends with the export list.
  const sections = result.outputFiles[0].text
    .split(/^(?=\/\/ src\/|export \{)/m)
    .map((text) => ({ path: /^\/\/ (\S+)/.exec(text)?.[1] ?? '(the export list)', text }));
  // Not compressed: with dead code removal, taking out the element would take out everything it uses.
  const gzipped = (kept) => gzip(minifySync('library.js', kept.map(({ text }) => text).join(''), { module: true, ...MINIFY, compress: false }).code);
  const whole = gzipped(sections);
  return [...new Set(sections.map(({ path }) => path))]
    .map((path) => [path, whole - gzipped(sections.filter((section) => section.path !== path))])
    .sort((a, b) => b[1] - a[1]);
}

const row = (cells) => cells.map((cell, i) => (i ? String(cell).padStart(9) : String(cell).padEnd(34))).join(' ');

export async function measure() {
  const files = scripts(dist).map((path) => {
    const code = readFileSync(path);
    return { file: relative(dist, path), min: code.length, gzip: gzip(code), brotli: brotli(code) };
  });
  const standalone = files.filter(({ file }) => file.startsWith('voice-call.'));
  const library = gzip(await libraryInAnApp());
  const checks = [
    ...standalone.map(({ file, gzip: size }) => ({ name: `standalone ${file}`, size, budget: BUDGET.standalone })),
    { name: "library (import 'voice-call' in an app, lit external)", size: library, budget: BUDGET.library },
  ];
  return { files, checks };
}

async function main() {
  const { files, checks } = await measure();
  console.log(row(['dist/', 'min B', 'gzip -9 B', 'brotli B']));
  for (const { file, min, gzip: gz, brotli: br } of files) console.log(row([file, min, gz, br]));
  console.log('');
  for (const { name, size, budget } of checks) {
    const margin = size <= budget ? `${budget - size} B to spare` : `over by ${size - budget} B`;
    console.log(`${size <= budget ? 'ok  ' : 'OVER'} ${name}: ${size} B gzip -9 (budget ${budget} B; ${margin})`);
  }
  const over = checks.some(({ size, budget }) => size > budget);
  if (over || process.argv.includes('--analyze')) {
    console.log('\nMinified bytes per module (esbuild, before gzip):');
    for (const [title, entry, external] of [
      ['library', 'src/index.ts', LIT],
      ['standalone', 'src/index.ts', []],
    ]) {
      const list = await weights(entry, external);
      console.log(`  ${title}:`);
      for (const [path, bytes] of list.slice(0, 12)) console.log(`    ${String(bytes).padStart(7)}  ${path}`);
    }
    console.log('\nWhat each module adds to the library figure (gzip -9 B; removing it would save about this):');
    for (const [path, bytes] of await gzipShares()) console.log(`    ${String(bytes).padStart(7)}  ${path}`);
  }
  if (over) {
    console.error('\nsize: over the budget (figures above).');
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
