// CallSession alone, without the element: the facts a headless page needs (state, transcript, stats, the end
// of the call) come from the call layer itself, against the reference agent, with every resource released.
import { expect } from '@open-wc/testing';
import { CallSession, type CallEnd, type CallStats, type TranscriptChange } from '../../src/call/index.js';
import { agents, faultUrl, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

/** The reference agent's scripted greeting (server/conversation.ts, which is Node-only). */
const GREETING = 'Hello! I am the reference agent. I play back what you say, a moment later.';

/** Resolves with the next `type` event of `session`. */
function next<K extends 'transcript' | 'stats' | 'ended'>(session: CallSession, type: K) {
  return new Promise<{ transcript: TranscriptChange; stats: CallStats; ended: CallEnd }[K]>((resolve) => {
    const off = session.on(type, (detail) => {
      off();
      resolve(detail as never);
    });
  });
}

describe('CallSession without the element', () => {
  let resources: ReturnType<typeof watchResources>;
  beforeEach(() => (resources = watchResources()));
  afterEach(() => resources.restore());

  it('loads no element: the call layer stands alone', () => {
    expect(customElements.get('voice-call')).to.equal(undefined);
  });

  it('follows the session stream into turns and reads the stats each second; hang-up releases everything and keeps the facts', async () => {
    const session = new CallSession();
    const changes: TranscriptChange[] = [];
    session.on('transcript', (change) => changes.push(change));
    session.muted = true;
    await session.start({ sessionId: uniqueSession('headless'), baseUrl: agents.open });
    const greeting = await until(() => session.turns.find((turn) => turn.final), 'the whole greeting', 12_000);
    expect(greeting).to.include({ role: 'assistant', text: GREETING, interrupted: false });
    expect(changes.length, 'one event per delta, then the final text').to.be.greaterThan(1);
    expect(changes.at(-1)!.turns).to.equal(session.turns);

    const stats = await next(session, 'stats');
    expect(session.stats).to.equal(stats);
    expect(stats.packetsReceived).to.be.greaterThan(0);
    expect(stats.rttMs).to.be.a('number');

    session.hangup();
    await resources.released(1000);
    expect(session.turns, 'the last call’s turns stay').to.have.length(1);
    expect(session.stats, 'the last reading stays').to.equal(stats);
  });

  it('makes the offer and gathers ICE while the microphone is being opened, then connects with the track', async () => {
    // The offer needs no microphone (its sender takes the track later): a device that opens slowly, or a
    // permission prompt, no longer comes before ICE gathering on the way to the request.
    const connections: RTCPeerConnection[] = [];
    let openMicrophone!: () => void;
    const microphoneOpened = new Promise<void>((resolve) => (openMicrophone = resolve));
    const session = new CallSession({
      getUserMedia: async (constraints) => {
        await microphoneOpened;
        return navigator.mediaDevices.getUserMedia(constraints);
      },
      createPeerConnection: (configuration) => {
        const pc = new RTCPeerConnection(configuration);
        connections.push(pc);
        return pc;
      },
    });
    const started = session.start({ sessionId: uniqueSession('headless-offer-first'), baseUrl: agents.open });
    try {
      await until(() => connections[0]?.iceGatheringState === 'complete', 'ICE gathering to complete with the microphone still opening');
      expect(session.state).to.equal('requesting-microphone');
      expect(connections[0]!.localDescription?.type).to.equal('offer');
      expect(session.timings.mic).to.equal(undefined);
      openMicrophone();
      await started;
      expect(connections).to.have.length(1);
      const [sender] = connections[0]!.getSenders();
      expect(sender?.track?.kind, 'the microphone track is sent').to.equal('audio');
      expect(sender?.track).to.equal(session.localStream!.getAudioTracks()[0]);
    } finally {
      openMicrophone();
      session.hangup();
    }
    await resources.released(1000);
  });

  it('ends itself on voice.session.ended for its connection, with the agent’s reason', async () => {
    const session = new CallSession();
    const ended = next(session, 'ended');
    await session.start({ sessionId: uniqueSession('headless-ended'), baseUrl: faultUrl('session-ended-300') });
    const end = await ended;
    expect(end).to.include({ reason: 'remote-ended', error: null, agentReason: 'agent_ended' });
    expect(session.state).to.equal('ended');
    await resources.released(1000);
  });

  it('fails itself on voice.session.failed, in the error state', async () => {
    const session = new CallSession();
    const ended = next(session, 'ended');
    await session.start({ sessionId: uniqueSession('headless-failed'), baseUrl: faultUrl('session-failed-300') });
    expect((await ended).reason).to.equal('error');
    expect(session.state).to.equal('error');
    expect(session.error).to.include({ kind: 'webrtc', code: 'session-failed' });
    await resources.released(1000);
  });

  it('starts each call with no turns and no stats', async () => {
    const session = new CallSession();
    session.muted = true;
    await session.start({ sessionId: uniqueSession('headless-again'), baseUrl: agents.open });
    await next(session, 'stats');
    await until(() => session.turns.length, 'a turn');
    session.hangup();
    const again = session.start({ sessionId: uniqueSession('headless-again'), baseUrl: agents.open });
    expect(session.turns).to.have.length(0);
    expect(session.stats).to.equal(null);
    await again;
    session.hangup();
    await resources.released(1000);
  });
});

describe('the session stream’s history', () => {
  it('shows only this call’s turns: the replayed history (another call’s, or naming no voice connection) never enters them', async () => {
    const resources = watchResources();
    const session = new CallSession();
    // Fault injection: the session's log as its first stream replays it, then one turn of this call, then
    // a stream that stays open. Voice transcript events always name their voice connection (the API).
    const history = (ours: string) =>
      [
        { type: 'voice.output_transcript.completed', data: { voice_connection_id: 'voice_conn_earlier', item_id: 'item_old', accumulated: 'From an earlier call.' } },
        { type: 'voice.input_transcript.completed', data: { item_id: 'item_nobody', accumulated: 'Naming no connection.' } },
        { type: 'voice.output_transcript.delta', data: { voice_connection_id: null, delta: 'Nor this.' } },
        { type: 'voice.output_transcript.completed', data: { voice_connection_id: ours, item_id: 'item_ours', accumulated: 'This call.' } },
      ]
        .map((event, i) => `id: evt_${i}\ndata: ${JSON.stringify({ id: `evt_${i}`, ...event })}\n\n`)
        .join('');
    let streams = 0;
    const injected: typeof fetch = async (input, init) => {
      if (!String(input).includes('/sse')) return fetch(input, init);
      const text = streams++ ? '' : history(session.call!.voice_connection_id);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (text) controller.enqueue(new TextEncoder().encode(text));
          init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
        },
      });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    };
    session.muted = true;
    try {
      await session.start({ sessionId: uniqueSession('history'), baseUrl: agents.open, fetch: injected });
      await until(() => session.turns.length, 'this call’s turn');
      expect(session.turns.map((turn) => turn.text)).to.deep.equal(['This call.']);
    } finally {
      session.hangup();
      await resources.released();
      resources.restore();
    }
  });
});
