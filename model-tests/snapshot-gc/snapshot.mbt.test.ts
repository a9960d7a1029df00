/**
 * Model-based tests of the snapshot-gc cores (fc.commands with executions, GC ticks, crashes,
 * retries and connection traffic as commands; the model and the invariants checked after every
 * command), and the simulator property with random fault plans on the correct cores.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simProperty } from '../../src/runtime/sim/index.ts';
import { BUGS, faultsArbitrary, inputsArbitrary, simOptionsFactory } from './harness.ts';
import { snapshotModelProperty } from './mbt-commands.ts';

describe('snapshot-gc model-based tests', () => {
  it('commands with faults keep the model and every invariant', () => {
    fc.assert(snapshotModelProperty(), { numRuns: 300, seed: 424_242 });
  }, 60_000);

  it('the simulator property holds with random fault plans', () => {
    simProperty({ options: simOptionsFactory(), faults: faultsArbitrary(),
      inputs: inputsArbitrary(), params: { numRuns: 200, seed: 31_337 } });
  }, 60_000);

  for (const bug of BUGS) {
    it(`the command model catches bug ${bug.bug} (${bug.name}) with a replayable seed`, () => {
      const seed = 500 + bug.bug;
      const details = fc.check(snapshotModelProperty(bug.steps), { numRuns: 1000, seed });
      expect(details.failed).toBe(true);
      expect(String(details.errorInstance)).toContain('model check failed');
      console.log(`mbt bug ${bug.bug} ${bug.name}: seed ${seed} ` +
        `path ${details.counterexamplePath ?? '-'}` +
        `: ${String(details.errorInstance).split('\n')[0]}`);
      // The printed seed repeats the whole search, shrinking included.
      const again = fc.check(snapshotModelProperty(bug.steps), { numRuns: 1000, seed });
      expect(again.failed).toBe(true);
      expect(String(again.errorInstance).split('\n')[0])
        .toBe(String(details.errorInstance).split('\n')[0]);
    }, 60_000);
  }
});
