/** Turns the measurements into the markdown tables printed, written to latest.md and pasted in README. */
import type { CostRow, LeakResult, LoadResult, Variant } from './browser.ts';
import type { RunResult } from './page/main.ts';
import type { SizeResult, SizeRow } from './size.ts';
import { median, p95 } from './stats.ts';

export interface LatencySummary {
  runs: number;
  /** Median and p95, ms, per variant. */
  variants: Partial<Record<Variant, { post: [number, number]; connected: [number, number]; phases: Record<string, number>; runs: number }>>;
}

export interface Results {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string; chromium: string };
  /** The commit measured, and whether src/ had uncommitted changes (the bench builds the working tree). */
  source: { commit: string; srcDirty: boolean };
  durationSeconds: number;
  size?: SizeResult;
  latency?: LatencySummary;
  /** The first call of a fresh page. */
  firstCall?: LatencySummary;
  deadStun?: LatencySummary & { server: string };
  cost?: { seconds: number; rows: (CostRow & { median: number })[]; meters: boolean };
  leaks?: LeakResult;
  load?: LoadResult;
  goals: Goal[];
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | null;
}

const PHASES = ['prepare', 'mic', 'offer', 'ice', 'post', 'answer', 'connected'] as const;

export function summarize(results: Partial<Record<Variant, RunResult[]>>): LatencySummary {
  const variants: LatencySummary['variants'] = {};
  let runs = 0;
  for (const [variant, list] of Object.entries(results) as [Variant, RunResult[]][]) {
    if (!list.length) continue;
    runs = Math.max(runs, list.length);
    const post = list.map((run) => run.post - run.start);
    const connected = list.map((run) => run.connected - run.start);
    const phases: Record<string, number> = {};
    for (const phase of PHASES) {
      const values = list.filter((run) => run.phases[phase] !== undefined).map((run) => run.phases[phase]! - run.start);
      if (values.length === list.length) phases[phase] = median(values);
    }
    variants[variant] = { post: [median(post), p95(post)], connected: [median(connected), p95(connected)], phases, runs: list.length };
  }
  return { runs, variants };
}

const bytes = (n?: number) => (n === undefined ? '—' : n.toLocaleString('en-US'));
const ms = (n?: number) => (n === undefined || Number.isNaN(n) ? '—' : `${Math.round(n)}`);
const ratio = (n?: number, digits = 2) => (n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(digits)}×`);
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)}`;

/** Numbers right-aligned: a column is numeric when every non-empty cell starts like a number. */
function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const numeric = header.map((_, i) => i > 0 && rows.every((row) => !row[i] || /^[-+]?[\d—]/.test(row[i]!)));
  return [line(header), line(numeric.map((right) => (right ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

function sizeTable(size: SizeResult): string {
  const row = (r: SizeRow, vsOurs: boolean) => [
    r.version ? `${r.name} ${r.version}` : r.name,
    r.what,
    ...(r.failed ? ['failed', '', '', r.failed] : [bytes(r.min), bytes(r.gzip), bytes(r.brotli), vsOurs ? ratio(r.ratio, 1) : '']),
  ];
  return table(
    ['bundle', 'what', 'min B', 'gzip -9 B', 'brotli B', 'gzip vs our standalone'],
    [...size.ours.map((r) => row(r, false)), ...size.dist.map((r) => row(r, false)), ...size.peers.map((r) => row(r, true))],
  );
}

const LABELS: Record<Variant, string> = {
  baseline: '(a) hand-written baseline',
  element: '(b) `<voice-call>`',
  prewarmed: '(c) `<voice-call prewarm>`',
};

function latencyTable(summary: LatencySummary): string {
  const base = summary.variants.baseline;
  return table(
    ['variant', 'runs', 'start→POST median', 'p95', 'start→connected median', 'p95', 'vs (a), median connected'],
    (Object.keys(LABELS) as Variant[])
      .filter((variant) => summary.variants[variant])
      .map((variant) => {
        const v = summary.variants[variant]!;
        return [
          LABELS[variant],
          `${v.runs}`,
          `${ms(v.post[0])} ms`,
          `${ms(v.post[1])} ms`,
          `${ms(v.connected[0])} ms`,
          `${ms(v.connected[1])} ms`,
          base ? ratio(v.connected[0] / base.connected[0]) : '—',
        ];
      }),
  );
}

function phaseTable(summary: LatencySummary): string {
  return table(
    ['variant (median ms from start; negative = before the click)', ...PHASES],
    (Object.keys(LABELS) as Variant[])
      .filter((variant) => summary.variants[variant])
      .map((variant) => [LABELS[variant], ...PHASES.map((phase) => ms(summary.variants[variant]!.phases[phase]))]),
  );
}

export function goals(results: Results): Goal[] {
  const list: Goal[] = [];
  const standalone = results.size?.ours.find((row) => row.name.includes('standalone'));
  if (standalone?.gzip) {
    // The budget is the file as shipped (oxc-minified by the build); the peer ratio below stays
    // esbuild against esbuild, the one recipe every row of the size table shares.
    const shipped = results.size!.dist.find((row) => row.name === 'dist/voice-call.js' && !row.what.includes('changed since'));
    const budgeted = shipped ?? standalone;
    list.push({
      goal: `standalone ≤ 12,000 B gzip (${shipped ? 'dist/voice-call.js as shipped' : 'esbuild re-bundle: no fresh dist/'})`,
      measured: `${bytes(budgeted.gzip!)} B`,
      met: budgeted.gzip! <= 12_000,
    });
    const peers = results.size!.peers.filter((row) => row.gzip);
    const smallest = peers.sort((a, b) => a.gzip! - b.gzip!)[0];
    if (smallest) {
      list.push({
        goal: '≥ 6.9× smaller than the smallest peer (gzip)',
        measured: `${ratio(smallest.gzip! / standalone.gzip, 1)} (${smallest.name})`,
        met: smallest.gzip! / standalone.gzip >= 6.9,
      });
    }
  }
  const lat = results.latency?.variants;
  if (lat?.baseline && lat.element) {
    const r = lat.element.connected[0] / lat.baseline.connected[0];
    list.push({ goal: '(b)/(a) start→connected ≤ 1.05', measured: ratio(r), met: r <= 1.05 });
  }
  if (lat?.baseline && lat.prewarmed) {
    const r = lat.prewarmed.connected[0] / lat.baseline.connected[0];
    list.push({ goal: '(c)/(a) start→connected ≤ 0.6', measured: ratio(r), met: r <= 0.6 });
  }
  const stun = results.deadStun?.variants;
  if (stun?.element) {
    list.push({
      goal: 'dead STUN: start→connected < 1.5 s (p95), where the baseline waits for full gathering',
      measured: `${ms(stun.element.connected[1])} ms p95 (baseline ${ms(stun.baseline?.connected[0])} ms median)`,
      met: stun.element.connected[1] < 1500,
    });
  }
  const on = results.cost?.rows.find((row) => row.variant.startsWith('element'));
  const floor = results.cost?.rows.find((row) => row.variant.startsWith('reference'));
  if (on) {
    list.push({
      goal: 'main-thread cost with meters on ≤ 2 ms/s',
      measured: `${on.median.toFixed(2)} ms/s${results.cost!.meters ? (floor ? ` (a bare bar redrawn 20×/s: ${floor.median.toFixed(2)})` : '') : ' (no meters in this build)'}`,
      met: results.cost!.meters ? on.median <= 2 : null,
    });
  }
  const leaks = results.leaks;
  if (leaks) {
    const growth = leaks.heapAfter - leaks.heapBefore;
    list.push({
      goal: `0 tracks, 0 connections, < 1 MB heap growth after ${leaks.cycles} cycles`,
      measured: `${leaks.liveTracks} tracks, ${leaks.openConnections} connections, ${growth >= 0 ? '+' : ''}${bytes(growth)} B heap`,
      met: leaks.liveTracks === 0 && leaks.openConnections === 0 && growth < 1_000_000,
    });
  }
  return list;
}

export function markdown(results: Results): string {
  const { machine } = results;
  const out: string[] = [
    `Measured ${results.date} by \`npm run bench\` (${Math.round(results.durationSeconds)} s) on ${machine.cpu}, ${machine.cores} cores, ` +
      `${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, Chromium ${machine.chromium}; reference agent on loopback. ` +
      `Source: commit ${results.source.commit}${results.source.srcDirty ? ' plus uncommitted work in src/ (the bench builds the working tree)' : ''}. ` +
      'Figures from a shared machine: compare the ratios, measured side by side in the same run, more than the absolute times.',
  ];
  if (results.goals.length) {
    out.push(
      '### Goals',
      table(
        ['goal', 'measured', 'met'],
        results.goals.map((g) => [g.goal, g.measured, g.met === null ? 'n/a' : g.met ? 'yes' : '**no**']),
      ),
    );
  }
  if (results.size) {
    out.push(
      '### Size',
      'Everything bundled the same way in the same run: esbuild, minified ESM for browsers, production defines; ' +
        '`dist/` rows are the files `npm run build` wrote, as shipped. @vapi-ai/web also downloads its call ' +
        'engine (Daily) at run time, not counted here.',
      sizeTable(results.size),
    );
  }
  if (results.latency) {
    out.push(
      '### Connect latency (loopback)',
      `Chromium, fake microphone, ${results.latency.runs} alternating runs per variant after warm-up. (a) is getUserMedia → ` +
        'RTCPeerConnection → offer → full ICE gathering → POST → answer → connected, hand-written; (c) is hovered ' +
        '1 s before the click, the microphone already allowed.',
      latencyTable(results.latency),
      phaseTable(results.latency),
    );
  }
  if (results.firstCall) {
    out.push(
      '### Connect latency, first call on a fresh page',
      `A new page for each of ${results.firstCall.runs} runs per variant, alternating: a visitor who calls once. The element ` +
        'also opens its first AudioContext here, which the warm runs above no longer pay for.',
      latencyTable(results.firstCall),
      phaseTable(results.firstCall),
    );
  }
  if (results.deadStun) {
    out.push(
      '### Connect latency with a STUN server that never answers',
      `\`${results.deadStun.server}\` (a loopback UDP socket that swallows every request). The baseline waits for ` +
        'gathering to complete; the element bounds it (700 ms by default).',
      latencyTable(results.deadStun),
    );
  }
  if (results.cost) {
    out.push(
      '### Main-thread cost while connected',
      `CDP \`Performance.getMetrics\` TaskDuration (all renderer main-thread tasks) over ${results.cost.seconds} s of a connected call, ms per second.` +
        (results.cost.meters ? '' : ' This build has no level meters, so only the element as it is is measured.'),
      table(
        ['variant', 'ms/s (median)', 'each round'],
        results.cost.rows.map((row) => [row.variant, row.median.toFixed(2), row.msPerSecond.map((v) => v.toFixed(2)).join(', ')]),
      ),
    );
  }
  if (results.leaks) {
    const l = results.leaks;
    out.push(
      '### Leaks',
      `${l.cycles} start → connected → hang-up cycles on one element (every other one prewarmed), after 4 warm-up cycles; ` +
        'heap after a forced GC (CDP `HeapProfiler.collectGarbage`, `Runtime.getHeapUsage`).',
      table(
        ['measure', 'value'],
        [
          ['live microphone tracks after the last hang-up', `${l.liveTracks}`],
          ['open peer connections after the last hang-up', `${l.openConnections}`],
          ['cycles with anything still held right after hang-up', `${l.dirtyCycles}`],
          ['microphone streams / peer connections created', `${l.streamsAcquired} / ${l.connectionsCreated}`],
          ['JS heap before → after', `${bytes(l.heapBefore)} → ${bytes(l.heapAfter)} B (${l.heapAfter - l.heapBefore >= 0 ? '+' : ''}${bytes(l.heapAfter - l.heapBefore)} B)`],
          ['hover, no click: held while prepared (tracks / connections)', `${l.unusedPrewarm.heldWhileWaiting.liveTracks} / ${l.unusedPrewarm.heldWhileWaiting.openConnections}`],
          ['hover, no click: held after the 10 s bound', `${l.unusedPrewarm.afterBound.liveTracks} / ${l.unusedPrewarm.afterBound.openConnections}`],
        ],
      ),
    );
  }
  if (results.load) {
    const { idle, rows, windowSeconds } = results.load;
    out.push(
      '### Reference agent under load',
      `The agent alone in its own Node process (werift), N concurrent calls from Chromium with audio both ways (echo), ` +
        `CPU (process.cpuUsage, user + system) over ${windowSeconds} s and RSS after a GC. Idle: ${idle.cpuMsPerSecond.toFixed(1)} ms/s CPU, ${mib(idle.rss)} MiB RSS.`,
      table(
        ['calls', 'connected', 'audio both ways', 'CPU ms/s', 'CPU ms/s per call', 'RSS MiB', 'RSS per call (MiB over idle)'],
        rows.map((row) => [
          `${row.calls}`,
          `${row.connected}`,
          `${row.flowing}`,
          row.cpuMsPerSecond.toFixed(1),
          ((row.cpuMsPerSecond - idle.cpuMsPerSecond) / row.calls).toFixed(1),
          mib(row.rss),
          ((row.rss - idle.rss) / row.calls / 2 ** 20).toFixed(2),
        ]),
      ),
    );
    // One call's RSS is within the noise of a GC; the slope between the two largest loads is not.
    const [a, b] = rows.slice(-2);
    if (a && b && b.calls > a.calls) {
      const extra = b.calls - a.calls;
      out.push(
        `Marginal cost from ${a.calls} to ${b.calls} calls: ${((b.cpuMsPerSecond - a.cpuMsPerSecond) / extra).toFixed(1)} ms/s CPU and ` +
          `${((b.rss - a.rss) / extra / 2 ** 20).toFixed(2)} MiB RSS per extra call.`,
      );
    }
  }
  return out.join('\n\n') + '\n';
}
