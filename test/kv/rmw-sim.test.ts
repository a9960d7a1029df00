import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  kvClientSteps,
  kvModel,
  rmwOnResult,
  rmwStart,
  type KvClientSteps,
  type PaxosGroupConfig,
  type RmwOutcome,
  type RmwState,
  type RmwUpdate,
} from '../../src/consensus/kv/index.ts';
import { checkLinearizability } from '../../src/runtime/linearizability/index.ts';
import { faultPlanArb, simSeedArb, type InputEntry } from '../../src/runtime/sim/index.ts';
import { runGroupSim } from './harness.ts';

const increment: RmwUpdate = (v) => ({ type: 'put', value: String(Number(v ?? '0') + 1) });
const MAX_ATTEMPTS = 4;

/**
 * A client that turns every input into one read-modify-write increment of key `n`, driving the
 * RMW helper through the client core: each result feeds `rmwOnResult`, whose next command is
 * submitted at once. Outcomes are collected per run.
 */
function incrementingClient(outcomes: RmwOutcome[]): KvClientSteps {
  const active = new Map<string, RmwState>();
  return {
    submit: (config, state) => {
      const start = rmwStart('n', increment, MAX_ATTEMPTS);
      if (start.type !== 'next') throw new Error('assertion failed: rmw starts with a read');
      const r = kvClientSteps.submit(config, state, start.command);
      if (r.ok) active.set(state.clientId, start.state);
      return r;
    },
    onReply: (state, reply) => continueRmw(active, outcomes, kvClientSteps.onReply(state, reply)),
    onRetry: (config, state) => continueRmw(active, outcomes, kvClientSteps.onRetry(config, state)),
  };

  function continueRmw(
    active: Map<string, RmwState>, out: RmwOutcome[], step: ReturnType<KvClientSteps['onReply']>,
  ): ReturnType<KvClientSteps['onReply']> {
    const done = step.effects.find((e) => e.type === 'resolved');
    const rmw = active.get(step.state.clientId);
    if (done === undefined || done.type !== 'resolved' || rmw === undefined) return step;
    const next = rmwOnResult(rmw, done.result);
    if (next.type === 'done') {
      active.delete(step.state.clientId);
      out.push(next.outcome);
      return step;
    }
    active.set(step.state.clientId, next.state);
    const started = kvClientSteps.submit({ retryMs: 80, maxAttempts: 8 }, step.state,
      next.command);
    if (!started.ok) throw new Error('assertion failed: client idle after resolve');
    return { state: started.value.state, effects: [...step.effects, ...started.value.effects] };
  }
}

describe('read-modify-write increments on the Paxos group, simulated with faults', () => {
  it('no lost update: the counter equals the increments that won (plus unknown ones)', () => {
    const faults = faultPlanArb({ nodes: ['m1', 'm2', 'm3'], horizonMs: 1000, maxFaults: 2,
      kinds: ['crash', 'network', 'partition'], maxDurationMs: 200 });
    const inputs = fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 1000 }),
      node: fc.constantFrom('c1', 'c2', 'c3') }), { minLength: 10, maxLength: 30 })
      .map((xs) => xs.sort((a, b) => a.atMs - b.atMs).map((x): InputEntry<never> =>
        ({ ...x, input: { type: 'get', key: 'n' } as never })));
    let updatedTotal = 0;
    let retriedTotal = 0;
    fc.assert(fc.property(simSeedArb, faults, inputs, (seed, faultPlan, ins) => {
      const outcomes: RmwOutcome[] = [];
      const config: PaxosGroupConfig = { members: 3, clients: 3, proposerRetryMs: 60,
        catchupMs: 50, client: { retryMs: 80, maxAttempts: 8 },
        hooks: { client: incrementingClient(outcomes) } };
      const run = runGroupSim(config, seed, { faults: faultPlan, inputs: ins }, 6000);
      const verdict = checkLinearizability(kvModel, run.history, { timeoutMs: 10_000 });
      if (verdict.kind === 'not-linearizable') throw new Error(verdict.description);
      expect(verdict.kind).toBe('linearizable');
      const updated = outcomes.filter((o) => o.type === 'updated').length;
      const unknown = outcomes.filter((o) => o.type === 'unavailable').length;
      updatedTotal += updated;
      retriedTotal += outcomes.filter((o) => o.attempts > 1).length;
      // The last value written (every write is an increment of the value read).
      const writes = run.history.filter((o) => o.output?.type === 'written');
      const final = writes.length === 0 ? 0 : Math.max(...writes.map((o) =>
        o.input.type === 'put' ? Number(o.input.value) : 0));
      expect(final).toBeGreaterThanOrEqual(updated);
      expect(final).toBeLessThanOrEqual(updated + unknown);
      expect(outcomes.every((o) => o.attempts <= MAX_ATTEMPTS)).toBe(true);
    }), { numRuns: 15 });
    expect(updatedTotal).toBeGreaterThan(100);
    expect(retriedTotal).toBeGreaterThan(5);
  });
});
