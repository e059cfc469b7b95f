// The npm package as users get it: what the tarball holds, and a scratch project that installs it and uses
// every entry in Node (no DOM) and from TypeScript, React types and Vue templates included. Needs `npm run
// build` first (`npm test` runs it before the Node tests).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = (name: string): string => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

interface PackResult {
  filename: string;
  files: { path: string }[];
}

async function npm(args: string[], cwd: string): Promise<string> {
  // Scripts off: `npm pack` must not rebuild (prepack) in the middle of a test run.
  const { stdout } = await exec('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd, maxBuffer: 16 << 20 });
  return stdout;
}

/** Every path the `exports` map points at. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value.replace(/^\.\//, '')];
  return Object.values(value as Record<string, unknown>).flatMap(exportTargets);
}

before(() => {
  assert.ok(existsSync(join(root, 'dist', 'voice-call.js')), 'dist/ is missing: run `npm run build` first');
});

describe('npm pack', () => {
  let files: string[];
  before(async () => {
    const [result] = JSON.parse(await npm(['pack', '--dry-run', '--json'], root)) as PackResult[];
    files = result!.files.map(({ path }) => path);
  });

  test('holds the builds, types, manifest, README and licence', () => {
    for (const path of [
      'dist/voice-call.js',
      'dist/voice-call.js.map',
      'dist/voice-call.iife.js',
      'dist/index.js',
      'dist/element.js',
      'dist/define.js',
      'dist/react.js',
      'dist/types/index.d.ts',
      'dist/types/react.d.ts',
      'dist/types/vue.d.ts',
      'dist/THIRD-PARTY-LICENSES.txt',
      'custom-elements.json',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      assert.ok(files.includes(path), `${path} is not in the tarball`);
    }
    for (const target of exportTargets(manifest.exports)) assert.ok(files.includes(target), `exports points at ${target}, not packed`);
    for (const field of ['unpkg', 'jsdelivr', 'customElements', 'types']) {
      assert.ok(files.includes(manifest[field].replace(/^\.\//, '')), `${field} points at ${manifest[field]}, not packed`);
    }
    assert.equal(manifest.license, 'MIT');
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^MIT License/);
  });

  test('holds no tests, demo, examples, server or sources', () => {
    const strays = files.filter((path) => /^(src|test|demo|examples|server|scripts|bench)\/|^(vite|tsconfig|web-test-runner)\b/.test(path));
    assert.deepEqual(strays, []);
  });

  test('the custom elements manifest describes <voice-call>', () => {
    const cem = JSON.parse(readFileSync(join(root, 'custom-elements.json'), 'utf8'));
    const element = cem.modules.flatMap((module: { declarations?: unknown[] }) => module.declarations ?? [])
      .find((declaration: { tagName?: string }) => declaration.tagName === 'voice-call');
    assert.ok(element, 'no declaration with tagName voice-call');
    assert.equal(element.name, 'VoiceCallElement');
    const attributes = element.attributes.map((attribute: { name: string }) => attribute.name);
    for (const name of ['session-id', 'base-url', 'muted']) assert.ok(attributes.includes(name), `attribute ${name} missing`);
    const events = element.events.map((event: { name: string }) => event.name);
    assert.ok(events.includes('voice-call-connected') && events.includes('voice-call-ended'));
  });
});

describe('installed from the tarball into a scratch project', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'voice-call-package-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  before(async () => {
    const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', scratch], root)) as PackResult[];
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // The same versions as this repository's, so npm finds them in its cache.
    const dependencies = ['react', 'react-dom', '@types/react', 'vue'].map((name) => `${name}@${version(name)}`);
    await npm(['install', '--prefer-offline', join(scratch, packed!.filename), ...dependencies], scratch);
  });

  test('every entry imports in Node without a DOM, and React renders it on the server', async () => {
    const script = `
      const main = await import('voice-call');
      const element = await import('voice-call/element');
      const define = await import('voice-call/define');
      const { VoiceCall } = await import('voice-call/react');
      const { createElement } = await import('react');
      const { renderToString } = await import('react-dom/server');
      console.log(JSON.stringify({
        main: Object.keys(main).sort(),
        sameClass: main.VoiceCallElement === element.VoiceCallElement,
        tag: define.TAG_NAME,
        html: renderToString(createElement(VoiceCall, { sessionId: 's', onConnected() {} })),
      }));`;
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch });
    const result = JSON.parse(stdout);
    for (const name of ['VoiceCallElement', 'defineVoiceCall', 'VoiceCallEvent', 'CallSession', 'createCall', 'VoiceCallError']) {
      assert.ok(result.main.includes(name), `voice-call does not export ${name}`);
    }
    assert.equal(result.sameClass, true, 'voice-call and voice-call/element must share one class');
    assert.equal(result.tag, 'voice-call');
    assert.match(result.html, /^<voice-call[^>]*><\/voice-call>$/);
  });

  test('the types resolve for TypeScript, React props and Vue templates', async () => {
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { VoiceCallElement, type VoiceCallEventMap } from 'voice-call';
      import { VoiceCall } from 'voice-call/react';
      import { createElement } from 'react';
      import type { GlobalComponents } from 'vue';
      import type {} from 'voice-call/vue';
      import { VoiceCallElement as StandaloneElement } from 'voice-call/standalone';

      export const fromStandalone: StandaloneElement = document.createElement('voice-call');
      export const element: VoiceCallElement = document.createElement('voice-call');
      element.addEventListener('voice-call-connected', (event) => event.detail.model.toUpperCase());
      export const detail = (event: VoiceCallEventMap['voice-call-ended']) => event.detail.reason;
      export const ok = createElement(VoiceCall, { sessionId: 's', onConnected: (event) => event.detail.voice.trim() });
      // @ts-expect-error sessionId is a string
      export const bad = createElement(VoiceCall, { sessionId: 42 });

      type VueProps = InstanceType<GlobalComponents['voice-call']>['$props'];
      export const props: VueProps = { sessionId: 's', requestTimeout: 5000, muted: true };
      // @ts-expect-error requestTimeout is a number
      export const wrong: VueProps = { requestTimeout: 'soon' };
      `,
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
        files: ['consumer.ts'],
      }),
    );
    const result = await exec(join(root, 'node_modules', '.bin', 'tsc'), ['-p', scratch]).catch((error) => error);
    assert.equal(result.stdout, '', `tsc found errors:\n${result.stdout}`);
  });

  test('vue-tsc checks <voice-call> props and events in a template', async () => {
    const component = (template: string, script = '') =>
      `<script setup lang="ts">\nimport type {} from 'voice-call/vue';\n${script}\n</script>\n<template>\n${template}\n</template>\n`;
    writeFileSync(
      join(scratch, 'Good.vue'),
      component(
        `<voice-call session-id="s" :request-timeout="5000" :token="token" @voice-call-connected="(e) => e.detail.model.toUpperCase()" />`,
        `const token: string | null = null;`,
      ),
    );
    writeFileSync(join(scratch, 'Bad.vue'), component(`<voice-call :request-timeout="'soon'" @voice-call-ended="(e) => e.detail.nope" />`));
    writeFileSync(
      join(scratch, 'tsconfig.vue.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [], jsx: 'preserve' },
        files: ['Good.vue', 'Bad.vue'],
      }),
    );
    const errors = await exec(join(root, 'node_modules', '.bin', 'vue-tsc'), ['-p', join(scratch, 'tsconfig.vue.json')], { cwd: scratch }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    assert.doesNotMatch(errors, /Good\.vue/);
    assert.match(errors, /Bad\.vue.*'string' is not assignable to type 'number'/s);
    assert.match(errors, /Property 'nope' does not exist/);
  });
});
