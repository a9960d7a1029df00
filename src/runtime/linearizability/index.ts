/**
 * plumbline linearizability checker: is a concurrent history of operations (with call and return
 * times, pending operations allowed) explainable by some sequential order of a model object that
 * respects real time? Wing & Gong / Lowe search with Porcupine-style memoisation of
 * (linearized set, state), partitioned P-compositionally (e.g. by key).
 *
 * ```ts
 * const r = checkLinearizability(casModel, history, { timeoutMs: 5_000 });
 * if (r.kind === 'not-linearizable') console.log(r.description);
 * ```
 */
export type {
  CheckBudget,
  CheckResult,
  CompletedOperation,
  History,
  Operation,
  SequentialModel,
} from './types.ts';
export { checkLinearizability, describeOperation, partitionBy } from './linearizability.ts';
export { HistoryRecorder, operationsFromEvents } from './recorder.ts';
export type { HistoryError, HistoryEvent } from './recorder.ts';
export { casModel, registerModel } from './models.ts';
export type { CasInput, CasOutput, RegisterInput, RegisterOutput } from './models.ts';
