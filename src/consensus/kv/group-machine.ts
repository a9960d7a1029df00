/**
 * The store as the pluggable state machine of a consensus group's replica log
 * (src/consensus `StateMachine`): entries are opaque JSON, so each is validated; a no-op or a
 * malformed entry changes nothing and answers nothing.
 */
import type { Entry, StateMachine } from '../index.ts';
import { KvEntrySchema, type KvResult } from './commands.ts';
import { applyEntry, type KvState } from './store.ts';

/** The proposer's gap filler. */
export const KV_NOOP: Entry = { noop: true };

export const kvGroupMachine: StateMachine<KvState, KvResult | undefined> = {
  apply(state, entry) {
    const parsed = KvEntrySchema.safeParse(entry);
    if (!parsed.success) {
      return { state: { ...state, applied: state.applied + 1 }, result: undefined };
    }
    return applyEntry(state, parsed.data);
  },
};
