// The tests StrykerJS runs against each mutant of src/fencing: the unit tests and the fast
// model-based tests of fencing (no TLC runs and no real processes: they would dominate the time).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/fencing/**/*.test.ts', 'model-tests/fencing/**/*.mbt.test.ts'],
    testTimeout: 60_000,
  },
});
