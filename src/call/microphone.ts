import { ErrorKind, fail, microphoneError } from '../api/errors.js';

export type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** Voice-tuned processing: the agent's voice must not echo back into the microphone. */
export const DEFAULT_AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

/**
 * The microphone under `audio`. `getUserMedia` is an injected one, `null` for none, `undefined` for the
 * browser's own, read at each call so a page (or a test) that replaces it later is heard.
 */
export async function acquireMicrophone(getUserMedia: GetUserMedia | null | undefined, audio: MediaTrackConstraints): Promise<MediaStream> {
  const devices = globalThis.navigator?.mediaDevices;
  const get = getUserMedia === undefined ? devices?.getUserMedia?.bind(devices) : getUserMedia;
  if (!get) {
    throw fail(
      ErrorKind.Microphone,
      'This page cannot use the microphone: it must be served over HTTPS, in a browser that supports calls.',
      'unsupported',
    );
  }
  try {
    return await get({ audio, video: false });
  } catch (cause) {
    throw microphoneError(cause);
  }
}

export function stopTracks(stream?: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
