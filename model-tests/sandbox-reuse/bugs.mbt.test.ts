/**
 * Each bug of the sheet, injected from the test side through the cores' `steps`, must make the
 * simulator property fail with the invariant the spec's bug variant violates; the printed
 * (seed, plan) must replay to the same failure; the correct code passes the same property.
 * The model-based commands (canary secrets included) catch bugs 2 and 3 too, and their
 * fast-check seed and path replay.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSimProperty, replay } from '../../src/runtime/sim/index.ts';
import type { Steps } from '../../src/sandbox/index.ts';
import {
  faultsArbitrary, inputsArbitrary, simOptionsFactory, testCluster,
} from './harness.ts';
import type { OptionsOpts } from './harness.ts';
import { sandboxModelProperty } from './mbt-commands.ts';
import { BUGS } from './bugs.ts';

const RUNS = Number(process.env.SANDBOX_BUG_RUNS ?? 300);
const CLEAN_RUNS = Number(process.env.SANDBOX_MBT_RUNS ?? 80);

/** The simulator property; a failing run is reported as found (no shrinking: time). */
function property(steps: Partial<Steps> | undefined, seed: number, runs = RUNS,
  base: OptionsOpts = {}) {
  const options = simOptionsFactory(steps === undefined ? base : { ...base, steps });
  const cluster = base.cluster ?? testCluster();
  const outcome = checkSimProperty({ options, faults: faultsArbitrary(cluster),
    inputs: inputsArbitrary(cluster), params: { numRuns: runs, seed, endOnFailure: true } });
  return { options, outcome };
}

describe('sandbox-reuse bugs injected from the test side are caught', () => {
  it('the correct code passes the same property', () => {
    const { outcome } = property(undefined, 42, CLEAN_RUNS);
    if (!outcome.ok) throw new Error(outcome.report);
  });

  for (const bug of BUGS) {
    it(`bug ${bug.n} (${bug.name}) violates ${bug.expected}, and its seed replays`, () => {
      const { options, outcome } = property(bug.steps, 42);
      if (outcome.ok) throw new Error(`bug ${bug.n} not caught in ${outcome.numRuns} runs`);
      const f = outcome.failure;
      console.log(`bug ${bug.n}: ${f.violated.join(', ')} at step ${f.step}; replay: ` +
        `seed=${f.seed} plan=${JSON.stringify(f.plan)}`);
      expect(f.code).toBe('invariant');
      expect(f.violated).toContain(bug.expected);
      const again = replay(options(), f.seed, f.plan);
      expect(again.ok).toBe(false);
      if (again.ok) return;
      expect(again.failure.violated).toEqual(f.violated);
      expect(again.failure.step).toBe(f.step);
      expect(again.failure.logHash).toBe(f.logHash);
    });
  }

  it('canary secrets alone (invariants off) catch bugs 2 and 3, and the seed replays', () => {
    for (const bug of BUGS.filter((b) => b.n === 2 || b.n === 3)) {
      // Single-use resets wipe every sandbox, so a wrong-tenant reuse (bug 2) can leak a
      // secret only when sandboxes are kept warm between requests.
      const cluster = testCluster({ singleUse: bug.n === 3 });
      const canaryOnly = { canary: true, checkInvariants: false, cluster };
      const { options, outcome } = property(bug.steps, 42, RUNS, canaryOnly);
      if (outcome.ok) throw new Error(`bug ${bug.n}: no canary leak in ${outcome.numRuns} runs`);
      const f = outcome.failure;
      console.log(`bug ${bug.n} (canaries): ${f.violations[0]?.detail}; replay: seed=${f.seed}`);
      expect(f.violated).toEqual(['CanaryLeak']);
      const again = replay(options(), f.seed, f.plan);
      expect(again.ok).toBe(false);
      if (!again.ok) expect(again.failure.logHash).toBe(f.logHash);
    }
    for (const singleUse of [true, false]) {
      const cluster = testCluster({ singleUse });
      const clean = property(undefined, 42, 40, { canary: true, checkInvariants: false,
        cluster }).outcome;
      if (!clean.ok) throw new Error(clean.report);
    }
  });

  it('the model-based commands catch bugs 2 and 3, and their seed and path replay', () => {
    for (const bug of BUGS.filter((b) => b.n === 2 || b.n === 3)) {
      const details = fc.check(sandboxModelProperty(bug.steps), { numRuns: 1000, seed: 7 });
      expect({ bug: bug.n, failed: details.failed }).toEqual({ bug: bug.n, failed: true });
      const shown = String(details.counterexample?.[0] ?? '');
      const replayPath = /replayPath="([^"]*)"/.exec(shown)?.[1];
      console.log(`bug ${bug.n} (commands): fc seed=${details.seed} ` +
        `path=${details.counterexamplePath} ${String(details.errorInstance).slice(0, 200)}`);
      const again = fc.check(sandboxModelProperty(bug.steps, 80, replayPath), {
        seed: details.seed, path: details.counterexamplePath ?? undefined, endOnFailure: true,
      });
      expect(again.failed).toBe(true);
      expect(String(again.errorInstance)).toBe(String(details.errorInstance));
    }
  });
});
