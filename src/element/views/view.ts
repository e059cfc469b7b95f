import type { CallSession } from '../../call/call-session.js';
import type { CallController } from '../call-controller.js';
import type { Consent } from '../consent.js';
import type { Copier } from '../copy.js';
import type { Devices } from '../devices.js';
import type { Launcher } from '../launcher.js';
import type { Playback } from '../playback.js';
import type { VoiceCallStrings } from '../strings.js';
import type { VoiceCallElement } from '../voice-call.js';
import type { TranscriptLog } from './transcript.js';

/**
 * What every view renders from. The element makes one (its handlers keep their identity across renders, so
 * Lit never re-binds them) and passes it with the strings of the render: a view is a function of the two,
 * reading the call's facts from `session` and the host's settings from `host`.
 */
export interface View {
  host: VoiceCallElement;
  session: CallSession;
  /** The lease countdown and warning. */
  clock: CallController;
  devices: Devices;
  playback: Playback;
  transcript: TranscriptLog;
  consent: Consent;
  launcher: Launcher;
  copier: Copier;
  /** Keys on the widget: M toggles the microphone. */
  onKey(event: KeyboardEvent): void;
  /** The call button: starts a call, or ends the one that is starting or up. */
  onButtonClick(event: MouseEvent): void;
  /** The call button was hovered or focused: prepares the call with `prewarm`. */
  onButtonHover(): void;
  /** "Tap to hear the agent": plays the agent and resumes the meters inside the gesture. */
  onUnblock(): void;
}

/** A view: a template (or `nothing`) from the view and the strings of this render. */
export type ViewRender = (view: View, strings: VoiceCallStrings) => unknown;
