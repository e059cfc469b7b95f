// Server-side rendering and Node imports: "window is not defined" is the classic crash of a widget
// imported by a framework's server build. Each import runs in a fresh Node process with no DOM at all,
// and with traps on the browser globals: our own code reading one while it loads fails the test with its
// name (Lit's own guarded checks, such as `global.document === undefined`, just see undefined). Even a
// `typeof window` counts: nothing in the widget has a reason to look at the browser while it loads.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const source = (path: string) => pathToFileURL(fileURLToPath(new URL(`../../src/${path}`, import.meta.url))).href;

/** Browser globals a module must not read while it loads (Lit installs its own HTMLElement/customElements shim). */
const TRAPS = ['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'location', 'matchMedia', 'MediaStream', 'RTCPeerConnection', 'AudioContext'];

async function inFreshNode(code: string): Promise<string> {
  const prelude = `
    const reads = [];
    for (const name of ${JSON.stringify(TRAPS)}) {
      if (name in globalThis) continue;
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          const caller = new Error().stack.split('\\n')[2] ?? '';
          if (caller.includes('/src/') && !caller.includes('node_modules')) reads.push(name + ' at ' + caller.trim());
          return undefined;
        },
      });
    }
    const untrap = () => {
      for (const name of ${JSON.stringify(TRAPS)}) delete globalThis[name];
      if (reads.length) throw new Error('read browser globals while importing: ' + reads.join('; '));
    };
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', prelude + code], { timeout: 60_000 });
  return stdout.trim();
}

describe('no DOM (server-side rendering, Node tooling)', () => {
  for (const entry of ['index.ts', 'define.ts', 'react.ts', 'vue.ts']) {
    test(`importing src/${entry} touches no browser global and does not throw`, { skip: !existsSync(new URL(`../../src/${entry}`, import.meta.url)) }, async () => {
      const out = await inFreshNode(`
        const module = await import(${JSON.stringify(source(entry))});
        untrap();
        console.log(JSON.stringify({ exports: Object.keys(module).length, window: typeof window }));
      `);
      const result = JSON.parse(out) as { exports: number; window: string };
      // vue.ts carries only types; the others export values.
      if (entry !== 'vue.ts') assert.ok(result.exports > 0, 'it exports something');
      assert.equal(result.window, 'undefined', 'no window was created');
    });
  }

  test('a call started without a browser fails cleanly as a microphone error, and hangup() is safe', async () => {
    const out = await inFreshNode(`
      const { CallSession } = await import(${JSON.stringify(source('index.ts'))});
      untrap();
      const session = new CallSession();
      session.hangup();
      const states = [];
      session.on('statechange', ({ state }) => states.push(state));
      const error = await session.start({ baseUrl: 'http://127.0.0.1:9', sessionId: 's' }).then(() => null, (e) => e);
      session.hangup();
      console.log(JSON.stringify({ kind: error?.kind, code: error?.code, message: error?.message, state: session.state, states }));
    `);
    const result = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(result, {
      kind: 'microphone',
      code: 'unsupported',
      message: 'This page cannot use the microphone: it must be served over HTTPS, in a browser that supports calls.',
      state: 'error',
      states: ['requesting-microphone', 'error'],
    });
  });

  test('the element class can be constructed on the server (Lit SSR shim) without starting anything', async () => {
    const out = await inFreshNode(`
      const { VoiceCallElement } = await import(${JSON.stringify(source('index.ts'))});
      untrap();
      const el = new VoiceCallElement();
      el.hangup();
      console.log(JSON.stringify({ state: el.state, error: el.error, call: el.call }));
    `);
    assert.deepEqual(JSON.parse(out), { state: 'idle', error: null, call: null });
  });
});
