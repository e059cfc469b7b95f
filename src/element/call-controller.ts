import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CallSession, type CallDependencies } from '../call/call-session.js';
import { CallState, EndReason } from '../call/states.js';
import { readStats, type CallStats } from '../call/stats.js';
import { VoiceCallEvent, emit } from './events.js';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * Ties a `CallSession` to the element's lifecycle: re-dispatches its events as DOM events, ticks the
 * lease countdown while connected, and ends the call when the element leaves the page or the page goes away.
 */
export class CallController implements ReactiveController {
  readonly session: CallSession;
  /** Set while inside the lease-warning window. */
  leaseWarning = false;
  /** The last connection-quality reading of the current or last call. */
  stats: CallStats | null = null;
  #tick: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: Host, deps?: CallDependencies) {
    this.session = new CallSession(deps);
    host.addController(this);
    const { session } = this;
    session.on('statechange', (detail) => {
      this.host.setAttribute('state', detail.state);
      if (detail.state === CallState.RequestingMicrophone) this.stats = null;
      if (detail.state !== CallState.Connected) this.#setLeaseWarning(false);
      this.#scheduleTick();
      this.host.requestUpdate();
      emit(this.host, VoiceCallEvent.StateChange, detail);
    });
    session.on('connected', (call) => emit(this.host, VoiceCallEvent.Connected, call));
    session.on('error', (error) => emit(this.host, VoiceCallEvent.Error, error));
    session.on('ended', (detail) => emit(this.host, VoiceCallEvent.Ended, detail));
    session.on('session', (detail) => emit(this.host, VoiceCallEvent.Session, detail));
    session.on('endrequest', (detail) => emit(this.host, VoiceCallEvent.EndRequest, detail));
    session.on('leasewarning', (detail) => {
      this.#setLeaseWarning(true);
      emit(this.host, VoiceCallEvent.LeaseWarning, detail);
    });
  }

  hostConnected(): void {
    if (!this.host.hasAttribute('state')) this.host.setAttribute('state', this.session.state);
    globalThis.addEventListener?.('pagehide', this.#onPageHide);
  }

  hostDisconnected(): void {
    globalThis.removeEventListener?.('pagehide', this.#onPageHide);
    // A move (remove + insert in the same task) must not drop the call; a real removal must end it.
    queueMicrotask(() => {
      if (!this.host.isConnected) this.session.hangup(EndReason.ElementRemoved);
    });
  }

  /** Milliseconds left on the lease, or null without a connected call. */
  remainingMs(): number | null {
    const deadline = this.session.leaseDeadline;
    return deadline === null || this.session.state !== CallState.Connected ? null : Math.max(0, deadline - Date.now());
  }

  #setLeaseWarning(on: boolean): void {
    this.leaseWarning = on;
    // Not `lease-warning`: that attribute is the host's setting (seconds), which this must never overwrite.
    this.host.toggleAttribute('lease-ending', on);
    this.host.requestUpdate();
  }

  #onPageHide = () => this.session.hangup(EndReason.PageHidden);

  /** Re-renders on each whole second of the countdown and reads the stats, only while connected. */
  #scheduleTick(): void {
    clearTimeout(this.#tick);
    const remaining = this.remainingMs();
    if (remaining === null) return;
    this.#tick = setTimeout(() => {
      this.host.requestUpdate();
      this.#scheduleTick();
      const pc = this.session.peerConnection;
      readStats(pc!).then((stats) => {
        // A reading that lands after the call ended is stale.
        if (pc!.connectionState === 'closed') return;
        this.stats = stats;
        this.host.requestUpdate();
        emit(this.host, VoiceCallEvent.Stats, stats);
      }, () => undefined);
    }, remaining % 1000 || 1000);
  }
}
