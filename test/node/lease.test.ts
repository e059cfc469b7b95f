// The client's own lease timer, alone, on fake timers: it must end the call at expires_at even when the
// agent says nothing (test/browser/faults-webrtc.test.ts proves the same end to end with the expires fault).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { armLease, formatRemaining } from '../../src/call/lease.ts';

describe('armLease', () => {
  let log: string[];
  const arm = (leftMs: number, warningMs: number, signal = new AbortController().signal) =>
    armLease(Date.now() + leftMs, warningMs, () => log.push(`warning at ${Date.now()}`), () => log.push(`expired at ${Date.now()}`), signal);

  beforeEach(() => {
    log = [];
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  });
  afterEach(() => mock.timers.reset());

  test('warns warningMs before the deadline, then expires at it, and not a moment before', () => {
    arm(60_000, 30_000);
    mock.timers.tick(29_999);
    assert.deepEqual(log, []);
    mock.timers.tick(1);
    assert.deepEqual(log, ['warning at 30000']);
    mock.timers.tick(29_999);
    assert.deepEqual(log, ['warning at 30000']);
    mock.timers.tick(1);
    assert.deepEqual(log, ['warning at 30000', 'expired at 60000']);
  });

  test('already inside the warning window: warns at once', () => {
    arm(10_000, 30_000);
    mock.timers.tick(0);
    assert.deepEqual(log, ['warning at 0']);
    mock.timers.tick(10_000);
    assert.deepEqual(log, ['warning at 0', 'expired at 10000']);
  });

  test('a warning of 0 never warns', () => {
    arm(5000, 0);
    mock.timers.tick(5000);
    assert.deepEqual(log, ['expired at 5000']);
  });

  test('aborting the signal clears both timers', () => {
    const controller = new AbortController();
    arm(60_000, 30_000, controller.signal);
    mock.timers.tick(20_000);
    controller.abort();
    mock.timers.tick(60_000);
    assert.deepEqual(log, []);
  });

  test('the countdown rounds up, so 00:00 means it is over', () => {
    assert.deepEqual([formatRemaining(0), formatRemaining(1), formatRemaining(61_000), formatRemaining(3_600_000)], ['00:00', '00:01', '01:01', '1:00:00']);
  });
});
