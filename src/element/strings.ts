import type { CallState } from '../call/states.js';

/** Every visible and announced string. Replace any of them through the element's `strings` property. */
export interface VoiceCallStrings {
  start: string;
  hangup: string;
  cancel: string;
  retry: string;
  states: Record<CallState, string>;
  timeLeft: string;
  leaseWarning: string;
  /** The status while a connected call waits for its lost link to come back. */
  reconnecting: string;
  model: string;
  voice: string;
  provider: string;
  reasoningEffort: string;
  voiceConnectionId: string;
  providerCallId: string;
  defaultValue: string;
  ended: Record<string, string>;
  /** The microphone toggle (a pressed button while muted). */
  mute: string;
  /** Added to the status while the microphone is muted. */
  muted: string;
  microphone: string;
  speaker: string;
  volume: string;
  /** The agent's voice toggle. */
  muteAgent: string;
  /** Shown when the browser blocked playback until the user interacts. */
  unblock: string;
  details: string;
  rtt: string;
  loss: string;
  jitter: string;
  /**
   * Replacement error messages, looked up by the error's `code` (e.g. `NotAllowedError`), then its HTTP
   * `status`, then its `kind`; without a match the built-in English message shows.
   */
  errors: Record<string, string>;
  /** Transcript labels: the caller, the agent, and the mark of an answer the caller talked over. */
  user: string;
  assistant: string;
  interrupted: string;
  /** The consent's buttons (with the `consent` attribute or slot). */
  accept: string;
  decline: string;
  /** The launcher's round button and its card (`layout="launcher"`), and the card's close button. */
  launcher: string;
  close: string;
  /** The details' session row (its id has a copy button, as the connection's has). */
  sessionId: string;
  /** A copy button before and after copying, and when the browser refused to copy. */
  copy: string;
  copied: string;
  copyFailed: string;
  /** What the transcript's copy button copies, in its name ("Copy transcript"). */
  transcriptName: string;
}

export const DEFAULT_STRINGS: VoiceCallStrings = {
  start: 'Start call',
  hangup: 'Hang up',
  cancel: 'Cancel call',
  retry: 'Call again',
  states: {
    idle: 'Ready to call',
    'requesting-microphone': 'Waiting for the microphone…',
    connecting: 'Connecting…',
    connected: 'Connected',
    ended: 'Call ended',
    error: 'Call failed',
  },
  timeLeft: 'Time left',
  leaseWarning: 'The call ends soon',
  reconnecting: 'Reconnecting…',
  model: 'Model',
  voice: 'Voice',
  provider: 'Provider',
  reasoningEffort: 'Reasoning effort',
  voiceConnectionId: 'Connection',
  providerCallId: 'Provider call',
  defaultValue: 'default',
  ended: {
    hangup: 'Call ended',
    'lease-expired': 'The call’s time ran out',
    'remote-ended': 'The agent ended the call',
    error: 'Call failed',
    'element-removed': 'Call ended',
    'page-hidden': 'Call ended',
  },
  mute: 'Mute',
  muted: 'Microphone muted',
  microphone: 'Microphone',
  speaker: 'Speaker',
  volume: 'Agent volume',
  muteAgent: 'Mute agent',
  unblock: 'Tap to hear the agent',
  details: 'Call details',
  rtt: 'Round trip',
  loss: 'Loss',
  jitter: 'Jitter',
  errors: {},
  user: 'You',
  assistant: 'Agent',
  interrupted: '(interrupted)',
  accept: 'Accept',
  decline: 'Decline',
  launcher: 'Voice call',
  close: 'Close',
  sessionId: 'Session',
  copy: 'Copy',
  copied: 'Copied',
  copyFailed: 'Could not copy',
  transcriptName: 'transcript',
};

/** Shallow-merges host overrides over the defaults, one level deep for the nested tables. */
export function mergeStrings(overrides: Partial<VoiceCallStrings> | null | undefined): VoiceCallStrings {
  if (!overrides) return DEFAULT_STRINGS;
  return {
    ...DEFAULT_STRINGS,
    ...overrides,
    states: { ...DEFAULT_STRINGS.states, ...overrides.states },
    ended: { ...DEFAULT_STRINGS.ended, ...overrides.ended },
  };
}
