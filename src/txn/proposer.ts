/**
 * The proposer core: drives transactions across groups (Paxos Commit over group logs). It
 * asks for entries to be chosen (`propose` effects) and learns what groups chose and applied
 * (`applied` inputs, for every entry of every group it watches), so it knows each group's
 * vote and decision for the transactions it tracks. The decision is computed from the chosen
 * votes only, so any proposer computes the same one (the spec's Outcome(p, t)).
 *
 * Time comes in with inputs (`nowMs`); the core reads no clock. Proposals may be lost or
 * lose their slot: `tick` proposes again what is still wanted after `retryMs`.
 */
import {
  entryTxnId, groupsOf, type ApplyResult, type Decision, type Entry, type TxnSpec, type Vote,
} from './entries.ts';
import type { ProposerEffect } from './messages.ts';

/** What a proposer computes the decision from (replaceable: bug injection from tests). */
export interface OutcomeView {
  readonly isOwner: boolean;
  readonly groups: readonly string[];
  readonly votes: Readonly<Record<string, Vote>>;
}
export type OutcomeFn = (view: OutcomeView) => Decision;

/** Paxos Commit: commit iff every group of t chose the vote Prepared. */
export const allPreparedOutcome: OutcomeFn = (v) =>
  v.groups.every((g) => v.votes[g] === 'prepared') ? 'commit' : 'abort';

export interface ProposerConfig {
  readonly id: string;
  readonly retryMs: number;
  /** An observed transaction with no outcome after this long is recovered. */
  readonly recoverAfterMs: number;
  readonly outcome?: OutcomeFn;
}

export interface TxnView {
  readonly spec: TxnSpec;
  readonly isOwner: boolean;
  /** Proposing AbortVote where no vote is known (recovery, or the owner gave up). */
  readonly recovering: boolean;
  readonly votes: Readonly<Record<string, Vote>>;
  readonly decisions: Readonly<Record<string, Decision>>;
  readonly outcome: Decision | null;
  readonly told: boolean;
  readonly learnedAtMs: number;
  /** When each wanted proposal (key `group|type`) was last proposed. */
  readonly proposedAtMs: Readonly<Record<string, number>>;
}

export interface ProposerState {
  readonly config: ProposerConfig;
  readonly txns: Readonly<Record<string, TxnView>>;
}

export interface ProposerStep {
  readonly state: ProposerState;
  readonly effects: ProposerEffect[];
}

export function initProposer(config: ProposerConfig): ProposerState {
  if (config.retryMs <= 0 || config.recoverAfterMs <= 0) throw new Error('assertion: timeouts');
  return { config, txns: {} };
}

/** The entries p wants chosen now for t, one per group at most. */
export function wanted(v: TxnView): { group: string; entry: Entry }[] {
  const id = v.spec.id;
  const groups = groupsOf(v.spec);
  if (v.outcome !== null) {
    if (!v.isOwner && !v.recovering) return [];
    const type = v.outcome === 'commit' ? 'Commit' : 'Abort';
    return groups.filter((g) => v.decisions[g] === undefined)
      .map((g) => ({ group: g, entry: { type, txnId: id } }));
  }
  const open = groups.filter((g) => v.votes[g] === undefined);
  if (v.recovering) return open.map((g) => ({ group: g, entry: { type: 'AbortVote', txnId: id } }));
  if (v.isOwner) return open.map((g) => ({ group: g, entry: { type: 'Prepare', txn: v.spec } }));
  return [];
}

const proposalKey = (group: string, e: Entry): string => `${group}|${e.type}`;

/** Proposes what is wanted and was not proposed in the last retryMs (all of it if `force`). */
export function flush(s: ProposerState, v: TxnView, nowMs: number, force: boolean): ProposerStep {
  const effects: ProposerEffect[] = [];
  const proposedAtMs = { ...v.proposedAtMs };
  for (const w of wanted(v)) {
    const key = proposalKey(w.group, w.entry);
    const last = proposedAtMs[key];
    if (!force && last !== undefined && nowMs - last < s.config.retryMs) continue;
    proposedAtMs[key] = nowMs;
    effects.push({ type: 'propose', group: w.group, entry: w.entry });
  }
  let view: TxnView = { ...v, proposedAtMs };
  const told = tellable(view);
  if (told !== null) {
    view = { ...view, told: true };
    effects.push({ type: 'outcome', txnId: v.spec.id, outcome: told });
  }
  return { state: { ...s, txns: { ...s.txns, [v.spec.id]: view } }, effects };
}

/** The owner's answer to its client, once the outcome is fixed: Commit chosen everywhere, or
 * one Abort chosen, or one group's chosen vote Aborted (the votes then fix Abort: told at
 * once, without waiting for the other groups' votes). */
function tellable(v: TxnView): 'committed' | 'aborted' | null {
  if (!v.isOwner || v.told) return null;
  const groups = groupsOf(v.spec);
  if (groups.every((g) => v.decisions[g] === 'commit')) return 'committed';
  if (groups.some((g) => v.decisions[g] === 'abort' || v.votes[g] === 'aborted')) {
    return 'aborted';
  }
  return null;
}

function newView(spec: TxnSpec, isOwner: boolean, nowMs: number): TxnView {
  return { spec, isOwner, recovering: false, votes: {}, decisions: {}, outcome: null,
    told: false, learnedAtMs: nowMs, proposedAtMs: {} };
}

/** A client hands t to this proposer: propose Prepare(t) in every group of t. */
export function begin(s: ProposerState, txn: TxnSpec, nowMs: number): ProposerStep {
  const known = s.txns[txn.id];
  if (known !== undefined) return { state: s, effects: [] };
  return flush(s, newView(txn, true, nowMs), nowMs, true);
}

function learn(s: ProposerState, v: TxnView, group: string, r: ApplyResult): TxnView {
  let view = v;
  if (r.kind === 'vote' && view.votes[group] === undefined) {
    view = { ...view, votes: { ...view.votes, [group]: r.vote } };
  }
  if (r.kind === 'decision' && view.decisions[group] === undefined) {
    view = { ...view, decisions: { ...view.decisions, [group]: r.decision } };
  }
  const groups = groupsOf(view.spec);
  if (view.outcome === null && groups.every((g) => view.votes[g] !== undefined)) {
    const decide = s.config.outcome ?? allPreparedOutcome;
    view = { ...view, outcome: decide({ isOwner: view.isOwner, groups, votes: view.votes }) };
  }
  return view;
}

/** Group `group` chose and applied `entry` in `slot`; `result` is its vote / decision now. */
export function applied(
  s: ProposerState, group: string, entry: Entry, result: ApplyResult, nowMs: number,
): ProposerStep {
  const id = entryTxnId(entry);
  if (result.txnId !== id) throw new Error('assertion: result names another transaction');
  let v = s.txns[id];
  if (v === undefined) {
    if (entry.type !== 'Prepare') return { state: s, effects: [] };
    v = newView(entry.txn, false, nowMs);
  }
  if (!groupsOf(v.spec).includes(group)) return { state: s, effects: [] };
  return flush(s, learn(s, v, group, result), nowMs, false);
}

/** Proposes again what is still wanted and was last proposed at least retryMs ago. */
export function tick(s: ProposerState, nowMs: number): ProposerStep {
  let state = s;
  const effects: ProposerEffect[] = [];
  for (const id of Object.keys(s.txns).sort()) {
    const r = flush(state, state.txns[id]!, nowMs, false);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

export function decidedEverywhere(v: TxnView): boolean {
  return groupsOf(v.spec).every((g) => v.decisions[g] !== undefined);
}
