/**
 * Model-based tests of the sandbox-reuse cores: fc.commands over a command-driven world
 * (operations and faults as commands, a small model checking every response, invariants and
 * canary secrets after every step), and simulator properties with fault plans from
 * faultPlanArb. Failures print fast-check's seed and path, and for the simulator the
 * (seed, plan) that replays the run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSimProperty, runSim } from '../../src/runtime/sim/index.ts';
import { frontendOf, FRONTEND_ID, sandboxRun } from '../../src/sandbox/conformance/index.ts';
import { sandboxModelProperty, Real } from './mbt-commands.ts';
import {
  faultsArbitrary, inputsArbitrary, SIM_NETWORK, simConfig, simOptionsFactory,
} from './harness.ts';

const NUM_RUNS = Number(process.env.SANDBOX_MBT_RUNS ?? 80);

describe('sandbox-reuse: model-based commands', () => {
  it('every response agrees with the model; invariants and canaries hold after every step', () => {
    fc.assert(sandboxModelProperty(), { numRuns: NUM_RUNS });
  });

  it('a scripted invocation is placed, provisioned, run and completed', () => {
    const real = new Real();
    const w = real.world;
    const kind = { fn: 'f', version: 1, tenant: 'ta' };
    expect(w.input(FRONTEND_ID, { type: 'invoke', request: 'r1', kind, sticky: null }))
      .toEqual([]);
    expect(real.phase('r1')).toBe('placing');
    expect(w.settle()).toEqual([]);
    const front = frontendOf(w.asWorld());
    expect(['completed', 'placing', 'failed']).toContain(real.phase('r1'));
    expect(front.minted.length).toBeGreaterThan(0);
    expect(w.run.journal.actions.Start).toBeGreaterThan(0);
    expect(w.run.journal.actions.Provision).toBeGreaterThan(0);
  });
});

describe('sandbox-reuse: simulator properties', () => {
  it('invariants and canary secrets hold under random faults and inputs', () => {
    const outcome = checkSimProperty({
      options: simOptionsFactory({ canary: true }), faults: faultsArbitrary(),
      inputs: inputsArbitrary(), params: { numRuns: NUM_RUNS },
    });
    if (!outcome.ok) throw new Error(outcome.report);
    expect(outcome.numRuns).toBe(NUM_RUNS);
  });

  it('runs make progress: requests complete, sandboxes are reused and reset', () => {
    const sample = fc.sample(fc.tuple(faultsArbitrary(), inputsArbitrary()), { numRuns: 40,
      seed: 5 });
    const totals: Record<string, number> = {};
    sample.forEach(([faults, inputs], i) => {
      const run = sandboxRun(simConfig({ canary: true }), { network: SIM_NETWORK,
        maxTimeMs: 3_000 });
      const r = runSim(run.options, i + 1, { faults, inputs });
      expect(r.ok).toBe(true);
      for (const [a, n] of Object.entries(run.journal.actions)) totals[a] = (totals[a] ?? 0) + n;
    });
    for (const a of ['Complete', 'Probe', 'Provision', 'Reset', 'Start', 'Fail', 'Timeout']) {
      expect(totals[a] ?? 0).toBeGreaterThan(5);
    }
  });
});
