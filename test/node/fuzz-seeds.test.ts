// The fuzzers' seeds (test/support/fuzz.ts): a fresh one on every run, the bug-finding ones kept, a printed
// one replayable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzSeeds } from '../support/fuzz.ts';

test('a fresh seed per run after the named regression seeds; FUZZ_SEED replays one', () => {
  const replay = process.env.FUZZ_SEED;
  delete process.env.FUZZ_SEED;
  try {
    const first = fuzzSeeds({ 'a bug it found': 7 });
    const second = fuzzSeeds({ 'a bug it found': 7 });
    assert.deepEqual(first[0], { name: 'regression seed 7 (a bug it found)', seed: 7 });
    assert.equal(first.length, 2);
    assert.notEqual(first[1]!.seed, second[1]!.seed, 'two runs explore different cases');
    assert.equal(first[1]!.name, `fresh seed ${first[1]!.seed}`);
    process.env.FUZZ_SEED = String(first[1]!.seed);
    assert.deepEqual(fuzzSeeds(), [first[1]]);
  } finally {
    if (replay === undefined) delete process.env.FUZZ_SEED;
    else process.env.FUZZ_SEED = replay;
  }
});
