/** Every state a call can be in. The element reflects it as its `state` attribute. */
export const CallState = {
  Idle: 'idle',
  RequestingMicrophone: 'requesting-microphone',
  Connecting: 'connecting',
  Connected: 'connected',
  Ended: 'ended',
  Error: 'error',
} as const;
export type CallState = (typeof CallState)[keyof typeof CallState];

/** Why a call ended. `error` comes with the `VoiceCallError` that caused it. */
export const EndReason = {
  Hangup: 'hangup',
  LeaseExpired: 'lease-expired',
  RemoteEnded: 'remote-ended',
  Error: 'error',
  ElementRemoved: 'element-removed',
  PageHidden: 'page-hidden',
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** States in which a call holds (or is acquiring) the microphone and a peer connection. */
export function isActive(state: CallState): boolean {
  // Every state but the three at rest.
  return !['idle', 'ended', 'error'].includes(state);
}
