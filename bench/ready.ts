/**
 * Widget ready, as a visitor on a phone feels it: a page with one script tag, loaded over an emulated slow
 * mobile link, timed from navigation to the custom element defined and rendered with its button visible.
 * Three pages alternate in the same run: a floor (a few bytes of script defining a trivial element: the
 * round trips any script tag pays), ours (dist/voice-call.js as shipped) and the ElevenLabs widget embed
 * (`<elevenlabs-convai>`, the package's shipped file), all from one local server; every request off that
 * server is refused.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../test/support/browsers.mjs';
import { withTimeout } from './browser.ts';
import { installPeers, installedVersion, peerFile } from './size.ts';

type Log = (line: string) => void;
const ROOT = new URL('..', import.meta.url).pathname;

/**
 * The link: 1.6 Mbps down, 750 kbps up, 150 ms round trip (CDP `Network.emulateNetworkConditions` takes
 * bytes per second and the latency added to each request).
 */
export const SLOW_MOBILE = { latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

export const PAGES = ['floor', 'ours', 'elevenlabs'] as const;
export type ReadyPage = (typeof PAGES)[number];

/** One load, ms from navigation start (`performance.now()` in the page). */
export interface ReadyRun {
  /** The script's last byte arrived (Resource Timing `responseEnd`). */
  scriptLoaded: number;
  /** `customElements.whenDefined` resolved. */
  defined: number;
  /** A button in the element's shadow root has a box: what the visitor sees. */
  ready: number;
  /** Bytes of the script on the wire (gzip). */
  scriptBytes: number;
}

export interface ReadyResult {
  link: typeof SLOW_MOBILE;
  /** The version of the ElevenLabs embed measured. */
  elevenlabsVersion: string;
  runs: Record<ReadyPage, ReadyRun[]>;
  /** Requests to anywhere but the local server, refused, per page (they must never succeed). */
  refused: Record<ReadyPage, string[]>;
}

const ELEVENLABS_EMBED = '@elevenlabs/convai-widget-embed';

/**
 * ElevenLabs' widget fetches its configuration from its API before it renders anything; that request is
 * refused here, so the configuration goes inline (its `override-config` attribute) and the launcher
 * renders without it: a lower bound for their page, which pays one more round trip for real.
 */
const ELEVENLABS_CONFIG = JSON.stringify({
  variant: 'compact',
  placement: 'bottom-right',
  avatar: { type: 'orb', color_1: '#2792dc', color_2: '#9ce6e6' },
  language: 'en',
});

/** A trivial element that renders one button: what any widget's script tag costs at the least. */
const FLOOR_SCRIPT = `customElements.define('bench-floor', class extends HTMLElement {
  connectedCallback() {
    const button = document.createElement('button');
    button.textContent = 'Call';
    this.attachShadow({ mode: 'open' }).append(button);
  }
});
`;

/**
 * Runs first in every page (inline, so it costs no request): resolves `window.benchReady` with the marks once
 * the element is defined and a button in its shadow root has a box (a launcher's card buttons are hidden). A mutation observer on the shadow root
 * catches the render as it happens; an animation-frame poll catches a box that comes from a stylesheet.
 */
const PROBE = `<script>
window.benchReady = new Promise((resolve) => {
  const tag = document.documentElement.dataset.tag;
  const marks = {};
  let done = false;
  const visible = (root) => {
    if (done || ![...root.querySelectorAll('button')].some((button) => button.getBoundingClientRect().width > 0)) return done;
    marks.ready = performance.now();
    const script = performance.getEntriesByType('resource').find((entry) => entry.initiatorType === 'script');
    resolve({ ...marks, scriptLoaded: script ? script.responseEnd : NaN, scriptBytes: script ? script.transferSize : NaN });
    return (done = true);
  };
  const watch = () => {
    const root = document.querySelector(tag).shadowRoot;
    if (!root) return requestAnimationFrame(watch);
    if (visible(root)) return;
    const observer = new MutationObserver(() => visible(root) && observer.disconnect());
    observer.observe(root, { childList: true, subtree: true, attributes: true });
    const poll = () => visible(root) ? observer.disconnect() : requestAnimationFrame(poll);
    requestAnimationFrame(poll);
  };
  customElements.whenDefined(tag).then(() => {
    marks.defined = performance.now();
    watch();
  });
});
</script>`;

const page = (tag: string, head: string, body: string) =>
  `<!doctype html>\n<html lang="en" data-tag="${tag}">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>widget ready</title>\n${PROBE}\n${head}\n</head>\n<body>\n${body}\n</body>\n</html>\n`;

/** Each page as a site would write it: the documented snippet of each widget. */
function pages(): Record<string, { type: string; body: Buffer }> {
  const html = (text: string) => ({ type: 'text/html', body: Buffer.from(text) });
  const script = (body: Buffer | string) => ({ type: 'text/javascript', body: Buffer.from(body) });
  return {
    '/floor.html': html(page('bench-floor', '<script type="module" src="/floor.js"></script>', '<bench-floor></bench-floor>')),
    '/floor.js': script(FLOOR_SCRIPT),
    '/ours.html': html(page('voice-call', '<script type="module" src="/voice-call.js"></script>', '<voice-call session-id="session_bench"></voice-call>')),
    '/voice-call.js': script(readFileSync(join(ROOT, 'dist/voice-call.js'))),
    '/elevenlabs.html': html(
      page(
        'elevenlabs-convai',
        '<script src="/convai-widget-embed.js" async type="text/javascript"></script>',
        `<elevenlabs-convai agent-id="agent_bench" override-config='${ELEVENLABS_CONFIG}'></elevenlabs-convai>`,
      ),
    ),
    '/convai-widget-embed.js': script(readFileSync(peerFile(ELEVENLABS_EMBED))),
  };
}

/** Every file gzip -9 with `Content-Encoding: gzip`, as a CDN serves it, and never cached. */
async function serve(files: Record<string, { type: string; body: Buffer }>): Promise<Server> {
  const zipped = new Map(Object.entries(files).map(([path, { type, body }]) => [path, { type, body: gzipSync(body, { level: 9 }) }]));
  const server = createServer((req, res) => {
    const file = zipped.get(req.url!);
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Encoding': 'gzip', 'Content-Length': file.body.byteLength, 'Cache-Control': 'no-store' });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const LOAD_TIMEOUT_MS = 30_000;

async function loadOnce(browser: Browser, url: string, refused: string[]): Promise<ReadyRun> {
  // A fresh context per load: no cache, no open connection, no service worker carried from the last one.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('requestfailed', (request) => {
      if (!request.url().startsWith(new URL(url).origin)) refused.push(request.url());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...SLOW_MOBILE });
    // The marks are taken in the page: when the harness gets to read them does not change them.
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: LOAD_TIMEOUT_MS });
    return await withTimeout(page.evaluate(() => (window as unknown as { benchReady: Promise<ReadyRun> }).benchReady), LOAD_TIMEOUT_MS, `${url}: not ready`);
  } finally {
    await context.close();
  }
}

/** `loads` of each page, alternating, the order rotated each round so no page always goes first. */
export async function widgetReady(loads: number, log: Log): Promise<ReadyResult> {
  const installError = await installPeers(log);
  if (installError) throw new Error(installError);
  const server = await serve(pages());
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Every host name resolves to nothing: a request that leaves the local server fails at once, as refused.
  const browser = await chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
  const runs: ReadyResult['runs'] = { floor: [], ours: [], elevenlabs: [] };
  const refused: ReadyResult['refused'] = { floor: [], ours: [], elevenlabs: [] };
  try {
    // One load of each first, not counted: the browser's own first-use costs (its network service, fonts).
    for (const name of PAGES) await loadOnce(browser, `${origin}/${name}.html`, []);
    for (let round = 0; round < loads; round++) {
      for (let i = 0; i < PAGES.length; i++) {
        const name = PAGES[(round + i) % PAGES.length]!;
        try {
          runs[name].push(await loadOnce(browser, `${origin}/${name}.html`, refused[name]));
        } catch (error) {
          log(`  ${name} load failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      if ((round + 1) % 5 === 0) log(`  ${round + 1}/${loads} rounds`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return { link: SLOW_MOBILE, elevenlabsVersion: installedVersion(ELEVENLABS_EMBED) ?? '?', runs, refused: Object.fromEntries(Object.entries(refused).map(([name, urls]) => [name, [...new Set(urls)]])) as ReadyResult['refused'] };
}
