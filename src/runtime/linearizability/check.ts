/**
 * Linearizability checking after Wing & Gong, with Lowe's just-in-time linearization and the
 * memoisation of (linearized set, state) pairs that Porcupine uses, plus P-compositionality:
 * a history is linearizable iff each of its independent partitions is.
 *
 * The history becomes a doubly linked list of call and return events in time order (a call
 * before a return at equal times, so touching operations count as concurrent). The search walks
 * the list: at a call it tries to linearize that operation now (model step accepts the output);
 * on success it removes the operation's call and return from the list and restarts at the head;
 * at a return whose operation is not yet linearized it backtracks. A (set, state) pair seen
 * before is a dead end already explored, so it is skipped. Pending operations have no return
 * event: they may be linearized at any point after their call, or never.
 */
import type { CheckBudget, CheckResult, History, Operation, SequentialModel } from './types.ts';

const NIL = -1;
const HEAD = 0;
const BUDGET_CHECK_EVERY_STEPS = 1024;

type Events = {
  /** Per event (index 0 is the head sentinel): the operation index, call or return. */
  op: Int32Array;
  isCall: Uint8Array;
  /** For a call: the index of its return event, or NIL for a pending operation. */
  match: Int32Array;
  prev: Int32Array;
  next: Int32Array;
};

function buildEvents<I, O>(ops: History<I, O>): Events {
  const raw: { time: number; isCall: boolean; op: number }[] = [];
  ops.forEach((o, i) => {
    if (!Number.isFinite(o.callAt)) throw new Error(`assertion failed: op ${i} call time`);
    raw.push({ time: o.callAt, isCall: true, op: i });
    if (o.returnAt !== undefined) {
      if (!(o.returnAt >= o.callAt)) throw new Error(`assertion failed: op ${i} returns early`);
      raw.push({ time: o.returnAt, isCall: false, op: i });
    }
  });
  raw.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const size = raw.length + 1;
  const ev: Events = {
    op: new Int32Array(size), isCall: new Uint8Array(size), match: new Int32Array(size).fill(NIL),
    prev: new Int32Array(size), next: new Int32Array(size),
  };
  const callOf = new Int32Array(ops.length).fill(NIL);
  raw.forEach((r, k) => {
    const e = k + 1;
    ev.op[e] = r.op;
    ev.isCall[e] = r.isCall ? 1 : 0;
    if (r.isCall) callOf[r.op] = e;
    else ev.match[callOf[r.op] as number] = e;
  });
  for (let e = 0; e < size; e++) {
    ev.prev[e] = e - 1;
    ev.next[e] = e + 1 < size ? e + 1 : NIL;
  }
  ev.op[HEAD] = NIL;
  return ev;
}

function unlink(ev: Events, e: number): void {
  const p = ev.prev[e] as number;
  const n = ev.next[e] as number;
  ev.next[p] = n;
  if (n !== NIL) ev.prev[n] = p;
}

function relink(ev: Events, e: number): void {
  const p = ev.prev[e] as number;
  const n = ev.next[e] as number;
  ev.next[p] = e;
  if (n !== NIL) ev.prev[n] = e;
}

/** Remove an operation (its call, and its return if any) from the list. */
function lift(ev: Events, call: number): void {
  unlink(ev, call);
  const ret = ev.match[call] as number;
  if (ret !== NIL) unlink(ev, ret);
}

/** Undo `lift` (links are restored in reverse order of removal). */
function unlift(ev: Events, call: number): void {
  const ret = ev.match[call] as number;
  if (ret !== NIL) relink(ev, ret);
  relink(ev, call);
}

class Bits {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32) + 1);
  }
  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) | (1 << (i & 31));
  }
  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) & ~(1 << (i & 31));
  }
  key(): string {
    let s = '';
    for (const w of this.words) s += w.toString(36) + '.';
    return s;
  }
}

/** Shared step counter and deadline across the partitions of one check. */
export class Meter {
  steps = 0;
  private readonly deadline: number;
  constructor(private readonly budget: CheckBudget) {
    const timeoutMs = budget.timeoutMs;
    this.deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  }
  /** Count one step; false when the budget is spent. */
  tick(): boolean {
    this.steps += 1;
    if (this.steps > (this.budget.maxSteps ?? Infinity)) return false;
    if (this.steps % BUDGET_CHECK_EVERY_STEPS !== 0) return true;
    return performance.now() < this.deadline;
  }
}

export type PartitionOutcome =
  | { kind: 'linearizable' }
  | { kind: 'not-linearizable'; longestPrefix: number[] }
  | { kind: 'unknown' };

type Frame<S> = { call: number; state: S };

/** Search one partition. `longestPrefix` holds operation indices in linearization order. */
export function checkPartition<S, I, O>(
  model: SequentialModel<S, I, O>,
  ops: History<I, O>,
  meter: Meter,
): PartitionOutcome {
  const ev = buildEvents(ops);
  const stateKey = model.stateKey ?? ((s: S) => JSON.stringify(s));
  const bits = new Bits(ops.length);
  const seen = new Set<string>();
  const stack: Frame<S>[] = [];
  let best: number[] = [];
  let remaining = ops.filter((o) => o.returnAt !== undefined).length;
  let state = model.init();
  let entry = ev.next[HEAD] as number;
  for (;;) {
    if (remaining === 0) return { kind: 'linearizable' };
    if (!meter.tick()) return { kind: 'unknown' };
    if (entry !== NIL && ev.isCall[entry] === 1) {
      const i = ev.op[entry] as number;
      const op = ops[i] as Operation<I, O>;
      const pending = op.returnAt === undefined;
      const r = model.step(state, op.input, pending ? undefined : op.output);
      if (r.ok) {
        bits.set(i);
        const key = `${bits.key()}|${stateKey(r.state)}`;
        if (!seen.has(key)) {
          seen.add(key);
          stack.push({ call: entry, state });
          state = r.state;
          lift(ev, entry);
          if (!pending) remaining -= 1;
          if (stack.length > best.length) best = stack.map((f) => ev.op[f.call] as number);
          entry = ev.next[HEAD] as number;
          continue;
        }
        bits.clear(i);
      }
      entry = ev.next[entry] as number;
      continue;
    }
    // A return of an unlinearized operation (or the end of the list): backtrack.
    const top = stack.pop();
    if (top === undefined) return { kind: 'not-linearizable', longestPrefix: best };
    const i = ev.op[top.call] as number;
    bits.clear(i);
    unlift(ev, top.call);
    if ((ops[i] as Operation<I, O>).returnAt !== undefined) remaining += 1;
    state = top.state;
    entry = ev.next[top.call] as number;
  }
}
