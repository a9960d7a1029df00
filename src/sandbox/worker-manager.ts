/**
 * Worker manager core: owns `capacity` sandbox slots. `acquire` takes an idle sandbox of the
 * request's kind atomically (check and take in one step), or in 'provision' mode provisions one
 * in a free slot; release, reset, ready and reclaim drive the lifecycle. Effects tell the
 * driver what to do with real sandboxes (spawn, reset, destroy). Which idle sandbox or free slot
 * is used is the driver's choice (`pickIndex`), so the spec's nondeterminism stays outside.
 */
import * as life from './lifecycle.ts';
import type { Sandbox } from './lifecycle.ts';
import {
  sameKind, type Acquire, type AcquireReply, type Kind, type Outcome,
} from './messages.ts';

export interface WorkerConfig {
  readonly id: string;
  readonly capacity: number;
  readonly singleUse: boolean;
}
export interface WorkerState {
  readonly config: WorkerConfig;
  readonly sandboxes: readonly Sandbox[];
}

export type WorkerEffect =
  | { type: 'provision'; sandbox: string; kind: Kind }
  | { type: 'reset'; sandbox: string }
  | { type: 'destroy'; sandbox: string };

export type AcquireMode = 'probe' | 'provision';
export type AcquireResult =
  | { outcome: 'acquired'; sandbox: string }
  | { outcome: 'provisioning'; sandbox: string }
  | { outcome: 'miss' };

export interface WorkerError {
  readonly code: 'bad-transition' | 'unknown-sandbox';
  readonly message: string;
}
export interface WorkerStep<R> {
  readonly state: WorkerState;
  readonly result: R;
  readonly effects: readonly WorkerEffect[];
}
export type WorkerOutcome<R> =
  | { ok: true; step: WorkerStep<R> }
  | { ok: false; error: WorkerError };

/** A sandbox of kind `have` may run a request of kind `want`: same function, version, tenant. */
export type MatchFn = (have: Kind | null, want: Kind) => boolean;
export const matchesKind: MatchFn = (have, want) => have !== null && sameKind(have, want);

export function initWorker(config: WorkerConfig): WorkerState {
  if (!Number.isInteger(config.capacity) || config.capacity < 1) {
    throw new Error(`assertion: capacity must be a positive integer, got ${config.capacity}`);
  }
  const sandboxes = Array.from({ length: config.capacity }, (_, i) =>
    life.freeSandbox(config.id, i + 1));
  return { config, sandboxes };
}

/** Idle sandboxes of `kind`, in slot order (what a probe may take). */
export function idleOf(w: WorkerState, kind: Kind, match: MatchFn = matchesKind): Sandbox[] {
  return w.sandboxes.filter((s) => s.phase === 'Idle' && match(s.kind, kind));
}
export function freeSlots(w: WorkerState): Sandbox[] {
  return w.sandboxes.filter((s) => s.phase === 'Free');
}
export function sandboxOf(w: WorkerState, id: string): Sandbox | undefined {
  return w.sandboxes.find((s) => s.id === id);
}

function replace(w: WorkerState, sb: Sandbox): WorkerState {
  return { ...w, sandboxes: w.sandboxes.map((s) => (s.id === sb.id ? sb : s)) };
}
function pick<T>(items: readonly T[], pickIndex: (n: number) => number): T {
  const i = pickIndex(items.length);
  const item = items[i];
  if (item === undefined) throw new Error(`assertion: pickIndex(${items.length}) gave ${i}`);
  return item;
}

/**
 * Atomic acquire: an idle sandbox of `kind` becomes Busy(request) in the same step that found
 * it; in 'provision' mode with none idle, a free slot starts Provisioning for the request.
 */
export function acquire(w: WorkerState, request: string, kind: Kind, mode: AcquireMode,
  pickIndex: (n: number) => number, match: MatchFn = matchesKind): WorkerStep<AcquireResult> {
  const idle = idleOf(w, kind, match);
  if (idle.length > 0) {
    const r = life.reserve(pick(idle, pickIndex), request);
    if (!r.ok) throw new Error(`assertion: ${r.error.message}`);
    return { state: replace(w, r.sandbox), result: { outcome: 'acquired', sandbox: r.sandbox.id },
      effects: [] };
  }
  const free = freeSlots(w);
  if (mode === 'probe' || free.length === 0) return { state: w, result: { outcome: 'miss' },
    effects: [] };
  const r = life.provision(pick(free, pickIndex), kind, request);
  if (!r.ok) throw new Error(`assertion: ${r.error.message}`);
  return {
    state: replace(w, r.sandbox),
    result: { outcome: 'provisioning', sandbox: r.sandbox.id },
    effects: [{ type: 'provision', sandbox: r.sandbox.id, kind }],
  };
}

/** Sticky routing: the named sandbox, if idle and of the request's kind; else a miss. */
export function acquireNamed(w: WorkerState, request: string, kind: Kind, sandbox: string,
  match: MatchFn = matchesKind): WorkerStep<AcquireResult> {
  const sb = sandboxOf(w, sandbox);
  if (sb === undefined || sb.phase !== 'Idle' || !match(sb.kind, kind)) {
    return { state: w, result: { outcome: 'miss' }, effects: [] };
  }
  const r = life.reserve(sb, request);
  if (!r.ok) throw new Error(`assertion: ${r.error.message}`);
  return { state: replace(w, r.sandbox), result: { outcome: 'acquired', sandbox: sb.id },
    effects: [] };
}

/** Handles a parsed `Acquire` wire message: the step and the `AcquireReply` to send back. */
export function onAcquire(w: WorkerState, msg: Acquire, pickIndex: (n: number) => number,
  match: MatchFn = matchesKind): WorkerStep<AcquireReply> {
  const miss: WorkerStep<AcquireResult> = { state: w, result: { outcome: 'miss' }, effects: [] };
  const step = msg.mode !== 'named'
    ? acquire(w, msg.requestId, msg.kind, msg.mode, pickIndex, match)
    : msg.sandbox === null ? miss : acquireNamed(w, msg.requestId, msg.kind, msg.sandbox, match);
  const base = { type: 'AcquireReply' as const, requestId: msg.requestId, worker: w.config.id };
  const r = step.result;
  const reply: AcquireReply = r.outcome === 'miss' ? { ...base, outcome: 'miss' }
    : { ...base, outcome: r.outcome, sandbox: r.sandbox };
  return { state: step.state, result: reply, effects: step.effects };
}

function transition(w: WorkerState, id: string, f: (sb: Sandbox) => life.LifecycleResult,
  effects: (sb: Sandbox) => WorkerEffect[] = () => []): WorkerOutcome<null> {
  const sb = sandboxOf(w, id);
  if (sb === undefined) {
    return { ok: false, error: { code: 'unknown-sandbox', message: `no sandbox ${id}` } };
  }
  const r = f(sb);
  if (!r.ok) return { ok: false, error: r.error };
  return { ok: true, step: { state: replace(w, r.sandbox), result: null,
    effects: effects(r.sandbox) } };
}

/** The backend finished provisioning: Provisioning -> Busy for its request. */
export function ready(w: WorkerState, id: string): WorkerOutcome<null> {
  return transition(w, id, life.ready);
}
/** The request was admitted into its sandbox and starts executing. */
export function start(w: WorkerState, id: string, request: string): WorkerOutcome<null> {
  return transition(w, id, (sb) => life.start(sb, request));
}
/**
 * The request ended (success, error or timeout): in single-use mode the sandbox is reset before
 * anything else runs in it, on every outcome.
 */
export function release(w: WorkerState, id: string, request: string, outcome: Outcome):
  WorkerOutcome<null> {
  void outcome; // every outcome is treated alike: that is the point
  const singleUse = w.config.singleUse;
  return transition(w, id, (sb) => life.release(sb, request, singleUse),
    (sb) => (singleUse ? [{ type: 'reset', sandbox: sb.id }] : []));
}
/** The backend restored the sandbox: Resetting -> Idle. */
export function reset(w: WorkerState, id: string): WorkerOutcome<null> {
  return transition(w, id, life.reset);
}
/** The keep-alive of an idle sandbox expired: its slot is freed. */
export function reclaim(w: WorkerState, id: string): WorkerOutcome<null> {
  return transition(w, id, life.reclaim, (sb) => [{ type: 'destroy', sandbox: sb.id }]);
}
