/**
 * The client core behind `transact(ops, { deadlineMs })`: hands a transaction to a proposer
 * and resolves it exactly once. A client is never told `aborted` for a transaction that can
 * still commit:
 *  - the proposer tells `committed` (Commit chosen in every group) or `aborted` (the chosen
 *    votes fix Abort: one group's vote is Aborted, or Abort is chosen);
 *  - at `deadlineMs - abortMarginMs` the client asks its proposer to give up (`give-up`: the
 *    proposer proposes AbortVote where no vote is chosen), so that an outcome gets fixed
 *    before the deadline and is told promptly;
 *  - if the deadline passes with nothing told, it resolves `in-doubt` (`decided: false`): the
 *    transaction's outcome is not known to the client; recovery finishes it with the outcome
 *    the groups' chosen votes fix (a group may have been unreachable, or the proposer died).
 * Sans-IO: time comes in as `nowMs`.
 */
import type { TxnSpec } from './entries.ts';
import type { Outcome } from './messages.ts';

/** What a client resolves with: the told outcome, or `in-doubt` at the deadline. */
export type ClientOutcome = Outcome | 'in-doubt';

export interface TransactResult {
  readonly txnId: string;
  readonly outcome: ClientOutcome;
  /** false (with outcome `in-doubt`) when the deadline passed before an outcome was told. */
  readonly decided: boolean;
}
export type ClientEffect =
  | { type: 'begin'; txn: TxnSpec }
  | { type: 'resolve'; result: TransactResult }
  /** The client gives up: the driver asks the proposer to recover (AbortVote missing votes). */
  | { type: 'give-up'; txnId: string };

export interface PendingTxn {
  readonly deadlineMs: number;
  /** When the client asks the proposer to give up: max(submit time, deadline - margin). */
  readonly giveUpAtMs: number;
  readonly gaveUp: boolean;
}
export interface ClientConfig {
  /** How long before the deadline the client asks its proposer to give up. */
  readonly abortMarginMs: number;
}
export interface ClientState {
  readonly config: ClientConfig;
  readonly pending: Readonly<Record<string, PendingTxn>>;
}
export interface ClientStep {
  readonly state: ClientState;
  readonly effects: ClientEffect[];
}
export interface ClientError {
  readonly code: 'deadline-passed' | 'duplicate-txn';
  readonly message: string;
}

export const DEFAULT_ABORT_MARGIN_MS = 20;

export function initClient(config: Partial<ClientConfig> = {}): ClientState {
  const abortMarginMs = config.abortMarginMs ?? DEFAULT_ABORT_MARGIN_MS;
  if (!Number.isSafeInteger(abortMarginMs) || abortMarginMs < 0) {
    throw new Error('assertion: abortMarginMs');
  }
  return { config: { abortMarginMs }, pending: {} };
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
  const giveUpAtMs = Math.max(nowMs, deadlineMs - s.config.abortMarginMs);
  const entry: PendingTxn = { deadlineMs, giveUpAtMs, gaveUp: false };
  const state = { ...s, pending: { ...s.pending, [txn.id]: entry } };
  return { ok: true, step: { state, effects: [{ type: 'begin', txn }] } };
}

/** The proposer told the outcome (ignored for a transaction no longer pending). */
export function told(s: ClientState, txnId: string, outcome: Outcome): ClientStep {
  if (s.pending[txnId] === undefined) return { state: s, effects: [] };
  const { [txnId]: _done, ...pending } = s.pending;
  const result = { txnId, outcome, decided: true };
  return { state: { ...s, pending }, effects: [{ type: 'resolve', result }] };
}

/** Gives up on pending transactions whose give-up time has come; resolves `in-doubt` those
 * whose deadline has come and that were given up on at an earlier tick (so the proposer had
 * a chance to fix and tell an outcome first). */
export function tick(s: ClientState, nowMs: number): ClientStep {
  const effects: ClientEffect[] = [];
  const pending: Record<string, PendingTxn> = { ...s.pending };
  for (const [txnId, p] of Object.entries(s.pending).sort(([a], [b]) => a.localeCompare(b))) {
    if (!p.gaveUp) {
      if (nowMs < p.giveUpAtMs) continue;
      pending[txnId] = { ...p, gaveUp: true };
      effects.push({ type: 'give-up', txnId });
    } else if (nowMs >= p.deadlineMs) {
      delete pending[txnId];
      effects.push({ type: 'resolve', result: { txnId, outcome: 'in-doubt', decided: false } });
    }
  }
  return { state: { ...s, pending }, effects };
}

/**
 * When the driver must call `tick` next: the earliest give-up time of a transaction not yet
 * given up on, or the deadline of one given up on; undefined when nothing is pending. A
 * driver that ticks only at deadlines would give up there and never resolve.
 */
export function nextWakeMs(s: ClientState): number | undefined {
  let wake: number | undefined;
  for (const p of Object.values(s.pending)) {
    const at = p.gaveUp ? p.deadlineMs : p.giveUpAtMs;
    if (wake === undefined || at < wake) wake = at;
  }
  return wake;
}

/** The client shuts down: every pending transaction resolves `in-doubt` now. */
export function abandonAll(s: ClientState): ClientStep {
  const effects: ClientEffect[] = Object.keys(s.pending).sort().map((txnId) =>
    ({ type: 'resolve', result: { txnId, outcome: 'in-doubt', decided: false } }));
  return { state: { ...s, pending: {} }, effects };
}
