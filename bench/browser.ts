/**
 * Everything measured in Chromium: connect latency (baseline, element, prewarmed element; loopback and
 * a dead STUN server), main-thread cost while connected, leaks over many calls, and the reference agent
 * under concurrent calls. One browser, the bench page served by an in-process reference agent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { createAgentServer, type AgentServer } from '../server/agent-server.ts';
import { CHROMIUM_ARGS, findChromium } from '../test/support/browsers.mjs';
import type { Usage } from './agent-process.ts';
import type { RunResult } from './page/main.ts';
import { bundle } from './size.ts';

const HERE = new URL('.', import.meta.url).pathname;
type Log = (line: string) => void;

export const VARIANTS = ['baseline', 'element', 'prewarmed'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Bench {
  agent: AgentServer;
  browser: Browser;
  context: BrowserContext;
  chromiumVersion: string;
  /** A STUN server on loopback that swallows every request and never answers. */
  deadStun: RTCIceServer[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** The page bundle, built the way users get the element (the size bench's one bundling recipe). */
async function pageBundle(): Promise<string> {
  return Buffer.from(await bundle({ entryPoints: [`${HERE}page/main.ts`] })).toString('utf8');
}

async function blackHole(): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export async function startBench(): Promise<Bench> {
  const [js, html] = [await pageBundle(), readFileSync(`${HERE}page/index.html`, 'utf8')];
  const agent = await createAgentServer({
    fallback: (req, res) => {
      const script = req.url === '/bench.js';
      res.writeHead(200, { 'Content-Type': script ? 'text/javascript' : 'text/html', 'Cache-Control': 'no-store' });
      res.end(script ? js : html);
    },
  });
  const hole = await blackHole();
  const browser = await chromium.launch({
    executablePath: await findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'],
  });
  // A returning visitor: the microphone is already allowed, as it must be for prewarm to take it early.
  const context = await browser.newContext({ permissions: ['microphone'] });
  return {
    agent,
    browser,
    context,
    chromiumVersion: browser.version(),
    deadStun: [{ urls: `stun:127.0.0.1:${hole.address().port}` }],
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (error) => process.stderr.write(`[page error] ${error.message}\n`));
      await page.goto(`${agent.url}/`);
      await page.waitForFunction(() => !!window.bench);
      return page;
    },
    async close() {
      await browser.close();
      hole.close();
      await agent.close();
    },
  };
}

/** A run that never connects must not hang the bench: it is counted as failed after this. */
const RUN_TIMEOUT_MS = 60_000;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runOnce(page: Page, variant: Variant, iceServers: RTCIceServer[], dwellMs: number): Promise<RunResult> {
  const result = await withTimeout(page.evaluate(
    ([variant, iceServers, dwellMs]) =>
      variant === 'baseline' ? window.bench.baseline(iceServers) : window.bench.element(iceServers, variant === 'prewarmed', dwellMs),
    [variant, iceServers, dwellMs] as const,
  ), RUN_TIMEOUT_MS, variant).finally(() => page.evaluate(() => window.bench.hangup()));
  // Let the agent tear the call down before the next one, so runs do not overlap.
  await sleep(150);
  return result;
}

/**
 * The first call of a page, a fresh page per run (alternating baseline and element): what a visitor who
 * calls once meets, including the page's first AudioContext, which warm runs no longer pay for.
 */
export async function firstCalls(bench: Bench, runs: number, log: Log): Promise<Record<Variant, RunResult[]>> {
  const results: Record<Variant, RunResult[]> = { baseline: [], element: [], prewarmed: [] };
  for (let round = 0; round < runs; round++) {
    for (const variant of round % 2 ? (['element', 'baseline'] as const) : (['baseline', 'element'] as const)) {
      const page = await bench.newPage();
      try {
        results[variant].push(await runOnce(page, variant, [], 0));
      } catch (error) {
        log(`  ${variant} first call failed: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await page.close();
      }
    }
  }
  return results;
}

export interface LatencyOptions {
  runs: number;
  warmup: number;
  iceServers: RTCIceServer[];
  /** Hover-to-click time for the prewarmed variant. */
  dwellMs: number;
  variants?: readonly Variant[];
}

/** Alternating runs, the order rotated each round so no variant always goes first. */
export async function latency(page: Page, options: LatencyOptions, log: Log): Promise<Record<Variant, RunResult[]>> {
  const variants = options.variants ?? VARIANTS;
  const results = Object.fromEntries(VARIANTS.map((variant) => [variant, [] as RunResult[]])) as Record<Variant, RunResult[]>;
  for (let round = 0; round < options.warmup + options.runs; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length]!;
      try {
        const result = await runOnce(page, variant, options.iceServers, options.dwellMs);
        if (round >= options.warmup) results[variant].push(result);
      } catch (error) {
        // Reported as fewer runs than asked for, with the reason in the log.
        log(`  ${variant} run failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    if (round >= options.warmup && (round - options.warmup + 1) % 5 === 0) log(`  ${round - options.warmup + 1}/${options.runs} rounds`);
  }
  return results;
}

/** Baselines that wait out a dead STUN server (~40 s each in Chromium): run side by side to save time. */
export async function concurrentBaselines(page: Page, count: number, iceServers: RTCIceServer[]): Promise<RunResult[]> {
  const results = await withTimeout(
    page.evaluate(([count, iceServers]) => Promise.all(Array.from({ length: count }, () => window.bench.baseline(iceServers))), [count, iceServers] as const),
    RUN_TIMEOUT_MS,
    'dead-STUN baselines',
  ).finally(() => page.evaluate(() => window.bench.hangup()));
  return results;
}

async function taskDuration(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((metric) => metric.name === 'TaskDuration')!.value;
}

/** Nanoseconds a thread has spent on a CPU (Linux `/proc/<pid>/task/<tid>/schedstat`), or undefined. */
function onCpuNs(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/**
 * On-CPU time of every renderer's main thread, summed (a process's main thread has its pid as thread
 * id). Unlike TaskDuration, which is wall time and grows whenever another process takes the CPU in the
 * middle of a task, this counts only the renderer's own work: on a busy shared machine TaskDuration of
 * the same page varied 2× between rounds where this varied by a few percent. Idle renderers (a spare
 * one, about:blank) add next to nothing. Undefined where /proc is not there.
 */
async function rendererMainCpuNs(browserCdp: CDPSession): Promise<Map<number, number> | undefined> {
  const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  const times = new Map<number, number>();
  for (const { type, id } of processInfo) {
    const ns = type === 'renderer' ? onCpuNs(id) : undefined;
    if (ns !== undefined) times.set(id, ns);
  }
  return times.size ? times : undefined;
}

/** ms of main-thread CPU between two readings, over the renderers alive at both. */
function cpuMsBetween(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number {
  if (!before || !after) return NaN;
  let ns = 0;
  for (const [pid, end] of after) if (before.has(pid)) ns += end - before.get(pid)!;
  return ns / 1e6;
}

export interface CostRow {
  variant: string;
  /** Main-thread busy time (CDP TaskDuration, wall time), ms per second of call. */
  msPerSecond: number[];
  /** Main-thread on-CPU time (renderer main threads, /proc schedstat), ms per second of call. */
  cpuMsPerSecond: number[];
  note?: string;
}

/**
 * Main-thread cost per second of a connected call, two ways: CDP TaskDuration (every task on the renderer's
 * main thread, wall time) and the main thread's on-CPU time. `idle` is the page with no call, for reference.
 */
export async function mainThreadCost(bench: Bench, seconds: number, rounds: number, log: Log): Promise<{ rows: CostRow[]; meters: boolean; visual: boolean }> {
  const page = await bench.newPage();
  const cdp = await bench.context.newCDPSession(page);
  const browserCdp = await bench.browser.newBrowserCDPSession();
  await cdp.send('Performance.enable');
  const measure = async (start: () => Promise<unknown>) => {
    await start();
    await sleep(1000);
    const [before, cpuBefore] = [await taskDuration(cdp), await rendererMainCpuNs(browserCdp)];
    await sleep(seconds * 1000);
    const [after, cpuAfter] = [await taskDuration(cdp), await rendererMainCpuNs(browserCdp)];
    await page.evaluate(() => window.bench.hangup());
    await sleep(300);
    return { task: ((after - before) * 1000) / seconds, cpu: cpuMsBetween(cpuBefore, cpuAfter) / seconds };
  };
  // Warm-up call, and whether this build draws meters and an agent visual at all.
  await page.evaluate(() => window.bench.element([], false));
  await sleep(500);
  const { meters, visual } = await page.evaluate(() => ({ meters: window.bench.hasMeters(), visual: window.bench.hasAgentVisual() }));
  await page.evaluate(() => window.bench.hangup());

  const animated = [meters && 'meters on', visual && 'the agent visual animating'].filter(Boolean).join(', ');
  const element = (layout: 'full' | 'card') => () => page.evaluate(async (layout) => {
    await window.bench.setLayout(layout);
    return window.bench.element([], false);
  }, layout);
  const variants: { variant: string; start: () => Promise<unknown>; reducedMotion?: boolean; note?: string }[] = [
    { variant: 'idle page (no call)', start: async () => undefined },
    { variant: 'baseline', start: () => page.evaluate(() => window.bench.baseline([])) },
    { variant: animated ? `element, ${animated}` : 'element', start: element('full'), note: meters ? undefined : 'this build has no level meters' },
    { variant: 'element, default card layout (levels in the closed details)', start: element('card') },
  ];
  if (meters) {
    variants.push({
      variant: 'reference: a bare bar redrawn 20×/s, no call',
      start: () => page.evaluate(() => window.bench.bareBar(20)),
      note: 'the floor for any meter updating 20 times a second on this machine',
    });
    variants.push({
      variant: 'element, meters off (prefers-reduced-motion)',
      start: element('full'),
      reducedMotion: true,
    });
  }
  const rows: CostRow[] = variants.map(({ variant, note }) => ({ variant, msPerSecond: [], cpuMsPerSecond: [], ...(note ? { note } : {}) }));
  for (let round = 0; round < rounds; round++) {
    // Rotated each round, so no variant always follows the same one.
    for (let j = 0; j < variants.length; j++) {
      const i = (round + j) % variants.length;
      const variant = variants[i]!;
      await page.emulateMedia({ reducedMotion: variant.reducedMotion ? 'reduce' : 'no-preference' });
      const { task, cpu } = await measure(variant.start);
      rows[i]!.msPerSecond.push(task);
      rows[i]!.cpuMsPerSecond.push(cpu);
      log(`  ${variant.variant}: ${task.toFixed(2)} ms/s, on CPU ${cpu.toFixed(2)} ms/s`);
    }
  }
  await page.close();
  return { rows, meters, visual };
}

export interface LeakResult {
  cycles: number;
  /** Cycles after whose hang-up a mic track was still live or a connection still open. */
  dirtyCycles: number;
  liveTracks: number;
  openConnections: number;
  streamsAcquired: number;
  connectionsCreated: number;
  heapBefore: number;
  heapAfter: number;
  /** A hover with no click: what is held once the prewarm bound has passed. */
  unusedPrewarm: { heldWhileWaiting: { liveTracks: number; openConnections: number }; afterBound: { liveTracks: number; openConnections: number } };
}

async function usedHeap(cdp: CDPSession): Promise<number> {
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** start → connected → hang-up, `cycles` times on one element (every other one prewarmed). */
export async function leaks(bench: Bench, cycles: number, log: Log): Promise<LeakResult> {
  const page = await bench.newPage();
  const cdp = await bench.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const cycle = async (i: number) => {
    await withTimeout(page.evaluate((prewarm) => window.bench.element([], prewarm, prewarm ? 300 : 0), i % 2 === 1), RUN_TIMEOUT_MS, 'leak cycle').finally(() =>
      page.evaluate(() => window.bench.hangup()),
    );
    return page.evaluate(() => window.bench.counters());
  };
  // Warm-up: first-call allocations (compiled code, lazily built objects) are not a leak.
  for (let i = 0; i < 4; i++) await cycle(i);
  await sleep(500);
  const heapBefore = await usedHeap(cdp);
  let dirtyCycles = 0;
  for (let i = 0; i < cycles; i++) {
    const counters = await cycle(i);
    if (counters.liveTracks || counters.openConnections) dirtyCycles++;
    await sleep(100);
    if ((i + 1) % 10 === 0) log(`  ${i + 1}/${cycles} cycles`);
  }
  await sleep(1000);
  const heapAfter = await usedHeap(cdp);
  const after = await page.evaluate(() => window.bench.counters());

  // A hover that never becomes a click: the prepared call must let go of everything by itself.
  await page.evaluate(() => window.bench.hoverOnly());
  await sleep(1500);
  const held = await page.evaluate(() => window.bench.counters());
  log('  waiting out the 10 s prewarm bound');
  await sleep(9500);
  const released = await page.evaluate(() => window.bench.counters());
  await page.close();
  return {
    cycles,
    dirtyCycles,
    liveTracks: after.liveTracks,
    openConnections: after.openConnections,
    streamsAcquired: after.streamsAcquired,
    connectionsCreated: after.connectionsCreated,
    heapBefore,
    heapAfter,
    unusedPrewarm: {
      heldWhileWaiting: { liveTracks: held.liveTracks, openConnections: held.openConnections },
      afterBound: { liveTracks: released.liveTracks, openConnections: released.openConnections },
    },
  };
}

export interface LoadRow {
  calls: number;
  connected: number;
  /** Calls whose RTP counters grew both ways during the window. */
  flowing: number;
  /** Agent process CPU (user + system), ms per second, all calls together. */
  cpuMsPerSecond: number;
  rss: number;
  heapUsed: number;
}

export interface LoadResult {
  idle: { cpuMsPerSecond: number; rss: number; heapUsed: number };
  rows: LoadRow[];
  windowSeconds: number;
}

class AgentProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<AgentProcess> {
    const child = fork(`${HERE}agent-process.ts`, { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message: { url: string }) => resolve(message.url));
      child.once('exit', (code) => reject(new Error(`agent process exited (${code})`)));
    });
    return new AgentProcess(child, url);
  }

  private ask<T>(message: string, key: string): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (answer: Record<string, T>) => {
        if (!(key in answer)) return;
        this.child.off('message', onMessage);
        resolve(answer[key]!);
      };
      this.child.on('message', onMessage);
      this.child.send(message);
    });
  }

  usage = () => this.ask<Usage>('usage', 'usage');
  gc = () => this.ask<boolean>('gc', 'gc');

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send('close');
    await exited;
  }
}

const cpuMs = (usage: Usage) => usage.cpuUserMs + usage.cpuSystemMs;

/** The reference agent in its own process, holding `counts` concurrent calls from Chromium in turn. */
export async function agentLoad(bench: Bench, counts: number[], windowSeconds: number, log: Log): Promise<LoadResult> {
  const agent = await AgentProcess.start();
  const page = await bench.newPage();
  try {
    await sleep(1000);
    const idleStart = await agent.usage();
    await sleep(windowSeconds * 1000);
    const idleEnd = await agent.usage();
    await agent.gc();
    const { rss, heapUsed } = await agent.usage();
    const idle = { cpuMsPerSecond: (cpuMs(idleEnd) - cpuMs(idleStart)) / windowSeconds, rss, heapUsed };
    const rows: LoadRow[] = [];
    for (const count of counts) {
      let connected = 0;
      // In batches: the agent answers each offer with a fresh peer, and 25 at once is a burst no page makes.
      for (let done = 0; done < count; done += 5) {
        const batch = Math.min(5, count - done);
        const results = await page.evaluate(
          ([batch, base]) => Promise.allSettled(Array.from({ length: batch }, () => window.bench.baseline([], base))).then((all) => all.map((r) => r.status)),
          [batch, agent.url] as const,
        );
        connected += results.filter((status) => status === 'fulfilled').length;
      }
      await sleep(2000);
      const start = await agent.usage();
      await sleep(windowSeconds * 1000);
      const end = await agent.usage();
      // The GC after the CPU window, not before: its background sweeping would be billed to the calls.
      await agent.gc();
      const { rss, heapUsed } = await agent.usage();
      const before = new Map(start.calls.map((call) => [call.id, call]));
      const flowing = end.calls.filter((call) => {
        const earlier = before.get(call.id);
        return earlier && call.rtpReceived > earlier.rtpReceived && call.rtpSent > earlier.rtpSent;
      }).length;
      const row: LoadRow = { calls: count, connected, flowing, cpuMsPerSecond: (cpuMs(end) - cpuMs(start)) / windowSeconds, rss, heapUsed };
      rows.push(row);
      log(`  ${count} calls: ${connected} connected, ${flowing} with audio both ways, agent CPU ${row.cpuMsPerSecond.toFixed(1)} ms/s, RSS ${(row.rss / 2 ** 20).toFixed(1)} MiB`);
      await page.evaluate(() => window.bench.hangup());
      for (let i = 0; i < 100 && (await agent.usage()).calls.length; i++) await sleep(100);
    }
    return { idle, rows, windowSeconds };
  } finally {
    await page.close();
    await agent.close();
  }
}
