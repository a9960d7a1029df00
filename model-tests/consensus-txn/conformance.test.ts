/**
 * Conformance of consensus-txn, in small: TLC validates 20 simulator traces of one Paxos group
 * against GroupPaxos.tla; a trace corrupted at step k is rejected at step k; the state graph of
 * GroupPaxosReplay.cfg replays on cluster.ts with every edge and action covered. The same for
 * the transaction layer against CrossGroupTxn.tla (fewer traces: they cost more TLC time).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as txn from '../../src/txn/index.ts';
import {
  replayBinding, traceValidationSpecOf, validateBindingTraces,
} from '../../src/conform/index.ts';
import { validateTraces } from '../../src/tla/index.ts';
import type { ImplTrace } from '../../src/tla/index.ts';
import {
  PAXOS_ACTION_NAMES, PAXOS_BINDING, TXN_ACTION_NAMES, TXN_BINDING, TXN_REPLAY_CONFIG_PATH,
  generatePaxosTrace, replayGroupPaxos, txnClusterFromCfg,
} from '../../src/consensus/conformance/index.ts';

/** The same trace with `proposed` at step k (1-based) holding a value no action proposes. */
function corruptAt(trace: ImplTrace, k: number): ImplTrace {
  const steps = trace.steps.map((s, i) => i + 1 === k
    ? { ...s, state: { ...s.state, proposed: { '#set': [{ '#model': 'v9' }] } } } : s);
  return { init: trace.init, steps };
}

describe('GroupPaxos conformance', () => {
  it('TLC accepts 20 simulator traces; every action appears', async () => {
    const { generated, validation } = await validateBindingTraces(PAXOS_BINDING,
      { runs: 20, seed: 500 });
    expect(validation.errors).toEqual([]);
    expect(validation.rejected).toBe(0);
    expect(validation.accepted).toBe(20);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
    expect([...seen].sort()).toEqual([...PAXOS_ACTION_NAMES].sort());
    expect(generated.reduce((n, g) => n + g.trace.steps.length, 0)).toBeGreaterThan(200);
  }, 240_000);

  it('a trace corrupted at step k is rejected at step k, the intact one accepted', async () => {
    const g = generatePaxosTrace(4242);
    expect(g.trace.steps.length).toBeGreaterThan(12);
    const k = Math.floor(g.trace.steps.length / 2);
    const r = await validateTraces(traceValidationSpecOf(PAXOS_BINDING.spec),
      [g.trace, corruptAt(g.trace, k)]);
    expect(r.errors).toEqual([]);
    expect(r.results[0]!.status).toBe('accepted');
    const bad = r.results[1]!;
    expect(bad.status).toBe('rejected');
    if (bad.status !== 'rejected') return;
    expect(bad.firstRejectedStep).toBe(k);
    expect(bad.changed.some((d) => d.variable === 'proposed')).toBe(true);
  }, 240_000);

  it('GroupPaxosReplay.cfg replays from every initial majority with full coverage', async () => {
    const r = await replayGroupPaxos();
    expect(r.error).toBeUndefined();
    expect(r.mismatches).toEqual([]);
    expect(r.distinctStates).toBe(590);
    expect(r.edgesCovered).toBe(r.edgesTotal);
    expect(r.actionsUncovered).toEqual([]);
  }, 240_000);
});

describe('CrossGroupTxn conformance', () => {
  it('TLC accepts 8 simulator runs of the transaction layer', async () => {
    const { generated, validation } = await validateBindingTraces(TXN_BINDING,
      { runs: 8, seed: 77 });
    expect(validation.errors).toEqual([]);
    expect(validation.accepted).toBe(8);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    expect(generated.reduce((n, g) => n + g.trace.steps.length, 0)).toBeGreaterThan(60);
  }, 240_000);

  /**
   * Settled disagreements: a Prepare the owner sent stays in the network, so it may be chosen
   * after the owner gave up (proposed AbortVote) or crashed; CrossGroupTxn.tla's Prepare has
   * no alive[p] and cluster.ts offers the sent proposals, not the proposer's current wants.
   */
  it('a Prepare sent before giving up / crashing may still be chosen (spec and code)', () => {
    const cfg = txnClusterFromCfg(readFileSync(TXN_REPLAY_CONFIG_PATH, 'utf8'));
    let c = txn.initCluster(cfg);
    for (const label of ['Begin(p1, t3)', 'Prepare(p1, t3, g1)', 'Crash(p2)',
      'AbortVote(p1, t3, g2)']) {
      const a = txn.enabledActions(c).find((x) => x.label === label);
      expect(a?.label).toBe(label);
      c = txn.applyAction(c, a!);
    }
    let labels = txn.enabledActions(c).map((a) => a.label);
    expect(c.groups.g3!.replica.votes.t3).toBeUndefined();
    expect(labels).toContain('Prepare(p1, t3, g3)');
    expect(labels).toContain('AbortVote(p1, t3, g3)');
    // The owner already knows an Aborted vote: it tells its client at once.
    expect(labels).toContain('Tell(p1, t3)');
    let d = txn.initCluster({ ...cfg, proposers: ['p1', 'p2'] });
    for (const label of ['Begin(p1, t3)', 'Crash(p1)']) {
      d = txn.applyAction(d, txn.enabledActions(d).find((x) => x.label === label)!);
    }
    labels = txn.enabledActions(d).map((a) => a.label);
    expect(labels).toEqual(expect.arrayContaining(
      ['Prepare(p1, t3, g1)', 'Prepare(p1, t3, g2)', 'Prepare(p1, t3, g3)']));
    d = txn.applyAction(d, txn.enabledActions(d).find((x) => x.label === 'Prepare(p1, t3, g2)')!);
    expect(d.groups.g2!.replica.votes.t3).toBe('prepared');
    expect(txn.enabledActions(d).map((a) => a.label)).not.toContain('Prepare(p1, t3, g2)');
  });

  it('CrossGroupTxnReplay.cfg replays with no mismatch and full coverage', async () => {
    const r = await replayBinding(TXN_BINDING);
    expect(r.error).toBeUndefined();
    expect(r.distinctStates).toBeGreaterThan(500);
    expect(r.mismatches).toEqual([]);
    expect(r.edgesCovered).toBe(r.edgesTotal);
    expect(r.actionsCovered).toBe(TXN_ACTION_NAMES.length);
    console.log(`CrossGroupTxn replay: ${r.distinctStates} states, ` +
      `${r.edgesCovered}/${r.edgesTotal} edges`);
  }, 240_000);
});
