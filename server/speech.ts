/**
 * The agent's voice activity detection, used both on what the caller sends and on what the agent itself
 * sends. A frame is loud by its RFC 6464 audio level when it carries one (both browsers send the
 * ssrc-audio-level header extension on every packet), else by its Opus payload size (frames with sound
 * are larger; silence and a muted track are a few dozen bytes). Time is the frames' own RTP clock, not the
 * event loop's: the same frames give the same decisions whenever they are looked at, so the echo of a
 * burst is detected exactly as the burst was, 400 ms later.
 */

/** RFC 6464 levels at or under this (-45 dBov and louder) are sound: speech is -15 to -35, a quiet room under -60. */
export const LOUD_LEVEL = 45;
/** Without a level: Opus payloads above this carry sound (a muted track: 3 bytes in Firefox, 35 in Chromium). */
export const LOUD_BYTES = 50;
/** Quiet for this long ends a burst (a real provider's server VAD waits 500-800 ms). */
export const HANGOVER_MS = 700;
/** A longer burst is cut, as a speech recogniser segments a monologue. */
export const MAX_BURST_MS = 10_000;

const RTP_CLOCK_PER_MS = 48;
const HALF_RANGE = 0x8000_0000;

export function isLoud(frame: { level: number | null; payload: Buffer }): boolean {
  return frame.level === null ? frame.payload.length > LOUD_BYTES : frame.level <= LOUD_LEVEL;
}

/** A burst of sound, in ms of the stream's own clock since its first frame. */
export interface Burst {
  startMs: number;
  lastLoudMs: number;
}

export interface SpeechEvents {
  started(burst: Burst): void;
  stopped(burst: Burst): void;
}

export class SpeechDetector {
  private burst: Burst | null = null;
  private lastTimestamp: number | null = null;
  /** The stream's own clock: ms since its first frame, from RTP timestamp steps. */
  private nowMs = 0;

  constructor(private readonly events: SpeechEvents) {}

  get speaking(): boolean {
    return this.burst !== null;
  }

  /** The stream's clock at the last frame, in ms since its first. */
  get clockMs(): number {
    return this.nowMs;
  }

  push(frame: { level: number | null; payload: Buffer; timestamp: number }): void {
    if (this.lastTimestamp !== null) {
      const step = (frame.timestamp - this.lastTimestamp) >>> 0;
      // A step backwards (a reordered packet) reads as a huge forward one: it moves the clock not at all.
      if (step < HALF_RANGE) this.nowMs += step / RTP_CLOCK_PER_MS;
    }
    this.lastTimestamp = frame.timestamp;
    const { burst } = this;
    if (burst && (this.nowMs - burst.lastLoudMs > HANGOVER_MS || this.nowMs - burst.startMs > MAX_BURST_MS)) {
      this.burst = null;
      this.events.stopped(burst);
    }
    if (!isLoud(frame)) return;
    if (this.burst) {
      this.burst.lastLoudMs = this.nowMs;
      return;
    }
    this.burst = { startMs: this.nowMs, lastLoudMs: this.nowMs };
    this.events.started(this.burst);
  }
}
