import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CallSession, type CallDependencies, type CallSessionEvents } from '../call/call-session.js';
import { CallState, EndReason } from '../call/states.js';
import { VoiceCallEvent, emit, type VoiceCallEventMap } from './events.js';

type Host = ReactiveControllerHost & HTMLElement;

/** Session events the element re-dispatches unchanged, by the DOM event they become. */
const FORWARDED = {
  connected: VoiceCallEvent.Connected,
  error: VoiceCallEvent.Error,
  ended: VoiceCallEvent.Ended,
  session: VoiceCallEvent.Session,
  endrequest: VoiceCallEvent.EndRequest,
  reconnecting: VoiceCallEvent.Reconnecting,
  stats: VoiceCallEvent.Stats,
  transcript: VoiceCallEvent.Transcript,
} as const;

/** How long after a whole second of the countdown a missing stats reading lets it render alone. */
const COUNTDOWN_SLACK_MS = 250;

/**
 * Ties a `CallSession` to the element's lifecycle: re-dispatches its events as DOM events (re-rendering on
 * each), keeps the lease countdown ticking while connected, and ends the call when the element leaves the
 * page or the page goes away.
 */
export class CallController implements ReactiveController {
  readonly session: CallSession;
  /** Set while inside the lease-warning window. */
  leaseWarning = false;
  readonly #host: Host;
  #tick: ReturnType<typeof setTimeout> | undefined;

  constructor(host: Host, deps?: CallDependencies) {
    const session = (this.session = new CallSession(deps));
    this.#host = host;
    host.addController(this);
    session.on('statechange', (detail) => {
      host.setAttribute('state', detail.state);
      // The warning ends with the connection; this also re-renders for the new state.
      this.#setLeaseWarning(this.leaseWarning && detail.state === CallState.Connected);
      this.#scheduleTick();
      emit(host, VoiceCallEvent.StateChange, detail);
    });
    for (const name in FORWARDED) {
      const type = FORWARDED[name as keyof typeof FORWARDED];
      session.on(name as keyof CallSessionEvents, (detail) => {
        // Each changes what the view shows, and none comes more often than a transcript delta: re-render on each.
        host.requestUpdate();
        // The stats come on the countdown's whole seconds: their render is the countdown's.
        if (name === 'stats') this.#scheduleTick();
        emit(host, type, detail as VoiceCallEventMap[typeof type]['detail']);
      });
    }
    session.on('leasewarning', (detail) => {
      this.#setLeaseWarning(true);
      emit(host, VoiceCallEvent.LeaseWarning, detail);
    });
  }

  hostConnected(): void {
    const host = this.#host;
    if (!host.hasAttribute('state')) host.setAttribute('state', this.session.state);
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
  }

  hostDisconnected(): void {
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    // A move (remove + insert in the same task) must not drop the call; a real removal must end it.
    queueMicrotask(() => {
      if (!this.#host.isConnected) this.session.hangup(EndReason.ElementRemoved);
    });
  }

  /** Milliseconds left on the lease, or null without a connected call. */
  remainingMs(): number | null {
    const deadline = this.session.leaseDeadline;
    return deadline === null || this.session.state !== CallState.Connected ? null : Math.max(0, deadline - Date.now());
  }

  /** Also re-renders: every caller changed something the view shows. */
  #setLeaseWarning(on: boolean): void {
    this.leaseWarning = on;
    // Not `lease-warning`: that attribute is the host's setting (seconds), which this must never overwrite.
    this.#host.toggleAttribute('lease-ending', on);
    this.#host.requestUpdate();
  }

  #onPageHide = () => this.session.hangup(EndReason.PageHidden);

  /**
   * The countdown renders with the session's stats reading, which comes on its whole seconds: each render is
   * a rendering pass of the page. This timer, pushed back by every reading, renders it alone only when a
   * reading is missing (a failed `getStats`), a moment after the second.
   */
  #scheduleTick(): void {
    clearTimeout(this.#tick);
    const remaining = this.remainingMs();
    if (remaining === null) return;
    this.#tick = setTimeout(() => {
      this.#scheduleTick();
      this.#host.requestUpdate();
    }, (remaining % 1000 || 1000) + COUNTDOWN_SLACK_MS);
  }
}
