// The tests StrykerJS runs against each mutant of the protocol cores (see stryker.config.json):
// per protocol, the unit tests and the fast model-based tests; no TLC runs and no real processes
// (they would dominate the time). A protocol is added by adding one entry to PROTOCOLS.
//
// - Files that spawn java (TLC) or child processes are left out as whole files: Stryker's vitest
//   runner overwrites `testNamePattern`, so a single test cannot be left out by name. Left out:
//   test/fencing/cluster.test.ts and test/snapshot/cluster.test.ts (each runs TLC for a
//   breadth-first state count: cluster.mutants.test.ts of each protocol does the same search
//   without spawning anything), model-tests/*/conformance.test.ts (TLC trace checks), and the
//   -node / -backend test folders (real processes), which the include globs never reach.
// - Files run fastest first (the focused *.mutants.test.ts, then the other unit tests, then the
//   model-based tests, bug hunts last): Stryker runs with bail, so a mutant a fast test kills
//   never pays for the slow simulation properties.
// - A fixed fast-check seed (see the setup file): property test names carry their seed, and
//   Stryker finds a mutant's tests by name.
import { relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Per protocol: its unit-test folder and model-test folder (Stryker mutates src/<name>). */
const PROTOCOLS: ReadonlyArray<{ name: string; tests: string; modelTests: string }> = [
  { name: 'fencing', tests: 'test/fencing', modelTests: 'model-tests/fencing' },
  { name: 'sandbox', tests: 'test/sandbox', modelTests: 'model-tests/sandbox-reuse' },
  { name: 'snapshot', tests: 'test/snapshot', modelTests: 'model-tests/snapshot-gc' },
  { name: 'consensus', tests: 'test/consensus', modelTests: 'model-tests/consensus-txn' },
  { name: 'txn', tests: 'test/txn', modelTests: 'model-tests/consensus-txn' },
  { name: 'kv', tests: 'test/kv', modelTests: 'model-tests/consensus-txn' },
];

/**
 * MUTATE_PROTOCOLS=sandbox,snapshot runs only those protocols' tests (a run whose --mutate
 * covers only them need not pay for the others' tests in the dry run); unset: all.
 */
const only = (process.env['MUTATE_PROTOCOLS'] ?? '').split(',').filter((x) => x !== '');
const selected = PROTOCOLS.filter((p) => only.length === 0 || only.includes(p.name));
/**
 * MUTATE_QUICK=1 runs only the focused *.mutants.test.ts files, in one module graph across
 * files (vitest `isolate: false`; the cores are pure, nothing leaks between files): many times
 * faster per mutant on a loaded machine. Its score is a lower bound of the full run's.
 */
const quick = process.env['MUTATE_QUICK'] === '1';

/** Test files that spawn java or child processes. */
const SPAWNING = [
  'test/fencing/cluster.test.ts',
  'test/snapshot/cluster.test.ts',
  'model-tests/**/conformance.test.ts',
];

function rank(file: string): number {
  if (file.endsWith('.mutants.test.ts')) return 0;
  if (file.startsWith('test/')) return 1;
  if (file.includes('bugs.')) return 3;
  return 2;
}

class FastFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const key = (f: TestSpecification) => relative(process.cwd(), f.moduleId);
    return [...files].sort((a, b) =>
      rank(key(a)) - rank(key(b)) || key(a).localeCompare(key(b)));
  }
}

export default defineConfig({
  test: {
    include: selected.flatMap((p) => (quick ? [`${p.tests}/**/*.mutants.test.ts`]
      : [`${p.tests}/**/*.test.ts`, `${p.modelTests}/**/*.mbt.test.ts`])),
    exclude: [...configDefaults.exclude, ...SPAWNING],
    setupFiles: ['test/fencing/fixed-seed.mutants.setup.ts'],
    testTimeout: 60_000,
    isolate: !quick,
    sequence: { sequencer: FastFirstSequencer },
  },
});
