import type { PropertyValues, ReactiveController } from 'lit';
import type { VoiceCallError } from '../api/errors.js';
import type { CallSession } from '../call/call-session.js';
import { VoiceCallEvent, emit } from './events.js';
import type { VoiceCallSettings } from './settings.js';

const STORAGE_KEY = 'voice-call-devices';

/**
 * The microphones and speakers: the labelled list the pickers show (kept fresh on `devicechange`), the
 * choices remembered in localStorage with `remember-devices`, and a microphone chosen during a call switched
 * live.
 */
export class Devices implements ReactiveController {
  /** Audio devices with labels (the browser gives labels once the microphone was allowed). */
  list: MediaDeviceInfo[] = [];
  readonly #host: VoiceCallSettings;
  readonly #session: CallSession;
  /** `microphoneId` was just set back after a failed switch. */
  #reverted = false;

  constructor(host: VoiceCallSettings, session: CallSession) {
    this.#host = host;
    this.#session = session;
    host.addController(this);
    // Once the microphone is allowed, the browser names the devices.
    host.addEventListener(VoiceCallEvent.Connected, this.#refresh);
  }

  hostConnected(): void {
    navigator.mediaDevices?.addEventListener('devicechange', this.#refresh);
  }

  hostDisconnected(): void {
    navigator.mediaDevices?.removeEventListener('devicechange', this.#refresh);
  }

  #refresh = (): void => {
    navigator.mediaDevices?.enumerateDevices().then((devices) => {
      this.list = devices.filter((device) => device.label && device.kind !== 'videoinput');
      this.#host.requestUpdate();
    });
  };

  /** Before each render, with the element's changed properties. */
  willUpdate(changed: PropertyValues<VoiceCallSettings>): void {
    const host = this.#host;
    const session = this.#session;
    if (changed.has('rememberDevices') && host.rememberDevices) {
      try {
        const [microphone, speaker] = JSON.parse(localStorage.getItem(STORAGE_KEY)!) ?? [];
        host.microphoneId ??= microphone;
        host.speakerId ??= speaker;
      } catch {
        // Nothing usable was stored.
      }
    }
    try {
      if (host.rememberDevices && (changed.has('microphoneId') || changed.has('speakerId'))) localStorage.setItem(STORAGE_KEY, JSON.stringify([host.microphoneId, host.speakerId]));
    } catch {
      // Storage can be off (privacy modes, sandboxed frames); the choice then lasts for this page only.
    }
    const { microphoneId } = host;
    const previous = changed.get('microphoneId');
    // The property went back to the microphone the call is still on: nothing to switch or announce.
    if (this.#reverted) this.#reverted = false;
    // An old value of undefined is the first update: the initial values are no change to announce.
    else if (previous !== undefined) {
      const done = () => emit(host, VoiceCallEvent.DeviceChange, { kind: 'audioinput', deviceId: microphoneId });
      if (microphoneId && session.localStream) {
        session.switchMicrophone(microphoneId).then(
          () => {
            done();
            host.requestUpdate();
          },
          (error: VoiceCallError) => {
            // The call stays on the old microphone: so must the property, and the page hears why (the call goes on).
            if (host.microphoneId !== microphoneId) return;
            this.#reverted = true;
            host.microphoneId = previous;
            emit(host, VoiceCallEvent.Error, error);
          },
        );
      } else done();
    }
  }
}
