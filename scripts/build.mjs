// `npm run build`: the library, the standalone files, the type declarations and the custom elements
// manifest, into dist/ (and custom-elements.json at the root, which is committed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
// One mode per build: two standalone entries in one build would share a chunk (see vite.config.ts).
for (const mode of ['production', 'standalone', 'iife']) {
  await build({ root, mode, logLevel: 'warn', configFile: join(root, 'vite.config.ts') });
}
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('cem'), ['analyze', '--litelement', '--globs', 'src/element/voice-call.ts', 'src/element/settings.ts', '--quiet']);
writeThirdPartyLicences();

/** The builds carry no comments, so the notices of the code the standalone files inline (Lit) ship beside them. */
function writeThirdPartyLicences() {
  const packages = ['lit', 'lit-html', 'lit-element', '@lit/reactive-element'];
  const text = packages
    .map((name) => {
      const dir = join(root, 'node_modules', name);
      const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return `${name}@${version}\n\n${readFileSync(join(dir, 'LICENSE'), 'utf8').trim()}\n`;
    })
    .join('\n---\n\n');
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'THIRD-PARTY-LICENSES.txt'), text);
}
