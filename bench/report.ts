/** Turns the measurements into the markdown tables printed, written to latest.md and pasted in README. */
import type { CostRow, LeakResult, LoadResult, Variant } from './browser.ts';
import type { RunResult } from './page/main.ts';
import { BUDGET } from '../scripts/size.mjs';
import { PAGES, type ReadyPage, type ReadyResult } from './ready.ts';
import type { SizeResult, SizeRow } from './size.ts';
import { median, p95, spread, type Spread } from './stats.ts';

export interface LatencySummary {
  runs: number;
  /** Median and p95, ms, per variant; `spread`: start→connected. */
  variants: Partial<Record<Variant, { post: [number, number]; connected: [number, number]; spread: Spread; phases: Record<string, number>; runs: number }>>;
  /** element / baseline start→connected of the same round, when every round has both. */
  pairRatio?: Spread;
}

/** Widget ready over the slow mobile link, per page: ms from navigation start. */
export interface ReadySummary {
  link: ReadyResult['link'];
  elevenlabsVersion: string;
  loads: number;
  pages: Record<ReadyPage, { loads: number; scriptBytes: number; scriptLoaded: Spread; defined: Spread; ready: Spread }>;
  /** Ours' time over the floor divided by ElevenLabs', round by round (each round loads all three). */
  roundRatio?: Spread;
  refused: ReadyResult['refused'];
}

export interface Results {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string; chromium: string };
  /** The commit measured, and whether src/ had uncommitted changes (the bench builds the working tree). */
  source: { commit: string; srcDirty: boolean };
  durationSeconds: number;
  size?: SizeResult;
  ready?: ReadySummary;
  latency?: LatencySummary;
  /** The first call of a fresh page. */
  firstCall?: LatencySummary;
  deadStun?: LatencySummary & { server: string };
  /** `median`: TaskDuration; `cpuMedian`: on-CPU time (NaN where /proc is not there). */
  cost?: { seconds: number; rows: (CostRow & { median: number; cpuMedian: number })[]; meters: boolean; visual: boolean };
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
    variants[variant] = { post: [median(post), p95(post)], connected: [median(connected), p95(connected)], spread: spread(connected), phases, runs: list.length };
  }
  const { baseline, element } = results;
  const connected = (run: RunResult) => run.connected - run.start;
  const pairRatio = baseline?.length && baseline.length === element?.length ? spread(element.map((run, i) => connected(run) / connected(baseline[i]!))) : undefined;
  return { runs, variants, ...(pairRatio ? { pairRatio } : {}) };
}

export function summarizeReady(result: ReadyResult): ReadySummary {
  const pages = Object.fromEntries(
    PAGES.map((page) => {
      const runs = result.runs[page];
      return [
        page,
        {
          loads: runs.length,
          scriptBytes: median(runs.map((run) => run.scriptBytes)),
          scriptLoaded: spread(runs.map((run) => run.scriptLoaded)),
          defined: spread(runs.map((run) => run.defined)),
          ready: spread(runs.map((run) => run.ready)),
        },
      ];
    }),
  ) as ReadySummary['pages'];
  const { floor, ours, elevenlabs } = result.runs;
  const rounds = floor.length === ours.length && ours.length === elevenlabs.length ? floor.length : 0;
  const roundRatio = rounds
    ? spread(floor.map((base, i) => (ours[i]!.ready - base.ready) / (elevenlabs[i]!.ready - base.ready)))
    : undefined;
  return { link: result.link, elevenlabsVersion: result.elevenlabsVersion, loads: Math.max(...PAGES.map((page) => pages[page].loads)), pages, ...(roundRatio ? { roundRatio } : {}), refused: result.refused };
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

/** The peer whose widget embed the budget and the ready pages compare against. */
const ELEVENLABS_EMBED = '@elevenlabs/convai-widget-embed';

const readyLabel = (page: ReadyPage, summary: ReadySummary) =>
  ({
    floor: 'floor: a trivial element',
    ours: '`<voice-call>` (dist/voice-call.js)',
    elevenlabs: `\`<elevenlabs-convai>\` (${ELEVENLABS_EMBED} ${summary.elevenlabsVersion})`,
  })[page];

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

function spreadTable(summary: LatencySummary): string {
  const base = summary.variants.baseline;
  const rows = (Object.keys(LABELS) as Variant[])
    .filter((variant) => summary.variants[variant])
    .map((variant) => {
      const { spread: x, runs } = summary.variants[variant]!;
      return [LABELS[variant], `${runs}`, `${ms(x.median)} ms`, `${ms(x.p25)}–${ms(x.p75)} ms`, `${ms(x.min)}–${ms(x.max)} ms`, base ? ratio(x.median / base.spread.median) : '—'];
    });
  const pairs = summary.pairRatio;
  if (pairs) rows.push(['(b)/(a), page by page', `${summary.variants.element!.runs}`, ratio(pairs.median), `${ratio(pairs.p25)}–${ratio(pairs.p75)}`, `${ratio(pairs.min)}–${ratio(pairs.max)}`, '']);
  return table(['start→connected', 'pages', 'median', 'p25–p75', 'min–max', 'vs (a), medians'], rows);
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
  const size = results.size;
  // The budget `npm test` enforces (scripts/size.mjs), on the files as built.
  for (const check of size?.budget ?? []) {
    if (check.name.includes('iife')) continue;
    list.push({ goal: `${check.name} ≤ ${bytes(check.budget)} B gzip -9`, measured: `${bytes(check.size)} B`, met: check.size <= check.budget });
  }
  const shipped = size?.dist.find((row) => row.name === 'dist/voice-call.js');
  const embed = size?.peers.find((row) => row.name === ELEVENLABS_EMBED && row.gzip);
  if (shipped?.gzip && embed?.gzip) {
    // Shipped file against shipped file: dist/voice-call.js as built, the embed's dist/index.js as published.
    const needed = embed.gzip / BUDGET.standalone;
    list.push({
      goal: `at least ${ratio(needed, 1)} below the ElevenLabs widget embed (${bytes(embed.gzip)} B / ${bytes(BUDGET.standalone)} B)`,
      measured: `${ratio(embed.gzip / shipped.gzip, 1)} (${bytes(shipped.gzip)} B)`,
      met: embed.gzip / shipped.gzip >= needed,
    });
  }
  const ready = results.ready;
  if (ready) {
    const { floor, ours, elevenlabs } = ready.pages;
    const over = ours.ready.median - floor.ready.median;
    const theirs = elevenlabs.ready.median - floor.ready.median;
    const rounds = ready.roundRatio ? `; round by round ${ratio(ready.roundRatio.p25, 3)}–${ratio(ready.roundRatio.p75, 3)} p25–p75` : '';
    list.push({
      goal: 'widget ready on a slow mobile link: ours’ time over the floor ≤ 0.10× the ElevenLabs embed’s',
      measured: `${ratio(over / theirs, 3)} (+${ms(over)} ms against +${ms(theirs)} ms${rounds})`,
      met: over / theirs <= 0.1,
    });
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
  const first = results.firstCall;
  if (first?.variants.baseline && first.variants.element) {
    const r = first.variants.element.connected[0] / first.variants.baseline.connected[0];
    const pairs = first.pairRatio ? `; page pairs ${ratio(first.pairRatio.p25)}–${ratio(first.pairRatio.p75)} p25–p75` : '';
    list.push({ goal: 'first call on a fresh page: (b)/(a) start→connected ≤ 1.00', measured: `${ratio(r)} (${first.variants.element.runs} pages each${pairs})`, met: r <= 1 });
  }
  const stun = results.deadStun?.variants;
  if (stun?.element) {
    list.push({
      goal: 'dead STUN: start→connected < 1.5 s (p95), where the baseline waits for full gathering',
      measured: `${ms(stun.element.connected[1])} ms p95 (baseline ${ms(stun.baseline?.connected[0])} ms median)`,
      met: stun.element.connected[1] < 1500,
    });
  }
  const floor = results.cost?.rows.find((row) => row.variant.startsWith('reference'));
  for (const row of results.cost?.rows.filter((row) => row.variant.startsWith('element, meters on')) ?? []) {
    // Judged on the on-CPU time, which other processes on a shared machine do not inflate; TaskDuration is shown beside it.
    const onCpu = floor && Number.isFinite(row.cpuMedian) && Number.isFinite(floor.cpuMedian);
    const r = floor ? (onCpu ? row.cpuMedian / floor.cpuMedian : row.median / floor.median) : NaN;
    list.push({
      goal: `main-thread cost, ${row.variant.slice('element, '.length)}: ≤ 1.1× a bare bar redrawn 20×/s (same run${onCpu ? ', on-CPU time' : ''})`,
      measured: !floor
        ? `${row.median.toFixed(2)} ms/s (no floor measured)`
        : onCpu
          ? `${ratio(r)} (${row.cpuMedian.toFixed(2)} against ${floor.cpuMedian.toFixed(2)} ms/s; TaskDuration ${ratio(row.median / floor.median)}, ${row.median.toFixed(2)} against ${floor.median.toFixed(2)})`
          : `${ratio(r)} (TaskDuration ${row.median.toFixed(2)} against ${floor.median.toFixed(2)} ms/s)`,
      met: floor ? r <= 1.1 : null,
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
  if (results.ready) {
    const { link, pages, roundRatio, refused } = results.ready;
    const span = (x: Spread) => `${ms(x.p25)}–${ms(x.p75)}`;
    const floorReady = pages.floor.ready.median;
    const refusedLine = PAGES.filter((page) => refused[page].length)
      .map((page) => `${readyLabel(page, results.ready!)}: ${refused[page].length} (${refused[page].map((url) => new URL(url).host).join(', ')})`)
      .join('; ');
    out.push(
      '### Widget ready on a slow mobile link',
      `A page with the widget's script tag, loaded over an emulated mobile link (CDP: ${(link.downloadThroughput * 8) / 1e6} Mbps down, ` +
        `${(link.uploadThroughput * 8) / 1e3} kbps up, ${link.latency} ms round trip per request, cache off, every file gzip -9 with ` +
        '`Content-Encoding: gzip`, a fresh browser context per load), timed in the page from navigation start. The three pages alternate, ' +
        `${results.ready.loads} loads each. Ready: the tag defined and a button in its shadow root with a box. The floor is a few bytes of ` +
        'script defining a trivial element that renders one button: the round trips any script tag pays. ElevenLabs: its npm package\'s ' +
        'shipped file with its documented snippet (an async classic script); it fetches its configuration from its API before it renders, ' +
        'so the configuration is given inline (`override-config`) and its launcher renders without that request: a lower bound. ' +
        `Every request off the local server is refused${refusedLine ? ` (${refusedLine})` : ' (none was made)'}. The CPU is not throttled.`,
      table(
        ['page', 'script on the wire B', 'script loaded ms', 'defined ms', 'ready ms (median)', 'ready p25–p75', 'ready min–max', 'ready over the floor'],
        PAGES.map((page) => {
          const p = pages[page];
          return [
            readyLabel(page, results.ready!),
            bytes(p.scriptBytes),
            ms(p.scriptLoaded.median),
            ms(p.defined.median),
            ms(p.ready.median),
            span(p.ready),
            `${ms(p.ready.min)}–${ms(p.ready.max)}`,
            page === 'floor' ? '' : `+${ms(p.ready.median - floorReady)} ms`,
          ];
        }),
      ),
      `Ours' time over the floor is ${ratio((pages.ours.ready.median - floorReady) / (pages.elevenlabs.ready.median - floorReady), 3)} ElevenLabs' ` +
        `(medians)${roundRatio ? `; round by round median ${ratio(roundRatio.median, 3)}, p25–p75 ${ratio(roundRatio.p25, 3)}–${ratio(roundRatio.p75, 3)}, min–max ${ratio(roundRatio.min, 3)}–${ratio(roundRatio.max, 3)}` : ''}. ` +
        `Where ours' time goes (medians): the script's last byte ${ms(pages.ours.scriptLoaded.median - pages.floor.scriptLoaded.median)} ms after the floor's, ` +
        `evaluated and defined ${ms(pages.ours.defined.median - pages.ours.scriptLoaded.median)} ms later (floor ${ms(pages.floor.defined.median - pages.floor.scriptLoaded.median)}), ` +
        `its button on screen ${ms(pages.ours.ready.median - pages.ours.defined.median)} ms after that (floor ${ms(pages.floor.ready.median - pages.floor.defined.median)}).`,
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
      spreadTable(results.firstCall),
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
      `Over ${results.cost.seconds} s of a connected call (after 1 s), ms per second, the variants rotated each round: the renderer main thread's ` +
        'on-CPU time (Linux `/proc/<pid>/task/<pid>/schedstat`), and CDP `Performance.getMetrics` TaskDuration (all renderer ' +
        'main-thread tasks, wall time: it also counts the time another process held the CPU in the middle of a task, so it ' +
        'swings with the machine\'s load).' +
        (results.cost.meters ? '' : ' This build has no level meters, so only the element as it is is measured.') +
        (results.cost.visual ? '' : ' This build shows no agent visual.'),
      table(
        ['variant', 'on CPU ms/s (median)', 'each round', 'TaskDuration ms/s (median)', 'each round'],
        results.cost.rows.map((row) => [
          row.variant,
          row.cpuMedian.toFixed(2),
          row.cpuMsPerSecond.map((v) => v.toFixed(2)).join(', '),
          row.median.toFixed(2),
          row.msPerSecond.map((v) => v.toFixed(2)).join(', '),
        ]),
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
