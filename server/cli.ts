/**
 * Runs the reference agent: `node --import tsx server/cli.ts [--port N] [--lease S] [--token T] [--org ID] [--v2] [--turns | --echo] [--demo]`.
 * With `--demo` the same server also serves the demo page through Vite, so the page and the agent share
 * one origin, and the agent takes turns like a real one (`--echo` keeps the echo). Prints one line with the
 * URL; call logs go to stderr.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ViteDevServer } from 'vite';
import { createAgentServer, type AgentServer } from './agent-server.ts';
import { sendError } from './http.ts';

const DEFAULT_PORT = 8787;
const USAGE = 'usage: node --import tsx server/cli.ts [--port N] [--lease SECONDS] [--token TOKEN] [--org ORG_ID] [--v2] [--turns | --echo] [--demo]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > max) fail(`${name} must be a whole number up to ${max}, not ${JSON.stringify(value)}`);
  return number;
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      lease: { type: 'string' },
      token: { type: 'string' },
      // Require this X-Org-Id; answer create-call as a newer server does.
      org: { type: 'string' },
      v2: { type: 'boolean', default: false },
      // The agent greets, listens, thinks and answers (the demo's default) instead of echoing at once.
      turns: { type: 'boolean', default: false },
      echo: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (args.turns && args.echo) fail('--turns and --echo exclude each other');
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = wholeNumber('--port', args.port, 65535) ?? wholeNumber('PORT', process.env.PORT || undefined, 65535) ?? DEFAULT_PORT;
const leaseSeconds = wholeNumber('--lease', args.lease, 86_400);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// Vite starts after the server, because its HMR WebSocket attaches to it; until then the page waits.
let vite: ViteDevServer | undefined;
const demo = (req: IncomingMessage, res: ServerResponse) => {
  // The printed URL is /demo/, but people type the bare host.
  if (req.url === '/' || req.url === '/demo') {
    res.writeHead(302, { Location: '/demo/' }).end();
  } else if (vite) vite.middlewares(req, res);
  else sendError(res, 503, 'the demo is still starting', { 'Retry-After': '1' });
};

let agent: AgentServer;
try {
  agent = await createAgentServer({
    port,
    leaseSeconds,
    token: args.token,
    orgId: args.org,
    v2: args.v2,
    // QA sees listening, thinking and speaking for real on the demo; the test suites call an echoing agent.
    turns: args.turns || (args.demo && !args.echo),
    fallback: args.demo ? demo : undefined,
    log: (line) => console.error(line),
  });
} catch (error) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
  process.exit(1);
}

if (args.demo) {
  const { createServer } = await import('vite');
  // Root is the repository, not demo/, so the page's `/src/…` and `/server/faults.ts` imports resolve.
  vite = await createServer({
    root: repoRoot,
    appType: 'mpa',
    clearScreen: false,
    // No dev-server socket and no client for it: that client reloads the page when its socket comes back
    // after a network drop, which would end the very call QA is testing the drop with (and without a socket
    // it reports errors). Edits show on a manual reload.
    server: { middlewareMode: { server: agent.httpServer }, ws: false, hmr: false },
    plugins: [
      {
        name: 'no-dev-client',
        transformIndexHtml: { order: 'post', handler: (html: string) => html.replace(/<script type="module" src="\/@vite\/client"><\/script>\s*/, '') },
      },
    ],
  });
  console.log(`voice-call demo: ${agent.url}/demo/`);
} else {
  console.log(`voice-call reference agent: ${agent.url}`);
}

let stopping = false;
async function stop(): Promise<void> {
  // A second Ctrl-C does not wait for a stuck close.
  if (stopping) process.exit(1);
  stopping = true;
  await Promise.all([agent.close(), vite?.close()]);
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
