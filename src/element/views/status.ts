import { html, nothing } from 'lit';
import { own } from '../../api/errors.js';
import { formatRemaining } from '../../call/lease.js';
import { CallState } from '../../call/states.js';
import type { ViewRender } from './view.js';

/** The state in words (a polite live region): why it ended, reconnecting, muted, the lease warning. */
export const status: ViewRender = ({ host, session, clock }, strings) => {
  const { state } = session;
  const { endReason } = session;
  const parts = [
    state === CallState.Ended && endReason ? (strings.ended[endReason] ?? strings.states.ended) : session.reconnecting ? strings.reconnecting : strings.states[state],
    state === CallState.Connected && host.muted && strings.muted,
    clock.leaseWarning && strings.leaseWarning,
  ];
  return html`<div part="status" role="status">${parts.filter(Boolean).join(' · ')}</div>`;
};

/** Why the call failed, in the host's words when `strings.errors` has them as its own entries (by code, then status, then kind). */
export const error: ViewRender = ({ session }, { errors }) => {
  const { error } = session;
  return error ? html`<div part="error" role="alert">${own(errors, error.code) ?? own(errors, error.status) ?? own(errors, error.kind) ?? error.message}</div>` : nothing;
};

/** The lease countdown, while connected. */
export const lease: ViewRender = ({ clock }, strings) => {
  const remaining = clock.remainingMs();
  return remaining === null ? nothing : html`<div part="lease">${strings.timeLeft}: <time part="time">${formatRemaining(remaining)}</time></div>`;
};
