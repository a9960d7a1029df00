/**
 * The six bugs of spec/snapshot-gc/bugs/manifest.json, each injected FROM THE TEST SIDE
 * (a replaced guard or identity choice in `ClusterSteps`; the cores stay correct), must make
 * the simulator property fail with the bug's invariant; the printed seed and plan must replay
 * to the same failure; the correct code passes the same property.
 */
import { describe, expect, it } from 'vitest';
import { checkSimProperty, replay, stableJson } from '../../src/runtime/sim/index.ts';
import {
  BUGS, faultsArbitrary, inputsArbitrary, simOptionsFactory,
} from './harness.ts';
import type { Bug } from './harness.ts';
import { defaultClusterSteps as simOptionsDefaults } from '../../src/snapshot/index.ts';

const RUNS = Number(process.env.SNAPSHOT_BUG_RUNS ?? 300);
/**
 * A slow GC tick: the scheduling under which a check-then-act race shows. Bug 5 needs several
 * executions admitted and finished between two GC steps, so its runs use a slower GC still.
 */
const SLOW_GC_MS = 40;
const gcTickFor = (bug: Bug | undefined): number => (bug?.bug === 5 ? 200 : SLOW_GC_MS);

function property(bug: Bug | undefined, seed: number, runs = RUNS) {
  const gcTickMs = gcTickFor(bug);
  const options = simOptionsFactory(bug === undefined ? { gcTickMs }
    : { steps: bug.steps, gcTickMs });
  const outcome = checkSimProperty({
    options, faults: faultsArbitrary(), inputs: inputsArbitrary(),
    params: { numRuns: runs, seed },
  });
  return { options, outcome };
}

describe('snapshot-gc bugs from the sheet', () => {
  it('the correct cores pass the simulator property', () => {
    for (const bug of [undefined, BUGS[4]]) {
      // The correct admission with each GC tick the bug tests use.
      const { outcome } = property(bug === undefined ? undefined : { ...bug,
        steps: simOptionsDefaults }, 20_261, 100);
      if (!outcome.ok) throw new Error(outcome.report);
      expect(outcome.numRuns).toBe(100);
    }
  }, 60_000);

  for (const bug of BUGS) {
    it(`bug ${bug.bug} (${bug.name}) fails with ${bug.expected}, and its seed replays`, () => {
      const { options, outcome } = property(bug, 1000 + bug.bug);
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      const f = outcome.failure;
      expect(f.violated).toContain(bug.expected);
      console.log(`bug ${bug.bug} ${bug.name}: violated ${f.violated.join(', ')} at step ` +
        `${f.step}; replay: seed=${f.seed} plan=${stableJson(f.plan)} ` +
        `(fast-check seed ${outcome.fcSeed} path ${outcome.fcPath ?? '-'})`);
      const again = replay(options(), f.seed, f.plan);
      expect(again.ok).toBe(false);
      if (again.ok) return;
      expect(again.failure.violated).toEqual(f.violated);
      expect(again.failure.step).toBe(f.step);
    }, 60_000);
  }

  it('bug 4 also fails through the spec\'s path: a retry after the restore resends', () => {
    // No retransmission within a run: the second application can only come from TxRetry.
    const bug = BUGS[3]!;
    const options = simOptionsFactory({ steps: bug.steps, txResendMs: 100_000 });
    const outcome = checkSimProperty({ options, faults: faultsArbitrary(),
      inputs: inputsArbitrary(), params: { numRuns: RUNS, seed: 4004 } });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const f = outcome.failure;
    expect(f.violated).toContain('EffectsOnce');
    const retried = f.lastEvents.some((e) => e.kind === 'input' && e.input.type === 'tx-next');
    expect(retried).toBe(true);
    console.log(`bug 4 via TxRetry: replay: seed=${f.seed} plan=${stableJson(f.plan)}`);
    const again = replay(options(), f.seed, f.plan);
    expect(again.ok ? [] : again.failure.violated).toEqual(f.violated);
  }, 60_000);
});
