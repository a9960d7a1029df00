/**
 * Model-based tests of the fencing cores: fc.commands over a command-driven world (every
 * delivery, loss, duplicate and fault a command), a small model checking every response, and
 * a simulator property (fault plans from faultPlanArb, inputs at random times) with the cores'
 * invariants and the read check after every step. Failures print fast-check's seed and path,
 * and for the simulator the (seed, plan) that replays the run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSimProperty, runSim } from '../../src/runtime/sim/index.ts';
import { fencingRun, ISSUER_ID } from '../../src/fencing/conformance/index.ts';
import { fencingModelProperty, initialModel, Real } from './mbt-commands.ts';
import {
  faultsArbitrary, HORIZON_MS, inputsArbitrary, SIM_NETWORK, simOptionsFactory, testCluster,
} from './harness.ts';

const NUM_RUNS = Number(process.env.FENCING_MBT_RUNS ?? 150);

describe('fencing: model-based commands', () => {
  it('every response agrees with the model, invariants hold after every step', () => {
    fc.assert(fencingModelProperty(), { numRuns: NUM_RUNS });
  });

  it('a scripted takeover, write and read go through and the model sees them', () => {
    const real = new Real();
    const w = real.world;
    expect(w.input(ISSUER_ID, { type: 'takeover', holder: 'h1' })).toEqual([]);
    expect(w.settle()).toEqual([]);
    expect(w.input('h1', { type: 'write', val: 'v2' })).toEqual([]);
    expect(w.settle()).toEqual([]);
    expect(w.input('h1', { type: 'read' })).toEqual([]);
    const replies = w.run.journal.replies.map((r) => r.reply.type);
    expect(replies).toEqual(['writeAcked', 'serving', 'writeAcked', 'readResult']);
    const read = w.run.journal.replies.at(-1)!;
    expect(read.reply).toMatchObject({ type: 'readResult', val: 'v2', epoch: 1, seq: 1 });
    expect(read.current).toBe(true);
    expect(real.issuerEpoch()).toBe(1);
    expect(initialModel().epoch).toBe(0);
  });
});

describe('fencing: simulator property', () => {
  it('invariants and reads hold under random faults and inputs', () => {
    const outcome = checkSimProperty({
      options: simOptionsFactory({}),
      faults: faultsArbitrary(),
      inputs: inputsArbitrary(),
      params: { numRuns: NUM_RUNS },
    });
    if (!outcome.ok) throw new Error(outcome.report);
    expect(outcome.numRuns).toBe(NUM_RUNS);
  });

  it('bounded liveness: the current head completes its writes after the network heals', () => {
    const deadlineMs = HORIZON_MS + 600;
    const outcome = checkSimProperty({
      options: simOptionsFactory({ retryMs: 40, deadlineMs }),
      faults: faultsArbitrary(),
      inputs: inputsArbitrary().map((xs) => [...xs,
        { atMs: deadlineMs, node: ISSUER_ID, input: { type: 'probe' as const } }]),
      params: { numRuns: Math.ceil(NUM_RUNS / 3) },
    });
    if (!outcome.ok) throw new Error(outcome.report);
  });

  it('runs make progress: client writes are acknowledged and reads answered', () => {
    let writesAcked = 0;
    let currentReads = 0;
    const plans = fc.tuple(faultsArbitrary(), inputsArbitrary());
    const sample = fc.sample(plans, { numRuns: 40, seed: 5 });
    sample.forEach(([faults, inputs], i) => {
      const run = fencingRun({ cluster: testCluster() },
        { network: SIM_NETWORK, maxTimeMs: 2_000 });
      const r = runSim(run.options, i + 1, { faults, inputs });
      expect(r.ok).toBe(true);
      for (const { reply, current } of run.journal.replies) {
        if (reply.type === 'writeAcked' && !reply.repair) writesAcked++;
        if (reply.type === 'readResult' && current === true) currentReads++;
      }
    });
    expect(writesAcked).toBeGreaterThan(10);
    expect(currentReads).toBeGreaterThan(10);
  });
});
