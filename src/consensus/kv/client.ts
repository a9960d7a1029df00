/**
 * The store's client core (sans-IO): one command outstanding per client session, tagged with a
 * fresh sequence number, proposed to the group and re-proposed on a retry timer until a reply
 * for that sequence number arrives or the attempts run out. The group applies a re-proposed
 * command once (sessions in the state machine), so retries are safe.
 */
import type { KvCommand, KvEntry, KvReply, KvResult } from './commands.ts';

export type KvClientConfig = { retryMs: number; maxAttempts: number };

export type KvClientState = {
  clientId: string;
  /** The newest sequence number used (never reused: keep it durable across restarts). */
  seq: number;
  pending: { seq: number; command: KvCommand; attempts: number } | undefined;
};

export type KvClientEffect =
  | { type: 'propose'; entry: KvEntry }
  | { type: 'setTimer'; name: 'retry'; afterMs: number }
  | { type: 'cancelTimer'; name: 'retry' }
  /** The outstanding command finished: `result`, or undefined when it gave up. */
  | { type: 'resolved'; seq: number; command: KvCommand; result: KvResult | undefined };

export type KvClientStep = { state: KvClientState; effects: KvClientEffect[] };
export type KvClientError = { code: 'busy'; message: string };

export const initKvClient = (clientId: string, seq = 0): KvClientState =>
  ({ clientId, seq, pending: undefined });

/** Start a command; a client has at most one outstanding. */
export function submit(
  config: KvClientConfig,
  state: KvClientState,
  command: KvCommand,
): { ok: true; value: KvClientStep } | { ok: false; error: KvClientError } {
  if (state.pending !== undefined) {
    return { ok: false, error: { code: 'busy', message: `command ${state.pending.seq} pending` } };
  }
  const seq = state.seq + 1;
  const entry: KvEntry = { clientId: state.clientId, seq, command };
  return { ok: true, value: {
    state: { ...state, seq, pending: { seq, command, attempts: 1 } },
    effects: [{ type: 'propose', entry }, { type: 'setTimer', name: 'retry',
      afterMs: config.retryMs }],
  } };
}

/** A reply from the group; stale and foreign replies are ignored. */
export function onReply(state: KvClientState, reply: KvReply): KvClientStep {
  const p = state.pending;
  if (p === undefined || reply.clientId !== state.clientId || reply.seq !== p.seq) {
    return { state, effects: [] };
  }
  return {
    state: { ...state, pending: undefined },
    effects: [{ type: 'cancelTimer', name: 'retry' },
      { type: 'resolved', seq: p.seq, command: p.command, result: reply.result }],
  };
}

/** The retry timer fired: propose again, or give up after `maxAttempts`. */
export function onRetry(config: KvClientConfig, state: KvClientState): KvClientStep {
  const p = state.pending;
  if (p === undefined) return { state, effects: [] };
  if (p.attempts >= config.maxAttempts) {
    return { state: { ...state, pending: undefined },
      effects: [{ type: 'resolved', seq: p.seq, command: p.command, result: undefined }] };
  }
  const entry: KvEntry = { clientId: state.clientId, seq: p.seq, command: p.command };
  return {
    state: { ...state, pending: { ...p, attempts: p.attempts + 1 } },
    effects: [{ type: 'propose', entry }, { type: 'setTimer', name: 'retry',
      afterMs: config.retryMs }],
  };
}

/** The client core's steps as a record, so a composition can wrap or replace one. */
export const kvClientSteps = { submit, onReply, onRetry };
export type KvClientSteps = typeof kvClientSteps;
