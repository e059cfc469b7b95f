import type { VoiceCallError } from '../api/errors.js';
import type { EverrunsSession, VoiceCallInfo } from '../api/types.js';
import type { CallEnd, CallSessionEvents } from '../call/call-session.js';
import type { TranscriptChange } from '../call/transcript.js';
import type { CallState } from '../call/states.js';
import type { CallStats } from '../call/stats.js';

/** Event names, in one place. All bubble and cross shadow roots (`composed`). */
export const VoiceCallEvent = {
  StateChange: 'voice-call-state-change',
  Connected: 'voice-call-connected',
  Ended: 'voice-call-ended',
  Error: 'voice-call-error',
  LeaseWarning: 'voice-call-lease-warning',
  MuteChange: 'voice-call-mute-change',
  DeviceChange: 'voice-call-device-change',
  Stats: 'voice-call-stats',
  Transcript: 'voice-call-transcript',
  Session: 'voice-call-session',
  EndRequest: 'voice-call-end-request',
  Reconnecting: 'voice-call-reconnecting',
} as const;

export interface VoiceCallStateChangeDetail {
  state: CallState;
  previous: CallState;
}
/** `{reason, error, durationMs, agentReason}`: see `CallEnd`. */
export type VoiceCallEndedDetail = CallEnd;
export interface VoiceCallLeaseWarningDetail {
  remainingMs: number;
}
export interface VoiceCallMuteChangeDetail {
  muted: boolean;
}
export interface VoiceCallDeviceChangeDetail {
  kind: 'audioinput' | 'audiooutput';
  /** The chosen device, or null for the browser's default. */
  deviceId: string | null;
}

export interface VoiceCallEventMap {
  'voice-call-state-change': CustomEvent<VoiceCallStateChangeDetail>;
  'voice-call-connected': CustomEvent<VoiceCallInfo>;
  'voice-call-ended': CustomEvent<VoiceCallEndedDetail>;
  'voice-call-error': CustomEvent<VoiceCallError>;
  'voice-call-lease-warning': CustomEvent<VoiceCallLeaseWarningDetail>;
  'voice-call-mute-change': CustomEvent<VoiceCallMuteChangeDetail>;
  'voice-call-device-change': CustomEvent<VoiceCallDeviceChangeDetail>;
  'voice-call-stats': CustomEvent<CallStats>;
  'voice-call-transcript': CustomEvent<TranscriptChange>;
  'voice-call-session': CustomEvent<EverrunsSession>;
  'voice-call-end-request': CustomEvent<CallSessionEvents['endrequest']>;
  'voice-call-reconnecting': CustomEvent<CallSessionEvents['reconnecting']>;
}

type DetailOf<K extends keyof VoiceCallEventMap> = VoiceCallEventMap[K] extends CustomEvent<infer D> ? D : never;

/** Dispatches a typed, bubbling, composed event from `target`. */
export const emit = <K extends keyof VoiceCallEventMap>(target: EventTarget, type: K, detail: DetailOf<K>): boolean =>
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalEventHandlersEventMap extends VoiceCallEventMap {}
}
