/**
 * The call's lease on the local clock. `expires_at` is the server's time; `clockSkewMs` (server minus
 * local, from the `Date` header) moves it onto ours so a wrong local clock does not shorten the call.
 */
export class Lease {
  readonly deadline: number;
  #timers: ReturnType<typeof setTimeout>[] = [];

  constructor(expiresAt: string, clockSkewMs: number) {
    this.deadline = Date.parse(expiresAt) - clockSkewMs;
  }

  remainingMs(now = Date.now()): number {
    return Math.max(0, this.deadline - now);
  }

  /** Calls `onWarning` `warningMs` before the deadline (at once if already inside it), `onExpired` at it. */
  arm(warningMs: number, onWarning: (remainingMs: number) => void, onExpired: () => void): void {
    this.disarm();
    const remaining = this.remainingMs();
    if (warningMs > 0) {
      this.#timers.push(setTimeout(() => onWarning(this.remainingMs()), Math.max(0, remaining - warningMs)));
    }
    this.#timers.push(setTimeout(onExpired, remaining));
  }

  disarm(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }
}

/** `mm:ss` (or `h:mm:ss`) for a countdown, rounded up so `00:00` means it is over. */
export function formatRemaining(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${hours ? `${hours}:` : ''}${pad(minutes)}:${pad(seconds)}`;
}
