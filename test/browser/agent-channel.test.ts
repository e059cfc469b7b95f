// The reference agent's `oai-events` data channel against a real browser peer, without the widget: a
// plain RTCPeerConnection offers a microphone and the channel, as the Everruns docs tell the browser side
// to, and checks what the agent answers and sends in both engines: the channel opens, its events frame
// audio the browser really decodes, and the answers for `dc-reject` and `dc-absent` behave as documented.
import { expect } from '@open-wc/testing';
import { agents, faultUrl, inboundAudio, until } from '../support/helpers.js';

interface Received {
  at: number;
  data: unknown;
  type: string | null;
}

interface Call {
  pc: RTCPeerConnection;
  channel: RTCDataChannel;
  messages: Received[];
  offer: string;
  answer: string;
  /** The answer after `repair`, as applied. */
  applied: string;
  /** Why the browser refused the answer, if it did. */
  refused: string | null;
  close(): void;
}

/** The API's create-call route, a microphone, the `oai-events` channel; `repair` may rewrite the answer first. */
async function call(modes: string, options: { channelFirst?: boolean; muted?: boolean; repair?: (answer: string, offer: string) => string } = {}): Promise<Call> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  // A muted track sends silence: the fake microphones' tones would otherwise talk over the agent.
  stream.getAudioTracks()[0]!.enabled = !options.muted;
  const pc = new RTCPeerConnection();
  const messages: Received[] = [];
  const open = () => {
    const channel = pc.createDataChannel('oai-events');
    channel.onmessage = ({ data }) => messages.push({ at: performance.now(), data, type: typeOf(data) });
    return channel;
  };
  const early = options.channelFirst ? open() : null;
  pc.addTrack(stream.getAudioTracks()[0]!, stream);
  const channel = early ?? open();
  // Chromium decodes (and so measures inbound audioLevel) only audio that an element plays.
  const sink = new Audio();
  pc.ontrack = ({ streams }) => {
    sink.srcObject = streams[0]!;
    void sink.play().catch(() => undefined);
  };
  await pc.setLocalDescription();
  await until(() => pc.iceGatheringState === 'complete', 'ICE gathering');
  const offer = pc.localDescription!.sdp;
  const res = await fetch(`${modes ? faultUrl(modes) : agents.open}/v1/sessions/session_agent_channel/voice/calls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp: offer }),
  });
  const { answer_sdp: answer } = await res.json();
  const applied = options.repair ? options.repair(answer, offer) : answer;
  let refused: string | null = null;
  await pc.setRemoteDescription({ type: 'answer', sdp: applied }).catch((error: Error) => (refused = `${error.name}: ${error.message}`));
  const close = () => {
    pc.close();
    stream.getTracks().forEach((track) => track.stop());
    sink.srcObject = null;
  };
  return { pc, channel, messages, offer, answer, applied, refused, close };
}

function typeOf(data: unknown): string | null {
  if (typeof data !== 'string') return null;
  try {
    const value = JSON.parse(data);
    return typeof value?.type === 'string' ? value.type : null;
  } catch {
    return null;
  }
}

const types = (c: Call) => c.messages.flatMap((m) => (m.type ? [m.type] : []));
const mLines = (sdp: string) => [...sdp.matchAll(/^m=(\w+)/gm)].map((m) => m[1]);

/** Audio the browser really decoded: inbound audioLevel, sampled every 50 ms while `until` is false. */
async function levels(pc: RTCPeerConnection, done: () => boolean, timeoutMs = 15_000): Promise<{ at: number; level: number }[]> {
  const samples: { at: number; level: number }[] = [];
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) {
    samples.push({ at: performance.now(), level: (await inboundAudio(pc)).audioLevel });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return samples;
}

describe('the reference agent’s oai-events channel, with a plain browser peer', function () {
  this.timeout(40_000);
  const calls: Call[] = [];
  const track = (c: Call) => (calls.push(c), c);
  afterEach(() => calls.splice(0).forEach((c) => c.close()));

  it('opens the channel; session.created and session.updated arrive; audio flows both ways', async () => {
    const c = track(await call(''));
    expect(c.refused).to.equal(null);
    await until(() => c.pc.connectionState === 'connected', 'connected');
    await until(() => c.channel.readyState === 'open', 'the channel to open');
    await until(() => c.messages.length >= 2, 'the session events');
    expect(types(c)).to.deep.equal(['session.created', 'session.updated']);
    await until(async () => (await inboundAudio(c.pc)).packetsReceived > 20, 'the echo');
  });

  it('an offer whose data channel was made before the microphone track is answered in the offer’s order', async () => {
    const c = track(await call('', { channelFirst: true }));
    expect(c.refused).to.equal(null);
    expect(mLines(c.answer)).to.deep.equal(mLines(c.offer));
    await until(() => types(c).includes('session.created'), 'session.created');
  });

  it('turns mode: the greeting is heard between output_audio_buffer.started and .stopped, and not after', async () => {
    const c = track(await call('turns', { muted: true }));
    await until(() => types(c).includes('output_audio_buffer.started'), 'the greeting to start', 10_000);
    const samples = await levels(c.pc, () => types(c).includes('output_audio_buffer.stopped'));
    const stoppedAt = c.messages.find((m) => m.type === 'output_audio_buffer.stopped')!.at;
    const after = await levels(c.pc, () => performance.now() > stoppedAt + 4000);
    expect(Math.max(...samples.map((s) => s.level)), 'the greeting is audible while the agent is speaking').to.be.greaterThan(0.05);
    // The jitter buffer plays what arrived last a little later, and on a busy machine a stalled agent sends
    // late frames in a burst: the last audible sample comes within a bound after output_audio_buffer.stopped,
    // then a second of silence, with no new started event.
    const lastAudible = after.filter((s) => s.level >= 0.01).at(-1)?.at ?? stoppedAt;
    expect(lastAudible - stoppedAt, `the last audible sample after the event (events: ${types(c).join(' ')})`).to.be.below(3000);
    expect(types(c).filter((type) => type === 'output_audio_buffer.started')).to.have.length(1);
    expect(types(c)).to.include.members(['response.created', 'response.done']);
  });

  it('dc-reject: the browser takes the answer, connects with audio, and the channel never opens', async () => {
    const c = track(await call('dc-reject'));
    expect(c.refused).to.equal(null);
    expect(c.answer).to.match(/^m=application 0 /m);
    await until(() => c.pc.connectionState === 'connected', 'connected');
    await until(async () => (await inboundAudio(c.pc)).packetsReceived > 20, 'audio');
    // Chromium closes the channel; Firefox leaves it connecting.
    expect(c.channel.readyState).to.be.oneOf(['closed', 'connecting']);
    expect(c.messages).to.have.length(0);
  });

  it('dc-absent: the browser refuses the answer as it is; with a refused application section put in, the call is audio only', async () => {
    const raw = track(await call('dc-absent'));
    expect(raw.answer).not.to.match(/^m=application/m);
    expect(raw.refused, 'an answer with fewer m-lines than the offer').to.be.a('string');

    // What a client can do: put the missing section back, refused, where the offer had it.
    const c = track(await call('dc-absent', { repair: withRefusedApplication }));
    expect(c.refused).to.equal(null);
    await until(() => c.pc.connectionState === 'connected', 'connected');
    await until(async () => (await inboundAudio(c.pc)).packetsReceived > 20, 'audio');
    expect(c.messages).to.have.length(0);
  });

  it('dc-junk: the browser delivers all of it, a binary message and one over 64 KB included', async () => {
    const c = track(await call('dc-junk'));
    await until(() => c.messages.some((m) => typeof m.data === 'string' && m.data.length > 64 * 1024), 'the oversized message');
    expect(c.messages.some((m) => typeof m.data !== 'string'), 'a binary message').to.equal(true);
    expect(types(c).slice(0, 2)).to.deep.equal(['session.created', 'session.updated']);
  });
});

/** The answer with a refused (port 0) application section where the offer has one, as RFC 3264 wants. */
function withRefusedApplication(answer: string, offer: string): string {
  const offered = offer.split(/\r\n(?=m=)/).slice(1);
  const index = offered.findIndex((section) => section.startsWith('m=application'));
  if (index < 0 || /^m=application/m.test(answer)) return answer;
  const mid = /^a=mid:(.*)$/m.exec(offered[index]!)?.[1];
  const [session, ...media] = answer.replace(/\r\n$/, '').split(/\r\n(?=m=)/);
  media.splice(index, 0, `m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0${mid ? `\r\na=mid:${mid}` : ''}`);
  return `${[session, ...media].join('\r\n')}\r\n`;
}
