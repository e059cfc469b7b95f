// The README's first command as a newcomer runs it: a copy of the repository's tracked files (what a clean
// clone holds, with this checkout's edits), `npm install` and `npm start` in an empty environment (PATH and
// HOME only: no PUPPETEER_SKIP_DOWNLOAD or any other variable CI might set). On a machine that reaches only
// the npm registry, a package that downloads a browser in its install step fails this test.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
/** What a newcomer's shell has: a PATH (with this Node's folder) and a HOME (npm's cache lives there). */
const EMPTY_ENV = {
  PATH: [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
  HOME: process.env.HOME ?? '/root',
};

describe('a fresh clone, with no environment variables', () => {
  const clone = mkdtempSync(join(tmpdir(), 'voice-call-clone-'));
  after(() => rmSync(clone, { recursive: true, force: true, maxRetries: 5 }));

  before(async () => {
    const { stdout } = await exec('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 16 << 20 });
    for (const path of stdout.split('\0').filter(Boolean)) {
      mkdirSync(dirname(join(clone, path)), { recursive: true });
      // A file deleted in this checkout but not yet committed is not copied.
      try {
        cpSync(join(root, path), join(clone, path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  });

  test('npm install succeeds (no package downloads a browser or binary from outside the registry)', { timeout: 300_000 }, async () => {
    const result = await exec('npm', ['install'], { cwd: clone, env: EMPTY_ENV, maxBuffer: 64 << 20 }).catch((error) => error);
    assert.equal(result.code ?? 0, 0, `npm install failed:\n${result.stderr}`);
  });

  test('npm start serves the demo page', { timeout: 120_000 }, async () => {
    // `--port 0`: the default port may be taken on a machine running other tests; the command is the README's.
    const server = spawn('npm', ['start', '--', '--port', '0'], { cwd: clone, env: EMPTY_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    server.stderr.on('data', (chunk) => (stderr += chunk));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        server.stdout.on('data', (chunk) => {
          stdout += chunk;
          const match = /voice-call demo: (\S+)/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        server.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${stdout}\n${stderr}`)));
      });
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<voice-call\b/);
      // The page's own module goes through Vite's transform: the dev tooling installed and works.
      const module = await fetch(new URL('/src/define.ts', url));
      assert.equal(module.status, 200, stderr);
      assert.match(await module.text(), /customElements/);
    } finally {
      // npm runs node under a shell: the whole process group goes. Its pipes close once the last of them is
      // gone; until then Vite may still write its cache into node_modules, which the clean-up below removes
      // (rmSync failed with ENOTEMPTY on a busy machine).
      const gone = new Promise((resolve) => server.once('close', resolve));
      process.kill(-server.pid!, 'SIGTERM');
      await gone;
    }
  });
});
