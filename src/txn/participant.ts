/**
 * The group-side replicated state machine: applied to a group's chosen log in slot order by
 * every member, deterministically (the spec's Apply(g, r, e)). It holds the group's votes,
 * decisions, locks (prepared, undecided transactions) and the balances of its accounts.
 * The steps record lets a composition replace one step (bug injection from tests).
 */
import {
  keysIn, type ApplyResult, type Decision, type Entry, type TxnSpec, type Vote,
} from './entries.ts';

export interface ParticipantState {
  readonly group: string;
  /** Number of log entries applied (the next slot is `applied`, 0-based). */
  readonly applied: number;
  readonly votes: Readonly<Record<string, Vote>>;
  readonly decisions: Readonly<Record<string, Decision>>;
  /** Prepared, undecided transactions and the keys each holds locked here. */
  readonly locked: Readonly<Record<string, readonly string[]>>;
  readonly balances: Readonly<Record<string, number>>;
  /** Transaction descriptions learned from Prepare entries. */
  readonly txns: Readonly<Record<string, TxnSpec>>;
}

export interface ParticipantSteps {
  readonly applyPrepare: (s: ParticipantState, txn: TxnSpec) => ParticipantState;
  readonly applyAbortVote: (s: ParticipantState, txnId: string) => ParticipantState;
  readonly applyDecision: (s: ParticipantState, txnId: string, d: Decision) => ParticipantState;
}

export function initParticipant(group: string, balances: Record<string, number>): ParticipantState {
  return { group, applied: 0, votes: {}, decisions: {}, locked: {}, balances: { ...balances },
    txns: {} };
}

/** The keys locked in this group (the spec's LockedKeys). */
export function lockedKeys(s: ParticipantState): Set<string> {
  return new Set(Object.values(s.locked).flat());
}

/** First entry about t decides the vote: Prepared (locking t's keys) unless t conflicts. */
export function applyPrepare(s: ParticipantState, txn: TxnSpec): ParticipantState {
  const txns = { ...s.txns, [txn.id]: txn };
  if (s.votes[txn.id] !== undefined) return { ...s, txns };
  const keys = keysIn(txn, s.group);
  const held = lockedKeys(s);
  if (keys.some((k) => held.has(k))) {
    return { ...s, txns, votes: { ...s.votes, [txn.id]: 'aborted' } };
  }
  return {
    ...s, txns, votes: { ...s.votes, [txn.id]: 'prepared' },
    locked: { ...s.locked, [txn.id]: keys },
  };
}

export function applyAbortVote(s: ParticipantState, txnId: string): ParticipantState {
  if (s.votes[txnId] !== undefined) return s;
  return { ...s, votes: { ...s.votes, [txnId]: 'aborted' } };
}

/** Commit applies t's deltas to this group's accounts; both decisions release t's locks. */
export function applyDecision(s: ParticipantState, txnId: string, d: Decision): ParticipantState {
  if (s.decisions[txnId] !== undefined) return s;
  const { [txnId]: _released, ...locked } = s.locked;
  const balances = { ...s.balances };
  const txn = s.txns[txnId];
  if (d === 'commit' && txn !== undefined) {
    for (const op of txn.ops) {
      if (op.group === s.group) balances[op.key] = (balances[op.key] ?? 0) + op.delta;
    }
  }
  return { ...s, decisions: { ...s.decisions, [txnId]: d }, locked, balances };
}

export const participantSteps: ParticipantSteps = { applyPrepare, applyAbortVote, applyDecision };

function result(s: ParticipantState, e: Entry): ApplyResult {
  switch (e.type) {
    case 'Prepare':
    case 'AbortVote': {
      const id = e.type === 'Prepare' ? e.txn.id : e.txnId;
      const vote = s.votes[id];
      if (vote === undefined) throw new Error(`assertion: no vote after ${e.type}(${id})`);
      return { kind: 'vote', txnId: id, vote };
    }
    case 'Commit':
    case 'Abort': {
      const decision = s.decisions[e.txnId];
      if (decision === undefined) throw new Error(`assertion: no decision for ${e.txnId}`);
      return { kind: 'decision', txnId: e.txnId, decision };
    }
    default: {
      const never: never = e;
      throw new Error(`unknown entry ${JSON.stringify(never)}`);
    }
  }
}

/** Applies the entry chosen in the next slot; the result is the group's vote / decision now. */
export function apply(
  s: ParticipantState, e: Entry, steps: ParticipantSteps = participantSteps,
): { state: ParticipantState; result: ApplyResult } {
  let next: ParticipantState;
  switch (e.type) {
    case 'Prepare': next = steps.applyPrepare(s, e.txn); break;
    case 'AbortVote': next = steps.applyAbortVote(s, e.txnId); break;
    case 'Commit': next = steps.applyDecision(s, e.txnId, 'commit'); break;
    case 'Abort': next = steps.applyDecision(s, e.txnId, 'abort'); break;
    default: {
      const never: never = e;
      throw new Error(`unknown entry ${JSON.stringify(never)}`);
    }
  }
  next = { ...next, applied: s.applied + 1 };
  return { state: next, result: result(next, e) };
}

/** The replica every member reaches by applying `log` from the initial balances. */
export function replay(
  group: string, balances: Record<string, number>, log: readonly Entry[],
  steps: ParticipantSteps = participantSteps,
): ParticipantState {
  let s = initParticipant(group, balances);
  for (const e of log) s = apply(s, e, steps).state;
  return s;
}
