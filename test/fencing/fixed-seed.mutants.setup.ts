// Setup file of vitest.stryker.config.ts only. @fast-check/vitest names each property test
// "<label> (with seed=N)" with a fresh random N per run; Stryker selects the tests of a mutant by
// the names it recorded in its dry run, so a new seed would silently select nothing and every
// mutant only a property test covers would "survive". A fixed global seed keeps the names (and
// the generated cases) identical between the dry run and every mutant run.
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: 0x5eed });
