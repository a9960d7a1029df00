/**
 * A member's replica: applies chosen entries in slot order to a pluggable state machine
 * (the spec's Apply(a) and log[a]). Entries are opaque JSON values; the state machine gives
 * them meaning (the transaction layer and the KV store define their own).
 */
import type { Entry } from './messages.ts';

export interface StateMachine<S, R> {
  apply(state: S, entry: Entry): { state: S; result: R };
}

export interface ReplicaState<S> {
  /** The entries applied so far, slot 1 first (the spec's log[a]). */
  readonly applied: readonly Entry[];
  readonly sm: S;
}
export interface ApplyStep<S, R> {
  readonly state: ReplicaState<S>;
  readonly effects: readonly { readonly type: 'applied'; readonly slot: number;
    readonly entry: Entry; readonly result: R }[];
}

export function initReplica<S>(sm: S): ReplicaState<S> {
  return { applied: [], sm };
}

export const nextSlot = <S>(st: ReplicaState<S>): number => st.applied.length + 1;

/** Applies the next slot's entry if it is known chosen (`chosen(slot)`), else nothing. */
export function applyNext<S, R>(
  st: ReplicaState<S>, machine: StateMachine<S, R>, chosen: (slot: number) => Entry | undefined,
): ApplyStep<S, R> {
  const slot = nextSlot(st);
  const entry = chosen(slot);
  if (entry === undefined) return { state: st, effects: [] };
  const { state: sm, result } = machine.apply(st.sm, entry);
  return {
    state: { applied: [...st.applied, entry], sm },
    effects: [{ type: 'applied', slot, entry, result }],
  };
}

/** Applies every consecutive known slot, up to `maxEntries` of them (a bound per call). */
export function applyAll<S, R>(
  st: ReplicaState<S>, machine: StateMachine<S, R>, chosen: (slot: number) => Entry | undefined,
  maxEntries = 1024,
): ApplyStep<S, R> {
  let cur = st;
  const effects: ApplyStep<S, R>['effects'][number][] = [];
  for (let i = 0; i < maxEntries; i += 1) {
    const step = applyNext(cur, machine, chosen);
    if (step.effects.length === 0) break;
    cur = step.state;
    effects.push(...step.effects);
  }
  return { state: cur, effects };
}

/** The state machine that only records entries (used by the spec-aligned cluster). */
export const recordingMachine: StateMachine<null, null> = {
  apply: () => ({ state: null, result: null }),
};
