import { after, waitOn } from './connection.js';

/**
 * Resolves when gathering completes, 100 ms after the first srflx/relay candidate (for its siblings), at the
 * bound `timeoutMs` (a STUN/TURN server that never answers must not hold the call), or on abort — whichever
 * comes first. The answerer gets whatever candidates the offer has by then; it can still learn
 * peer-reflexive ones from our connectivity checks.
 */
export function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number, signal: AbortSignal): Promise<void> {
  let settling: unknown;
  return waitOn<RTCPeerConnectionIceEvent>(pc, ['icegatheringstatechange', 'icecandidate'], timeoutMs, signal, (settle, listening, event) => {
    const candidate = event?.candidate;
    // A null candidate is the end of gathering, like the `complete` state.
    if (pc.iceGatheringState === 'complete' || candidate === null) settle();
    else if (/ typ (srflx|relay)/.test(candidate?.candidate ?? '')) settling ??= after(100, settle, listening);
  });
}
