/**
 * Types of the linearizability checker: operations of a history, the sequential model they are
 * checked against, the search budget and the verdict.
 */

/** A client's operation: called at `callAt`, returned at `returnAt` with `output`. */
export type Operation<I, O> = {
  /** Who issued it; one client has at most one operation outstanding at a time. */
  clientId: string;
  input: I;
  /** Logical or virtual time of the call. */
  callAt: number;
  /** Time of the return; `undefined` for a pending operation (it never returned). */
  returnAt: number | undefined;
  /** The returned value; ignored for a pending operation. */
  output: O | undefined;
};

/** A completed operation (for histories built by hand). */
export type CompletedOperation<I, O> = Operation<I, O> & { returnAt: number; output: O };

/** A history: the operations of every client, in any order. */
export type History<I, O> = readonly Operation<I, O>[];

/** The sequential specification of the object the history was taken from. */
export interface SequentialModel<S, I, O> {
  init(): S;
  /**
   * Apply `input` to `state`: `ok` when the object may answer `output`. For a pending
   * operation `output` is `undefined`: the answer is unknown, so any answer is allowed (and
   * `ok` must be true); only the state change matters.
   */
  step(state: S, input: I, output: O | undefined): { ok: boolean; state: S };
  /** Split a history into independent sub-histories (P-compositionality), e.g. by key. */
  partition?(history: History<I, O>): History<I, O>[];
  /** A string identifying a state, for memoisation (default: JSON.stringify). */
  stateKey?(state: S): string;
  /** One line for an operation in reports (default: JSON of input and output). */
  describeOperation?(input: I, output: O | undefined): string;
}

/** Limits on one check: whichever comes first ends the search with `unknown`. */
export type CheckBudget = {
  /** Search steps (candidate linearizations tried) over all partitions. */
  maxSteps?: number;
  /** Wall-clock limit; the checker is a test tool, not a protocol core, so it may read it. */
  timeoutMs?: number;
};

export type CheckResult<I, O> =
  | { kind: 'linearizable'; steps: number }
  | {
      kind: 'not-linearizable';
      /** Index of the failing partition and its operations. */
      partition: { index: number; operations: History<I, O> };
      /** The longest sequence of operations found linearizable, in linearization order. */
      longestPrefix: History<I, O>;
      /** What could not be linearized after that prefix, in one paragraph. */
      description: string;
      steps: number;
    }
  | { kind: 'unknown'; reason: 'timeout'; steps: number };
