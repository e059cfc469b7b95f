/**
 * The baseline: the shortest correct hand-written call, as a page author would write it from MDN.
 * getUserMedia → RTCPeerConnection → offer → wait for ICE gathering to complete → POST → answer →
 * connected. No error handling, no UI, no lease: the floor every widget is measured against.
 */
import type { CallTimings } from '../../src/call/call-session.js';
export type Marks = Omit<CallTimings, 'prepare'>;

export interface BaselineCall {
  marks: Marks;
  pc: RTCPeerConnection;
  hangup(): void;
}

export async function baselineCall(base: string, sessionId: string, iceServers: RTCIceServer[], marks: Marks): Promise<BaselineCall> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  marks.mic = performance.now();
  const pc = new RTCPeerConnection({ iceServers });
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  const audio = new Audio();
  audio.autoplay = true;
  pc.ontrack = (event) => (audio.srcObject = event.streams[0] ?? new MediaStream([event.track]));

  await pc.setLocalDescription(await pc.createOffer());
  marks.offer = performance.now();
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
  marks.ice = performance.now();

  const calls = `${base}/v1/sessions/${encodeURIComponent(sessionId)}/voice`;
  marks.post = performance.now();
  const response = await fetch(`${calls}/calls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp: pc.localDescription!.sdp }),
  });
  const answer = (await response.json()) as { answer_sdp: string; voice_connection_id: string };
  marks.answer = performance.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.answer_sdp });
  await new Promise<void>((resolve) => {
    if (pc.connectionState === 'connected') return resolve();
    pc.addEventListener('connectionstatechange', () => pc.connectionState === 'connected' && resolve());
  });
  marks.connected = performance.now();

  return {
    marks,
    pc,
    hangup() {
      pc.close();
      for (const track of stream.getTracks()) track.stop();
      audio.srcObject = null;
      void fetch(`${calls}/${answer.voice_connection_id}/end`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"reason":"client_ended"}',
        keepalive: true,
      });
    },
  };
}
