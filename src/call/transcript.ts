import type { SessionEvent } from '../api/sse.js';

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
export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The turns of one call, DOM-free: one turn per caller or agent item (a partial is replaced in place by its
 * final text), with answers the caller talked over marked. `CallSession` feeds it the session stream's events.
 */
export class Transcript {
  /** Oldest first. */
  readonly turns: TranscriptTurn[] = [];

  /** Applies one session event; returns the change when it added or changed a turn. */
  apply({ type, data }: SessionEvent): TranscriptChange | undefined {
    const id = text(data.item_id) ?? text(data.response_id);
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
    }
    return turn && { turn, turns };
  }
}
