/**
 * What the agent sends: either the caller's own audio played back a moment later (`DelayedEcho`, the
 * default, so a test can tell real two-way media from silence), or its own lines and recordings paced
 * on a 20 ms clock (`Player`, the `turns` mode). Both hand each frame to `send` at the moment it goes out.
 */
import { FRAME_MS, FRAME_SAMPLES, type ClipFrame } from './clips.ts';
import type { OutboundFrame } from './peer.ts';

/** A frame on its way out, with the level it was measured at (for the agent's own output detection). */
export interface SentFrame extends OutboundFrame {
  level: number | null;
}

/** Hands a frame to the peer; false when the `no-audio` setting swallowed it. */
export type SendFrame = (frame: SentFrame) => boolean;

/** Plays frames back `delayMs` after they arrived, on the caller's own timestamps (so gaps stay gaps). */
export class DelayedEcho {
  private readonly queue: { due: number; frame: SentFrame }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly send: SendFrame,
  ) {}

  push(frame: SentFrame): void {
    this.queue.push({ due: performance.now() + this.delayMs, frame });
    if (!this.timer) this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(): void {
    const next = this.queue[0];
    if (next) this.timer = setTimeout(this.flush, Math.max(0, next.due - performance.now()));
  }

  private readonly flush = () => {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue[0] && this.queue[0].due <= now) this.send(this.queue.shift()!.frame);
    this.schedule();
  };
}

/**
 * Opus's standard silent frame (CELT, 20 ms, the silence flag set): what the agent sends between lines, as
 * a real provider keeps its stream going, so the caller's jitter buffer and statistics stay steady.
 */
export const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
/** RFC 6464's "silent" level. */
export const SILENT_LEVEL = 127;

/** A clip being played: what the player tells about each of its frames as it goes out. */
export interface Playback {
  frames: readonly ClipFrame[];
  /** Frame `index` just went out (`sent`: false when `no-audio` swallowed it). */
  onFrame(index: number, frame: ClipFrame, sent: boolean): void;
  /** The last frame went out. */
  onEnd(): void;
}

/**
 * The agent's voice in `turns` mode: a 20 ms clock that sends the playing clip's next frame, or silence.
 * A clock that fell behind (a busy event loop) catches up by sending the frames that are due at once,
 * as a jitter buffer expects, rather than stretching the audio.
 */
export class Player {
  private readonly startedAt = performance.now();
  private framesSent = 0;
  private playing: { playback: Playback; next: number } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly send: SendFrame) {
    this.tick();
  }

  get busy(): boolean {
    return this.playing !== null;
  }

  /** Plays a clip from the next frame on, cutting whatever was playing. */
  play(playback: Playback): void {
    this.playing = { playback, next: 0 };
  }

  /** Cuts the playing clip at once (the caller talked over it); silence follows. */
  cut(): void {
    this.playing = null;
  }

  stop(): void {
    this.stopped = true;
    this.playing = null;
    clearTimeout(this.timer);
  }

  private readonly tick = () => {
    if (this.stopped) return;
    const due = Math.floor((performance.now() - this.startedAt) / FRAME_MS) + 1;
    while (this.framesSent < due && !this.stopped) this.sendNext();
    this.timer = setTimeout(this.tick, this.startedAt + due * FRAME_MS - performance.now());
  };

  private sendNext(): void {
    const timestamp = (this.framesSent++ * FRAME_SAMPLES) >>> 0;
    const { playing } = this;
    if (!playing) {
      this.send({ payload: OPUS_SILENCE, level: SILENT_LEVEL, timestamp, marker: false });
      return;
    }
    const index = playing.next++;
    const frame = playing.playback.frames[index]!;
    // RFC 3551: the marker flags the first packet of a talkspurt.
    const sent = this.send({ payload: frame.payload, level: frame.level, timestamp, marker: index === 0 });
    const last = playing.next >= playing.playback.frames.length;
    if (last) this.playing = null;
    playing.playback.onFrame(index, frame, sent);
    if (last) playing.playback.onEnd();
  }
}
