// Screenshots compared with committed references, so a change of look fails a test until the references
// are refreshed on purpose (UPDATE_SCREENSHOTS=1 npm run test:e2e, then look at the new files and commit).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { comparePixels, decodePng, encodePng, type Comparison } from './png.ts';

/** The committed references. */
export const REFERENCE_DIR = fileURLToPath(new URL('../e2e/screenshots/', import.meta.url));
/** Each run's screenshots, and a `<name>.diff.png` beside any that did not match (ignored by git). */
export const RESULT_DIR = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
export const updating = Boolean(process.env.UPDATE_SCREENSHOTS);

/**
 * How far a channel (0–255) may move before a pixel counts as changed. The same Chromium on the same image
 * (CI runs on this machine's image) rasterises identically: over repeated runs of every reference, at most
 * 9 pixels moved, by 1. A visible change moves channels by far more (a 1 px shift of dark text on white:
 * ~200; a border colour 16 levels darker: 16).
 */
export const CHANNEL_TOLERANCE = 8;
/**
 * How many changed pixels are let through. The same page rasterises identically run after run (0 changed);
 * the page around the widget moving it by a fraction of a pixel (a longer header above it, see
 * alignToPixels) changed 9, on the call button's antialiased corners. The smallest change the proof test
 * makes (the corner radius 1 px smaller) changes 108.
 */
export const MAX_CHANGED_PIXELS = 24;
/**
 * A screenshot taken while the page still settles (a font swap, a re-render in flight) is taken again
 * until it matches or this much time has passed; the last comparison is what a failure reports.
 */
const SETTLE_MS = 3_000;

export interface ShotOptions {
  /** Parts that change from run to run (a countdown, live figures, level meters), painted over in one colour. */
  mask?: Locator[];
  /** The whole page rather than the target's box (only for a Page). */
  fullPage?: boolean;
}

/**
 * Moves an element by less than a pixel, by relative positioning, so that its box starts on whole pixels,
 * and returns how to undo it. Where a page puts the element is not its look: a line of text more above it
 * (a 22.5 px line) left it at a half pixel, and it rasterised one pixel shorter, with every glyph shifted.
 */
function alignToPixels(target: Locator): Promise<() => Promise<void>> {
  return target
    .evaluate((element: HTMLElement) => {
      const before = element.getAttribute('style');
      const { x, y } = element.getBoundingClientRect();
      element.style.position = 'relative';
      element.style.left = `${Math.round(x) - x}px`;
      element.style.top = `${Math.round(y) - y}px`;
      return before;
    })
    .then((before) => () =>
      target.evaluate((element: HTMLElement, style) => (style === null ? element.removeAttribute('style') : element.setAttribute('style', style)), before),
    );
}

/** A screenshot as the comparison takes it: animations stopped, no caret, masks painted, aligned to pixels. */
export async function capture(target: Page | Locator, { mask = [], fullPage = false }: ShotOptions = {}): Promise<Buffer> {
  const common = { animations: 'disabled', caret: 'hide', mask, maskColor: '#ff00ff', scale: 'css' } as const;
  if ('goto' in target) return target.screenshot({ ...common, fullPage });
  const undo = await alignToPixels(target);
  try {
    return await target.screenshot(common);
  } finally {
    await undo();
  }
}

/** What a failing comparison says: enough to judge without opening the images, and where they are. */
function describe(name: string, comparison: Comparison, reference: { width: number; height: number }, actual: { width: number; height: number }): string {
  const where = `reference ${REFERENCE_DIR}${name}.png, this run ${RESULT_DIR}${name}.png`;
  if (!comparison.sameSize) {
    return `screenshot "${name}" changed size: ${reference.width}x${reference.height} -> ${actual.width}x${actual.height} (${where})`;
  }
  return (
    `screenshot "${name}" differs from its reference in ${comparison.differentPixels} pixels ` +
    `(largest channel difference ${comparison.largestDifference}; ${where}, changed pixels in red: ${RESULT_DIR}${name}.diff.png). ` +
    'If the change is intended, refresh the references with UPDATE_SCREENSHOTS=1 and commit them.'
  );
}

/** True when `comparison` is within the tolerance. */
export const matches = (comparison: Comparison): boolean => comparison.sameSize && comparison.differentPixels <= MAX_CHANGED_PIXELS;

/**
 * Compares a screenshot PNG with the reference `name`; returns the comparison (used by the test that proves
 * a small change fails) without asserting.
 */
export function compareWithReference(name: string, png: Buffer): Comparison {
  const file = `${REFERENCE_DIR}${name}.png`;
  assert.ok(existsSync(file), `no reference screenshot "${name}": run the e2e tests once with UPDATE_SCREENSHOTS=1, look at ${file}, and commit it`);
  return comparePixels(decodePng(readFileSync(file)), decodePng(png), CHANNEL_TOLERANCE);
}

/**
 * Takes a screenshot of `target` and asserts it matches the committed reference `name` (with
 * UPDATE_SCREENSHOTS=1 it becomes the reference instead, when it differs). Every run leaves its screenshot in
 * RESULT_DIR.
 */
export async function expectScreenshot(target: Page | Locator, name: string, options: ShotOptions = {}): Promise<void> {
  mkdirSync(RESULT_DIR, { recursive: true });
  const deadline = Date.now() + SETTLE_MS;
  let png = await capture(target, options);
  writeFileSync(`${RESULT_DIR}${name}.png`, png);
  if (updating) {
    // A reference that still matches stays as it is: a refresh commits only the looks that changed.
    const reference = `${REFERENCE_DIR}${name}.png`;
    if (existsSync(reference) && matches(compareWithReference(name, png))) return;
    mkdirSync(REFERENCE_DIR, { recursive: true });
    writeFileSync(reference, png);
    return;
  }
  let comparison = compareWithReference(name, png);
  while (!matches(comparison) && Date.now() < deadline) {
    png = await capture(target, options);
    comparison = compareWithReference(name, png);
  }
  writeFileSync(`${RESULT_DIR}${name}.png`, png);
  if (matches(comparison)) return;
  if (comparison.diff) writeFileSync(`${RESULT_DIR}${name}.diff.png`, encodePng(comparison.diff));
  const reference = decodePng(readFileSync(`${REFERENCE_DIR}${name}.png`));
  assert.fail(describe(name, comparison, reference, decodePng(png)));
}
