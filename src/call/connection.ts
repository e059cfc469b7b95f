import { fail, type VoiceCallError } from '../api/errors.js';

/** `setTimeout` that `signal` clears, so the timer never outlives what it belongs to. */
export function after(ms: number, run: () => void, signal: AbortSignal): ReturnType<typeof setTimeout> {
  const timer = setTimeout(run, ms);
  signal.addEventListener('abort', () => clearTimeout(timer));
  return timer;
}

export type Settle = (error?: VoiceCallError) => void;

/**
 * Runs `check` now and on each of `types` from `pc` until it calls `settle` (with an error: rejects). The
 * bound `timeoutMs` settles it with `onTimeout()`; `signal` aborting resolves it (the caller checks its own
 * signal next). Settling aborts `listening`, which takes every listener and timer of the wait along.
 */
export function waitOn<E extends Event>(
  pc: RTCPeerConnection,
  types: string[],
  timeoutMs: number,
  signal: AbortSignal,
  check: (settle: Settle, listening: AbortSignal, event?: E) => void,
  onTimeout?: () => VoiceCallError,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const listening = new AbortController();
    const options = { signal: listening.signal };
    const settle: Settle = (error) => {
      listening.abort();
      if (error) reject(error);
      else resolve();
    };
    const onEvent = (event?: E) => check(settle, listening.signal, event);
    after(timeoutMs, () => settle(onTimeout?.()), listening.signal);
    for (const type of types) pc.addEventListener(type, onEvent as EventListener, options);
    signal.addEventListener('abort', () => settle(), options);
    onEvent();
  });
}

/** Resolves once media can flow; rejects with a `webrtc` error on failure or after `timeoutMs`. */
export const waitForConnected = (pc: RTCPeerConnection, timeoutMs: number, signal: AbortSignal): Promise<void> =>
  waitOn(
    pc,
    ['connectionstatechange'],
    timeoutMs,
    signal,
    (settle) => {
      const state = pc.connectionState;
      if (state === 'connected') settle();
      else if (state === 'failed' || state === 'closed') {
        settle(fail('webrtc', 'Could not connect the audio. A firewall may be blocking it.', `ice-${state}`));
      }
    },
    () => fail('webrtc', `Could not connect the audio within ${Math.ceil(timeoutMs / 1000)} s.`, 'ice-timeout'),
  );
