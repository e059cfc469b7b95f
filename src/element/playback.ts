import type { PropertyValues } from 'lit';
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
    if (changed.has('speakerId')) {
      audio.setSinkId?.(speakerId ?? '').then(() => {
        // An old value of undefined is the first update: the initial value is no change to announce.
        if (changed.get('speakerId') !== undefined) emit(host, VoiceCallEvent.DeviceChange, { kind: 'audiooutput', deviceId: speakerId });
      }, () => undefined);
    }
  }
}
