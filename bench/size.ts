/**
 * Size: our builds and the peers, bundled the same way in the same run (esbuild, minified ESM for the
 * browser), then gzip -9 and brotli. Peers are installed on demand into bench/.peers, never as project
 * dependencies; a peer that fails to install or bundle is reported as failed, with the reason.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { measure as measureBudget } from '../scripts/size.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PEERS_DIR = join(ROOT, 'bench/.peers');

export interface SizeRow {
  name: string;
  version?: string;
  /** What was measured: the entry bundled, or the shipped file. */
  what: string;
  min?: number;
  gzip?: number;
  brotli?: number;
  /** gzip(peer) / gzip(our standalone). */
  ratio?: number;
  failed?: string;
}

export interface SizeResult {
  ours: SizeRow[];
  dist: SizeRow[];
  peers: SizeRow[];
  /** What `npm run size` checks against its budget (scripts/size.mjs), from dist/ as built. */
  budget: { name: string; size: number; budget: number }[];
}

interface Peer {
  name: string;
  /** Packages to install (the first one's version is reported). */
  packages: string[];
  what: string;
  /** An entry module to bundle, or a shipped file to measure as is. */
  entry?: string;
  file?: string;
}

export const PEERS: Peer[] = [
  { name: '@vapi-ai/web', packages: ['@vapi-ai/web'], what: 'whole package', entry: `export * from '@vapi-ai/web'; export { default } from '@vapi-ai/web';` },
  {
    name: '@pipecat-ai/client-js + small-webrtc-transport',
    packages: ['@pipecat-ai/client-js', '@pipecat-ai/small-webrtc-transport'],
    what: 'client + SmallWebRTC transport',
    entry: `export * from '@pipecat-ai/client-js'; export * from '@pipecat-ai/small-webrtc-transport';`,
  },
  { name: 'livekit-client', packages: ['livekit-client'], what: 'whole package', entry: `export * from 'livekit-client';` },
  { name: '@elevenlabs/client', packages: ['@elevenlabs/client'], what: 'whole package', entry: `export * from '@elevenlabs/client';` },
  { name: '@elevenlabs/convai-widget-embed', packages: ['@elevenlabs/convai-widget-embed'], what: 'shipped dist/index.js', file: 'dist/index.js' },
  {
    name: '@openai/agents-realtime',
    packages: ['@openai/agents-realtime'],
    what: 'OpenAIRealtimeWebRTC transport',
    entry: `export { OpenAIRealtimeWebRTC } from '@openai/agents-realtime';`,
  },
];

export function compressed(code: Uint8Array): { min: number; gzip: number; brotli: number } {
  return {
    min: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: code.byteLength } }).byteLength,
  };
}

/** The one way everything is bundled: minified ESM for browsers, production defines. */
export async function bundle(options: { entryPoints?: string[]; stdin?: { contents: string; resolveDir: string }; external?: string[] }) {
  const result = await build({
    ...options,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0]!.contents;
}

export async function ourBuilds(): Promise<SizeRow[]> {
  const entryPoints = [join(ROOT, 'src/index.ts')];
  const standalone = await bundle({ entryPoints });
  const library = await bundle({ entryPoints, external: ['lit', 'lit/*'] });
  return [
    { name: 'voice-call standalone', what: 'src/index.ts, Lit inlined', ...compressed(standalone) },
    { name: 'voice-call library', what: 'src/index.ts, lit external', ...compressed(library) },
  ];
}

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => statSync(join(dir, file)).mtimeMs));
}

/**
 * What `npm run build` left in dist/, when it exists (measured as shipped, not re-bundled), flagged
 * when src/ changed after it was built.
 */
export function distFiles(): SizeRow[] {
  const dir = join(ROOT, 'dist');
  if (!existsSync(dir)) return [];
  const srcChanged = newestMtime(join(ROOT, 'src'));
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.m?js$/.test(file))
    .sort()
    .map((file) => {
      const built = statSync(join(dir, file)).mtimeMs;
      const when = new Date(built).toISOString().slice(0, 16).replace('T', ' ');
      return { name: `dist/${file}`, what: `npm run build, ${when} UTC${built < srcChanged ? ' (src/ changed since)' : ''}`, ...compressed(readFileSync(join(dir, file))) };
    });
}

export function installedVersion(name: string): string | undefined {
  const manifest = join(PEERS_DIR, 'node_modules', name, 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
}

/** A shipped file of an installed peer package. */
export function peerFile(name: string, file = PEERS.find((peer) => peer.name === name)!.file!): string {
  return join(PEERS_DIR, 'node_modules', name, file);
}

/** Installs whatever peer package is missing, in one npm run. Returns why it failed, if it did. */
export async function installPeers(log: (line: string) => void): Promise<string | undefined> {
  const missing = PEERS.flatMap((peer) => peer.packages).filter((name) => !installedVersion(name));
  if (!missing.length) return undefined;
  if (!existsSync(join(PEERS_DIR, 'package.json'))) {
    mkdirSync(PEERS_DIR, { recursive: true });
    writeFileSync(join(PEERS_DIR, 'package.json'), '{ "name": "bench-peers", "private": true }\n');
  }
  log(`installing ${missing.join(' ')} into bench/.peers`);
  try {
    await promisify(execFile)('npm', ['install', '--prefix', PEERS_DIR, '--no-save', '--no-audit', '--no-fund', ...missing], {
      env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    return undefined;
  } catch (error) {
    return `npm install failed: ${String((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n').slice(-3).join(' ')}`;
  }
}

export async function peerSizes(standaloneGzip: number, log: (line: string) => void): Promise<SizeRow[]> {
  const installError = await installPeers(log);
  const rows: SizeRow[] = [];
  for (const peer of PEERS) {
    const row: SizeRow = { name: peer.name, what: peer.what };
    const absent = peer.packages.filter((name) => !installedVersion(name));
    row.version = peer.packages.map((name) => installedVersion(name) ?? '?').join(' + ');
    try {
      if (absent.length) throw new Error(installError ?? `not installed: ${absent.join(', ')}`);
      const code = peer.file
        ? readFileSync(peerFile(peer.packages[0]!, peer.file))
        : await bundle({ stdin: { contents: peer.entry!, resolveDir: PEERS_DIR } });
      Object.assign(row, compressed(code));
      row.ratio = row.gzip! / standaloneGzip;
    } catch (error) {
      row.failed = (error as Error).message.split('\n')[0]!.slice(0, 300);
    }
    rows.push(row);
  }
  return rows;
}

export async function measureSize(log: (line: string) => void): Promise<SizeResult> {
  const ours = await ourBuilds();
  const peers = await peerSizes(ours[0]!.gzip!, log);
  const { checks } = (await measureBudget()) as { checks: SizeResult['budget'] };
  return { ours, dist: distFiles(), peers, budget: checks };
}

/**
 * Builds dist/ (`npm run build`) when it is missing or older than src/: the budget and the load-time bench
 * measure the files as shipped, and a stale build would measure yesterday's code.
 */
export function ensureBuilt(log: (line: string) => void): void {
  const shipped = join(ROOT, 'dist/voice-call.js');
  if (existsSync(shipped) && statSync(shipped).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  log('dist/ is missing or older than src/: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
