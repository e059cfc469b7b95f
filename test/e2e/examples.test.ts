// The three examples, built as users build them and driven in Chromium against the reference agent: the
// plain page (the standalone file by a script tag), the React app (the ./react wrapper) and the Vue app.
// Each starts a call, sees it connected, checks the agent received the caller's audio, hangs up and sees it
// end. The pages come from a static server on another origin than the agent, as on a real site.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { createAgentServer, type AgentCall, type AgentServer } from '../../server/agent-server.ts';
import { CHROMIUM_ARGS, findChromium } from '../support/browsers.mjs';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.css': 'text/css' };

/** Pages a test writes for the site to serve, by path, with their own response headers (the CSP test's policy). */
const pages = new Map<string, { html: string; headers?: Record<string, string> }>();

/**
 * A read-only static host on its own origin: `resolve` maps a URL path to a file of this repository (or
 * `null`, a 404); `headers` go on every file it serves.
 */
function staticServer(resolve: (path: string) => string | null, headers: Record<string, string> = {}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const page = pages.get(path);
    if (page) {
      res.writeHead(200, { 'Content-Type': 'text/html', ...page.headers }).end(page.html);
      return;
    }
    const file = resolve(path);
    if (!file || !existsSync(join(root, file)) || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers }).end(readFileSync(join(root, file)));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

/** The site: dist/ and examples/, plus the test-written `pages`. */
const siteServer = () => staticServer((path) => (/^(dist|examples)\//.test(path) ? path : null));

/**
 * A CDN the way unpkg and jsDelivr serve a package: `/npm/voice-call@<version>/<file>` for exactly the files
 * `npm pack` puts in the tarball, with `Access-Control-Allow-Origin: *` (module scripts load cross-origin
 * only with CORS).
 */
async function cdnServer(): Promise<{ server: Server; url: string; base: string }> {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const packed = new Set((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map(({ path }) => path));
  const prefix = `npm/voice-call@${version}/`;
  const cdn = await staticServer(
    (path) => (path.startsWith(prefix) && packed.has(path.slice(prefix.length)) ? path.slice(prefix.length) : null),
    { 'Access-Control-Allow-Origin': '*' },
  );
  return { ...cdn, base: `${cdn.url}/${prefix}` };
}

async function agentCall(agent: AgentServer, id: string): Promise<AgentCall> {
  const response = await fetch(`${agent.url}/_agent/calls/${encodeURIComponent(id)}`);
  assert.equal(response.status, 200, `the agent has no call ${id}`);
  return (await response.json()) as AgentCall;
}

async function until<T>(check: () => Promise<T | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Page errors, console errors and failed loads (with their URL) of `page`, as they happen. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // Loads that got an HTTP error are reported with their URL below; network failures stay here.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded')) problems.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

/**
 * The element's call as the agent records it, once audible sound was decoded both ways (the agent decoded
 * our microphone; the page decoded the agent: inbound totalAudioEnergy), and its id. Packet counts would
 * pass on silence: a muted track sends packets too, and the agent echoes them.
 */
async function heardBothWays(page: Page, agent: AgentServer): Promise<{ id: string; call: AgentCall }> {
  const element = page.locator('voice-call');
  const id = await element.evaluate((el) => (el as HTMLElement & { call: { voice_connection_id: string } }).call.voice_connection_id);
  const call = await until(async () => {
    const record = await agentCall(agent, id);
    return record.heard.audiblePackets >= 10 && record;
  }, 'the agent to decode audible audio from the page');
  await until(
    () =>
      element.evaluate(async (el) => {
        let energy = 0;
        const stats = await (el as HTMLElement & { peerConnection: RTCPeerConnection }).peerConnection.getStats();
        stats.forEach((report) => {
          if (report.type === 'inbound-rtp' && report.kind === 'audio') energy += report.totalAudioEnergy ?? 0;
        });
        return energy > 0.001;
      }),
    'audible agent audio decoded in the page',
  );
  return { id, call };
}

const EXAMPLES = [
  { name: 'plain page (standalone script tag)', path: 'examples/plain/index.html', framework: null },
  { name: 'React app (voice-call/react)', path: 'examples/react/dist/index.html', framework: 'React' },
  { name: 'Vue app', path: 'examples/vue/dist/index.html', framework: 'Vue' },
] as const;

describe('examples', () => {
  let agent: AgentServer;
  let site: { server: Server; url: string };
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(join(root, 'dist', 'voice-call.js')), 'dist/ is missing: run `npm run build` first');
    // The apps import `voice-call` by its package name: it resolves to this repository's dist/.
    for (const app of ['react', 'vue']) {
      await build({ root: join(root, 'examples', app), logLevel: 'warn', configFile: join(root, 'examples', app, 'vite.config.ts') });
    }
    [agent, site, browser] = await Promise.all([
      createAgentServer({ port: 0 }),
      siteServer(),
      findChromium().then((executablePath) => chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })),
    ]);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
    await agent?.close();
  });

  test('the React and Vue examples type-check against the built types (vue-tsc)', async () => {
    const result = await exec(join(root, 'node_modules', '.bin', 'vue-tsc'), ['-p', join(root, 'examples', 'tsconfig.json')]).catch(
      (error: { stdout: string }) => error,
    );
    assert.equal(result.stdout, '');
  });

  test('the classic-script build registers the tag and exposes window.VoiceCall', async () => {
    const page = await browser.newPage();
    try {
      await page.setContent(`<voice-call></voice-call><script src="${site.url}/dist/voice-call.iife.js"></script>`);
      const seen = await page.evaluate(() => {
        const api = (window as unknown as { VoiceCall?: { VoiceCallElement: unknown } }).VoiceCall;
        return { same: !!api && customElements.get('voice-call') === api.VoiceCallElement };
      });
      assert.deepEqual(seen, { same: true });
      await page.locator('voice-call').getByRole('button', { name: 'Start call' }).waitFor();
    } finally {
      await page.close();
    }
  });

  for (const example of EXAMPLES) {
    test(`${example.name}: call, agent hears it, hang up`, async () => {
      const page: Page = await browser.newPage();
      const problems = watchProblems(page);
      const scripts: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
      });
      try {
        await page.goto(`${site.url}/${example.path}?base-url=${encodeURIComponent(agent.url)}`);
        if (!example.framework) assert.deepEqual(scripts, ['/dist/voice-call.js'], 'the plain page loads the standalone file only');
        const element = page.locator('voice-call');
        await element.getByRole('button', { name: 'Start call' }).click();
        await page.locator('voice-call[state=connected]').waitFor({ timeout: 15_000 });
        if (example.framework) {
          // The framework got the events: its own output shows the state and the create-call response.
          await page.getByTestId('state').getByText('connected', { exact: true }).waitFor();
          await page.getByTestId('log').getByText(/^connected: /).waitFor();
        }

        const { id, call: heard } = await heardBothWays(page, agent);
        assert.equal(heard.state, 'connected');

        if (example.framework === 'React') {
          // Through the ref: the wrapper hands React the element itself.
          await page.getByRole('button', { name: 'Hang up from React' }).click();
        } else {
          await element.getByRole('button', { name: 'Hang up' }).click();
        }
        await page.locator('voice-call[state=ended]').waitFor();
        if (example.framework) await page.getByTestId('log').getByText('ended: hangup').waitFor();
        const ended = await until(async () => {
          const call = await agentCall(agent, id);
          return call.state === 'ended' && call;
        }, 'the agent to end the call');
        assert.equal(ended.endReason, 'client-ended');
        assert.deepEqual(problems, []);
      } finally {
        await page.close();
      }
    });
  }

  test('the standalone file works from a CDN path, on another origin than the page and the agent', async () => {
    const cdn = await cdnServer();
    const { unpkg, jsdelivr } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, string>;
    assert.equal(unpkg, jsdelivr);
    const src = new URL(unpkg!, cdn.base).href;
    const page = await browser.newPage();
    const problems = watchProblems(page);
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.url());
    });
    try {
      // A page of the site whose only script is the CDN's file.
      pages.set('cdn/index.html', {
        html: `<!doctype html><html lang="en"><head><script type="module" src="${src}"></script></head><body>
          <voice-call session-id="session_cdn" base-url="${agent.url}"></voice-call></body></html>`,
      });
      await page.goto(`${site.url}/cdn/index.html`);
      const element = page.locator('voice-call');
      await element.getByRole('button', { name: 'Start call' }).click();
      await page.locator('voice-call[state=connected]').waitFor({ timeout: 15_000 });
      await heardBothWays(page, agent);
      await element.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('voice-call[state=ended]').waitFor();
      assert.deepEqual(scripts, [src], 'one file, from the CDN, and nothing it imports');
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      pages.delete('cdn/index.html');
      await new Promise((resolve) => cdn.server.close(resolve));
    }
  });

  test('the standalone file works under a strict CSP with Trusted Types enforced', async () => {
    // What a security-minded site sends: no inline script or style, no eval, DOM sinks only through a
    // Trusted Types policy (Lit's own, `lit-html`), connections only to the voice service.
    const nonce = 'e2e-strict-page';
    pages.set('strict/index.html', {
      headers: {
        'Content-Security-Policy': [
          "default-src 'none'",
          `script-src 'self' 'nonce-${nonce}'`,
          "style-src 'self'",
          `connect-src ${agent.url}`,
          "require-trusted-types-for 'script'",
          'trusted-types lit-html',
        ].join('; '),
      },
      html: `<!doctype html><html lang="en"><head><script type="module" src="/dist/voice-call.js"></script></head><body>
        <voice-call session-id="session_strict"></voice-call>
        <script nonce="${nonce}">
          window.violations = [];
          document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));
          document.querySelector('voice-call').baseUrl = ${JSON.stringify(agent.url)};
        </script></body></html>`,
    });
    const page = await browser.newPage();
    const problems = watchProblems(page);
    try {
      await page.goto(`${site.url}/strict/index.html`);
      assert.equal(await page.evaluate(() => typeof (window as unknown as { trustedTypes?: unknown }).trustedTypes), 'object', 'this browser enforces Trusted Types');
      const element = page.locator('voice-call');
      await element.getByRole('button', { name: 'Start call' }).click();
      await page.locator('voice-call[state=connected]').waitFor({ timeout: 15_000 });
      // The default card keeps the levels in the details, which sample only while open (5d72815): opened,
      // the level meters are drawn under the policy.
      await element.locator('[part=summary]').click();
      await page.waitForFunction(() => {
        const meter = document.querySelector('voice-call')!.shadowRoot!.querySelector<HTMLElement>('[part~=output-level]');
        return Number(meter?.style.getPropertyValue('--level')) > 0;
      }, undefined, { timeout: 10_000 });
      await heardBothWays(page, agent);
      await element.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('voice-call[state=ended]').waitFor();
      assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), []);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      pages.delete('strict/index.html');
    }
  });
});
