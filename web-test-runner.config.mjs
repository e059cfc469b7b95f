// Browser tests: every file runs in Chromium (playwright) and Firefox (puppeteer over WebDriver BiDi)
// against reference agents started in this process.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { puppeteerLauncher } from '@web/test-runner-puppeteer';
import { fileURLToPath } from 'node:url';
import { minifyCssLiterals, minifyHtmlLiterals } from './scripts/lit-literals.ts';
import { createAgentServer } from './server/agent-server.ts';
import { UdpRelay } from './server/relay.ts';
import { CHROMIUM_ARGS, FIREFOX_PREFS, findChromium, findFirefox } from './test/support/browsers.mjs';
import { startNatStunServer, startSilentUdpServer, startTurnServer } from './test/support/turn.ts';

const only = process.env.BROWSERS?.split(',') ?? ['chromium', 'firefox'];
export const AGENT_TOKEN = 'test-token';
export const AGENT_ORG = 'org_test';
const agents = {
  open: await createAgentServer({ port: 0 }),
  secured: await createAgentServer({ port: 0, token: AGENT_TOKEN }),
  org: await createAgentServer({ port: 0, orgId: AGENT_ORG }),
};

// Nothing listens here any more: "connection refused" for the network fault tests.
const refused = await createAgentServer({ port: 0 });
await refused.close();

// A relay-only network (test/browser/network-turn.test.ts): coturn on loopback; the same TURN server behind
// a link that delays every packet (a TURN server far away, slow to allocate); one that never answers; and a
// STUN server that maps the browser to another address, as a NAT would, so the browser has a
// server-reflexive candidate early.
const turn = await startTurnServer();
const TURN_DELAY_MS = 100;
const slowTurn = await UdpRelay.open({ address: turn.host, port: turn.port }, turn.host, { loss: 0, delayMs: TURN_DELAY_MS, jitterMs: 0 });
const deadTurn = await startSilentUdpServer();
const natStun = await startNatStunServer();
const credentials = { username: turn.username, credential: turn.credential };
const network = {
  turn: { urls: turn.url, ...credentials },
  slowTurn: { urls: `turn:${slowTurn.endpoint.address}:${slowTurn.endpoint.port}`, ...credentials },
  deadTurn: { urls: `turn:${deadTurn.host}:${deadTurn.port}`, ...credentials },
  natStun: natStun.url,
};

const browsers = [];
if (only.includes('chromium')) {
  const executablePath = await findChromium();
  browsers.push(playwrightLauncher({ product: 'chromium', launchOptions: { executablePath, headless: true, args: CHROMIUM_ARGS } }));
}
if (only.includes('firefox')) {
  const executablePath = findFirefox();
  browsers.push(
    puppeteerLauncher({ launchOptions: { browser: 'firefox', executablePath, headless: true, extraPrefsFirefox: FIREFOX_PREFS } }),
  );
}

export default {
  files: process.env.TEST_FILES?.split(',') ?? ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  browsers,
  concurrency: 1,
  concurrentBrowsers: 2,
  testsFinishTimeout: 600_000,
  testFramework: { config: { timeout: 20_000 } },
  plugins: [
    // The templates as the build writes them (before esbuild reads the TypeScript): what is tested is what ships.
    {
      name: 'lit-literals',
      transform(context) {
        if (!/^\/src\/.*\.ts$/.test(context.path)) return undefined;
        return { body: minifyHtmlLiterals(minifyCssLiterals(context.body, context.path), context.path) };
      },
    },
    esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)), target: 'es2022' }),
    {
      name: 'reference-agents',
      async serverStop() {
        await Promise.all(Object.values(agents).map((agent) => agent.close()));
        slowTurn.close();
        deadTurn.close();
        natStun.close();
        await turn.close();
      },
    },
  ],
  testRunnerHtml: (testFramework) => `<!doctype html><html><body>
    <script>window.__FUZZ_SEED__ = ${JSON.stringify(process.env.FUZZ_SEED ?? '')};</script>
    <script>window.__AGENTS__ = ${JSON.stringify({ open: agents.open.url, secured: agents.secured.url, token: AGENT_TOKEN, refused: refused.url, org: agents.org.url, orgId: AGENT_ORG, network })};</script>
    <script src="/test/support/page-guard.js"></script>
    <script type="module" src="${testFramework}"></script></body></html>`,
};
