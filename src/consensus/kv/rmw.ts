/**
 * Read-modify-write on one key with optimistic concurrency: read the value and its version,
 * compute the new value, write conditionally on that version; on a conflict read again, at most
 * `maxAttempts` times. Sans-IO: it says which command to run next and is told each result.
 */
import type { KvCommand, KvResult } from './commands.ts';

/** What to do with the value read (null: absent). */
export type RmwDecision = { type: 'put'; value: string } | { type: 'delete' } | { type: 'keep' };
export type RmwUpdate = (value: string | null) => RmwDecision;

export type RmwState = {
  key: string;
  update: RmwUpdate;
  attempts: number;
  maxAttempts: number;
  phase: 'read' | 'write';
};

export type RmwOutcome =
  | { type: 'updated'; version: number; attempts: number }
  | { type: 'deleted'; attempts: number }
  | { type: 'unchanged'; version: number; attempts: number }
  | { type: 'gave-up'; attempts: number }
  /** The command itself failed to get an answer (the client gave up on it). */
  | { type: 'unavailable'; attempts: number };

export type RmwStep =
  | { type: 'next'; state: RmwState; command: KvCommand }
  | { type: 'done'; outcome: RmwOutcome };

export function rmwStart(key: string, update: RmwUpdate, maxAttempts: number): RmwStep {
  if (!(maxAttempts >= 1)) throw new Error('assertion failed: maxAttempts >= 1');
  return { type: 'next', state: { key, update, attempts: 1, maxAttempts, phase: 'read' },
    command: { type: 'get', key } };
}

/** Feed the result of the command `rmwStart`/`rmwOnResult` asked for. */
export function rmwOnResult(state: RmwState, result: KvResult | undefined): RmwStep {
  const attempts = state.attempts;
  if (result === undefined) return { type: 'done', outcome: { type: 'unavailable', attempts } };
  if (state.phase === 'read') {
    if (result.type !== 'value') throw new Error(`assertion failed: read got ${result.type}`);
    const decision = state.update(result.value);
    const key = state.key;
    switch (decision.type) {
      case 'keep':
        return { type: 'done', outcome: { type: 'unchanged', version: result.version, attempts } };
      case 'put':
        return { type: 'next', state: { ...state, phase: 'write' }, command:
          { type: 'put', key, value: decision.value, expectedVersion: result.version } };
      case 'delete':
        if (result.version === 0) {
          return { type: 'done', outcome: { type: 'unchanged', version: 0, attempts } };
        }
        return { type: 'next', state: { ...state, phase: 'write' }, command:
          { type: 'delete', key, expectedVersion: result.version } };
      default: {
        const never: never = decision;
        throw new Error(`assertion failed: decision ${String(never)}`);
      }
    }
  }
  switch (result.type) {
    case 'written':
      return { type: 'done', outcome: { type: 'updated', version: result.version, attempts } };
    case 'deleted':
      return { type: 'done', outcome: { type: 'deleted', attempts } };
    case 'conflict':
      if (attempts >= state.maxAttempts) {
        return { type: 'done', outcome: { type: 'gave-up', attempts } };
      }
      return { type: 'next', state: { ...state, phase: 'read', attempts: attempts + 1 },
        command: { type: 'get', key: state.key } };
    case 'value':
      throw new Error('assertion failed: a write answered with a value');
    default: {
      const never: never = result;
      throw new Error(`assertion failed: result ${String(never)}`);
    }
  }
}
