import type { PropertyValues } from 'lit';
import { VoiceCallError } from '../api/errors.js';
import type { CallSession } from '../call/call-session.js';
import { VoiceCallEvent, emit } from './events.js';
import type { VoiceCallSettings } from './settings.js';

/**
 * Plays the agent: binds the call's remote stream to the `<audio>` part, notices when the browser blocked
 * playback until a gesture, and applies the volume, mute and speaker settings.
 */
export class Playback {
  /** The browser refused to play the agent without a user gesture. */
  blocked = false;
  /** `speakerId` was just set back after the browser refused the new one. */
  #reverted = false;
  readonly #host: VoiceCallSettings;
  readonly #session: CallSession;

  constructor(host: VoiceCallSettings, session: CallSession) {
    this.#host = host;
    this.#session = session;
    // Capturing the microphone lifts Chromium's autoplay block: a connected call can play.
    host.addEventListener(VoiceCallEvent.Connected, () => {
      if (this.#audio?.paused) this.play();
    });
  }

  get #audio(): HTMLAudioElement | null | undefined {
    return this.#host.renderRoot?.querySelector('audio');
  }

  /**
   * Attaches the agent's stream to the audio element. Called inside the click with `play`, so `play()` runs
   * in the user gesture and browsers that gate autoplay let the agent's first words through.
   */
  bind(play: boolean): void {
    const audio = this.#audio;
    const stream = this.#session.remoteStream;
    if (!audio || !stream || audio.srcObject === stream) return;
    audio.srcObject = stream;
    if (play) this.play();
  }

  play(): void {
    this.blocked = false;
    this.#audio
      ?.play()
      .then(() => false, (error: Error) => error.name === 'NotAllowedError')
      .then((blocked) => {
        this.blocked = blocked;
        this.#host.requestUpdate();
      });
  }

  /** After each render, with the element's changed properties: the stream, volume, mute and speaker. */
  updated(changed: PropertyValues<VoiceCallSettings>): void {
    const host = this.#host;
    const audio = this.#audio!;
    const { speakerId } = host;
    this.bind(false);
    audio.volume = host.volume >= 0 ? Math.min(1, host.volume) : 1;
    audio.muted = host.agentMuted;
    // The property went back to the speaker still in use: nothing to apply or announce.
    if (this.#reverted) this.#reverted = false;
    else if (changed.has('speakerId')) {
      const previous = changed.get('speakerId');
      audio.setSinkId?.(speakerId ?? '').then(
        () => {
          // An old value of undefined is the first update: the initial value is no change to announce.
          if (previous !== undefined) emit(host, VoiceCallEvent.DeviceChange, { kind: 'audiooutput', deviceId: speakerId });
        },
        (cause: Error) => {
          // The agent still plays on the old speaker: so the property says, and the page hears why.
          if (host.speakerId !== speakerId) return;
          this.#reverted = true;
          host.speakerId = previous ?? null;
          emit(host, VoiceCallEvent.Error, new VoiceCallError('speaker', 'The selected speaker could not be used. Choose another.', { code: cause?.name ?? null, cause }));
        },
      );
    }
  }
}
