import { describe, expect, it } from 'vitest';
import {
  applyAction, defaultSteps, enabledActions, initCluster, participant, specState,
  violatedInvariants, type ClusterSteps, type OutcomeFn,
} from '../../src/txn/index.ts';
import { DEEP_CONFIG } from './helpers.ts';
import { findViolation, walk } from './walk.ts';

describe('cluster mirrors CrossGroupTxn', () => {
  it('starts in the spec\'s Init with only Begin enabled', () => {
    const c = initCluster(DEEP_CONFIG);
    expect(new Set(enabledActions(c).map((a) => a.action))).toEqual(new Set(['Begin', 'Crash']));
    const s = specState(c);
    expect(s['told']).toEqual({ t1: 'none', t2: 'none', t3: 'none' });
    expect(violatedInvariants(c)).toEqual([]);
  });
  it('runs t1 to a commit along the spec\'s actions', () => {
    let c = initCluster(DEEP_CONFIG);
    const take = (label: string) => {
      const a = enabledActions(c).find((x) => x.label === label);
      if (a === undefined) throw new Error(`not enabled: ${label}`);
      c = applyAction(c, a);
    };
    for (const l of ['Begin(p1, t1)', 'Prepare(p1, t1, g1)', 'Prepare(p1, t1, g2)',
      'Decide(p2, t1, g2)', 'Decide(p1, t1, g1)', 'Tell(p1, t1)']) take(l);
    expect(c.told['t1']).toBe('committed');
    expect(c.groups['g2']!.log.map((e) => e.type)).toEqual(['Prepare', 'Commit']);
    expect(c.groups['g1']!.replica.balances).toEqual({ a1: 1 });
    expect(violatedInvariants(c)).toEqual([]);
  });
  it('random walks (200 seeds) keep every invariant', () => {
    let steps = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const r = walk(DEEP_CONFIG, seed, 60);
      if (r.violated.length > 0) console.log(`seed ${seed}: ${r.labels.join(' -> ')}`);
      expect(r.violated).toEqual([]);
      steps += r.steps;
    }
    expect(steps).toBeGreaterThan(200 * 8);
  });
});

/** Bug 1: commit when a majority of t's groups voted Prepared. */
const majority: OutcomeFn = (v) =>
  2 * v.groups.filter((g) => v.votes[g] === 'prepared').length > v.groups.length
    ? 'commit' : 'abort';
/** Bug 2: plain 2PC: only the owner's local decision can commit; a recoverer presumes abort. */
const localDecision: OutcomeFn = (v) =>
  v.isOwner && v.groups.every((g) => v.votes[g] === 'prepared') ? 'commit' : 'abort';
/** Bug 5: locks released at Prepare (never held until the decision). */
const earlyUnlock: ClusterSteps['participant'] = {
  ...participant.participantSteps,
  applyPrepare: (s, txn) => ({ ...participant.applyPrepare(s, txn), locked: s.locked }),
};

describe('injected bugs are caught by the random walk', () => {
  const cases: [string, ClusterSteps, string][] = [
    ['1 MajorityCommit', { ...defaultSteps, outcome: majority }, 'CommitNeedsAllVotes'],
    ['2 LocalDecision', { ...defaultSteps, outcome: localDecision }, 'Atomicity'],
    ['5 EarlyUnlock', { ...defaultSteps, participant: earlyUnlock }, 'Serializable'],
  ];
  for (const [name, steps, expected] of cases) {
    it(`bug ${name} violates ${expected}`, () => {
      const r = findViolation(DEEP_CONFIG, steps, 1, 2000);
      expect(r).not.toBeNull();
      expect(r!.violated).toContain(expected);
      const again = walk(DEEP_CONFIG, r!.seed, 60, steps);
      expect(again.labels).toEqual(r!.labels);
    });
  }
});
