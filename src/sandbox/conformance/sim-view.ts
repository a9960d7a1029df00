/**
 * The node states of a simulated sandbox-reuse cluster and the `Cluster` view built from them,
 * on which the cores' `specState` and `invariants` run.
 *
 * Every spec action is one step at one node; what the spec does atomically across nodes is
 * shown by the view as done from that step on, until the other node catches up:
 *  - Probe / Provision / Sticky happen at the worker manager (the atomic acquire); until the
 *    frontend reads the answer, the view applies the answer to the request (`onAcquireAnswer`);
 *  - Start / Complete / Fail / Timeout happen at the frontend; until the worker manager handles
 *    the Run, the view applies it to the sandbox (`start`).
 * Catching up changes nothing in the view, so those steps are no spec steps.
 *
 * The Release message: in single-use mode the spec's Complete/Fail/Timeout leave the sandbox
 * Resetting, unusable in spec and code alike until the worker manager has it, so the view
 * applies the frontend's unhandled Releases (`steps.release`) and the worker's handling of one
 * is no spec step. In warm mode the spec's sandbox is Releasing until its worker manager
 * handles the Release (the spec's `Release(s)`, a step at the worker manager): the view lists
 * unhandled Releases in the cluster's `releasing` instead of applying them.
 */
import * as fe from '../frontend.ts';
import type { RequestState } from '../frontend.ts';
import * as wm from '../worker-manager.ts';
import type { WorkerState } from '../worker-manager.ts';
import type {
  Cluster, ClusterConfig, PendingRelease as ReleaseInFlight, Steps,
} from '../cluster.ts';
import type { FailureStoreState } from '../failure-store.ts';
import type { LimiterState } from '../limiter.ts';
import type { RevocationList, ScopedCredential } from '../credential.ts';
import type { Kind, Outcome } from '../messages.ts';
import type { SimWorld } from '../../runtime/sim/index.ts';
import type { AcquireAnswer } from './messages.ts';

export const FRONTEND_ID = 'fe';

export type AskMode = 'probe' | 'provision' | 'named';

/** What a request waits for at the frontend. */
export type Wait =
  | { type: 'ask'; askId: string; worker: string; mode: AskMode; sandbox: string | null;
      attempt: string }
  | { type: 'ready'; askId: string; worker: string; sandbox: string; attempt: string }
  | { type: 'run'; sandbox: string; attempt: string };

export interface PendingRelease {
  request: string;
  attempt: string;
  sandbox: string;
  outcome: Outcome;
}

export interface FrontendDurable {
  requests: Record<string, RequestState>;
  waits: Record<string, Wait | null>;
  limiter: LimiterState;
  store: FailureStoreState;
  minted: ScopedCredential[];
  revoked: RevocationList;
  completions: Record<string, number>;
  /** Releases sent and not yet acknowledged by the worker manager. */
  releases: PendingRelease[];
  askSeq: number;
  droppedMessages: number;
}

export interface AnsweredAsk {
  request: string;
  attempt: string;
  mode: AskMode;
  answer: AcquireAnswer;
}

export interface WorkerDurable {
  state: WorkerState;
  /** Every ask handled, by askId: a retried ask gets the same answer, not a second acquire. */
  answers: Record<string, AnsweredAsk>;
  /** The attempt each reserved sandbox is reserved for. */
  reservedFor: Record<string, string>;
  /** The attempt each sandbox executes. */
  running: Record<string, string>;
  droppedMessages: number;
}

/** All state is durable (a write-ahead log): a crash loses timers and messages only. */
export type SandboxDurable =
  | { role: 'fe'; d: FrontendDurable }
  | { role: 'wm'; d: WorkerDurable };
export type SandboxVolatile = { role: 'fe' | 'wm' };

/** Inputs: to the frontend (invoke, redrive, adjust, timeout) or to a worker manager. */
export type SandboxInput =
  | { type: 'invoke'; request: string; kind: Kind; sticky: string | null }
  | { type: 'redrive'; request: string }
  /** The limiter's AIMD adjustment (`refused`: a request was refused at the limit). */
  | { type: 'adjust'; tenant: string; refused: boolean }
  /** Request timeout now (the frontend's timer, fired early by a test). */
  | { type: 'timeout'; request: string }
  /** At a worker manager: an idle sandbox's keep-alive expires. */
  | { type: 'reclaim' }
  /** At a worker manager: an executing sandbox dies (the run ends with an error). */
  | { type: 'sandboxCrash' };

export type World = SimWorld<SandboxDurable, SandboxVolatile>;

/** Records the spec action of the step being handled (at most one per simulator step). */
export function setAction(journal: { stepAction: string | undefined }, action: string): void {
  if (journal.stepAction !== undefined) {
    throw new Error(`assertion: two spec actions in one step: ${journal.stepAction}, ${action}`);
  }
  journal.stepAction = action;
}

export const attemptOf = (r: RequestState): string => `${r.id}/${r.redrives}.${r.tries}`;

export function frontendOf(w: World): FrontendDurable {
  const d = w.node(FRONTEND_ID).durable;
  if (d.role !== 'fe') throw new Error('assertion: frontend durable');
  return d.d;
}
export function workerDurableOf(w: World, id: string): WorkerDurable {
  const d = w.node(id).durable;
  if (d.role !== 'wm') throw new Error(`assertion: worker durable of ${id}`);
  return d.d;
}

/** The frontend's request with the worker's answer to its pending ask applied. */
function requestView(r: RequestState, wait: Wait | null, world: World): RequestState {
  if (wait?.type !== 'ask') return r;
  const a = workerDurableOf(world, wait.worker).answers[wait.askId];
  if (a === undefined) return r;
  if (wait.mode === 'named') {
    return a.answer.outcome === 'miss' ? fe.stickyMissed(r) : fe.onNamedAcquired(r,
      a.answer.sandbox);
  }
  return fe.onAcquireAnswer(r, wait.worker, wait.mode, a.answer);
}

function unwrap(o: wm.WorkerOutcome<null>): WorkerState {
  if (!o.ok) throw new Error(`assertion: ${o.error.message}`);
  return o.step.state;
}

/** Starts `request` in `sandbox` unless it already ran there (the worker's Run, early). */
export function startIfNeeded(w: WorkerState, sandbox: string, request: string): WorkerState {
  const sb = wm.sandboxOf(w, sandbox);
  if (sb === undefined || sb.used.includes(request)) return w;
  return unwrap(wm.start(w, sandbox, request));
}

/**
 * The worker's state with the frontend's Runs not yet handled applied, and its Releases not yet
 * handled applied (single-use) or collected into `releasing` (warm mode).
 */
function workerView(id: string, d: WorkerDurable, front: FrontendDurable, steps: Steps,
  releasing: Record<string, ReleaseInFlight>): WorkerState {
  let w = d.state;
  const heldBy = (s: string, r: string, attempt: string): boolean => {
    const sb = wm.sandboxOf(w, s);
    return sb !== undefined && sb.phase === 'Busy' && sb.request === r &&
      d.reservedFor[s] === attempt;
  };
  for (const r of Object.values(front.requests)) {
    const wait = front.waits[r.id];
    if (r.phase !== 'running' || wait?.type !== 'run') continue;
    if (fe.workerOfSandbox(wait.sandbox) !== id) continue;
    if (heldBy(wait.sandbox, r.id, wait.attempt)) w = startIfNeeded(w, wait.sandbox, r.id);
  }
  for (const p of front.releases) {
    if (fe.workerOfSandbox(p.sandbox) !== id || !heldBy(p.sandbox, p.request, p.attempt)) continue;
    w = startIfNeeded(w, p.sandbox, p.request);
    if (w.config.singleUse) w = unwrap(steps.release(w, p.sandbox, p.request, p.outcome));
    else releasing[p.sandbox] = { request: p.request, outcome: p.outcome };
  }
  return w;
}

/** The run's state as a `Cluster`, for `specState` and `invariants`. */
export function clusterViewOf(config: ClusterConfig, steps: Steps, world: World): Cluster {
  const front = frontendOf(world);
  const requests: Record<string, RequestState> = {};
  for (const id of config.requests) {
    const r = front.requests[id];
    if (r === undefined) throw new Error(`assertion: unknown request ${id}`);
    requests[id] = requestView(r, front.waits[id] ?? null, world);
  }
  const workers: Record<string, WorkerState> = {};
  const releasing: Record<string, ReleaseInFlight> = {};
  for (const id of config.workers) {
    workers[id] = workerView(id, workerDurableOf(world, id), front, steps, releasing);
  }
  return {
    config, steps, workers, requests, limiter: front.limiter, store: front.store,
    minted: front.minted, revoked: front.revoked, clockMs: world.nowMs,
    completions: front.completions, releasing,
  };
}
