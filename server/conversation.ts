/**
 * The reference agent's side of each call's conversation: it listens (voice detection on the caller's
 * audio, server/speech.ts), speaks (server/voice.ts), and tells what it does in two ways at once: the
 * session event stream's Everruns `voice.*` events and the `oai-events` data channel's Realtime events,
 * with the same item ids where both describe the same thing.
 *
 * Two modes:
 * - `echo` (the default; the test suites rely on it): the caller's audio comes straight back 400 ms later.
 *   The channel describes that echo truthfully: the agent's own output is run through the same voice
 *   detector as the caller's, on what it actually sends, so each burst the caller makes comes back as a
 *   response whose `output_audio_buffer.started` / `.stopped` frame the echoed sound. The session stream
 *   keeps its synthetic text lines (a greeting, "You spoke for N seconds.") that are never spoken, so
 *   they stay off the channel.
 * - `turns` (`npm start`, the `turns` fault): the agent takes turns like a real one. It speaks a recorded
 *   greeting, records each burst of the caller's, thinks, and plays the recording back as its answer; a
 *   slow answer (`think-<ms>` from 1.5 s) is preceded by "One moment."; the caller talking over it cuts it.
 *   Every response's events follow its frames as they go out.
 */
import { randomBytes } from 'node:crypto';
import type { RTCDataChannel } from 'werift';
import type { AgentCall } from './calls.ts';
import { clip, GREETING, type ClipFrame } from './clips.ts';
import { DC_SCRIPTS } from './dc-scripts.ts';
import { EVENTS_LABEL, EventsChannel, type ChannelFault } from './events-channel.ts';
import type { Faults } from './faults.ts';
import type { InboundFrame, OutboundFrame } from './peer.ts';
import * as realtime from './realtime-events.ts';
import { isLoud, SpeechDetector, type Burst } from './speech.ts';
import { DelayedEcho, Player, type SentFrame } from './voice.ts';

export { GREETING } from './clips.ts';

type Publish = (sessionId: string, type: string, data: Record<string, unknown>) => void;
export type VoiceMode = 'echo' | 'turns';

export interface ConversationOptions {
  /** The session stream's text lines' pace in echo mode, per word. */
  wordMs: number;
  echoDelayMs: number;
  /** For calls whose faults name neither `echo` nor `turns`. */
  mode: VoiceMode;
  /** In turns mode, from the end of the caller's speech to the start of the answer (the `think-<ms>` fault overrides it). */
  thinkMs: number;
  log: (line: string) => void;
}

/** Delegated mode's filler: said when an answer has taken this long. */
export const FILLER_AFTER_MS = 1500;
/** How many of a call's newest Realtime events `AgentCall.realtimeLog` keeps. */
const REALTIME_LOG_KEPT = 100;
/** In turns mode the greeting waits this long for the caller's data channel, so its events are seen. */
const GREETING_WAIT_MS = 1000;
/**
 * A real provider generates an answer faster than it plays: its transcript deltas and `response.done` come
 * while the audio still plays. The reference agent's are spread over the first half of the answer's sound.
 */
const GENERATION_SHARE = 0.5;
/** The `transcript-flood` fault's turns: this many words each, caller and agent in turn. */
const FLOOD_TURN_WORDS = 5;
const FLOOD_WORDS = 'one two three four five six seven eight nine ten eleven twelve'.split(' ');

const id = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;

export class Conversation {
  private readonly dialogues = new Map<string, Dialogue>();

  constructor(
    private readonly publish: Publish,
    private readonly options: ConversationOptions,
  ) {}

  created(call: AgentCall, faults: Faults, send: (frame: OutboundFrame) => boolean): void {
    this.dialogues.set(call.voiceConnectionId, new Dialogue(call, faults, send, this.publish, this.options));
  }

  connected(call: AgentCall): void {
    this.dialogues.get(call.voiceConnectionId)?.connected();
  }

  audio(call: AgentCall, frame: InboundFrame): void {
    this.dialogues.get(call.voiceConnectionId)?.heard(frame);
  }

  channel(call: AgentCall, channel: RTCDataChannel): void {
    this.dialogues.get(call.voiceConnectionId)?.channelOpened(channel);
  }

  /** The call is over: `voice.session.ended` with the agent's reason, unless a fault already ended it. */
  ended(call: AgentCall): void {
    const dialogue = this.dialogues.get(call.voiceConnectionId);
    this.dialogues.delete(call.voiceConnectionId);
    dialogue?.ended();
  }
}

/** A caller's burst of speech: its item, and in turns mode its recording. */
interface Utterance {
  itemId: string;
  frames: ClipFrame[];
  /** Frames up to the last loud one: what the answer plays back. */
  loudLength: number;
}

/** A text line of the session stream in echo mode, said a word at a time on a timer (never spoken). */
interface Line {
  itemId: string;
  responseId: string;
  words: string[];
  said: string;
  timer: NodeJS.Timeout;
}

/** An answer of the agent's in turns mode: a clip, its words, and how far its frames have gone out. */
interface Speech {
  responseId: string;
  itemId: string;
  words: string[];
  said: string;
  wordsSent: number;
  frames: readonly ClipFrame[];
  /** Frame index of each word's delta, and of `response.done`. */
  wordAt: number[];
  doneAt: number;
  audioStarted: boolean;
  done: boolean;
}

/** An echo of the caller, as a response (echo mode). */
interface EchoResponse {
  responseId: string;
  itemId: string;
  done: boolean;
}

class Dialogue {
  private readonly mode: VoiceMode;
  private readonly listener = new SpeechDetector({ started: (burst) => this.speechStarted(burst), stopped: (burst) => this.speechStopped(burst) });
  private utterance: Utterance | null = null;
  private lastItemId: string | null = null;
  private channel: EventsChannel | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Turns mode: the pending answer and filler, dropped when the caller speaks again. */
  private readonly turnTimers = new Set<NodeJS.Timeout>();
  /** `voice.session.ended` or `.failed` went out: the conversation is over, the media goes on. */
  private over = false;

  // echo mode
  private readonly echo: DelayedEcho | null = null;
  private echoResponse: EchoResponse | null = null;
  /** The caller's words whose echo has not started going out yet. */
  private pendingEchoText: string | null = null;
  private line: Line | null = null;

  // turns mode
  private readonly player: Player | null = null;
  private speech: Speech | null = null;
  private readonly queue: { words: string; frames: readonly ClipFrame[] }[] = [];
  private greeted = false;

  constructor(
    private readonly call: AgentCall,
    private readonly faults: Faults,
    send: (frame: OutboundFrame) => boolean,
    private readonly publish: Publish,
    private readonly options: ConversationOptions,
  ) {
    this.mode = faults.has('turns') ? 'turns' : faults.has('echo') ? 'echo' : options.mode;
    if (this.mode === 'echo') {
      // The agent's own output, through the same detector as the caller's.
      const output = new SpeechDetector({ started: () => this.echoStarted(), stopped: () => this.echoStopped() });
      this.echo = new DelayedEcho(options.echoDelayMs, (frame: SentFrame) => {
        const sent = send(frame);
        // What the agent measures is what went out: a swallowed frame is silence to the caller.
        if (sent) output.push(frame);
        return sent;
      });
    } else {
      this.player = new Player(send);
    }
    const notice = faults.get('ended-before-expiry');
    if (notice != null) this.after(Math.max(0, call.expiresAt - notice - Date.now()), () => this.end('voice.session.ended', { reason: 'agent_ended' }));
  }

  connected(): void {
    const { request } = this.call;
    this.sse('voice.session.started', {
      model: request.model ?? 'reference-echo',
      voice: request.voice ?? 'echo',
      reasoning_effort: request.reasoning_effort ?? 'medium',
      transport: 'webrtc',
    });
    if (this.mode === 'echo') this.sayLine(GREETING);
    else if (this.channel || !this.expectsChannel()) this.greet();
    else this.after(GREETING_WAIT_MS, () => this.greet());
    const ended = this.faults.get('session-ended');
    if (ended != null) this.after(ended, () => this.end('voice.session.ended', { reason: 'agent_ended' }));
    const flood = this.faults.get('transcript-flood');
    if (flood != null) this.flood(flood);
    const failed = this.faults.get('session-failed');
    if (failed != null) {
      this.after(failed, () => this.end('voice.session.failed', { error: 'the realtime provider dropped the session (reference fault)' }));
    }
  }

  heard(frame: InboundFrame): void {
    this.echo?.push(frame);
    if (this.over || this.call.state !== 'connected') return;
    this.listener.push(frame);
    const { utterance } = this;
    if (utterance && this.player) {
      utterance.frames.push({ level: frame.level, payload: frame.payload });
      if (isLoud(frame)) utterance.loudLength = utterance.frames.length;
    }
  }

  channelOpened(channel: RTCDataChannel): void {
    // Other channels a page may open are not the agent's business.
    if (channel.label !== EVENTS_LABEL || this.channel) return;
    this.channel = new EventsChannel(channel, channelFault(this.faults), () => this.sessionEvents(), this.options.log);
  }

  ended(): void {
    const reason = typeof this.call.endRequest?.reason === 'string' ? this.call.endRequest.reason : (this.call.endReason ?? 'ended').replace(/-/g, '_');
    if (!this.over) this.end('voice.session.ended', { reason });
    this.echo?.stop();
    this.player?.stop();
    this.channel?.dispose();
    for (const timer of [...this.timers, ...this.turnTimers]) clearTimeout(timer);
    if (this.line) clearInterval(this.line.timer);
  }

  private sessionEvents(): void {
    const { request } = this.call;
    const info = {
      id: `sess_${this.call.providerCallId}`,
      model: typeof request.model === 'string' ? request.model : 'reference-echo',
      voice: typeof request.voice === 'string' ? request.voice : 'echo',
      instructions: typeof request.instructions === 'string' ? request.instructions : '',
    };
    this.emit(realtime.sessionCreated(info));
    this.emit(realtime.sessionUpdated(info));
    if (this.mode === 'turns' && this.call.state === 'connected') this.greet();
  }

  private expectsChannel(): boolean {
    return this.faults.has('dc-reject') || this.faults.has('dc-absent') ? false : /^m=application /m.test(this.call.request.sdp as string);
  }

  // ---- the caller ----

  private speechStarted(burst: Burst): void {
    const itemId = id('item');
    this.utterance = { itemId, frames: [], loudLength: 0 };
    this.sse('voice.input_transcript.delta', { item_id: itemId, phase: 'user_partial', delta: '…', accumulated: '…' });
    this.emit(realtime.speechStarted(itemId, burst.startMs));
    if (this.line) {
      this.sse('voice.output.interrupted', { item_id: this.line.itemId, response_id: this.line.responseId });
      this.finishLine(this.line);
    }
    if (this.player) this.interrupt();
  }

  private speechStopped(burst: Burst): void {
    const { utterance } = this;
    if (!utterance) return;
    this.utterance = null;
    const seconds = ((burst.lastLoudMs - burst.startMs) / 1000).toFixed(1);
    const text = `[speech, ${seconds} s]`;
    this.sse('voice.input_transcript.completed', { item_id: utterance.itemId, phase: 'user_final', delta: '', accumulated: text });
    this.emit(realtime.speechStopped(utterance.itemId, burst.lastLoudMs));
    this.emit(realtime.committed(utterance.itemId, this.lastItemId));
    this.emit(realtime.inputTranscriptDelta(utterance.itemId, text));
    this.emit(realtime.inputTranscriptCompleted(utterance.itemId, text));
    this.lastItemId = utterance.itemId;
    if (this.player) return this.answer(text, utterance.frames.slice(0, utterance.loudLength));
    this.sayLine(`You spoke for ${seconds} seconds.`);
    if (this.echoResponse && !this.echoResponse.done) this.finishEcho(this.echoResponse, text);
    else this.pendingEchoText = text;
  }

  // ---- echo mode: the echo as responses, the session stream's lines as text ----

  private echoStarted(): void {
    if (this.over) return;
    const response = (this.echoResponse = { responseId: id('resp'), itemId: id('item'), done: false });
    this.emit(realtime.responseCreated(response.responseId));
    this.emit(realtime.outputAudioStarted(response.responseId));
    const text = this.pendingEchoText;
    this.pendingEchoText = null;
    if (text !== null) this.finishEcho(response, text);
  }

  private echoStopped(): void {
    const response = this.echoResponse;
    if (!response || this.over) return;
    this.echoResponse = null;
    if (!response.done) this.finishEcho(response, '');
    this.emit(realtime.outputAudioStopped(response.responseId));
  }

  /** The echo's generation is over when the burst it repeats is: its words are the caller's. */
  private finishEcho(response: EchoResponse, text: string): void {
    response.done = true;
    if (text) this.emit(realtime.outputTranscriptDelta(response.responseId, response.itemId, text));
    this.emit(realtime.outputTranscriptDone(response.responseId, response.itemId, text));
    this.emit(realtime.responseDone(response.responseId, response.itemId, text));
  }

  private sayLine(text: string): void {
    if (this.line) this.finishLine(this.line);
    const line: Line = { itemId: id('item'), responseId: id('resp'), words: text.split(' '), said: '', timer: setInterval(() => next(), this.options.wordMs) };
    this.line = line;
    const next = () => {
      const word = line.words.shift();
      if (word === undefined) return this.finishLine(line);
      const delta = line.said ? ` ${word}` : word;
      line.said += delta;
      this.sse('voice.output_transcript.delta', { item_id: line.itemId, response_id: line.responseId, phase: 'assistant_partial', delta, accumulated: line.said });
    };
  }

  private finishLine(line: Line): void {
    clearInterval(line.timer);
    if (this.line === line) this.line = null;
    this.sse('voice.output_transcript.completed', { item_id: line.itemId, response_id: line.responseId, phase: 'assistant_final', delta: '', accumulated: line.said });
  }

  // ---- turns mode: spoken responses ----

  private greet(): void {
    if (this.greeted || this.over) return;
    this.greeted = true;
    this.speak(GREETING, clip('greeting').frames);
  }

  private answer(text: string, recording: ClipFrame[]): void {
    const thinkMs = this.faults.get('think') ?? this.options.thinkMs;
    const filler = clip('one-moment');
    if (thinkMs >= FILLER_AFTER_MS) this.after(FILLER_AFTER_MS, () => this.speak(filler.text, filler.frames), this.turnTimers);
    this.after(thinkMs, () => this.speak(text, recording), this.turnTimers);
  }

  /** Starts a response now, or after the one that is playing. */
  private speak(words: string, frames: readonly ClipFrame[]): void {
    if (this.over || frames.length === 0) return;
    if (this.speech) {
      this.queue.push({ words, frames });
      return;
    }
    const loud = frames.flatMap((frame, index) => (isLoud(frame) ? [index] : []));
    const firstLoud = loud[0] ?? 0;
    const lastLoud = loud.at(-1) ?? frames.length - 1;
    const generation = Math.max(1, Math.ceil((lastLoud - firstLoud + 1) * GENERATION_SHARE));
    const split = words.split(' ');
    const speech: Speech = {
      responseId: id('resp'),
      itemId: id('item'),
      words: split,
      said: '',
      wordsSent: 0,
      frames,
      wordAt: split.map((_, index) => firstLoud + Math.floor((index * generation) / split.length)),
      doneAt: firstLoud + generation,
      audioStarted: false,
      done: false,
    };
    this.speech = speech;
    this.emit(realtime.responseCreated(speech.responseId));
    this.player!.play({ frames, onFrame: (index, frame, sent) => this.frameOut(speech, index, frame, sent), onEnd: () => this.speechEnded(speech) });
  }

  /** One of the response's frames went out: its events follow the audio, never lead it. */
  private frameOut(speech: Speech, index: number, frame: ClipFrame, sent: boolean): void {
    if (sent && !speech.audioStarted && isLoud(frame)) {
      speech.audioStarted = true;
      this.emit(realtime.outputAudioStarted(speech.responseId));
    }
    while (speech.wordsSent < speech.words.length && index >= speech.wordAt[speech.wordsSent]!) {
      const delta = speech.wordsSent === 0 ? speech.words[0]! : ` ${speech.words[speech.wordsSent]}`;
      speech.wordsSent++;
      speech.said += delta;
      this.emit(realtime.outputTranscriptDelta(speech.responseId, speech.itemId, delta));
      this.sse('voice.output_transcript.delta', { item_id: speech.itemId, response_id: speech.responseId, phase: 'assistant_partial', delta, accumulated: speech.said });
    }
    if (index >= speech.doneAt) this.generated(speech);
  }

  /** The whole answer is generated (its audio may still be playing). */
  private generated(speech: Speech, status: 'completed' | 'cancelled' = 'completed'): void {
    if (speech.done) return;
    speech.done = true;
    if (status === 'completed') this.emit(realtime.outputTranscriptDone(speech.responseId, speech.itemId, speech.said));
    this.emit(realtime.responseDone(speech.responseId, speech.itemId, speech.said, status));
    this.sse('voice.output_transcript.completed', { item_id: speech.itemId, response_id: speech.responseId, phase: 'assistant_final', delta: '', accumulated: speech.said });
  }

  private speechEnded(speech: Speech): void {
    // Words not yet sent (a clip shorter than its words) go out before the end.
    this.frameOut(speech, speech.frames.length, speech.frames.at(-1)!, false);
    this.generated(speech);
    if (speech.audioStarted) this.emit(realtime.outputAudioStopped(speech.responseId));
    this.speech = null;
    const next = this.queue.shift();
    if (next) this.speak(next.words, next.frames);
  }

  /** The caller talks: whatever the agent says or is about to say is dropped at once. */
  private interrupt(): void {
    for (const timer of this.turnTimers) clearTimeout(timer);
    this.turnTimers.clear();
    this.queue.length = 0;
    const { speech } = this;
    if (!speech) return;
    this.speech = null;
    this.player!.cut();
    if (speech.audioStarted) this.emit(realtime.outputAudioCleared(speech.responseId));
    this.sse('voice.output.interrupted', { item_id: speech.itemId, response_id: speech.responseId });
    this.generated(speech, 'cancelled');
  }

  /**
   * `perSecond` transcript deltas a second on the session stream until the conversation is over: numbered
   * turns of FLOOD_TURN_WORDS words, the caller's and the agent's in turn, each completed after its last word
   * (a long, talkative call; never spoken, so never on the channel).
   */
  private flood(perSecond: number): void {
    let turn = 0;
    let said = '';
    let words = 0;
    let itemId = id('item');
    const timer = setInterval(() => {
      if (this.over) return clearInterval(timer);
      const kind = turn % 2 === 0 ? 'input' : 'output';
      const role = kind === 'input' ? 'user' : 'assistant';
      const delta = words === 0 ? `Turn ${turn + 1}:` : ` ${FLOOD_WORDS[(turn + words) % FLOOD_WORDS.length]}`;
      said += delta;
      words++;
      this.sse(`voice.${kind}_transcript.delta`, { item_id: itemId, phase: `${role}_partial`, delta, accumulated: said });
      if (words <= FLOOD_TURN_WORDS) return;
      this.sse(`voice.${kind}_transcript.completed`, { item_id: itemId, phase: `${role}_final`, delta: '', accumulated: said });
      turn++;
      said = '';
      words = 0;
      itemId = id('item');
    }, 1000 / perSecond);
    // Node's clearTimeout clears an interval too: ended() takes it along with the other timers.
    this.timers.add(timer);
  }

  // ---- both streams ----

  private end(type: string, data: Record<string, unknown>): void {
    this.over = true;
    if (this.line) {
      clearInterval(this.line.timer);
      this.line = null;
    }
    this.player?.cut();
    this.sse(type, { ...data, duration_ms: Date.now() - (this.call.connectedAt ?? this.call.createdAt) });
  }

  private sse(type: string, data: Record<string, unknown>): void {
    this.publish(this.call.sessionId, type, { voice_connection_id: this.call.voiceConnectionId, ...data });
  }

  private emit(event: realtime.RealtimeEvent): void {
    const log = this.call.realtimeLog;
    log.push({ type: event.type, at: performance.now() });
    if (log.length > REALTIME_LOG_KEPT) log.shift();
    this.channel?.send(event);
  }

  private after(ms: number, run: () => void, timers = this.timers): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  }
}

function channelFault(faults: Faults): ChannelFault | null {
  const script = faults.get('dc-script');
  if (script != null) return { kind: 'script', script: DC_SCRIPTS[script]! };
  if (faults.has('dc-close')) return { kind: 'close' };
  if (faults.has('dc-stuck')) return { kind: 'stuck' };
  if (faults.has('dc-junk')) return { kind: 'junk' };
  return null;
}
