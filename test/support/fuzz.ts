// The seeds the fuzzers run, shared by the Node and the browser tests (no Node-only imports).

export interface FuzzSeed {
  /** Names the case: which regression it is, or the fresh seed's value. */
  name: string;
  seed: number;
}

/** FUZZ_SEED=<n> replays a fresh seed a run printed (Node: the environment; browsers: web-test-runner.config.mjs passes it). */
function replaySeed(): number | undefined {
  const scope = globalThis as { process?: { env: Record<string, string | undefined> }; __FUZZ_SEED__?: string };
  const given = scope.process?.env.FUZZ_SEED ?? scope.__FUZZ_SEED__;
  return given ? Number(given) : undefined;
}

/**
 * The seeds one fuzzer runs: first each seed that once found a bug, replayed as it was (a named regression
 * case), then a fresh seed, different on every run so the fuzzer keeps exploring. The fresh seed is printed
 * and in the case's name, and fast-check repeats it in a failure's report; a seed that finds a bug joins the
 * fuzzer's regressions once the bug is fixed.
 */
export function fuzzSeeds(regressions: Record<string, number> = {}): FuzzSeed[] {
  const fresh = replaySeed() ?? Math.floor(Math.random() * 0x7fff_ffff);
  console.log(`fuzz: fresh seed ${fresh} (replay with FUZZ_SEED=${fresh})`);
  return [
    ...Object.entries(regressions).map(([name, seed]) => ({ name: `regression seed ${seed} (${name})`, seed })),
    { name: `fresh seed ${fresh}`, seed: fresh },
  ];
}
