/**
 * Transaction retries by restore (US11714675B2, US20220004423A1, US11119809B1), sans-IO. The
 * instance is snapshotted before the first attempt; each attempt is judged by the success
 * criteria (a pure predicate over the attempt's outcome, supplied by the user); a failed
 * attempt is undone by restoring that snapshot and run again, at most `maxAttempts` attempts.
 * A restore cannot undo effects outside the VM, so each external effect carries an
 * idempotency key (stable across attempts) and the external service applies a key once.
 * Step functions mirror TxBegin, TxSend, TxJudge(ok), TxRetry, TxGiveUp of the spec.
 */
export type TxPhase = 'idle' | 'running' | 'sent' | 'failed' | 'done';

export interface TxConfig {
  readonly txId: string;
  readonly maxAttempts: number;
}
export interface TxState {
  readonly config: TxConfig;
  readonly phase: TxPhase;
  readonly attempt: number;
  readonly succeeded: boolean;
}

export type TxEffect =
  | { type: 'snapshot-before-attempt'; txId: string }
  | { type: 'run-attempt'; txId: string; attempt: number }
  | { type: 'send-external'; txId: string; attempt: number; key: string | null; payload: string }
  | { type: 'restore-before-retry'; txId: string; attempt: number }
  | { type: 'tx-finished'; txId: string; succeeded: boolean; attempts: number };

export interface TxStep {
  readonly state: TxState;
  readonly effects: readonly TxEffect[];
}

/** What bug 4 touches: the idempotency key of an external effect. */
export interface RetrySteps {
  readonly effectKey: (s: TxState) => string | null;
}
/** The key names the transaction, not the attempt: every attempt sends the same key. */
export const effectKey = (s: TxState): string | null => `tx:${s.config.txId}`;
export const defaultRetrySteps: RetrySteps = { effectKey };

export function initTx(config: TxConfig): TxState {
  if (config.maxAttempts < 1) throw new Error('assertion: maxAttempts >= 1');
  return { config, phase: 'idle', attempt: 0, succeeded: false };
}

const id = (s: TxState) => s.config.txId;

/** TxBegin: snapshot, then attempt 1. */
export function txBegin(s: TxState): TxStep {
  if (s.phase !== 'idle') throw new Error('assertion: TxBegin');
  return {
    state: { ...s, phase: 'running', attempt: 1 },
    effects: [
      { type: 'snapshot-before-attempt', txId: id(s) },
      { type: 'run-attempt', txId: id(s), attempt: 1 },
    ],
  };
}

/** TxSend: the attempt's external effect, under the transaction's idempotency key. */
export function txSend(s: TxState, payload: string, steps = defaultRetrySteps): TxStep {
  if (s.phase !== 'running') throw new Error('assertion: TxSend');
  const key = steps.effectKey(s);
  return {
    state: { ...s, phase: 'sent' },
    effects: [{ type: 'send-external', txId: id(s), attempt: s.attempt, key, payload }],
  };
}

/** TxJudge(ok): the success criteria applied to the attempt's outcome. */
export function txJudge<O>(s: TxState, outcome: O, criteria: (o: O) => boolean): TxStep {
  if (s.phase !== 'running' && s.phase !== 'sent') throw new Error('assertion: TxJudge');
  if (criteria(outcome)) {
    return {
      state: { ...s, phase: 'done', succeeded: true },
      effects: [{ type: 'tx-finished', txId: id(s), succeeded: true, attempts: s.attempt }],
    };
  }
  return { state: { ...s, phase: 'failed' }, effects: [] };
}

export const canRetry = (s: TxState): boolean =>
  s.phase === 'failed' && s.attempt < s.config.maxAttempts;
export const mustGiveUp = (s: TxState): boolean =>
  s.phase === 'failed' && s.attempt >= s.config.maxAttempts;

/** TxRetry: restore the pre-attempt snapshot and run the next attempt. */
export function txRetry(s: TxState): TxStep {
  if (!canRetry(s)) throw new Error('assertion: TxRetry');
  const attempt = s.attempt + 1;
  return {
    state: { ...s, phase: 'running', attempt },
    effects: [
      { type: 'restore-before-retry', txId: id(s), attempt },
      { type: 'run-attempt', txId: id(s), attempt },
    ],
  };
}

/** TxGiveUp: MaxAttempts attempts failed. */
export function txGiveUp(s: TxState): TxStep {
  if (!mustGiveUp(s)) throw new Error('assertion: TxGiveUp');
  return {
    state: { ...s, phase: 'done', succeeded: false },
    effects: [{ type: 'tx-finished', txId: id(s), succeeded: false, attempts: s.attempt }],
  };
}

// ---------------------------------------------------------------------------------------------
// The external service's side: applies each idempotency key at most once.

export interface ExternalService {
  /** Keys applied, oldest first, at most maxKeys (the oldest are forgotten beyond that). */
  readonly keys: readonly string[];
  readonly applied: number;
  readonly maxKeys: number;
}
export const initExternal = (maxKeys = 10_000): ExternalService =>
  ({ keys: [], applied: 0, maxKeys });

/** Applies an effect unless its key was seen; a keyless effect is always applied. */
export function applyExternal(
  svc: ExternalService, key: string | null,
): { service: ExternalService; appliedNow: boolean } {
  if (key !== null && svc.keys.includes(key)) return { service: svc, appliedNow: false };
  const keys = key === null ? svc.keys : [...svc.keys, key].slice(-svc.maxKeys);
  return { service: { ...svc, keys, applied: svc.applied + 1 }, appliedNow: true };
}
