/**
 * `npm run bench`: size, widget ready on a slow link, connect latency, main-thread cost, leaks and agent load in one run; prints the
 * tables and writes bench/results/latest.json and latest.md. A benchmark, not a test: it never fails
 * on slow figures, only when it cannot measure at all.
 *
 * Options: --only=size,ready,latency,first,stun,cost,leaks,load (a partial run prints, writes nothing), --runs=N.
 * Builds dist/ first when it is missing or older than src/: the size budget and the ready pages use the shipped files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { agentLoad, concurrentBaselines, firstCalls, latency, leaks, mainThreadCost, startBench, type Variant } from './browser.ts';
import { widgetReady } from './ready.ts';
import { goals, markdown, summarize, summarizeReady, type Results } from './report.ts';
import { ensureBuilt, measureSize } from './size.ts';
import { median } from './stats.ts';

const SECTIONS = ['size', 'ready', 'latency', 'first', 'stun', 'cost', 'leaks', 'load'] as const;
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const only = arg('only')?.split(',') ?? [...SECTIONS];
const runs = Number(arg('runs') ?? 20);
const wanted = (section: (typeof SECTIONS)[number]) => only.includes(section);

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const began = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

const results: Results = {
  date: new Date().toISOString().slice(0, 10),
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.versions.node,
    chromium: '',
  },
  source: {
    commit: git('rev-parse', '--short', 'HEAD'),
    srcDirty: git('status', '--porcelain', '--', 'src') !== '',
  },
  durationSeconds: 0,
  goals: [],
};

if (wanted('size') || wanted('ready')) ensureBuilt(log);

if (wanted('size')) {
  log('size: bundling ours and the peers');
  results.size = await measureSize(log);
}

if (wanted('ready')) {
  // At least 10 loads of each page: one load's time varies by tens of ms on a shared machine.
  const loads = Math.max(10, Math.round(runs * 0.75));
  log(`widget ready on a slow mobile link: ${loads} alternating loads of the floor, ours and ElevenLabs`);
  results.ready = summarizeReady(await widgetReady(loads, log));
}

const BROWSER_SECTIONS = SECTIONS.filter((section) => section !== 'size' && section !== 'ready');
if (BROWSER_SECTIONS.some(wanted)) {
  const bench = await startBench();
  results.machine.chromium = bench.chromiumVersion;
  try {
    if (wanted('latency')) {
      log(`latency: ${runs} alternating rounds of baseline, element, prewarmed element`);
      const page = await bench.newPage();
      results.latency = summarize(await latency(page, { runs, warmup: 2, iceServers: [], dwellMs: 1000 }, log));
      await page.close();
    }
    if (wanted('first')) {
      // Many pages: one first call varies by tens of ms, and the two medians are within a few percent.
      const firstRuns = Math.max(5, Math.round(runs * 1.5));
      log(`first call on a fresh page: ${firstRuns} pages per variant`);
      results.firstCall = summarize(await firstCalls(bench, firstRuns, log));
    }
    if (wanted('stun')) {
      const stunRuns = Math.max(5, Math.round(runs / 2));
      log(`dead STUN: 3 baselines side by side (each waits ~40 s for gathering), then ${stunRuns} rounds of the element`);
      const page = await bench.newPage();
      const baseline = await concurrentBaselines(page, 3, bench.deadStun);
      const ours = await latency(page, { runs: stunRuns, warmup: 1, iceServers: bench.deadStun, dwellMs: 1000, variants: ['element', 'prewarmed'] }, log);
      results.deadStun = { ...summarize({ ...ours, baseline } as Record<Variant, typeof baseline>), server: 'stun:127.0.0.1:<port>' };
      await page.close();
    }
    if (wanted('cost')) {
      log('main-thread cost: 3 rounds of 10 s connected calls');
      const { rows, meters, visual } = await mainThreadCost(bench, 10, 3, log);
      results.cost = { seconds: 10, meters, visual, rows: rows.map((row) => ({ ...row, median: median(row.msPerSecond), cpuMedian: median(row.cpuMsPerSecond) })) };
    }
    if (wanted('leaks')) {
      log('leaks: 50 cycles');
      results.leaks = await leaks(bench, 50, log);
    }
    if (wanted('load')) {
      log('agent load: 1, 10, 25 concurrent calls');
      results.load = await agentLoad(bench, [1, 10, 25], 5, log);
    }
  } finally {
    await bench.close();
  }
}

results.durationSeconds = (performance.now() - began) / 1000;
results.goals = goals(results);
const report = markdown(results);
process.stdout.write(`\n${report}`);
if (only.length === SECTIONS.length && runs >= 20) {
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(new URL('latest.md', dir), `# voice-call benchmarks\n\n${report}`);
  log('wrote bench/results/latest.json and latest.md');
} else {
  log('partial run: nothing written');
}
