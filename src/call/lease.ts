/** `mm:ss` (or `h:mm:ss`) for a countdown, rounded up so `00:00` means it is over. */
export function formatRemaining(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${hours ? `${hours}:` : ''}${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

/**
 * Arms a lease that runs out at `deadline` (local clock): `onWarning` `warningMs` before it (at once if
 * already inside that window; never with 0), `onExpired` at it. Aborting `signal` clears both.
 */
export function armLease(deadline: number, warningMs: number, onWarning: () => void, onExpired: () => void, signal: AbortSignal): void {
  const left = deadline - Date.now();
  const timers = warningMs > 0 ? [setTimeout(onWarning, left - warningMs)] : [];
  timers.push(setTimeout(onExpired, left));
  signal.addEventListener('abort', () => timers.forEach(clearTimeout));
}
