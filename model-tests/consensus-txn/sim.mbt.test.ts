/**
 * One Paxos group of src/consensus on the simulator with fast-check fault plans (crashes with
 * and without restart, pauses, partitions, isolation, loss and duplication spikes) and random
 * client inputs: the cores' invariants (Agreement, AppliedWereProposed, ChosenConsistent) and
 * the adapter's mirror check hold after every step; with bug 6 (quorum N div 2) injected the
 * property fails with a (seed, plan) that replays to the same failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSimProperty, faultPlanArb, inputsArb, replay } from '../../src/runtime/sim/index.ts';
import { defaultSteps } from '../../src/consensus/index.ts';
import type { ClusterSteps } from '../../src/consensus/index.ts';
import * as txn from '../../src/txn/index.ts';
import {
  PAXOS_HORIZON_MS, PAXOS_NETWORK, PAXOS_SIM_LIMITS, PAXOS_TRACE, TXN_HORIZON_MS, TXN_NETWORK,
  TXN_SIM_LIMITS, TXN_TRACE_CLUSTER, paxosRun, paxosTraceCluster, txnRun,
} from '../../src/consensus/conformance/index.ts';
import type { PaxosInput } from '../../src/consensus/conformance/index.ts';

const nodes = [...PAXOS_TRACE.members, ...PAXOS_TRACE.proposers];
const options = (steps: ClusterSteps) => () =>
  paxosRun({ cluster: paxosTraceCluster(), steps },
    { network: PAXOS_NETWORK, ...PAXOS_SIM_LIMITS }).options;
const input: fc.Arbitrary<PaxosInput> = fc.constantFrom(...PAXOS_TRACE.clientValues)
  .map((v) => ({ type: 'propose' as const, v }));
const inputs = fc.tuple(
  inputsArb(PAXOS_TRACE.proposers, input, { horizonMs: PAXOS_HORIZON_MS, maxInputs: 5 }),
  fc.boolean(), fc.nat({ max: PAXOS_HORIZON_MS }),
).map(([xs, join, atMs]) => join
  ? [...xs, { atMs, node: 'm3', input: { type: 'join' as const } }].sort((a, b) => a.atMs - b.atMs)
  : xs);
const faults = faultPlanArb({ nodes, horizonMs: PAXOS_HORIZON_MS, maxFaults: 5,
  permanentCrashes: true });

describe('Paxos group in the simulator with fault plans', () => {
  it('keeps every invariant under crashes, partitions, loss and duplication', () => {
    const r = checkSimProperty({ options: options(defaultSteps), faults, inputs,
      params: { numRuns: 150, seed: 11 } });
    if (!r.ok) throw new Error(r.report);
    expect(r.numRuns).toBe(150);
  });

  it('bug 6 (quorum N div 2) fails with a replayable seed and plan', () => {
    const bug: ClusterSteps = { ...defaultSteps, quorumSize: (n) => Math.floor(n / 2) };
    const r = checkSimProperty({ options: options(bug), faults, inputs,
      params: { numRuns: 400, seed: 11 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    console.log(`bug 6 in the sim: seed=${r.failure.seed} violated=${r.failure.violated} ` +
      `plan=${JSON.stringify(r.failure.plan).slice(0, 300)}`);
    const again = replay(options(bug)(), r.failure.seed, r.failure.plan);
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.failure.violated).toEqual(r.failure.violated);
    expect(again.failure.step).toBe(r.failure.step);
  });
});

describe('transactions in the simulator with fault plans', () => {
  const cluster = TXN_TRACE_CLUSTER;
  const txnOptions = (steps: txn.ClusterSteps) => () =>
    txnRun({ cluster, steps }, { network: TXN_NETWORK, ...TXN_SIM_LIMITS }).options;
  const begins = fc.array(fc.record({
    atMs: fc.nat({ max: TXN_HORIZON_MS }),
    node: fc.constantFrom(...cluster.proposers),
    input: fc.constantFrom(...cluster.txns.map((t) => t.id)).map((id) =>
      ({ type: 'begin' as const, txn: id })),
  }), { maxLength: 4 }).map((xs) => [...xs].sort((a, b) => a.atMs - b.atMs));
  const txnFaults = faultPlanArb({ nodes: [...cluster.groups, ...cluster.proposers],
    horizonMs: TXN_HORIZON_MS, maxFaults: 4, permanentCrashes: true });

  it('keeps Atomicity, Serializable, Conservation, ... under proposer death and message faults',
    () => {
      const r = checkSimProperty({ options: txnOptions(txn.defaultSteps), faults: txnFaults,
        inputs: begins, params: { numRuns: 150, seed: 5 } });
      if (!r.ok) throw new Error(r.report);
    });

  it('bug 1 (commit on a majority of groups) fails with a replayable seed and plan', () => {
    const bug: txn.ClusterSteps = { ...txn.defaultSteps, outcome: (v) =>
      2 * v.groups.filter((g) => v.votes[g] === 'prepared').length > v.groups.length
        ? 'commit' : 'abort' };
    const r = checkSimProperty({ options: txnOptions(bug), faults: txnFaults, inputs: begins,
      params: { numRuns: 400, seed: 5 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    console.log(`bug 1 in the sim: seed=${r.failure.seed} violated=${r.failure.violated} ` +
      `plan=${JSON.stringify(r.failure.plan).slice(0, 300)}`);
    expect(r.failure.violated).toContain('CommitNeedsAllVotes');
    const again = replay(txnOptions(bug)(), r.failure.seed, r.failure.plan);
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.failure.violated).toEqual(r.failure.violated);
    expect(again.failure.step).toBe(r.failure.step);
  });
});
