import { ErrorKind, fail, microphoneError } from '../api/errors.js';

export type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** Voice-tuned processing: the agent's voice must not echo back into the microphone. */
export const DEFAULT_AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export function defaultGetUserMedia(): GetUserMedia | null {
  const devices = globalThis.navigator?.mediaDevices;
  return devices?.getUserMedia ? (constraints) => devices.getUserMedia(constraints) : null;
}

export async function acquireMicrophone(
  getUserMedia: GetUserMedia | null,
  audio: MediaTrackConstraints,
): Promise<MediaStream> {
  if (!getUserMedia) {
    throw fail(
      ErrorKind.Microphone,
      'This page cannot use the microphone: it must be served over HTTPS, in a browser that supports calls.',
      'unsupported',
    );
  }
  try {
    return await getUserMedia({ audio, video: false });
  } catch (cause) {
    throw microphoneError(cause);
  }
}

export function stopTracks(stream?: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
