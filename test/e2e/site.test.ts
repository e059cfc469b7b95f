// The widget as a site ships it (issue 14): the built standalone file on a plain homepage, calling the reference
// agent on another origin, in Chromium driven by playwright. The launcher closed and open, live, at 360 px,
// with safe-area insets (Chromium's emulation), each placement; the default card, dark, and the consent; each
// look compared with its committed reference screenshot (test/support/screenshots.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createAgentServer, type AgentServer } from '../../server/agent-server.ts';
import { CHROMIUM_ARGS, findChromium } from '../support/browsers.mjs';
import { expectScreenshot } from '../support/screenshots.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const STANDALONE = join(root, 'dist', 'voice-call.js');

/** A homepage with one `<voice-call>` (its attributes given), loading the standalone file by a script tag. */
const homepage = (attributes: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Acme support</title>
    <style>
      body { margin: 0; padding: 2rem; font: 16px/1.5 system-ui, sans-serif; color: #1f1f1f; background: #f4f5f7; }
      main { max-width: 36rem; }
    </style>
    <script type="module" src="/dist/voice-call.js"></script>
  </head>
  <body>
    <main>
      <h1>Acme support</h1>
      <p>Questions about an order, a delivery or a refund? Our agent answers by voice, day and night.</p>
      <voice-call ${attributes}></voice-call>
    </main>
  </body>
</html>`;

/** Serves `/?<attributes>` as the homepage and the standalone file, on its own origin. */
function siteServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === '/dist/voice-call.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(STANDALONE));
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(homepage(url.searchParams.get('attributes') ?? ''));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

/**
 * What changes from run to run inside the widget: the countdown, the live figures, the level meters. Only
 * those on screen: a closed <details> keeps its content laid out, and a mask would paint over its boxes.
 */
const liveParts = (page: Page) =>
  ['[part=time]', '[part=stats]', '[part~=level]'].map((selector) => page.locator(`voice-call ${selector}`).filter({ visible: true }));

/** The part that has focus inside the widget, or null. */
const focusedPart = (page: Page) => page.evaluate(() => document.querySelector('voice-call')!.shadowRoot!.activeElement?.getAttribute('part') ?? null);

describe('on a site', () => {
  let agent: AgentServer;
  let site: { server: Server; url: string };
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(STANDALONE), 'dist/ is missing: run `npm run build` first');
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

  /** A fresh page showing the homepage with these attributes (the agent's base URL added). */
  async function open(attributes: string, viewport = { width: 1000, height: 640 }, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const page = await browser.newPage({ viewport, colorScheme, reducedMotion: 'no-preference' });
    const all = `base-url="${agent.url}" session-id="session_site" ${attributes}`;
    await page.goto(`${site.url}/?attributes=${encodeURIComponent(all)}`);
    await page.locator('voice-call').locator('[part=launcher], [part=button]').first().waitFor();
    return page;
  }

  test('the launcher: closed, open, a live call that goes on when the card closes, then hung up', async () => {
    const page = await open('layout="launcher"');
    try {
      const widget = page.locator('voice-call');
      const launcher = widget.getByRole('button', { name: 'Voice call' });
      await expectScreenshot(page, 'launcher-closed');

      await launcher.click();
      await widget.getByRole('dialog', { name: 'Voice call' }).waitFor();
      assert.equal(await focusedPart(page), 'button', 'focus moves to the call button');
      await expectScreenshot(page, 'launcher-open');

      await page.keyboard.press('Enter');
      // The element itself takes no room (its launcher and card are fixed): attached, not visible.
      await page.locator('voice-call[state=connected]').waitFor({ state: 'attached', timeout: 15_000 });
      await widget.locator('[part=glance]').waitFor();
      await expectScreenshot(page, 'launcher-connected', { mask: liveParts(page) });

      await page.keyboard.press('Escape');
      await widget.getByRole('dialog').waitFor({ state: 'hidden' });
      assert.equal(await focusedPart(page), 'launcher', 'Escape gives focus back to the round button');
      assert.equal(await page.locator('voice-call').evaluate((el) => (el as HTMLElement & { state: string }).state), 'connected', 'closing the card does not end the call');
      await widget.getByRole('button', { name: 'Voice call · Connected' }).waitFor();
      await expectScreenshot(page, 'launcher-live');

      await widget.getByRole('button', { name: 'Voice call · Connected' }).click();
      await widget.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('voice-call[state=ended]').waitFor({ state: 'attached' });
      await widget.getByRole('button', { name: 'Close' }).click();
      assert.equal(await focusedPart(page), 'launcher', 'the close button gives focus back to the round button');
    } finally {
      await page.close();
    }
  });

  test('the launcher 360 px wide, clear of the safe-area insets (Chromium emulation of a notched phone)', async () => {
    const page = await open('layout="launcher"', { width: 360, height: 640 });
    try {
      const widget = page.locator('voice-call');
      await widget.locator('[part=launcher]').click();
      await widget.getByRole('dialog').waitFor();
      await expectScreenshot(page, 'launcher-360');
      const card = (await widget.locator('[part=base]').boundingBox())!;
      assert.ok(card.x >= 0 && card.x + card.width <= 360, `the card fits 360 px (${card.x} + ${card.width})`);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360, 'nothing scrolls sideways');

      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setSafeAreaInsetsOverride' as never, { insets: { top: 47, bottom: 34, left: 0, right: 20 } } as never);
      // 1em (14 px) from each edge, plus the inset.
      await page.waitForFunction(() => {
        const box = document.querySelector('voice-call')!.shadowRoot!.querySelector('[part=launcher]')!.getBoundingClientRect();
        return innerHeight - box.bottom === 14 + 34 && innerWidth - box.right === 14 + 20;
      });
      const moved = (await widget.locator('[part=base]').boundingBox())!;
      assert.ok(moved.x + moved.width <= 360 - 20, `the card keeps clear of the right inset (${moved.x} + ${moved.width})`);
      assert.ok(moved.y >= 47, `the card stays below the top inset (${moved.y})`);
    } finally {
      await page.close();
    }
  });

  test('the default card: idle, connected (model, voice and time left at a glance), dark, and the consent', async () => {
    const page = await open('');
    try {
      const widget = page.locator('voice-call');
      await expectScreenshot(widget, 'card-idle');
      await widget.getByRole('button', { name: 'Start call' }).click();
      await page.locator('voice-call[state=connected]').waitFor({ timeout: 15_000 });
      await widget.locator('[part=glance]').waitFor();
      await expectScreenshot(widget, 'card-connected', { mask: liveParts(page) });
      await page.emulateMedia({ colorScheme: 'dark' });
      await expectScreenshot(widget, 'card-dark', { mask: liveParts(page) });
      await widget.getByRole('button', { name: 'Hang up' }).click();
      await page.locator('voice-call[state=ended]').waitFor();
    } finally {
      await page.close();
    }

    const consent = await open('consent="Calls are recorded to improve our service. By accepting you agree to our terms."');
    try {
      const widget = consent.locator('voice-call');
      await widget.getByRole('button', { name: 'Start call' }).click();
      await widget.getByRole('button', { name: 'Accept' }).waitFor();
      await expectScreenshot(widget, 'consent');
      await widget.getByRole('button', { name: 'Decline' }).click();
      await widget.getByRole('button', { name: 'Start call' }).waitFor();
    } finally {
      await consent.close();
    }
  });
});
