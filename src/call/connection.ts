import { ErrorKind, VoiceCallError } from '../api/errors.js';

function linkState(pc: RTCPeerConnection): RTCPeerConnectionState | RTCIceConnectionState {
  // connectionState is the aggregate (ICE + DTLS); older engines only have the ICE one.
  return pc.connectionState ?? pc.iceConnectionState;
}

export function isLinkUp(pc: RTCPeerConnection): boolean {
  const state = linkState(pc);
  return state === 'connected' || state === 'completed';
}

/** Resolves once media can flow; rejects with a `webrtc` error on failure or after `timeoutMs`. */
export function waitForConnected(pc: RTCPeerConnection, timeoutMs: number, signal: AbortSignal): Promise<void> {
  if (isLinkUp(pc)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: VoiceCallError) => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      pc.removeEventListener('iceconnectionstatechange', check);
      signal.removeEventListener('abort', aborted);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (isLinkUp(pc)) return finish();
      const state = linkState(pc);
      if (state === 'failed' || state === 'closed') {
        finish(new VoiceCallError(ErrorKind.WebRtc, 'Could not connect the audio. A firewall may be blocking it.', { code: `ice-${state}` }));
      }
    };
    const aborted = () => finish(new VoiceCallError(ErrorKind.WebRtc, 'The call was cancelled.', { code: 'aborted' }));
    const timer = setTimeout(
      () => finish(new VoiceCallError(ErrorKind.WebRtc, `Could not connect the audio within ${Math.ceil(timeoutMs / 1000)} s.`, { code: 'ice-timeout' })),
      timeoutMs,
    );
    pc.addEventListener('connectionstatechange', check);
    pc.addEventListener('iceconnectionstatechange', check);
    signal.addEventListener('abort', aborted, { once: true });
  });
}
