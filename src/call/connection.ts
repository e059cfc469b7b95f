import { ErrorKind, fail, type VoiceCallError } from '../api/errors.js';

function linkState(pc: RTCPeerConnection): RTCPeerConnectionState | RTCIceConnectionState {
  // connectionState is the aggregate (ICE + DTLS); older engines only have the ICE one.
  return pc.connectionState ?? pc.iceConnectionState;
}

function isLinkUp(pc: RTCPeerConnection): boolean {
  const state = linkState(pc);
  return state === 'connected' || state === 'completed';
}

/** Resolves once media can flow; rejects with a `webrtc` error on failure or after `timeoutMs`. */
export function waitForConnected(pc: RTCPeerConnection, timeoutMs: number, signal: AbortSignal): Promise<void> {
  if (isLinkUp(pc)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // Aborting it removes every listener below at once.
    const listening = new AbortController();
    const options = { signal: listening.signal };
    const finish = (error?: VoiceCallError) => {
      clearTimeout(timer);
      listening.abort();
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (isLinkUp(pc)) return finish();
      const state = linkState(pc);
      if (state === 'failed' || state === 'closed') {
        finish(fail(ErrorKind.WebRtc, 'Could not connect the audio. A firewall may be blocking it.', `ice-${state}`));
      }
    };
    const timer = setTimeout(
      () => finish(fail(ErrorKind.WebRtc, `Could not connect the audio within ${Math.ceil(timeoutMs / 1000)} s.`, 'ice-timeout')),
      timeoutMs,
    );
    pc.addEventListener('connectionstatechange', check, options);
    pc.addEventListener('iceconnectionstatechange', check, options);
    signal.addEventListener('abort', () => finish(fail(ErrorKind.WebRtc, 'The call was cancelled.', 'aborted')), options);
  });
}
