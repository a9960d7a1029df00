/** The usage example at the top of src/runtime/sim/index.ts, kept compiling and running. */
import { describe, expect, it } from 'vitest';
import {
  describeFailure, faultPlanArb, invariantsFrom, runSim, simProperty,
} from '../../src/runtime/sim/index.ts';
import type { NodeBehavior, SimOptions } from '../../src/runtime/sim/index.ts';

type Msg = { type: 'ping'; n: number };
type Durable = { max: number };
type Volatile = { n: number };

const pinger: NodeBehavior<Msg, Durable, Volatile, never> = {
  init: (id) => ({ durable: { max: 0 }, volatile: { n: 0 },
    effects: id === 'a' ? [{ type: 'send', to: 'b', msg: { type: 'ping', n: 1 } }] : [] }),
  recover: (_id, durable) => ({ volatile: { n: durable.max } }),
  onMessage: (node, from, msg) => ({
    durable: { max: Math.max(node.durable.max, msg.n) },
    volatile: { n: msg.n },
    effects: [{ type: 'send', to: from, msg: { type: 'ping', n: msg.n + 1 } }],
  }),
  onTimer: () => ({}),
  onInput: () => ({}),
};

const options: SimOptions<Msg, Durable, Volatile, never> = {
  nodes: ['a', 'b'], behavior: pinger, maxSteps: 10_000,
  network: { delay: { kind: 'uniform', minMs: 1, maxMs: 20 }, lossRate: 0.01 },
  invariants: invariantsFrom({ Bounded: (w) => w.node('a').durable.max < 1e6 }),
};

describe('the index.ts usage example', () => {
  it('runs, and a crash of b keeps the ping count durable', () => {
    const plan = { faults: [{ atMs: 50, fault: { type: 'crash', node: 'b' } },
      { atMs: 90, fault: { type: 'restart', node: 'b' } }] } as const;
    const r = runSim(options, 42, plan);
    if (!r.ok) throw new Error(describeFailure(r.failure));
    // The ping is lost either at the crash or to the 1% loss: the run ends quiescent.
    expect(r.stop).toBe('quiescent');
    expect(r.stats.dropped.crashed + r.stats.dropped.lost).toBe(1);
    expect(r.stats.faults).toBe(2);
  });

  it('a tighter invariant is caught by simProperty with seed and plan in the message', () => {
    const tight = { ...options, invariants: invariantsFrom<Durable, Volatile>({
      Bounded: (w) => w.node('a').durable.max < 20 }) };
    expect(() => simProperty({ options: tight, faults: faultPlanArb({ nodes: ['a', 'b'],
      horizonMs: 1000, maxFaults: 4 }), params: { numRuns: 20, seed: 1 } }))
      .toThrow(/violated Bounded[\s\S]*replay: seed=/);
  });
});
