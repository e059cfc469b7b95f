import { after, waitOn } from './connection.js';

/** Candidates that end the wait (100 ms later, for their siblings): the ones only a server can give. */
const SERVER_CANDIDATE = / typ (srflx|relay)/;
const RELAY_CANDIDATE = / typ relay/;

/** True when `servers` name a TURN server (`turn:` or `turns:`), whose relay candidate is worth waiting for. */
export const hasTurn = (servers: RTCIceServer[] = []) => servers.some(({ urls }) => [urls].flat().some((url) => /^turns?:/i.test(url)));

/**
 * Resolves when gathering completes, 100 ms after the first candidate worth waiting for (for its siblings), at
 * the bound `timeoutMs` (a STUN/TURN server that never answers must not hold the call), or on abort —
 * whichever comes first. The candidate worth waiting for is a relay one when TURN servers are given (a
 * server-reflexive one comes a round trip earlier, and without the relay a network that allows nothing
 * else cannot connect), else a server-reflexive or relay one. The answerer gets whatever candidates the
 * offer has by then; it can still learn peer-reflexive ones from our connectivity checks.
 */
export function waitForIceGathering(pc: RTCPeerConnection, iceServers: RTCIceServer[] | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const awaited = hasTurn(iceServers) ? RELAY_CANDIDATE : SERVER_CANDIDATE;
  let settling: unknown;
  return waitOn<RTCPeerConnectionIceEvent>(pc, ['icegatheringstatechange', 'icecandidate'], timeoutMs, signal, (settle, listening, event) => {
    const candidate = event?.candidate;
    // A null candidate is the end of gathering, like the `complete` state.
    if (pc.iceGatheringState === 'complete' || candidate === null) settle();
    else if (awaited.test(candidate?.candidate ?? '')) settling ??= after(100, settle, listening);
  });
}
