import { VoiceCallError } from '../api/errors.js';
import { followSession, type SessionEvent } from '../api/sse.js';
import type { CallSession } from './call-session.js';
import { Emitter } from './emitter.js';

/** One turn of the conversation. */
export interface TranscriptTurn {
  /** `user` is the caller, `assistant` the agent. */
  role: 'user' | 'assistant';
  /** Grows in place while `final` is false. */
  text: string;
  final: boolean;
  /** The caller talked over this answer. */
  interrupted: boolean;
  /** The server's `item_id` (or `response_id`). */
  id?: string;
}

export interface TranscriptChange {
  turn: TranscriptTurn;
  turns: readonly TranscriptTurn[];
}

const TRANSCRIPT = /^voice\.(input|output)_transcript\.(delta|completed)$/;

/**
 * A field the server should have sent as a string, or `undefined`: a number or object never becomes text.
 * Not `asString` (api/problem.ts): that one also refuses blank strings, and a delta of one space is a word gap.
 */
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The live transcript of a session's calls, DOM-free: follows the session's event stream while a call is
 * connected, keeps one turn per caller or agent item (a partial is replaced in place by its final text),
 * marks interrupted answers, and ends the call when the server says our voice connection ended or failed.
 */
export class Transcript extends Emitter<{ change: TranscriptChange }> {
  /** Turns of the current or last call, oldest first. */
  turns: TranscriptTurn[] = [];

  /** `idleMs`: silence after which the stream counts as dead (45 s; shorter in tests). */
  constructor(session: CallSession, idleMs?: number) {
    super();
    // The stream of the connected call: any change of state ends it.
    let stop: AbortController | undefined;
    session.on('statechange', ({ state }) => {
      stop?.abort();
      if (state === 'requesting-microphone') this.turns = [];
      if (state !== 'connected') return;
      const { config, call } = session;
      stop = new AbortController();
      void followSession(config!, config!.sessionId, (event) => this.#on(session, call!.voice_connection_id, event), stop.signal, idleMs);
    });
  }

  #on(session: CallSession, ours: string, { type, data }: SessionEvent): void {
    const id = text(data.item_id) ?? text(data.response_id);
    const connection = data.voice_connection_id;
    // Events of another caller's connection are not ours; those of no connection belong to the session.
    const other = connection !== ours;
    if (other && connection != null) return;
    const [, kind, step] = TRANSCRIPT.exec(type) ?? [];
    const { turns } = this;
    let turn: TranscriptTurn | undefined;
    if (kind) {
      const role = kind === 'input' ? 'user' : 'assistant';
      turn = turns.find((t) => (id ? t.id === id : t.role === role && !t.final));
      if (!turn) turns.push((turn = { role, text: '', final: false, interrupted: false, id }));
      turn.text = text(data.accumulated) ?? turn.text + (text(data.delta) ?? '');
      turn.final = step === 'completed';
    } else if (type === 'voice.output.interrupted') {
      const answers = turns.filter((t) => t.role === 'assistant');
      turn = answers.find((t) => t.id === id) ?? answers.pop();
      if (turn) turn.interrupted = true;
    } else if (!other && type === 'voice.session.ended') {
      session.hangup('remote-ended', null, text(data.reason) ?? null);
    } else if (!other && type === 'voice.session.failed') {
      const { error } = data;
      session.hangup(
        'error',
        new VoiceCallError('webrtc', 'The voice session failed.', { code: 'session-failed', serverMessage: text(error?.message) ?? text(error) }),
      );
    }
    if (turn) this.emit('change', { turn, turns });
  }
}
