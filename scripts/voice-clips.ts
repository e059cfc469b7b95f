// Makes the reference agent's spoken lines, server/clips/*.opus-frames, from text: espeak-ng speaks it,
// sox resamples it to 48 kHz mono, opusenc encodes it in 20 ms frames, and each frame is stored with its
// RFC 6464 audio level (what a browser's ssrc-audio-level header extension would say for it).
// The files are committed; only regenerating them needs the tools:
//   apt-get install espeak-ng sox opus-tools && node --import tsx scripts/voice-clips.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIP_TEXTS, encodeClip, FRAME_SAMPLES, type ClipFrame } from '../server/clips.ts';

const SAMPLE_RATE = 48_000;
const FULL_SCALE = 32_768;
/** RFC 6464: the level is -dBov, 0 (loudest) to 127 (silence or quieter). */
const SILENT_LEVEL = 127;

const out = fileURLToPath(new URL('../server/clips/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'voice-clips-'));
try {
  for (const [name, text] of Object.entries(CLIP_TEXTS)) {
    const spoken = join(work, `${name}.wav`);
    const resampled = join(work, `${name}-48k.wav`);
    const pcm = join(work, `${name}.s16`);
    const encoded = join(work, `${name}.opus`);
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', spoken, text]);
    execFileSync('sox', ['-D', spoken, '-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', resampled, 'gain', '-n', '-3']);
    execFileSync('sox', [resampled, '-t', 'raw', '-e', 'signed', pcm]);
    execFileSync('opusenc', ['--quiet', '--speech', '--bitrate', '32', '--framesize', '20', resampled, encoded]);
    const { packets, preSkip } = readOggOpus(readFileSync(encoded));
    const samples = new Int16Array(new Uint8Array(readFileSync(pcm)).buffer);
    const frames: ClipFrame[] = packets.map((payload, index) => {
      // The decoder drops the first preSkip samples: frame `index` plays input samples from here.
      const start = index * FRAME_SAMPLES - preSkip;
      return { level: levelOf(samples, start, start + FRAME_SAMPLES), payload };
    });
    writeFileSync(join(out, `${name}.opus-frames`), encodeClip(frames));
    console.log(`${name}: ${frames.length} frames, ${frames.reduce((sum, f) => sum + f.payload.length, 0)} B of Opus`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

function levelOf(samples: Int16Array, from: number, to: number): number {
  let sum = 0;
  let count = 0;
  for (let i = Math.max(0, from); i < Math.min(samples.length, to); i++) {
    sum += samples[i]! * samples[i]!;
    count++;
  }
  if (sum === 0) return SILENT_LEVEL;
  const dbov = 20 * Math.log10(Math.sqrt(sum / count) / FULL_SCALE);
  return Math.min(SILENT_LEVEL, Math.max(0, Math.round(-dbov)));
}

/** The audio packets of an Ogg Opus file (RFC 7845) and its pre-skip; the two header packets are left out. */
function readOggOpus(file: Buffer): { packets: Buffer[]; preSkip: number } {
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    if (file.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at byte ${at}`);
    const segments = file[at + 26]!;
    const lacing = file.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const size of lacing) {
      partial.push(file.subarray(body, body + size));
      body += size;
      // A lacing value under 255 ends a packet; 255 continues it in the next segment.
      if (size < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    at = body;
  }
  const [head, , ...audio] = packets;
  if (!head || head.toString('latin1', 0, 8) !== 'OpusHead') throw new Error('not an Ogg Opus file');
  return { packets: audio, preSkip: head.readUInt16LE(10) };
}
