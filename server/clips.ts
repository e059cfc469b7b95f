/**
 * The reference agent's recorded lines: real Opus audio (espeak-ng's voice, made by scripts/voice-clips.ts)
 * that it sends in the realistic `turns` mode, so a caller hears an agent speak and the data channel's
 * events describe audio that really plays.
 *
 * A `.opus-frames` file is the frames one after another, each as: one byte, its RFC 6464 audio level
 * (-dBov, 127 for silence); two bytes, its length (big-endian); then that many bytes of one 20 ms Opus
 * packet. Nothing else: the frames play in order, 20 ms apart.
 */
import { readFileSync } from 'node:fs';

export const GREETING = 'Hello! I am the reference agent. I play back what you say, a moment later.';
/** Spoken when an answer takes longer than a moment, as Everruns' delegated mode does. */
export const FILLER = 'One moment.';

/** Each clip's file name (without `.opus-frames`) and the words it speaks. */
export const CLIP_TEXTS = { greeting: GREETING, 'one-moment': FILLER } as const;
export type ClipName = keyof typeof CLIP_TEXTS;

/** One 20 ms Opus frame at 48 kHz. */
export const FRAME_MS = 20;
export const FRAME_SAMPLES = 960;

export interface ClipFrame {
  /** RFC 6464: -dBov, 0 (full scale) to 127 (silence); `null` when nobody measured it. */
  level: number | null;
  payload: Buffer;
}

export interface Clip {
  text: string;
  frames: ClipFrame[];
}

const LEVEL_BYTES = 1;
const LENGTH_BYTES = 2;

export function encodeClip(frames: ClipFrame[]): Buffer {
  return Buffer.concat(
    frames.flatMap(({ level, payload }) => {
      const header = Buffer.alloc(LEVEL_BYTES + LENGTH_BYTES);
      header.writeUInt8(level ?? 127, 0);
      header.writeUInt16BE(payload.length, LEVEL_BYTES);
      return [header, payload];
    }),
  );
}

export function decodeClip(file: Buffer): ClipFrame[] {
  const frames: ClipFrame[] = [];
  for (let at = 0; at < file.length; ) {
    const level = file.readUInt8(at);
    const length = file.readUInt16BE(at + LEVEL_BYTES);
    const start = at + LEVEL_BYTES + LENGTH_BYTES;
    if (start + length > file.length) throw new Error(`clip cut short in a frame at byte ${at}`);
    frames.push({ level, payload: file.subarray(start, start + length) });
    at = start + length;
  }
  return frames;
}

const loaded = new Map<ClipName, Clip>();

/** The clip, read once from server/clips/. */
export function clip(name: ClipName): Clip {
  let found = loaded.get(name);
  if (!found) {
    const frames = decodeClip(readFileSync(new URL(`./clips/${name}.opus-frames`, import.meta.url)));
    loaded.set(name, (found = { text: CLIP_TEXTS[name], frames }));
  }
  return found;
}
