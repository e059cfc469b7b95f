// The screenshot comparison's PNG code (test/support/png.ts). Real Chromium files, with every filter type
// Chromium picks, are checked against Chromium's own decoder in test/e2e/demo.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { comparePixels, decodePng, encodePng, type Image } from '../support/png.ts';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Image {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return { width, height, data };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG chunk written by hand: length, type, body, CRC of type and body. */
function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), body])));
  return Buffer.concat([length, Buffer.from(type, 'latin1'), body, crc]);
}

const gradient = image(7, 5, (x, y) => [x * 30, y * 50, (x * y * 17) % 256, 255 - x]);

describe('png', () => {
  test('what encodePng writes, decodePng reads back unchanged', () => {
    const decoded = decodePng(encodePng(gradient));
    assert.equal(decoded.width, 7);
    assert.equal(decoded.height, 5);
    assert.deepEqual(decoded.data, gradient.data);
  });

  test('an RGB file (no alpha) with Sub and Up filtered rows decodes to opaque RGBA', () => {
    // Two rows of two pixels: row 0 filtered Sub (each byte minus the pixel to its left), row 1 Up.
    const rows = [
      [1, 10, 20, 30, 5, 5, 5],
      [2, 1, 1, 1, 2, 2, 2],
    ];
    const header = Buffer.alloc(13);
    header.writeUInt32BE(2, 0);
    header.writeUInt32BE(2, 4);
    header.set([8, 2, 0, 0, 0], 8);
    const file = Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(rows.flat()))), chunk('IEND', Buffer.alloc(0))]);
    assert.deepEqual(Array.from(decodePng(file).data), [10, 20, 30, 255, 15, 25, 35, 255, 11, 21, 31, 255, 17, 27, 37, 255]);
  });

  test('comparePixels counts pixels past the tolerance, and a size change as a whole change', () => {
    const darker = image(7, 5, (x, y) => {
      const [r, g, b, a] = gradient.data.subarray((y * 7 + x) * 4, (y * 7 + x + 1) * 4);
      return x === 3 ? [Math.max(0, r! - 16), g!, b!, a!] : [r!, g!, b!, a!];
    });
    assert.deepEqual(
      [comparePixels(gradient, gradient, 0).differentPixels, comparePixels(gradient, darker, 8).differentPixels, comparePixels(gradient, darker, 16).differentPixels],
      [0, 5, 0],
      'column 3 (5 pixels) is 16 levels darker in red',
    );
    const changed = comparePixels(gradient, darker, 8);
    assert.deepEqual(Array.from(changed.diff!.data.subarray((1 * 7 + 3) * 4, (1 * 7 + 3) * 4 + 4)), [255, 0, 0, 255], 'a changed pixel is red in the diff');
    const smaller = comparePixels(gradient, image(7, 4, () => [0, 0, 0, 255]), 8);
    assert.equal(smaller.sameSize, false);
    assert.equal(smaller.diff, null);
  });

  test('anything else is refused with a reason, not misread', () => {
    assert.throws(() => decodePng(Buffer.from('GIF89a')), /not a PNG/);
  });
});
