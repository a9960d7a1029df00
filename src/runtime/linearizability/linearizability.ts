/**
 * The checker's entry point: partition the history (P-compositionality), search each partition
 * within one shared budget, and explain a failure.
 */
import { checkPartition, Meter } from './check.ts';
import type { CheckBudget, CheckResult, History, Operation, SequentialModel } from './types.ts';

/** Check `history` against `model`. Pending operations may or may not have taken effect. */
export function checkLinearizability<S, I, O>(
  model: SequentialModel<S, I, O>,
  history: History<I, O>,
  budget: CheckBudget = {},
): CheckResult<I, O> {
  const meter = new Meter(budget);
  const partitions = model.partition ? model.partition(history) : [history];
  let timedOut = false;
  for (const [index, ops] of partitions.entries()) {
    const outcome = checkPartition(model, ops, meter);
    switch (outcome.kind) {
      case 'linearizable':
        break;
      case 'unknown':
        timedOut = true;
        break;
      case 'not-linearizable': {
        const longestPrefix = outcome.longestPrefix.map((i) => ops[i] as Operation<I, O>);
        const description = explain(model, ops, outcome.longestPrefix);
        return { kind: 'not-linearizable', partition: { index, operations: ops }, longestPrefix,
          description, steps: meter.steps };
      }
      default: {
        const never: never = outcome;
        throw new Error(`assertion failed: outcome ${String(never)}`);
      }
    }
    if (timedOut) return { kind: 'unknown', reason: 'timeout', steps: meter.steps };
  }
  return { kind: 'linearizable', steps: meter.steps };
}

/** One line for an operation. */
export function describeOperation<S, I, O>(
  model: SequentialModel<S, I, O>,
  op: Operation<I, O>,
): string {
  const what = model.describeOperation
    ? model.describeOperation(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.returnAt === undefined ? '(pending)'
      : JSON.stringify(op.output)}`;
  const ret = op.returnAt === undefined ? 'pending' : String(op.returnAt);
  return `[${op.clientId} ${op.callAt}..${ret}] ${what}`;
}

/**
 * After the longest linearizable prefix: the earliest-returning operation left out, which no
 * order of the remaining concurrent operations lets the object answer.
 */
function explain<S, I, O>(
  model: SequentialModel<S, I, O>,
  ops: History<I, O>,
  prefix: readonly number[],
): string {
  const inPrefix = new Set(prefix);
  let stuck: Operation<I, O> | undefined;
  for (const [i, op] of ops.entries()) {
    if (inPrefix.has(i) || op.returnAt === undefined) continue;
    if (stuck === undefined || op.returnAt < (stuck.returnAt as number)) stuck = op;
  }
  let state = model.init();
  for (const i of prefix) {
    const op = ops[i] as Operation<I, O>;
    state = model.step(state, op.input, op.returnAt === undefined ? undefined : op.output).state;
  }
  const stateText = (model.stateKey ?? ((s: S) => JSON.stringify(s)))(state);
  const stuckText = stuck === undefined ? 'none' : describeOperation(model, stuck);
  return `${prefix.length} of ${ops.length} operations linearize (state then ${stateText});`
    + ` no order of the rest lets ${stuckText} return as it did`;
}

/** Split by a key function (the usual P-compositional partition: one per key). */
export function partitionBy<I, O>(
  history: History<I, O>,
  keyOf: (op: Operation<I, O>) => string,
): History<I, O>[] {
  const groups = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const k = keyOf(op);
    const g = groups.get(k);
    if (g) g.push(op);
    else groups.set(k, [op]);
  }
  return [...groups.values()];
}
