/** Connection quality of a call's audio, read from `getStats` once a second while connected. */
export interface CallStats {
  /** Round-trip time of the selected ICE candidate pair, in ms (null until measured). */
  rttMs: number | null;
  /** Jitter of the agent's audio as this browser receives it, in ms. */
  jitterMs: number | null;
  /** Share of the agent's packets lost on the way in over the last few seconds, 0–1 (null when none were due). */
  loss: number | null;
  /** The same share over the whole call. */
  lifetimeLoss: number | null;
  /** Jitter and share lost of our audio, as the agent reports it (RTCP); null until it reports. */
  remoteJitterMs: number | null;
  remoteLoss: number | null;
  packetsReceived: number;
  /** The agent's packets that never arrived, over the whole call. */
  packetsLost: number;
  packetsSent: number;
  bytesReceived: number;
  bytesSent: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Report = Record<string, any>;
type Counter = 'packetsReceived' | 'packetsLost' | 'packetsSent' | 'bytesReceived' | 'bytesSent';
const ms = (seconds?: number) => (seconds === undefined ? null : seconds * 1000);

/** `loss` covers about this much of the recent past: a steady share at 50 packets a second, yet back near 0 a few seconds after the loss stops. */
const LOSS_WINDOW_MS = 5000;

/** The share of `lost` among the packets that were due, or null when none were. */
const share = (lost: number, received: number) => (lost + received > 0 ? Math.max(0, lost) / (Math.max(0, lost) + received) : null);

/**
 * Sums the audio RTP reports of one `getStats` call (the agent's audio is `inbound`, ours `outbound`), and
 * counts everything that arrived on the link at all: RTP, RTCP and DTLS bytes, ICE checks and their answers,
 * on every candidate pair. `at` is when the browser took those counts (the oldest of their reports' own
 * timestamps): on a busy page a reading may resolve long after it was taken, or two taken together resolve
 * far apart.
 */
export async function readStats(pc: RTCPeerConnection): Promise<[stats: CallStats, heard: number, at: number]> {
  const stats: CallStats = {
    rttMs: null, jitterMs: null, loss: null, lifetimeLoss: null, remoteJitterMs: null, remoteLoss: null,
    packetsReceived: 0, packetsLost: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0,
  };
  const all = await pc.getStats();
  let heard = 0;
  let at = Infinity;
  all.forEach((r: Report) => {
    const add = (...counters: Counter[]) => counters.forEach((counter) => (stats[counter] += r[counter] ?? 0));
    if (r.type === 'transport') stats.rttMs = ms(all.get(r.selectedCandidatePairId)?.currentRoundTripTime);
    if (r.type === 'candidate-pair') {
      heard += (r.bytesReceived ?? 0) + (r.requestsReceived ?? 0) + (r.responsesReceived ?? 0);
      at = Math.min(at, r.timestamp);
    }
    if ((r.kind ?? r.mediaType) !== 'audio') return;
    if (r.type === 'inbound-rtp') {
      add('packetsReceived', 'packetsLost', 'bytesReceived');
      at = Math.min(at, r.timestamp);
      stats.jitterMs = ms(r.jitter);
    } else if (r.type === 'outbound-rtp') {
      add('packetsSent', 'bytesSent');
    } else if (r.type === 'remote-inbound-rtp') {
      stats.remoteJitterMs = ms(r.jitter);
      stats.remoteLoss = r.fractionLost ?? null;
    }
  });
  stats.lifetimeLoss = share(stats.packetsLost, stats.packetsReceived);
  // Without a pair or inbound report yet, now on the reports' clock (the epoch, in ms).
  return [stats, heard + stats.packetsReceived, at < Infinity ? at : performance.timeOrigin + performance.now()];
}

/**
 * Nothing at all heard between two readings this far apart, right after the agent's audio, is a lost link:
 * one stats interval (a second, less its timer's jitter). The agent's audio comes 50 times a second, RTCP
 * about once a second; readings that a busy page runs close together prove nothing.
 */
const LINK_SILENCE_MS = 900;

/**
 * Reads the stats until `signal` aborts, each time after `nextDelay()` ms (the call aligns the readings with
 * the lease's whole seconds, so a view showing both the countdown and the stats renders once a second). A
 * reading that lands after the abort is stale and dropped; a failed one is skipped.
 *
 * Each reading comes with `silent`: the link went quiet. Nothing at all arrived (no audio, no RTCP, no ICE
 * answer) over a whole interval, and the last thing that did was the agent's audio. An agent that stops talking
 * still sends RTCP and answers ICE checks, so this is a lost link, seen seconds before ICE itself gives up.
 */
export function pollStats(pc: RTCPeerConnection, nextDelay: () => number, onStats: (stats: CallStats, silent: boolean) => void, signal: AbortSignal): void {
  let timer: ReturnType<typeof setTimeout>;
  // The readings of the loss window with their times, oldest first, plus the one just before it: the
  // window's baseline (at first the call's start, when nothing had been received or lost).
  const readings: [at: number, stats: Pick<CallStats, 'packetsReceived' | 'packetsLost'>][] = [[-Infinity, { packetsReceived: 0, packetsLost: 0 }]];
  /** The reading that last saw something arrive: its time, everything heard by then, and whether the agent's audio was among it. */
  let heardAt = 0;
  let heardTotal = 0;
  let audio = false;
  const onReading = ([stats, heard, at]: [CallStats, number, number]) => {
    if (signal.aborted) return;
    if (heard !== heardTotal) {
      heardTotal = heard;
      heardAt = at;
      audio = stats.packetsReceived > readings.at(-1)![1].packetsReceived;
    }
    readings.push([at, stats]);
    while (readings[1]![0] <= at - LOSS_WINDOW_MS) readings.shift();
    const [, base] = readings[0]!;
    stats.loss = share(stats.packetsLost - base.packetsLost, stats.packetsReceived - base.packetsReceived);
    onStats(stats, audio && at - heardAt >= LINK_SILENCE_MS);
  };
  const schedule = () => {
    timer = setTimeout(() => {
      schedule();
      readStats(pc).then(onReading, () => undefined);
    }, nextDelay());
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  schedule();
}
