/**
 * The store as a deterministic state machine for a consensus group's log: every replica applies
 * the same entries in log order and reaches the same state and results. Pure and immutable:
 * `apply` returns a new state and never mutates its argument.
 */
import type { KvCommand, KvEntry, KvResult } from './commands.ts';

/** One key: its value (null when deleted) and its write count. */
export type KeyState = { value: string | null; version: number };

/** The key-value data alone (what the sequential model tracks). */
export type KvData = Readonly<Record<string, KeyState>>;

/** Per client: the newest sequence number applied and its result (exactly-once replies). */
export type Session = { seq: number; result: KvResult };

export type KvState = {
  data: KvData;
  sessions: Readonly<Record<string, Session>>;
  /** Entries applied, duplicates included (the log position the state reflects). */
  applied: number;
};

export const emptyKvState = (): KvState => ({ data: {}, sessions: {}, applied: 0 });

/** The version a reader sees: 0 for an absent key. */
export function visibleVersion(key: KeyState | undefined): number {
  return key === undefined || key.value === null ? 0 : key.version;
}

/** Apply one command to the data alone (no sessions): the sequential semantics. */
export function applyCommand(data: KvData, command: KvCommand): { data: KvData; result: KvResult } {
  const current = data[command.key];
  const version = visibleVersion(current);
  switch (command.type) {
    case 'get':
      return { data, result: { type: 'value', value: current?.value ?? null, version } };
    case 'put': {
      if (command.expectedVersion !== version) {
        return { data, result: { type: 'conflict', currentVersion: version } };
      }
      const next = (current?.version ?? 0) + 1;
      const updated = { ...data, [command.key]: { value: command.value, version: next } };
      return { data: updated, result: { type: 'written', version: next } };
    }
    case 'delete': {
      if (version === 0 || command.expectedVersion !== version) {
        return { data, result: { type: 'conflict', currentVersion: version } };
      }
      const tomb = { value: null, version: (current?.version ?? 0) + 1 };
      return { data: { ...data, [command.key]: tomb }, result: { type: 'deleted' } };
    }
    default: {
      const never: never = command;
      throw new Error(`assertion failed: command ${String(never)}`);
    }
  }
}

/**
 * Apply one log entry. A duplicate of the client's newest entry answers its recorded result
 * without applying it again; an older one (a stale retry the client no longer waits for) is a
 * no-op answered with a conflict-free copy of nothing: it yields `undefined`.
 */
export function applyEntry(
  state: KvState,
  entry: KvEntry,
): { state: KvState; result: KvResult | undefined } {
  const applied = state.applied + 1;
  const session = state.sessions[entry.clientId];
  if (session !== undefined && entry.seq <= session.seq) {
    const result = entry.seq === session.seq ? session.result : undefined;
    return { state: { ...state, applied }, result };
  }
  const { data, result } = applyCommand(state.data, entry.command);
  const sessions = { ...state.sessions, [entry.clientId]: { seq: entry.seq, result } };
  return { state: { data, sessions, applied }, result };
}

/** The state machine in the shape a consensus group's log takes. */
export const kvStateMachine = {
  init: emptyKvState,
  apply: applyEntry,
};
