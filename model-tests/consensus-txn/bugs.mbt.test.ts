/**
 * The six bugs of shared/protocols/consensus-txn.md, each injected FROM THE TEST SIDE through
 * the compositions' replaceable `steps` (the cores stay correct), must make a model-based
 * property fail; the printed seed and path must replay to the same failure; the correct code
 * passes the same properties. Bugs 3, 4, 6: one Paxos group; bugs 1, 2, 5: transactions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptor, defaultSteps, proposer } from '../../src/consensus/index.ts';
import type { ClusterSteps, ProposerState } from '../../src/consensus/index.ts';
import * as txn from '../../src/txn/index.ts';
import { TXN_TRACE_CLUSTER } from '../../src/consensus/conformance/index.ts';
import { paxosModelProperty, txnModelProperty } from './commands.ts';

/** Bug 3: an acceptor accepts in ballot b after promising a higher ballot. */
const acceptBelowPromise: ClusterSteps = { ...defaultSteps, phase2b: acceptor.acceptUnchecked };
/** Bug 4: phase 2 proposes its own value instead of the highest-ballot value reported. */
const ownValue: ClusterSteps = { ...defaultSteps, phase2a: (st: ProposerState, input) =>
  st.phase === 'leading' && st.sent[input.slot] === undefined
    ? { ok: true, step: proposer.sendAccept(st, input.slot, input.value) }
    : proposer.phase2a(st, input) };
/** Bug 6: quorum size N div 2 instead of a majority. */
const minorityQuorum: ClusterSteps = { ...defaultSteps, quorumSize: (n) => Math.floor(n / 2) };

/** Bug 1: commit when a majority of t's groups (not all) voted Prepared. */
const majorityCommit: txn.ClusterSteps = { ...txn.defaultSteps, outcome: (v) =>
  2 * v.groups.filter((g) => v.votes[g] === 'prepared').length > v.groups.length
    ? 'commit' : 'abort' };
/** Bug 2: plain 2PC: only the owner's local decision commits; a recoverer presumes abort. */
const localDecision: txn.ClusterSteps = { ...txn.defaultSteps, outcome: (v) =>
  v.isOwner && v.groups.every((g) => v.votes[g] === 'prepared') ? 'commit' : 'abort' };
/** Bug 5: locks released at Prepare instead of at the decision. */
const earlyUnlock: txn.ClusterSteps = { ...txn.defaultSteps, participant: {
  ...txn.participant.participantSteps,
  applyPrepare: (s, t) => ({ ...txn.participant.applyPrepare(s, t), locked: s.locked }),
} };

type PropOf = (replayPath?: string) => fc.IPropertyWithHooks<[unknown]> | fc.IProperty<[unknown]>;

/** The property fails for `seed`, prints what replays it, and the replay fails the same way. */
function expectCaught(name: string, prop: PropOf, expected: RegExp, numRuns: number): void {
  const details = fc.check(prop() as fc.IProperty<[unknown]>, { numRuns, seed: 7 });
  expect({ name, failed: details.failed }).toEqual({ name, failed: true });
  const shown = String(details.counterexample?.[0] ?? '');
  const replayPath = /replayPath="([^"]*)"/.exec(shown)?.[1];
  const error = String(details.errorInstance);
  console.log(`${name}: seed=${details.seed} path=${details.counterexamplePath} ` +
    `replayPath=${replayPath} commands=${shown.slice(0, 300)} error=${error.slice(0, 200)}`);
  expect(error).toMatch(expected);
  const again = fc.check(prop(replayPath) as fc.IProperty<[unknown]>, {
    seed: details.seed, path: details.counterexamplePath ?? undefined, endOnFailure: true,
  });
  expect(again.failed).toBe(true);
  expect(String(again.errorInstance)).toBe(error);
}

const TXN_CONFIG = TXN_TRACE_CLUSTER;

describe('consensus-txn bugs injected from the test side are caught', () => {
  it('the correct code passes the Paxos and transaction properties', () => {
    fc.assert(paxosModelProperty(defaultSteps, 80) as fc.IProperty<[unknown]>,
      { numRuns: 300, seed: 7 });
    fc.assert(txnModelProperty(TXN_CONFIG) as fc.IProperty<[unknown]>, { numRuns: 300, seed: 7 });
  });

  it('bug 3: accept below the promise', () => {
    expectCaught('bug 3', (rp) => paxosModelProperty(acceptBelowPromise, 80, rp),
      /Agreement|ChosenConsistent|several values|->/, 3000);
  });

  it('bug 4: phase 2 proposes its own value', () => {
    expectCaught('bug 4', (rp) => paxosModelProperty(ownValue, 80, rp),
      /Agreement|ChosenConsistent|several values|->/, 3000);
  });

  it('bug 6: quorum N div 2', () => {
    expectCaught('bug 6', (rp) => paxosModelProperty(minorityQuorum, 80, rp),
      /Agreement|ChosenConsistent|several values|->/, 3000);
  });

  it('bug 1: commit on a majority of groups', () => {
    expectCaught('bug 1', (rp) => txnModelProperty(TXN_CONFIG, majorityCommit, 60, rp),
      /CommitNeedsAllVotes|Atomicity|both ways/, 3000);
  });

  it('bug 2: local decision (plain 2PC), a recoverer aborts a committed transaction', () => {
    expectCaught('bug 2', (rp) => txnModelProperty(TXN_CONFIG, localDecision, 60, rp),
      /Atomicity|both ways|->/, 3000);
  });

  it('bug 5: locks released at Prepare', () => {
    expectCaught('bug 5', (rp) => txnModelProperty(TXN_CONFIG, earlyUnlock, 60, rp),
      /Serializable|Conservation/, 3000);
  });
});
