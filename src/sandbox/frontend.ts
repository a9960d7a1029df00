/**
 * Frontend core: one invocation's journey. Admission (by the tenant's limiter, outside), sticky
 * routing first, then the seed's placement (placement.ts) one ask at a time, the answers of
 * worker managers, the end of each attempt, retries, and the failure store. Pure: the driver
 * sends the asks, runs the request, and gives randomness and outcomes.
 */
import { nextPlacementStep, type PlacementStep, type PlacementView } from './placement.ts';
import type { AcquireResult, AcquireMode } from './worker-manager.ts';
import type { Kind } from './messages.ts';

export const REQUEST_PHASES = [
  'new', 'placing', 'acquired', 'running', 'completed', 'throttled', 'failed',
] as const;
export type RequestPhase = (typeof REQUEST_PHASES)[number];
export const ACTIVE_PHASES: readonly RequestPhase[] = ['placing', 'acquired', 'running'];
export const END_PHASES: readonly RequestPhase[] = ['completed', 'throttled', 'failed'];

export interface RequestState {
  readonly id: string;
  readonly phase: RequestPhase;
  readonly kind: Kind | null;
  /** Sticky routing: the sandbox the invocation named, or null. */
  readonly sticky: string | null;
  readonly asked: readonly string[];
  readonly probes: number;
  readonly sandbox: string | null;
  readonly tries: number;
  readonly redrives: number;
  readonly lastError: string | null;
}

export interface FrontendConfig {
  readonly workers: readonly string[];
  readonly maxProbes: number;
  readonly maxRetries: number;
}

export type PlaceFn = (view: PlacementView, randomIndex: (n: number) => number) => PlacementStep;

/** What the frontend does next for a placing request. */
export type FrontendAsk =
  | { type: 'acquire'; worker: string; mode: AcquireMode }
  | { type: 'acquireNamed'; worker: string; sandbox: string }
  | { type: 'throttle' };

export function newRequest(id: string): RequestState {
  return { id, phase: 'new', kind: null, sticky: null, asked: [], probes: 0, sandbox: null,
    tries: 0, redrives: 0, lastError: null };
}

function must(r: RequestState, phases: readonly RequestPhase[], what: string): void {
  if (!phases.includes(r.phase)) throw new Error(`assertion: ${what} of ${r.id} in ${r.phase}`);
}

/** The spec's Accept: the limiter's verdict decides placing or throttled. */
export function accept(r: RequestState, kind: Kind, sticky: string | null, admitted: boolean):
  RequestState {
  must(r, ['new'], 'accept');
  return { ...r, kind, sticky, phase: admitted ? 'placing' : 'throttled' };
}

/** The worker manager owning a sandbox id (`worker#slot`). */
export function workerOfSandbox(sandbox: string): string {
  const i = sandbox.lastIndexOf('#');
  return i <= 0 ? sandbox : sandbox.slice(0, i);
}

/** The next ask: the named sandbox first (before any placement ask), then placement. */
export function nextAsk(r: RequestState, cfg: FrontendConfig, randomIndex: (n: number) => number,
  place: PlaceFn = nextPlacementStep): FrontendAsk {
  must(r, ['placing'], 'nextAsk');
  if (r.sticky !== null && r.asked.length === 0 && r.probes === 0) {
    return { type: 'acquireNamed', worker: workerOfSandbox(r.sticky), sandbox: r.sticky };
  }
  const step = place({ workers: cfg.workers, asked: r.asked, maxProbes: cfg.maxProbes },
    randomIndex);
  switch (step.kind) {
    case 'probe':
      return { type: 'acquire', worker: step.worker, mode: 'probe' };
    case 'provision':
      return { type: 'acquire', worker: step.worker, mode: 'provision' };
    case 'throttle':
      return { type: 'throttle' };
    default: {
      const never: never = step;
      throw new Error(`assertion: unknown placement step ${JSON.stringify(never)}`);
    }
  }
}

/** A named sandbox was not available: placement proceeds as usual. */
export function stickyMissed(r: RequestState): RequestState {
  must(r, ['placing'], 'stickyMissed');
  return { ...r, sticky: null };
}

/** The answer of worker `worker` to a placement ask (probe or provision). */
export function onAcquireAnswer(r: RequestState, worker: string, mode: AcquireMode,
  result: AcquireResult): RequestState {
  must(r, ['placing'], 'onAcquireAnswer');
  const asked = r.asked.includes(worker) ? r.asked : [...r.asked, worker];
  const probes = mode === 'probe' ? r.probes + 1 : r.probes;
  switch (result.outcome) {
    case 'miss':
      return { ...r, asked, probes };
    case 'acquired':
    case 'provisioning':
      return { ...r, asked, probes, phase: 'acquired', sandbox: result.sandbox };
    default: {
      const never: never = result;
      throw new Error(`assertion: unknown answer ${JSON.stringify(never)}`);
    }
  }
}

/** The named sandbox was taken (sticky routing hit). */
export function onNamedAcquired(r: RequestState, sandbox: string): RequestState {
  must(r, ['placing'], 'onNamedAcquired');
  return { ...r, phase: 'acquired', sandbox };
}

export function throttled(r: RequestState): RequestState {
  must(r, ['placing'], 'throttle');
  return { ...r, phase: 'throttled' };
}

export function started(r: RequestState): RequestState {
  must(r, ['acquired'], 'start');
  return { ...r, phase: 'running' };
}

export function completed(r: RequestState): RequestState {
  must(r, ['running'], 'complete');
  return { ...r, phase: 'completed', sandbox: null };
}

/**
 * An attempt failed (error or timeout): retried while fewer than maxRetries retries were made
 * (placement starts over), else the request is failed and must be stored by the caller.
 */
export function attemptFailed(r: RequestState, error: string, maxRetries: number):
  { state: RequestState; retry: boolean } {
  must(r, ['running'], 'attemptFailed');
  if (r.tries < maxRetries) {
    return { retry: true, state: { ...r, phase: 'placing', sandbox: null, tries: r.tries + 1,
      asked: [], probes: 0, sticky: null, lastError: error } };
  }
  return { retry: false, state: { ...r, phase: 'failed', sandbox: null, lastError: error } };
}

/** Re-driven from the failure store and admitted again. */
export function redriven(r: RequestState): RequestState {
  must(r, ['failed'], 'redrive');
  return { ...r, phase: 'placing', tries: 0, asked: [], probes: 0, sticky: null,
    redrives: r.redrives + 1 };
}
