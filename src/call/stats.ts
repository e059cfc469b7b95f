/** Connection quality of a call's audio, read from `getStats` once a second while connected. */
export interface CallStats {
  /** Round-trip time of the selected ICE candidate pair, in ms (null until measured). */
  rttMs: number | null;
  /** Jitter of the agent's audio as this browser receives it, in ms. */
  jitterMs: number | null;
  /** Share of the agent's packets lost on the way in, 0–1. */
  loss: number | null;
  /** Jitter and share lost of our audio, as the agent reports it (RTCP); null until it reports. */
  remoteJitterMs: number | null;
  remoteLoss: number | null;
  packetsReceived: number;
  packetsSent: number;
  bytesReceived: number;
  bytesSent: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Report = Record<string, any>;
type Counter = 'packetsReceived' | 'packetsSent' | 'bytesReceived' | 'bytesSent';
const ms = (seconds?: number) => (seconds === undefined ? null : seconds * 1000);

/** Sums the audio RTP reports of one `getStats` call; the agent's audio is `inbound`, ours `outbound`. */
export async function readStats(pc: RTCPeerConnection): Promise<CallStats> {
  const stats: CallStats = {
    rttMs: null, jitterMs: null, loss: null, remoteJitterMs: null, remoteLoss: null,
    packetsReceived: 0, packetsSent: 0, bytesReceived: 0, bytesSent: 0,
  };
  const all = await pc.getStats();
  let lost = 0;
  all.forEach((r: Report) => {
    const add = (...counters: Counter[]) => counters.forEach((counter) => (stats[counter] += r[counter] ?? 0));
    if (r.type === 'transport') stats.rttMs = ms(all.get(r.selectedCandidatePairId)?.currentRoundTripTime);
    if ((r.kind ?? r.mediaType) !== 'audio') return;
    if (r.type === 'inbound-rtp') {
      add('packetsReceived', 'bytesReceived');
      lost += r.packetsLost ?? 0;
      stats.jitterMs = ms(r.jitter);
    } else if (r.type === 'outbound-rtp') {
      add('packetsSent', 'bytesSent');
    } else if (r.type === 'remote-inbound-rtp') {
      stats.remoteJitterMs = ms(r.jitter);
      stats.remoteLoss = r.fractionLost ?? null;
    }
  });
  const total = lost + stats.packetsReceived;
  stats.loss = total ? lost / total : null;
  return stats;
}

/**
 * Reads the stats until `signal` aborts, each time after `nextDelay()` ms (the call aligns the readings with
 * the lease's whole seconds, so a view showing both the countdown and the stats renders once a second). A
 * reading that lands after the abort is stale and dropped; a failed one is skipped.
 */
export function pollStats(pc: RTCPeerConnection, nextDelay: () => number, onStats: (stats: CallStats) => void, signal: AbortSignal): void {
  let timer: ReturnType<typeof setTimeout>;
  const schedule = () => {
    timer = setTimeout(() => {
      schedule();
      readStats(pc).then((stats) => signal.aborted || onStats(stats), () => undefined);
    }, nextDelay());
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  schedule();
}
