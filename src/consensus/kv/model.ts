/**
 * The store's sequential model for the linearizability checker: the data alone (no sessions),
 * stepped by the same `applyCommand` semantics, partitioned by key (commands touch one key).
 */
import {
  partitionBy,
  type SequentialModel,
} from '../../runtime/linearizability/index.ts';
import type { KvCommand, KvResult } from './commands.ts';
import { applyCommand, type KvData } from './store.ts';

export const kvModel: SequentialModel<KvData, KvCommand, KvResult> = {
  init: () => ({}),
  step(state, input, output) {
    const { data, result } = applyCommand(state, input);
    const ok = output === undefined || resultsEqual(output, result);
    return { ok, state: data };
  },
  partition: (history) => partitionBy(history, (op) => op.input.key),
  stateKey: (state) => JSON.stringify(state),
  describeOperation: (input, output) =>
    `${JSON.stringify(input)} -> ${output === undefined ? '(pending)' : JSON.stringify(output)}`,
};

/** Field-by-field equality of two results. */
export function resultsEqual(a: KvResult, b: KvResult): boolean {
  switch (a.type) {
    case 'value':
      return b.type === 'value' && a.value === b.value && a.version === b.version;
    case 'written':
      return b.type === 'written' && a.version === b.version;
    case 'deleted':
      return b.type === 'deleted';
    case 'conflict':
      return b.type === 'conflict' && a.currentVersion === b.currentVersion;
    default: {
      const never: never = a;
      throw new Error(`assertion failed: result ${String(never)}`);
    }
  }
}
