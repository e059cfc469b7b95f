// PNG decode, encode and pixel comparison for the e2e screenshot references, with node:zlib only: Chromium
// writes 8-bit, non-interlaced RGB or RGBA files, which is all a screenshot comparison needs to read.
import { crc32, deflateSync, inflateSync } from 'node:zlib';

/** An image as 8-bit RGBA rows, top to bottom. */
export interface Image {
  width: number;
  height: number;
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const RGBA_CHANNELS = 4;
/** PNG colour types (IHDR byte 9) and how many bytes one pixel takes at 8 bits per channel. */
const CHANNELS_BY_COLOR_TYPE: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** The Paeth predictor of the PNG specification (filter type 4). */
function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

/** Decodes an 8-bit, non-interlaced greyscale, RGB or RGBA PNG (with or without alpha) to RGBA. */
export function decodePng(file: Uint8Array): Image {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (!bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a PNG file');
  let width = 0;
  let height = 0;
  let channels = 0;
  const compressed: Buffer[] = [];
  for (let offset = SIGNATURE.length; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [bitDepth, colorType, , , interlace] = body.subarray(8, 13);
      channels = CHANNELS_BY_COLOR_TYPE[colorType!] ?? 0;
      if (bitDepth !== 8 || !channels || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
      }
    } else if (type === 'IDAT') compressed.push(body);
    else if (type === 'IEND') break;
  }
  const raw = inflateSync(Buffer.concat(compressed));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[row + x - channels]! : 0;
      const up = y > 0 ? pixels[row - stride + x]! : 0;
      const upLeft = x >= channels && y > 0 ? pixels[row - stride + x - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter!];
      if (predictor === undefined) throw new Error(`bad PNG filter type ${filter} on row ${y}`);
      pixels[row + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const data = new Uint8Array(width * height * RGBA_CHANNELS);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const source = pixels.subarray(pixel * channels, (pixel + 1) * channels);
    const grey = channels <= 2;
    data[pixel * 4] = source[0]!;
    data[pixel * 4 + 1] = grey ? source[0]! : source[1]!;
    data[pixel * 4 + 2] = grey ? source[0]! : source[2]!;
    // Alpha is the last channel when there is one (grey+alpha, RGBA); otherwise opaque.
    data[pixel * 4 + 3] = channels === 2 || channels === 4 ? source[channels - 1]! : 0xff;
  }
  return { width, height, data };
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes RGBA to a PNG (no filtering: it is only for the diff images a failing run leaves behind). */
export function encodePng({ width, height, data }: Image): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const stride = width * RGBA_CHANNELS;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())]);
}

export interface Comparison {
  /** False when the two images differ in size: then nothing else is compared. */
  sameSize: boolean;
  /** Pixels where some channel differs by more than the tolerance. */
  differentPixels: number;
  /** The largest channel difference seen (0–255). */
  largestDifference: number;
  /** The reference faded to grey, with each differing pixel in red (same size as the images; null if not). */
  diff: Image | null;
}

/**
 * Compares two images pixel by pixel: a pixel differs when any of its RGBA channels is more than
 * `tolerance` (0–255) apart. The tolerance absorbs rounding in the rasteriser; a change anyone can see
 * moves channels by far more.
 */
export function comparePixels(expected: Image, actual: Image, tolerance: number): Comparison {
  if (expected.width !== actual.width || expected.height !== actual.height) {
    return { sameSize: false, differentPixels: Math.max(expected.width * expected.height, actual.width * actual.height), largestDifference: 255, diff: null };
  }
  const diff = new Uint8Array(expected.data.length);
  let differentPixels = 0;
  let largestDifference = 0;
  for (let index = 0; index < expected.data.length; index += RGBA_CHANNELS) {
    let largest = 0;
    for (let channel = 0; channel < RGBA_CHANNELS; channel++) {
      largest = Math.max(largest, Math.abs(expected.data[index + channel]! - actual.data[index + channel]!));
    }
    largestDifference = Math.max(largestDifference, largest);
    if (largest > tolerance) {
      differentPixels++;
      diff.set([0xff, 0, 0, 0xff], index);
    } else {
      // A faint copy of the reference, so the red stands out where it is.
      const luma = (expected.data[index]! * 0.3 + expected.data[index + 1]! * 0.59 + expected.data[index + 2]! * 0.11) | 0;
      const faded = 0xff - ((0xff - luma) >> 2);
      diff.set([faded, faded, faded, 0xff], index);
    }
  }
  return { sameSize: true, differentPixels, largestDifference, diff: { width: expected.width, height: expected.height, data: diff } };
}
