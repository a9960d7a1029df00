/**
 * A pure, deterministic composition of frontends (one per request), worker managers, the
 * per-tenant limiter, the failure store and credential minting, mirroring
 * spec/sandbox-reuse/SandboxReuse.tla action by action: same names, parameters and guards.
 * Random walks, graph replay and trace validation drive the real cores through it. The cores a
 * bug of the sheet touches are called through `steps`, so a test can replace one.
 *
 * The Release message: in warm mode a request ends at its frontend (Complete / Fail / Timeout)
 * and the sandbox's worker manager learns it only from the frontend's Release message, so the
 * composition keeps the message in flight (`releasing`) until the spec's `Release(s)` step
 * hands it to the worker manager (`steps.release`). In single-use mode the sandbox goes
 * straight to Resetting in the frontend's step, as in the spec (see AfterRun there).
 */
import * as fe from './frontend.ts';
import type { RequestState } from './frontend.ts';
import * as wm from './worker-manager.ts';
import type { WorkerState } from './worker-manager.ts';
import * as lim from './limiter.ts';
import * as fs from './failure-store.ts';
import {
  credentialId, mintCredential, revoke, type RevocationList, type ScopedCredential,
} from './credential.ts';
import { nextPlacementStep } from './placement.ts';
import type { Kind, Outcome } from './messages.ts';

export interface ClusterConfig {
  readonly workers: readonly string[];
  readonly capacity: number;
  readonly requests: readonly string[];
  readonly fn: string;
  readonly versions: readonly number[];
  readonly tenants: readonly string[];
  readonly maxProbes: number;
  readonly maxRetries: number;
  readonly maxRedrives: number;
  readonly singleUse: boolean;
  readonly limitFloor: number;
  readonly limitMax: number;
  /** HMAC key of scoped credentials (>= 32 bytes) and the scope they grant. */
  readonly key: Uint8Array;
  readonly scope: string;
  /** Credential lifetime; the cluster's clock advances by 1 ms per action. */
  readonly timeoutMs: number;
}

/** The cores a bug of the sheet touches; defaults are the real functions. */
export interface Steps {
  /** Placement policy (bug 5: no threshold). */
  readonly place: fe.PlaceFn;
  /** Worker manager acquire (bug 1: not atomic). */
  readonly acquire: typeof wm.acquire;
  /** Which sandbox may serve which kind (bug 2: function name only). */
  readonly match: wm.MatchFn;
  /** End of a run at the worker manager (bug 3: no reset on the error path). */
  readonly release: typeof wm.release;
  /** Revocation of the request's credentials at the end of a run (bug 4: not on timeout). */
  readonly revokeOnEnd: (revoked: RevocationList, creds: readonly ScopedCredential[],
    outcome: Outcome) => RevocationList;
  /** Limiter on a failed attempt (bug 6: released although the request retries). */
  readonly onAttemptFailed: (l: lim.LimiterState, tenant: string, request: string,
    retry: boolean) => lim.LimiterState;
}

export const realSteps: Steps = {
  place: nextPlacementStep,
  acquire: wm.acquire,
  match: wm.matchesKind,
  release: wm.release,
  revokeOnEnd: (revoked, creds) => creds.reduce((l, c) => revoke(l, c), revoked),
  onAttemptFailed: (l, tenant, request, retry) => (retry ? l : releaseOnce(l, tenant, request)),
};

/** The spec's saturating Dec: a second release of one admission changes nothing. */
export function releaseOnce(l: lim.LimiterState, tenant: string, request: string):
  lim.LimiterState {
  const r = lim.release(l, tenant, request);
  return r.ok ? r.state : l;
}

/** A Release message in flight from a frontend to the sandbox's worker manager. */
export interface PendingRelease {
  readonly request: string;
  readonly outcome: Outcome;
}

export interface Cluster {
  readonly config: ClusterConfig;
  readonly steps: Steps;
  readonly workers: Readonly<Record<string, WorkerState>>;
  readonly requests: Readonly<Record<string, RequestState>>;
  readonly limiter: lim.LimiterState;
  readonly store: fs.FailureStoreState;
  /** Every credential minted, in order; valid = not revoked (the spec's creds). */
  readonly minted: readonly ScopedCredential[];
  readonly revoked: RevocationList;
  readonly clockMs: number;
  /** Ghost: completions per request. */
  readonly completions: Readonly<Record<string, number>>;
  /** Warm mode: Release messages in flight, by sandbox id (the spec's Releasing sandboxes). */
  readonly releasing: Readonly<Record<string, PendingRelease>>;
}

export type ClusterAction =
  | { action: 'Accept'; params: { r: string; k: Kind }; label: string }
  | { action: 'Sticky'; params: { r: string; s: string }; label: string }
  | { action: 'Probe'; params: { r: string; w: string; s: string | null }; label: string }
  | { action: 'Provision'; params: { r: string; w: string; s: string | null }; label: string }
  | { action: 'Throttle'; params: { r: string }; label: string }
  | { action: 'Ready'; params: { s: string }; label: string }
  | { action: 'Start'; params: { r: string }; label: string }
  | { action: 'Complete'; params: { r: string }; label: string }
  | { action: 'Fail'; params: { r: string }; label: string }
  | { action: 'Timeout'; params: { r: string }; label: string }
  | { action: 'Redrive'; params: { r: string }; label: string }
  | { action: 'Release'; params: { s: string }; label: string }
  | { action: 'Reset'; params: { s: string }; label: string }
  | { action: 'Reclaim'; params: { s: string }; label: string }
  | { action: 'AdjustLimit'; params: { t: string; n: number }; label: string };
export type ActionName = ClusterAction['action'];

export const ACTION_NAMES: readonly ActionName[] = [
  'Accept', 'Sticky', 'Probe', 'Provision', 'Throttle', 'Ready', 'Start', 'Complete', 'Fail',
  'Timeout', 'Redrive', 'Release', 'Reset', 'Reclaim', 'AdjustLimit',
];

/** The spec's Kinds: [fn : {Fn}, ver : Versions, tenant : Tenants]. */
export function kindsOf(c: ClusterConfig): Kind[] {
  return c.versions.flatMap((version) =>
    c.tenants.map((tenant) => ({ fn: c.fn, version, tenant })));
}
export const describeKind = (k: Kind): string => `${k.fn}/${k.version}/${k.tenant}`;

export function initCluster(config: ClusterConfig, steps: Partial<Steps> = {}): Cluster {
  const byId = <T>(ids: readonly string[], f: (id: string) => T): Record<string, T> =>
    Object.fromEntries(ids.map((id) => [id, f(id)]));
  return {
    config,
    steps: { ...realSteps, ...steps },
    workers: byId(config.workers, (id) =>
      wm.initWorker({ id, capacity: config.capacity, singleUse: config.singleUse })),
    requests: byId(config.requests, fe.newRequest),
    limiter: lim.initLimiter({ floor: config.limitFloor, max: config.limitMax }, config.tenants),
    store: fs.initFailureStore(Math.max(1, config.requests.length)),
    minted: [],
    revoked: new Set(),
    clockMs: 0,
    completions: byId(config.requests, () => 0),
    releasing: {},
  };
}

export function get<T>(rec: Readonly<Record<string, T>>, id: string): T {
  const v = rec[id];
  if (v === undefined) throw new Error(`assertion: unknown id ${id}`);
  return v;
}
export const reqOf = (c: Cluster, r: string): RequestState => get(c.requests, r);
export const workerOf = (c: Cluster, w: string): WorkerState => get(c.workers, w);
export function sandboxOf(c: Cluster, s: string): wm.WorkerState['sandboxes'][number] {
  const sb = wm.sandboxOf(workerOf(c, fe.workerOfSandbox(s)), s);
  if (sb === undefined) throw new Error(`assertion: unknown sandbox ${s}`);
  return sb;
}
export const allSandboxes = (c: Cluster): wm.WorkerState['sandboxes'][number][] =>
  c.config.workers.flatMap((w) => workerOf(c, w).sandboxes);
export const tenantOfRequest = (c: Cluster, r: string): string => {
  const k = reqOf(c, r).kind;
  if (k === null) throw new Error(`assertion: ${r} has no kind`);
  return k.tenant;
};
/** The credentials minted and not revoked (the spec's creds). */
export const validCredentials = (c: Cluster): ScopedCredential[] =>
  c.minted.filter((m) => !c.revoked.has(credentialId(m)));

// ---------------------------------------------------------------------------------------------
// Enabled actions: the spec's guards; where the spec chooses (\E s, \E w), the cores are asked
// for every choice they could make.

/** Every answer the driver's randomness could draw from `f`: f(() => i) for i in [0, n). */
function everyChoice<T>(f: (pick: (n: number) => number) => T): T[] {
  let n = 1;
  const first = f((m) => {
    n = m;
    return 0;
  });
  const out = [first];
  for (let i = 1; i < n; i++) out.push(f(() => i));
  return out;
}

function placementActions(c: Cluster, r: RequestState): ClusterAction[] {
  const kind = r.kind;
  if (kind === null) throw new Error(`assertion: ${r.id} placing without kind`);
  const { workers, maxProbes } = c.config;
  const steps = everyChoice((pick) => c.steps.place({ workers, asked: r.asked, maxProbes }, pick));
  const out: ClusterAction[] = [];
  for (const step of steps) {
    if (step.kind === 'throttle') {
      if (!out.some((a) => a.action === 'Throttle')) {
        out.push({ action: 'Throttle', params: { r: r.id }, label: `Throttle(${r.id})` });
      }
      continue;
    }
    const action = step.kind === 'probe' ? 'Probe' : 'Provision';
    const w = step.worker;
    const answers = everyChoice((pick) =>
      c.steps.acquire(workerOf(c, w), r.id, kind, step.kind, pick, c.steps.match).result);
    for (const a of answers) {
      const s = a.outcome === 'miss' ? null : a.sandbox;
      const label = `${action}(${r.id}, ${w}, ${s ?? 'miss'})`;
      if (out.some((x) => x.label === label)) continue;
      out.push({ action, params: { r: r.id, w, s }, label });
    }
  }
  return out;
}

function requestActions(c: Cluster, r: RequestState): ClusterAction[] {
  const id = r.id;
  switch (r.phase) {
    case 'new':
      return kindsOf(c.config).map((k) => ({ action: 'Accept', params: { r: id, k },
        label: `Accept(${id}, ${describeKind(k)})` }));
    case 'placing': {
      const sticky: ClusterAction[] = r.asked.length > 0 ? [] : allSandboxes(c)
        .filter((s) => s.phase === 'Idle' && r.kind !== null && c.steps.match(s.kind, r.kind))
        .map((s) => ({ action: 'Sticky', params: { r: id, s: s.id },
          label: `Sticky(${id}, ${s.id})` }));
      return [...sticky, ...placementActions(c, r)];
    }
    case 'acquired':
      return r.sandbox !== null && sandboxOf(c, r.sandbox).phase === 'Busy'
        ? [{ action: 'Start', params: { r: id }, label: `Start(${id})` }] : [];
    case 'running':
      return (['Complete', 'Fail', 'Timeout'] as const).map((action) =>
        ({ action, params: { r: id }, label: `${action}(${id})` }));
    case 'failed': {
      const t = tenantOfRequest(c, id);
      const lt = lim.tenantOf(c.limiter, t);
      const ok = fs.isStored(c.store, id) && r.redrives < c.config.maxRedrives &&
        lt.admitted.length < lt.limit;
      return ok ? [{ action: 'Redrive', params: { r: id }, label: `Redrive(${id})` }] : [];
    }
    case 'completed':
    case 'throttled':
      return [];
    default: {
      const never: never = r.phase;
      throw new Error(`assertion: unknown phase ${String(never)}`);
    }
  }
}

function upkeepActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  for (const s of Object.keys(c.releasing).sort()) {
    out.push({ action: 'Release', params: { s }, label: `Release(${s})` });
  }
  for (const s of allSandboxes(c)) {
    const params = { s: s.id };
    if (s.phase === 'Provisioning') out.push({ action: 'Ready', params, label: `Ready(${s.id})` });
    if (s.phase === 'Resetting') out.push({ action: 'Reset', params, label: `Reset(${s.id})` });
    if (s.phase === 'Idle') out.push({ action: 'Reclaim', params, label: `Reclaim(${s.id})` });
  }
  const { limitFloor, limitMax, tenants } = c.config;
  for (const t of tenants) {
    const lt = lim.tenantOf(c.limiter, t);
    for (let n = limitFloor; n <= limitMax; n++) {
      if (n !== lt.limit && n >= lt.admitted.length) {
        out.push({ action: 'AdjustLimit', params: { t, n }, label: `AdjustLimit(${t}, ${n})` });
      }
    }
  }
  return out;
}

/** Every action the spec enables in this state. */
export function enabledActions(c: Cluster): ClusterAction[] {
  const reqs = c.config.requests.flatMap((r) => requestActions(c, reqOf(c, r)));
  return [...reqs, ...upkeepActions(c)];
}

// ---------------------------------------------------------------------------------------------
// Applying an action: run the cores.

function withWorker(c: Cluster, w: WorkerState): Cluster {
  return { ...c, workers: { ...c.workers, [w.config.id]: w } };
}
function withReq(c: Cluster, r: RequestState): Cluster {
  return { ...c, requests: { ...c.requests, [r.id]: r } };
}
function unwrap<T>(o: wm.WorkerOutcome<T>): WorkerState {
  if (!o.ok) throw new Error(`assertion: ${o.error.message}`);
  return o.step.state;
}
function sandboxWorker(c: Cluster, s: string): WorkerState {
  return workerOf(c, fe.workerOfSandbox(s));
}

function doPlace(c: Cluster, a: Extract<ClusterAction, { action: 'Probe' | 'Provision' }>):
  Cluster {
  const { r, w, s } = a.params;
  const req = reqOf(c, r);
  if (req.kind === null) throw new Error('assertion: kind');
  const mode = a.action === 'Probe' ? 'probe' : 'provision';
  const pickOf = (n: number): number => {
    for (let i = 0; i < n; i++) {
      const res = c.steps.acquire(workerOf(c, w), r, req.kind!, mode, () => i, c.steps.match);
      if (res.result.outcome !== 'miss' && res.result.sandbox === s) return i;
    }
    throw new Error(`assertion: ${a.label}: no choice gives ${s}`);
  };
  const step = c.steps.acquire(workerOf(c, w), r, req.kind, mode, pickOf, c.steps.match);
  if ((step.result.outcome === 'miss') !== (s === null)) throw new Error(`assertion: ${a.label}`);
  return withReq(withWorker(c, step.state), fe.onAcquireAnswer(req, w, mode, step.result));
}

function doSticky(c: Cluster, r: string, s: string): Cluster {
  const req = { ...reqOf(c, r), sticky: s }; // r names s
  if (req.kind === null) throw new Error('assertion: kind');
  const step = wm.acquireNamed(sandboxWorker(c, s), r, req.kind, s, c.steps.match);
  if (step.result.outcome !== 'acquired') throw new Error(`assertion: Sticky(${r}, ${s})`);
  return withReq(withWorker(c, step.state), fe.onNamedAcquired(req, s));
}

function doStart(c: Cluster, r: string): Cluster {
  const req = reqOf(c, r);
  const s = req.sandbox;
  if (s === null) throw new Error('assertion: sandbox');
  const w = unwrap(wm.start(sandboxWorker(c, s), s, r));
  const cred = mintCredential(c.config.key, { request: r, sandbox: s, scope: c.config.scope,
    expiresAtMs: c.clockMs + c.config.timeoutMs });
  return { ...withReq(withWorker(c, w), fe.started(req)), minted: [...c.minted, cred] };
}

/**
 * The end of a run at the frontend, whatever the outcome: credentials revoked, and the sandbox
 * released (single-use) or its Release message sent (warm mode, handled by `Release(s)`).
 */
function endRun(c: Cluster, r: string, outcome: Outcome): Cluster {
  const s = reqOf(c, r).sandbox;
  if (s === null) throw new Error('assertion: sandbox');
  if (c.releasing[s] !== undefined) throw new Error(`assertion: ${s} released twice`);
  const mine = validCredentials(c).filter((m) => m.request === r);
  const revoked = c.steps.revokeOnEnd(c.revoked, mine, outcome);
  if (!c.config.singleUse) {
    return { ...c, revoked, releasing: { ...c.releasing, [s]: { request: r, outcome } } };
  }
  const w = unwrap(c.steps.release(sandboxWorker(c, s), s, r, outcome));
  return { ...withWorker(c, w), revoked };
}

/** The worker manager handles the Release message of sandbox `s`. */
function doRelease(c: Cluster, s: string): Cluster {
  const p = c.releasing[s];
  if (p === undefined) throw new Error(`assertion: no Release in flight for ${s}`);
  const w = unwrap(c.steps.release(sandboxWorker(c, s), s, p.request, p.outcome));
  const { [s]: _handled, ...releasing } = c.releasing;
  return { ...withWorker(c, w), releasing };
}

function doComplete(c: Cluster, r: string): Cluster {
  const ended = endRun(c, r, 'success');
  const t = tenantOfRequest(c, r);
  return {
    ...withReq(ended, fe.completed(reqOf(c, r))),
    limiter: releaseOnce(ended.limiter, t, r),
    completions: { ...c.completions, [r]: get(c.completions, r) + 1 },
  };
}

function doFail(c: Cluster, r: string, outcome: 'error' | 'timeout'): Cluster {
  const ended = endRun(c, r, outcome);
  const t = tenantOfRequest(c, r);
  const { state, retry } = fe.attemptFailed(reqOf(c, r), outcome, c.config.maxRetries);
  const limiter = c.steps.onAttemptFailed(ended.limiter, t, r, retry);
  let store = c.store;
  if (!retry) {
    const res = fs.storeFailure(store, { request: r, kind: state.kind!, error: outcome,
      attempts: state.tries + 1 });
    if (!res.ok) throw new Error(`assertion: ${res.error.message}`);
    store = res.state;
  }
  return { ...withReq(ended, state), limiter, store };
}

function doRedrive(c: Cluster, r: string): Cluster {
  const res = fs.redrive(c.store, r);
  if (!res.ok) throw new Error(`assertion: ${res.error.message}`);
  const adm = lim.admit(c.limiter, tenantOfRequest(c, r), r);
  if (!adm.admitted) throw new Error(`assertion: Redrive(${r}) not admitted`);
  return { ...withReq(c, fe.redriven(reqOf(c, r))), store: res.state, limiter: adm.state };
}

function step(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'Accept': {
      const { r, k } = a.params;
      const adm = lim.admit(c.limiter, k.tenant, r);
      return { ...withReq(c, fe.accept(reqOf(c, r), k, null, adm.admitted)), limiter: adm.state };
    }
    case 'Sticky':
      return doSticky(c, a.params.r, a.params.s);
    case 'Probe':
    case 'Provision':
      return doPlace(c, a);
    case 'Throttle': {
      const r = a.params.r;
      const limiter = releaseOnce(c.limiter, tenantOfRequest(c, r), r);
      return { ...withReq(c, fe.throttled(reqOf(c, r))), limiter };
    }
    case 'Start':
      return doStart(c, a.params.r);
    case 'Complete':
      return doComplete(c, a.params.r);
    case 'Fail':
      return doFail(c, a.params.r, 'error');
    case 'Timeout':
      return doFail(c, a.params.r, 'timeout');
    case 'Redrive':
      return doRedrive(c, a.params.r);
    default:
      return upkeep(c, a);
  }
}

function upkeep(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'Ready':
      return withWorker(c, unwrap(wm.ready(sandboxWorker(c, a.params.s), a.params.s)));
    case 'Release':
      return doRelease(c, a.params.s);
    case 'Reset':
      return withWorker(c, unwrap(wm.reset(sandboxWorker(c, a.params.s), a.params.s)));
    case 'Reclaim':
      return withWorker(c, unwrap(wm.reclaim(sandboxWorker(c, a.params.s), a.params.s)));
    case 'AdjustLimit': {
      const r = lim.setLimit(c.limiter, a.params.t, a.params.n);
      if (!r.ok) throw new Error(`assertion: ${r.error.message}`);
      return { ...c, limiter: r.state };
    }
    default:
      throw new Error(`assertion: unhandled action ${a.action}`);
  }
}

/** Applies an enabled action (applying one that is not enabled is a caller bug: throws). */
export function applyAction(c: Cluster, a: ClusterAction): Cluster {
  if (!enabledActions(c).some((b) => b.label === a.label)) {
    throw new Error(`assertion: action not enabled: ${a.label}`);
  }
  return { ...step(c, a), clockMs: c.clockMs + 1 };
}
