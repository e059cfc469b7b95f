// The reference agent's `oai-events` data channel, with a werift caller that does what the widget does:
// the channel is negotiated (or refused, or left out) and carries Realtime events in step with the
// agent's real audio, in echo and in turns mode, from real Opus speech; and each channel fault.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { createAgentServer, type AgentServer, type AgentServerOptions } from '../../server/agent-server.ts';
import { clip, FILLER, GREETING, type ClipFrame } from '../../server/clips.ts';
import { DC_SCRIPTS } from '../../server/dc-scripts.ts';
import { JUNK } from '../../server/events-channel.ts';
import { FAULT_MODES } from '../../server/faults.ts';
import { isLoud } from '../../server/speech.ts';
import type { SessionEvent } from '../../server/sse.ts';
import { Caller, type CallerOptions, type ChannelMessage } from './werift-caller.ts';

const SESSION = 'session_channel';
/** Real speech: espeak-ng's "One moment." in Opus, each frame with its measured level. */
const SPEECH = clip('one-moment').frames;
/** The agent's pause between the end of the caller's speech and its answer, in turns mode. */
const THINK_MS = 400;

async function startAgent(t: TestContext, options: AgentServerOptions = {}): Promise<AgentServer> {
  const server = await createAgentServer(options);
  t.after(() => server.close());
  return server;
}

/** A greeting alone plays 5.2 s: the bound leaves room for a busy machine (it only matters when something is wrong). */
async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function create(base: string, faults: string, sdp: string) {
  const res = await fetch(`${base}${faults ? `/_fault/${faults}` : ''}/v1/sessions/${SESSION}/voice/calls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp, model: 'gpt-realtime', voice: 'marin' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { answer_sdp: string; voice_connection_id: string };
}

/** Dials like the widget (a channel and audio levels unless told otherwise) and sends quiet audio, as a muted microphone does. */
async function dial(t: TestContext, base: string, faults = '', options: CallerOptions = { channel: true, audioLevels: true }) {
  const caller = new Caller(options);
  t.after(() => caller.close());
  const { answer_sdp: answer, voice_connection_id: id } = await create(base, faults, await caller.offer());
  await caller.accept(answer);
  await caller.connected();
  caller.record();
  caller.startAudio();
  return { caller, answer, id };
}

const types = (caller: Caller) => caller.events.map((event) => event.type);
const ofType = (caller: Caller, type: string) => caller.messages.filter((message) => message.event?.type === type);
const firstOf = (caller: Caller, type: string) => until(() => ofType(caller, type)[0], type);

async function sessionEvents(base: string): Promise<SessionEvent[]> {
  return ((await (await fetch(`${base}/_agent/sessions/${SESSION}`)).json()) as { events: SessionEvent[] }).events;
}

/** The levels of every frame the agent may send in these tests, by payload: the clips, and silence. */
const LEVELS = new Map<string, ClipFrame>([...clip('greeting').frames, ...SPEECH].map((frame) => [frame.payload.toString('base64'), frame]));
const loudArrivals = (caller: Caller, from: number, to = Infinity) =>
  caller.received.filter(({ at, payload }) => at >= from && at <= to && LEVELS.has(payload.toString('base64')) && isLoud(LEVELS.get(payload.toString('base64'))!));

describe('negotiating the oai-events channel', () => {
  test('an offer with a data channel gets an answer that takes it; session.created and session.updated come first', async (t) => {
    const agent = await startAgent(t);
    const { caller, answer } = await dial(t, agent.url);
    assert.match(answer, /^m=application 9 UDP\/DTLS\/SCTP webrtc-datachannel$/m);
    assert.match(answer, /^a=sctp-port:5000$/m);
    assert.match(answer, /^a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level$/m, 'the answer takes the audio level extension');
    await until(() => caller.events.length >= 2, 'the session events');
    const [created, updated] = caller.events;
    assert.equal(created!.type, 'session.created');
    assert.equal(updated!.type, 'session.updated');
    assert.match(created!.event_id as string, /^event_[0-9a-f]+$/);
    assert.notEqual(created!.event_id, updated!.event_id);
    const session = created!.session as { model: string; audio: { output: { voice: string } } };
    assert.equal(session.model, 'gpt-realtime');
    assert.equal(session.audio.output.voice, 'marin');
    await until(() => caller.echoed > 10, 'the echo: audio still flows both ways');
  });

  test('an offer without a data channel is answered as before: audio only, no application section', async (t) => {
    const agent = await startAgent(t);
    const { caller, answer } = await dial(t, agent.url, '', {});
    assert.doesNotMatch(answer, /^m=application/m);
    assert.match(answer, /^a=group:BUNDLE 0$/m);
    await until(() => caller.echoed > 10, 'audio both ways');
  });

  // werift as a caller cannot apply such an answer ('sctpRemotePort not exist'); both browsers can
  // (test/browser/agent-channel.test.ts connects with it).
  test('dc-reject: the application section is refused in place (port 0, same mid, out of BUNDLE)', async (t) => {
    const agent = await startAgent(t);
    const caller = new Caller({ channel: true });
    t.after(() => caller.close());
    const { answer_sdp: answer } = await create(agent.url, 'dc-reject', await caller.offer());
    const sections = answer.split(/\r\n(?=m=)/);
    assert.equal(sections.length, 3);
    assert.match(sections[2]!, /^m=application 0 UDP\/DTLS\/SCTP webrtc-datachannel\r\nc=IN IP4 0\.0\.0\.0\r\na=mid:1\r\n$/);
    assert.match(answer, /^a=group:BUNDLE 0$/m);
    assert.match(sections[1]!, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF \d+\r\n/);
  });

  test('dc-absent: the answer has no application section at all (and a BUNDLE group without it)', async (t) => {
    const agent = await startAgent(t);
    const caller = new Caller({ channel: true });
    t.after(() => caller.close());
    const offer = await caller.offer();
    const { answer_sdp: answer } = await create(agent.url, 'dc-absent', offer);
    assert.equal(answer.split(/\r\n(?=m=)/).length, 2, 'one m-line: audio');
    assert.doesNotMatch(answer, /^m=application/m);
    assert.match(answer, /^a=group:BUNDLE 0$/m);
    assert.match(answer, /^m=audio /m);
  });
});

describe('events in step with the agent’s audio: echo mode', () => {
  for (const audioLevels of [true, false]) {
    test(`a burst of real speech comes back as a response framing its echo (${audioLevels ? 'audio level extension' : 'packet sizes'})`, async (t) => {
      const agent = await startAgent(t);
      const { caller } = await dial(t, agent.url, '', { channel: true, audioLevels });
      await firstOf(caller, 'session.created');
      const spoke = performance.now();
      await caller.speak(SPEECH);
      const stopped = await firstOf(caller, 'output_audio_buffer.stopped');
      assert.deepEqual(types(caller), [
        'session.created',
        'session.updated',
        'input_audio_buffer.speech_started',
        'response.created',
        'output_audio_buffer.started',
        'input_audio_buffer.speech_stopped',
        'input_audio_buffer.committed',
        'conversation.item.input_audio_transcription.delta',
        'conversation.item.input_audio_transcription.completed',
        'response.output_audio_transcript.delta',
        'response.output_audio_transcript.done',
        'response.done',
        'output_audio_buffer.stopped',
      ]);
      const event = (type: string) => caller.events.find((e) => e.type === type)!;
      const itemId = event('input_audio_buffer.speech_started').item_id;
      for (const type of ['input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', 'conversation.item.input_audio_transcription.completed']) {
        assert.equal(event(type).item_id, itemId, type);
      }
      const transcript = event('conversation.item.input_audio_transcription.completed').transcript as string;
      assert.match(transcript, /^\[speech, \d\.\d s\]$/);
      assert.equal(event('response.output_audio_transcript.done').transcript, transcript, 'the echo says what the caller said');
      const responseId = (event('response.created').response as { id: string }).id;
      assert.equal(event('output_audio_buffer.started').response_id, responseId);
      assert.equal(stopped.event!.response_id, responseId);
      assert.equal((event('response.done').response as { status: string }).status, 'completed');

      // The session stream describes the same burst with the same item id.
      const sse = await sessionEvents(agent.url);
      const completed = sse.find((e) => e.type === 'voice.input_transcript.completed')!;
      assert.equal(completed.data.item_id, itemId);
      assert.equal(completed.data.accumulated, transcript);

      // The echo's frames are the caller's: started no earlier than the first loud one arrived, stopped no earlier than the last.
      const loud = loudArrivals(caller, spoke);
      assert.ok(loud.length > 10, `${loud.length} loud frames came back`);
      assertFramed(t, ofType(caller, 'output_audio_buffer.started')[0]!, stopped, loud);
    });
  }

  test('a muted caller (silence only) makes no events past the session ones', async (t) => {
    const agent = await startAgent(t);
    const { caller } = await dial(t, agent.url);
    await firstOf(caller, 'session.created');
    await until(() => caller.echoed > 50, 'a second of echoed silence');
    assert.deepEqual(types(caller), ['session.created', 'session.updated']);
  });
});

/** output_audio_buffer.started came no earlier than the first loud frame, and .stopped no earlier than the last. */
function assertFramed(t: TestContext, started: ChannelMessage, stopped: ChannelMessage, loud: { at: number }[]): void {
  const lead = started.at - loud[0]!.at;
  const tail = stopped.at - loud.at(-1)!.at;
  t.diagnostic(`started ${lead.toFixed(1)} ms after the first loud frame arrived, stopped ${tail.toFixed(1)} ms after the last`);
  assert.ok(lead >= 0, `started at ${started.at.toFixed(1)}, first loud frame at ${loud[0]!.at.toFixed(1)}`);
  assert.ok(tail >= 0, `stopped at ${stopped.at.toFixed(1)}, last loud frame at ${loud.at(-1)!.at.toFixed(1)}`);
}

describe('events in step with the agent’s audio: turns mode', () => {
  test('the greeting is a response whose events frame its audio; the session stream tells it with the same ids', async (t) => {
    const agent = await startAgent(t, { turns: true });
    const { caller } = await dial(t, agent.url);
    const stopped = await firstOf(caller, 'output_audio_buffer.stopped');
    const sequence = types(caller);
    const deltas = GREETING.split(' ').length;
    assert.deepEqual(sequence, [
      'session.created',
      'session.updated',
      'response.created',
      'output_audio_buffer.started',
      ...Array(deltas).fill('response.output_audio_transcript.delta'),
      'response.output_audio_transcript.done',
      'response.done',
      'output_audio_buffer.stopped',
    ]);
    const started = ofType(caller, 'output_audio_buffer.started')[0]!;
    const done = ofType(caller, 'response.done')[0]!;
    const greetingFrames = loudArrivals(caller, 0);
    assertFramed(t, started, stopped, greetingFrames);
    assert.ok(done.at < greetingFrames.at(-1)!.at, 'response.done while the audio still plays, as in WebRTC');
    const transcript = ofType(caller, 'response.output_audio_transcript.done')[0]!.event!;
    assert.equal(transcript.transcript, GREETING);

    const sse = await sessionEvents(agent.url);
    const line = sse.filter((e) => e.type.startsWith('voice.output_transcript.'));
    assert.equal(line.length, deltas + 1);
    assert.ok(line.every((e) => e.data.item_id === transcript.item_id && e.data.response_id === transcript.response_id));
    assert.equal(line.at(-1)!.data.accumulated, GREETING);
  });

  test('the caller’s speech is recorded, thought over, and played back as the answer, framed by its events', async (t) => {
    const agent = await startAgent(t, { turns: true, thinkMs: THINK_MS });
    const { caller, id } = await dial(t, agent.url);
    await firstOf(caller, 'output_audio_buffer.stopped');
    const before = caller.events.length;
    await caller.speak(SPEECH);
    await until(() => ofType(caller, 'output_audio_buffer.stopped')[1], 'the answer to end');
    assert.deepEqual(types(caller).slice(before), [
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.completed',
      'response.created',
      'output_audio_buffer.started',
      'response.output_audio_transcript.delta',
      'response.output_audio_transcript.delta',
      'response.output_audio_transcript.delta',
      'response.output_audio_transcript.done',
      'response.done',
      'output_audio_buffer.stopped',
    ]);
    // Timed on the agent's clock: a loaded machine delivered speech_stopped late to the caller, 247 ms before
    // response.created, though the agent had sent them 400 ms apart.
    const sent = (type: string) => agent.calls.get(id)!.realtimeLog.filter((event) => event.type === type);
    const thought = sent('response.created')[1]!.at - sent('input_audio_buffer.speech_stopped')[0]!.at;
    assert.ok(thought >= THINK_MS, `thought ${Math.round(thought)} ms (${THINK_MS} ms)`);
    const created = ofType(caller, 'response.created')[1]!;
    // The answer's frames are the caller's recorded ones: every loud frame of the speech comes back.
    const answer = loudArrivals(caller, created.at);
    assert.equal(answer.length, SPEECH.filter(isLoud).length);
    assertFramed(t, ofType(caller, 'output_audio_buffer.started')[1]!, ofType(caller, 'output_audio_buffer.stopped')[1]!, answer);
    const heard = caller.events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')!.transcript;
    assert.equal(ofType(caller, 'response.output_audio_transcript.done')[1]!.event!.transcript, heard);
  });

  test('the caller talking over the greeting cuts it at once: cleared, response.done cancelled, voice.output.interrupted', async (t) => {
    const agent = await startAgent(t, { turns: true });
    const { caller } = await dial(t, agent.url);
    await firstOf(caller, 'output_audio_buffer.started');
    void caller.speak(SPEECH);
    const cleared = await firstOf(caller, 'output_audio_buffer.cleared');
    const sequence = types(caller);
    const at = sequence.indexOf('output_audio_buffer.cleared');
    assert.deepEqual(sequence.slice(at - 1, at + 2), ['input_audio_buffer.speech_started', 'output_audio_buffer.cleared', 'response.done']);
    const done = caller.events[at + 1]!.response as { id: string; status: string; output: { content: { transcript: string }[] }[] };
    assert.equal(done.status, 'cancelled');
    assert.ok(done.output[0]!.content[0]!.transcript.length < GREETING.length, 'the words said so far');
    assert.equal(cleared.event!.response_id, done.id);
    assert.equal(sequence.includes('output_audio_buffer.stopped'), false);
    // The greeting's frames stop: at most a few in flight after the cut.
    await until(() => caller.events.some((e) => e.type === 'input_audio_buffer.speech_stopped'), 'the caller to stop');
    const greetingAfter = caller.received.filter(({ at: arrived, payload }) => arrived > cleared.at + 100 && clip('greeting').frames.some((f) => f.payload.equals(payload)));
    assert.equal(greetingAfter.length, 0);
    const interrupted = (await sessionEvents(agent.url)).find((e) => e.type === 'voice.output.interrupted')!;
    assert.equal(interrupted.data.response_id, done.id);
  });

  test('think-2000: a slow answer is preceded by "One moment.", a response of its own', async (t) => {
    const agent = await startAgent(t, { turns: true });
    const { caller } = await dial(t, agent.url, 'think-2000');
    await firstOf(caller, 'output_audio_buffer.stopped');
    await caller.speak(SPEECH);
    await until(() => ofType(caller, 'output_audio_buffer.stopped')[2], 'the filler and the answer');
    const transcripts = ofType(caller, 'response.output_audio_transcript.done').map((m) => m.event!.transcript);
    assert.equal(transcripts[1], FILLER);
    assert.match(transcripts[2] as string, /^\[speech, /);
    const stoppedSpeaking = ofType(caller, 'input_audio_buffer.speech_stopped')[0]!.at;
    const [filler, answer] = ofType(caller, 'response.created').slice(1).map((m) => m.at - stoppedSpeaking);
    assert.ok(filler! >= 1400 && answer! >= 1900, `filler after ${Math.round(filler!)} ms, answer after ${Math.round(answer!)} ms`);
  });
});

describe('channel faults', () => {
  test('dc-close: the agent closes the channel as soon as it opens; the audio goes on', async (t) => {
    const agent = await startAgent(t);
    const { caller } = await dial(t, agent.url, 'dc-close');
    await until(() => caller.channel!.readyState === 'closed', 'the channel to close');
    assert.equal(caller.messages.length, 0);
    const echoed = caller.echoed;
    await until(() => caller.echoed > echoed + 10, 'audio after the close');
  });

  test('dc-junk: every kind of junk, then junk between each real event; the real events keep their order', async (t) => {
    const agent = await startAgent(t);
    const { caller } = await dial(t, agent.url, 'dc-junk');
    await until(() => caller.messages.length >= JUNK.length + 2, 'the opening run of junk');
    await caller.speak(SPEECH);
    await firstOf(caller, 'output_audio_buffer.stopped');
    await until(() => caller.messages.at(-1)?.event?.type !== 'output_audio_buffer.stopped', 'the junk after the last event');
    const raw = caller.messages.map((m) => m.data);
    assert.deepEqual(raw.slice(2, JUNK.length + 2), [...JUNK], 'each kind once, right after the session events');
    assert.ok(raw.some((data) => Buffer.isBuffer(data)), 'a binary message');
    assert.ok(raw.some((data) => typeof data === 'string' && data.length > 64 * 1024), 'a message over 64 KB');
    const isJunk = (message: ChannelMessage) => JUNK.some((junk) => (Buffer.isBuffer(junk) ? Buffer.isBuffer(message.data) && junk.equals(message.data) : junk === message.data));
    const real = caller.messages.filter((m) => !isJunk(m));
    assert.ok(real.every((m) => m.event), 'everything that is not junk is an event');
    assert.deepEqual(real.map((m) => m.event!.type).slice(0, 4), ['session.created', 'session.updated', 'input_audio_buffer.speech_started', 'response.created']);
    assert.equal(real.at(-1)!.event!.type, 'output_audio_buffer.stopped');
    // After the opening run, each real event is followed by one junk message.
    const afterOpening = caller.messages.slice(JUNK.length + 2);
    for (const [i, message] of afterOpening.entries()) assert.equal(isJunk(message), i % 2 === 1, `message ${i} after the opening run`);
  });

  test('dc-stuck: response.created and output_audio_buffer.started, then nothing, whatever the caller does', async (t) => {
    const agent = await startAgent(t);
    const { caller } = await dial(t, agent.url, 'dc-stuck');
    await firstOf(caller, 'output_audio_buffer.started');
    await caller.speak(SPEECH);
    await until(() => caller.echoed > 150, 'the echo of the speech');
    assert.deepEqual(types(caller), ['session.created', 'session.updated', 'response.created', 'output_audio_buffer.started']);
    assert.equal(caller.events[3]!.response_id, (caller.events[2]!.response as { id: string }).id);
  });

  for (const [n, script] of Object.entries(DC_SCRIPTS)) {
    test(`dc-script-${n} (${script.name}): exactly the script's events, in order, and no real ones`, async (t) => {
      const agent = await startAgent(t);
      const { caller } = await dial(t, agent.url, `dc-script-${n}`);
      await until(() => caller.events.length >= script.steps.length, 'the whole script');
      await caller.speak(SPEECH);
      assert.deepEqual(
        caller.events.map(({ event_id: eventId, ...event }) => {
          assert.match(eventId as string, /^event_/);
          return event;
        }),
        script.steps.map((step) => step.event),
      );
    });
  }

  test('the fault table names each channel mode, and an unknown script is refused', async (t) => {
    for (const mode of ['turns', 'echo', 'think-<ms>', 'dc-reject', 'dc-absent', 'dc-close', 'dc-junk', 'dc-stuck', 'dc-script-<n>']) assert.ok(mode in FAULT_MODES, mode);
    const agent = await startAgent(t);
    const caller = new Caller({ channel: true });
    t.after(() => caller.close());
    const res = await fetch(`${agent.url}/_fault/dc-script-99/v1/sessions/${SESSION}/voice/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sdp: await caller.offer() }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /no such script/);
  });
});

describe('the scripts, as data', () => {
  test('each step says the state the client rules give, and starts and ends listening', () => {
    for (const script of Object.values(DC_SCRIPTS)) {
      assert.equal(script.steps[0]!.event.type, 'session.created');
      assert.equal(script.steps.at(-1)!.state, 'listening', script.name);
      const at = script.steps.map((step) => step.at);
      assert.deepEqual([...at].sort((a, b) => a - b), at);
    }
  });
});
