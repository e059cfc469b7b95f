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

/**
 * At a glance, while connected: the model, the voice and the time left, without opening anything (the
 * details keep the ids and the rest). Model and voice are chips, named for screen readers by hidden labels.
 */
export const glance: ViewRender = ({ session, clock }, strings) => {
  const remaining = clock.remainingMs();
  const chip = (part: string, label: string, value: string | undefined) =>
    value ? html`<span part="chip ${part}"><span part="chip-label">${label}: </span>${value}</span>` : nothing;
  return remaining === null
    ? nothing
    : html`<div part="glance">${chip('model', strings.model, session.call?.model)}${chip('voice', strings.voice, session.call?.voice)}<span part="lease">${strings.timeLeft}: <time part="time">${formatRemaining(remaining)}</time></span></div>`;
};
