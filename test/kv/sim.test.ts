import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOG_NODE, kvModel, type SingleLogConfig } from '../../src/consensus/kv/index.ts';
import { checkLinearizability } from '../../src/runtime/linearizability/index.ts';
import { faultPlanArb, simSeedArb } from '../../src/runtime/sim/index.ts';
import { inputsArb, runKvSim } from './harness.ts';

const CLIENTS = 4;
const base: SingleLogConfig = { clients: CLIENTS, replicas: 1, syncMs: 60,
  client: { retryMs: 40, maxAttempts: 6 } };
const faults = faultPlanArb({ nodes: [LOG_NODE, 'r1'], horizonMs: 1500, maxFaults: 4,
  kinds: ['crash', 'pause', 'network', 'partition'], maxDurationMs: 300 });

describe('versioned store on a single durable log, simulated with faults', () => {
  it('every history is linearizable (log crash/restart, loss, dup, reorder)', () => {
    let completed = 0;
    let written = 0;
    fc.assert(fc.property(simSeedArb, faults, inputsArb(CLIENTS, 1500, 60),
      (seed, faultPlan, inputs) => {
        const run = runKvSim(base, seed, { faults: faultPlan, inputs });
        expect(run.sim.ok).toBe(true);
        completed += run.completed;
        written += run.written;
        const verdict = checkLinearizability(kvModel, run.history, { timeoutMs: 10_000 });
        if (verdict.kind === 'not-linearizable') throw new Error(verdict.description);
        expect(verdict.kind).toBe('linearizable');
      }), { numRuns: 60 });
    // Not vacuous: most operations completed and many conditional writes won.
    expect(completed).toBeGreaterThan(60 * 30);
    expect(written).toBeGreaterThan(200);
  });

  it('catches a broken store that answers reads from a lagging replica', () => {
    const broken: SingleLogConfig = { ...base, syncMs: 150, hooks: {
      route: (entry, replicas) => entry.command.type === 'get' ? (replicas[0] ?? LOG_NODE)
        : LOG_NODE } };
    const samples = fc.sample(fc.tuple(simSeedArb, inputsArb(CLIENTS, 1500, 60)),
      { numRuns: 20, seed: 3 });
    const verdicts = samples.map(([seed, inputs]) =>
      checkLinearizability(kvModel, runKvSim(broken, seed, { faults: [], inputs }).history,
        { timeoutMs: 10_000 }));
    const caught = verdicts.filter((v) => v.kind === 'not-linearizable');
    expect(caught.length).toBeGreaterThanOrEqual(5);
    const first = caught[0];
    if (first?.kind === 'not-linearizable') {
      expect(first.description).toContain('"type":"get"');
    }
  });
});
