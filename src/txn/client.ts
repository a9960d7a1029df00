/**
 * The client core behind `transact(ops, { deadlineMs })`: hands a transaction to a proposer
 * and resolves it exactly once, with the outcome the proposer tells or, at the deadline, as
 * not committed (`decided: false`: the transaction may still be finished by recovery, with
 * the outcome the groups' votes fix; a client told `committed` always has it). Sans-IO: time
 * comes in as `nowMs`.
 */
import type { TxnSpec } from './entries.ts';
import type { Outcome } from './messages.ts';

export interface TransactResult {
  readonly txnId: string;
  readonly outcome: Outcome;
  /** false when the deadline passed before the proposer told the outcome. */
  readonly decided: boolean;
}
export type ClientEffect =
  | { type: 'begin'; txn: TxnSpec }
  | { type: 'resolve'; result: TransactResult }
  /** The client gave up: the driver asks the proposer to recover (AbortVote missing votes). */
  | { type: 'give-up'; txnId: string };

export interface ClientState {
  readonly pending: Readonly<Record<string, { readonly deadlineMs: number }>>;
}
export interface ClientStep {
  readonly state: ClientState;
  readonly effects: ClientEffect[];
}
export interface ClientError {
  readonly code: 'deadline-passed' | 'duplicate-txn';
  readonly message: string;
}

export function initClient(): ClientState {
  return { pending: {} };
}

export function submit(
  s: ClientState, txn: TxnSpec, deadlineMs: number, nowMs: number,
): { ok: true; step: ClientStep } | { ok: false; error: ClientError } {
  if (deadlineMs <= nowMs) {
    const message = `deadline ${deadlineMs} <= now ${nowMs}`;
    return { ok: false, error: { code: 'deadline-passed', message } };
  }
  if (s.pending[txn.id] !== undefined) {
    return { ok: false, error: { code: 'duplicate-txn', message: `txn ${txn.id} is pending` } };
  }
  const state = { pending: { ...s.pending, [txn.id]: { deadlineMs } } };
  return { ok: true, step: { state, effects: [{ type: 'begin', txn }] } };
}

/** The proposer told the outcome (ignored for a transaction no longer pending). */
export function told(s: ClientState, txnId: string, outcome: Outcome): ClientStep {
  if (s.pending[txnId] === undefined) return { state: s, effects: [] };
  const { [txnId]: _done, ...pending } = s.pending;
  const result = { txnId, outcome, decided: true };
  return { state: { pending }, effects: [{ type: 'resolve', result }] };
}

/** Resolves every pending transaction whose deadline has come. */
export function tick(s: ClientState, nowMs: number): ClientStep {
  const effects: ClientEffect[] = [];
  const pending = { ...s.pending };
  for (const [txnId, p] of Object.entries(s.pending).sort(([a], [b]) => a.localeCompare(b))) {
    if (nowMs < p.deadlineMs) continue;
    delete pending[txnId];
    effects.push({ type: 'give-up', txnId });
    effects.push({ type: 'resolve', result: { txnId, outcome: 'aborted', decided: false } });
  }
  return { state: { pending }, effects };
}
