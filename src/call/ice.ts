export interface IceGatheringOptions {
  /** Hard bound on the wait: a STUN/TURN server that never answers must not hold the call. */
  timeoutMs: number;
  /** After the first server-derived (srflx/relay) candidate, wait this much longer for siblings. */
  settleMs?: number;
  signal?: AbortSignal;
}

function candidateType(candidate: RTCIceCandidate): string | undefined {
  return candidate.type ?? / typ (\w+)/.exec(candidate.candidate)?.[1];
}

/**
 * Resolves when gathering completes, shortly after the first srflx/relay candidate, at the bound, or on
 * abort — whichever comes first. The answerer gets whatever candidates the offer has by then; it can
 * still learn peer-reflexive ones from our connectivity checks.
 */
export function waitForIceGathering(pc: RTCPeerConnection, options: IceGatheringOptions): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    let settleTimer: ReturnType<typeof setTimeout> | undefined;
    // Aborting it removes every listener below at once.
    const listening = new AbortController();
    const on = { signal: listening.signal };
    const done = () => {
      clearTimeout(boundTimer);
      clearTimeout(settleTimer);
      listening.abort();
      resolve();
    };
    const onState = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const onCandidate = (event: RTCPeerConnectionIceEvent) => {
      if (!event.candidate) return done();
      const type = candidateType(event.candidate);
      if (settleTimer === undefined && (type === 'srflx' || type === 'relay')) {
        settleTimer = setTimeout(done, options.settleMs ?? 100);
      }
    };
    const boundTimer = setTimeout(done, options.timeoutMs);
    pc.addEventListener('icegatheringstatechange', onState, on);
    pc.addEventListener('icecandidate', onCandidate, on);
    options.signal?.addEventListener('abort', done, on);
  });
}
