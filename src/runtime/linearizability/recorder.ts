/**
 * Building histories: from a stream of call/return events, or live with a recorder that a
 * driver (simulator hook, real client) calls as operations start and finish.
 */
import type { History, Operation } from './types.ts';

export type HistoryEvent<I, O> =
  | { kind: 'call'; clientId: string; opId: string; input: I; at: number }
  | { kind: 'return'; clientId: string; opId: string; output: O; at: number };

export type HistoryError = { code: 'unmatched-return' | 'duplicate-call'; message: string };

/** Pair call and return events by `opId`; a call without a return is a pending operation. */
export function operationsFromEvents<I, O>(
  events: readonly HistoryEvent<I, O>[],
): { ok: true; value: Operation<I, O>[] } | { ok: false; error: HistoryError } {
  const byId = new Map<string, Operation<I, O>>();
  for (const e of events) {
    const known = byId.get(e.opId);
    if (e.kind === 'call') {
      if (known) {
        const message = `op ${e.opId} called twice`;
        return { ok: false, error: { code: 'duplicate-call', message } };
      }
      byId.set(e.opId, { clientId: e.clientId, input: e.input, callAt: e.at,
        returnAt: undefined, output: undefined });
    } else {
      if (!known || known.returnAt !== undefined) {
        const message = `return of op ${e.opId} without a matching call`;
        return { ok: false, error: { code: 'unmatched-return', message } };
      }
      known.returnAt = e.at;
      known.output = e.output;
    }
  }
  return { ok: true, value: [...byId.values()] };
}

/**
 * Records operations as they happen. Times are whatever the driver passes (a simulator's step
 * number gives an exact real-time order; virtual milliseconds alone make same-ms operations
 * look concurrent, which is weaker but still sound).
 */
export class HistoryRecorder<I, O> {
  private readonly ops: Operation<I, O>[] = [];
  private readonly open = new Map<string, number>();

  /** An operation starts; returns its index. A client may have one operation outstanding. */
  call(clientId: string, input: I, at: number): number {
    if (this.open.has(clientId)) {
      throw new Error(`assertion failed: client ${clientId} already has an operation open`);
    }
    this.ops.push({ clientId, input, callAt: at, returnAt: undefined, output: undefined });
    this.open.set(clientId, this.ops.length - 1);
    return this.ops.length - 1;
  }

  /** The client's outstanding operation returns `output`. */
  complete(clientId: string, output: O, at: number): void {
    const i = this.open.get(clientId);
    if (i === undefined) throw new Error(`assertion failed: client ${clientId} has nothing open`);
    const op = this.ops[i] as Operation<I, O>;
    op.returnAt = at;
    op.output = output;
    this.open.delete(clientId);
  }

  /** The client gave up (crashed, timed out): its operation stays pending forever. */
  abandon(clientId: string): void {
    this.open.delete(clientId);
  }

  isOpen(clientId: string): boolean {
    return this.open.has(clientId);
  }

  history(): History<I, O> {
    return this.ops.map((o) => ({ ...o }));
  }
}
