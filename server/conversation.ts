/**
 * The voice events of the reference agent's calls, synthetic but shaped like Everruns': `voice.session.started`
 * when a call connects, a scripted greeting as `voice.output_transcript.*` deltas a word at a time, a caller
 * placeholder per burst of speech detected in the incoming RTP (Opus packets grow with sound; silence and a
 * muted track are a few dozen bytes), `voice.output.interrupted` when the caller talks over the agent, a
 * short answer after each burst, and `voice.session.ended` when the call ends.
 */
import { randomBytes } from 'node:crypto';
import type { AgentCall } from './calls.ts';
import type { Faults } from './faults.ts';

type Publish = (sessionId: string, type: string, data: Record<string, unknown>) => void;

export const GREETING = 'Hello! I am the reference agent. I play back what you say, a moment later.';
/** Opus payloads above this carry sound (a muted track: 3 bytes in Firefox, 35 in Chromium). */
const LOUD_BYTES = 50;
/** Quiet for this long ends a burst. */
const HANGOVER_MS = 700;
/** A longer burst is cut, as a speech recogniser segments a monologue. */
const MAX_BURST_MS = 10_000;

interface Line {
  itemId: string;
  responseId: string;
  words: string[];
  said: string;
  timer: NodeJS.Timeout;
}

interface Burst {
  itemId: string;
  startedAt: number;
  lastLoudAt: number;
}

interface Script {
  call: AgentCall;
  faults: Faults;
  line: Line | null;
  burst: Burst | null;
  timers: Set<NodeJS.Timeout>;
  /** `voice.session.ended` or `.failed` went out. */
  over: boolean;
}

const id = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;

export class Conversation {
  private readonly scripts = new Map<string, Script>();

  constructor(
    private readonly publish: Publish,
    private readonly wordMs: number,
  ) {}

  /** A created call; its faults choose the scripted endings. */
  track(call: AgentCall, faults: Faults): void {
    const script: Script = { call, faults, line: null, burst: null, timers: new Set(), over: false };
    this.scripts.set(call.voiceConnectionId, script);
    const notice = faults.get('ended-before-expiry');
    if (notice != null) this.after(script, Math.max(0, call.expiresAt - notice - Date.now()), () => this.end(script, 'voice.session.ended', { reason: 'agent_ended' }));
  }

  connected(call: AgentCall): void {
    const script = this.scripts.get(call.voiceConnectionId);
    if (!script) return;
    const { request } = call;
    this.emit(script, 'voice.session.started', {
      model: request.model ?? 'reference-echo',
      voice: request.voice ?? 'echo',
      reasoning_effort: request.reasoning_effort ?? 'medium',
      transport: 'webrtc',
    });
    this.say(script, GREETING);
    const ended = script.faults.get('session-ended');
    if (ended != null) this.after(script, ended, () => this.end(script, 'voice.session.ended', { reason: 'agent_ended' }));
    const failed = script.faults.get('session-failed');
    if (failed != null) {
      this.after(script, failed, () => this.end(script, 'voice.session.failed', { error: 'the realtime provider dropped the session (reference fault)' }));
    }
  }

  rtp(call: AgentCall, payloadBytes: number): void {
    const script = this.scripts.get(call.voiceConnectionId);
    if (!script || script.over || call.state !== 'connected') return;
    const now = Date.now();
    let { burst } = script;
    if (burst && (now - burst.lastLoudAt > HANGOVER_MS || now - burst.startedAt > MAX_BURST_MS)) {
      const seconds = ((burst.lastLoudAt - burst.startedAt) / 1000).toFixed(1);
      const text = `[speech, ${seconds} s]`;
      this.emit(script, 'voice.input_transcript.completed', { item_id: burst.itemId, phase: 'user_final', delta: '', accumulated: text });
      script.burst = burst = null;
      this.say(script, `You spoke for ${seconds} seconds.`);
    }
    if (payloadBytes <= LOUD_BYTES) return;
    if (burst) {
      burst.lastLoudAt = now;
      return;
    }
    script.burst = { itemId: id('item'), startedAt: now, lastLoudAt: now };
    this.emit(script, 'voice.input_transcript.delta', { item_id: script.burst.itemId, phase: 'user_partial', delta: '…', accumulated: '…' });
    const { line } = script;
    if (line) {
      this.emit(script, 'voice.output.interrupted', { item_id: line.itemId, response_id: line.responseId });
      this.finishLine(script, line);
    }
  }

  /** The call is over: `voice.session.ended` with the agent's reason, unless a fault already ended it. */
  ended(call: AgentCall): void {
    const script = this.scripts.get(call.voiceConnectionId);
    if (!script) return;
    this.scripts.delete(call.voiceConnectionId);
    const reason = typeof call.endRequest?.reason === 'string' ? call.endRequest.reason : (call.endReason ?? 'ended').replace(/-/g, '_');
    if (!script.over) this.end(script, 'voice.session.ended', { reason });
    for (const timer of script.timers) clearTimeout(timer);
    if (script.line) clearTimeout(script.line.timer);
  }

  private say(script: Script, text: string): void {
    if (script.line) this.finishLine(script, script.line);
    const line: Line = { itemId: id('item'), responseId: id('resp'), words: text.split(' '), said: '', timer: setInterval(() => next(), this.wordMs) };
    script.line = line;
    const next = () => {
      const word = line.words.shift();
      if (word === undefined) return this.finishLine(script, line);
      const delta = line.said ? ` ${word}` : word;
      line.said += delta;
      this.emit(script, 'voice.output_transcript.delta', { item_id: line.itemId, response_id: line.responseId, phase: 'assistant_partial', delta, accumulated: line.said });
    };
  }

  private finishLine(script: Script, line: Line): void {
    clearInterval(line.timer);
    if (script.line === line) script.line = null;
    this.emit(script, 'voice.output_transcript.completed', { item_id: line.itemId, response_id: line.responseId, phase: 'assistant_final', delta: '', accumulated: line.said });
  }

  private end(script: Script, type: string, data: Record<string, unknown>): void {
    script.over = true;
    if (script.line) {
      clearInterval(script.line.timer);
      script.line = null;
    }
    this.emit(script, type, { ...data, duration_ms: Date.now() - (script.call.connectedAt ?? script.call.createdAt) });
  }

  private emit(script: Script, type: string, data: Record<string, unknown>): void {
    this.publish(script.call.sessionId, type, { voice_connection_id: script.call.voiceConnectionId, ...data });
  }

  private after(script: Script, ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      script.timers.delete(timer);
      run();
    }, ms);
    script.timers.add(timer);
  }
}
