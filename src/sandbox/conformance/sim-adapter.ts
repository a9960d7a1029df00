/**
 * The sandbox-reuse cores on the deterministic simulator (src/runtime/sim): a frontend node
 * (requests, the tenants' limiter, the failure store, credential minting) and worker manager
 * nodes (sandbox slots) run the cores' step functions; their messages cross the sim's faulty
 * network (delay, loss, duplication, reordering); crashes keep all durable state; invocations,
 * re-drives, limit adjustments, keep-alive expiries and sandbox crashes are scheduled inputs;
 * provisioning, resets and executions take random time (the node's own `ctx.rng`).
 *
 * Each spec action is one step at one node (see sim-view.ts for the view that makes the
 * cross-node actions atomic). A step that is a spec action records `(action, specState)`; a
 * step that is none (an answer read, a retry, a dropped message, a crash) records nothing.
 * Lost messages are retried with the same ids; worker managers answer a retried ask with the
 * answer they gave, so an ask is acquired at most once.
 */
import * as fe from '../frontend.ts';
import * as lim from '../limiter.ts';
import * as fs from '../failure-store.ts';
import { credentialId, mintCredential } from '../credential.ts';
import { realSteps, releaseOnce } from '../cluster.ts';
import type { ClusterConfig, Steps } from '../cluster.ts';
import { invariants, specState } from '../index.ts';
import type { Outcome } from '../messages.ts';
import type {
  Effect, NodeBehavior, SimContext, SimOptions, Transition, Violation,
} from '../../runtime/sim/index.ts';
import type { ImplTrace, TlaState } from '../../tla/index.ts';
import { parseSimMessage } from './messages.ts';
import { workerBehavior } from './sim-worker.ts';
import type { AcquireAnswer, SimMessage } from './messages.ts';
import {
  attemptOf, clusterViewOf, FRONTEND_ID, setAction as setActionOf,
} from './sim-view.ts';
import type {
  FrontendDurable, SandboxDurable, SandboxInput, SandboxVolatile, Wait, World,
} from './sim-view.ts';

export interface SandboxSimConfig {
  cluster: ClusterConfig;
  /** Test-side replacements of the cores' steps (bug injection); defaults: `realSteps`. */
  steps?: Partial<Steps>;
  /** Record `(action, specState)` per spec step into `journal.trace`. */
  record?: boolean;
  /** Resend unanswered asks, runs and releases every retryMs (default 15). */
  retryMs?: number;
  /** Longest provisioning, reset and execution (defaults 20, 20, 80 ms). */
  provisionMsMax?: number;
  resetMsMax?: number;
  execMsMax?: number;
  /** Share of executions that end with an error (default 0.3). */
  errorRate?: number;
  /** Check the cores' invariants after every step (default true). */
  checkInvariants?: boolean;
  /** Extra checks on the run after every step (e.g. canary secrets). */
  extraChecks?: (run: SandboxRun) => Violation[];
}

export interface Journal {
  /** The spec action of the step being handled (set by handlers, read by onStep). */
  stepAction: string | undefined;
  steps: number;
  actions: Record<string, number>;
  trace: ImplTrace | undefined;
}

type Msg = SimMessage;
type Behavior = NodeBehavior<Msg, SandboxDurable, SandboxVolatile, SandboxInput>;
type T = Transition<Msg, SandboxDurable, SandboxVolatile>;

/** One run's behaviour, journal and sim options; build a fresh one per run. */
export interface SandboxRun {
  readonly config: SandboxSimConfig;
  readonly steps: Steps;
  readonly journal: Journal;
  readonly nodes: string[];
  readonly options: SimOptions<Msg, SandboxDurable, SandboxVolatile, SandboxInput>;
  world: World | undefined;
}

const setAction = (run: SandboxRun, action: string): void =>
  setActionOf(run.journal, action);

const send = (to: string, msg: Msg): Effect<Msg> => ({ type: 'send', to, msg });
const pickOf = (ctx: SimContext) => (n: number): number => ctx.rng.int(0, n - 1);

// ---- the frontend ---------------------------------------------------------------------------

/** One frontend handler call: a private copy of the durable state and the effects so far. */
interface FeCall {
  run: SandboxRun;
  ctx: SimContext;
  f: FrontendDurable;
  out: Effect<Msg>[];
}

function feCall(run: SandboxRun, d: SandboxDurable, ctx: SimContext): FeCall {
  if (d.role !== 'fe') throw new Error('assertion: frontend durable');
  const f: FrontendDurable = { ...d.d, requests: { ...d.d.requests }, waits: { ...d.d.waits },
    completions: { ...d.d.completions }, releases: [...d.d.releases] };
  return { run, ctx, f, out: [] };
}
function feDone(c: FeCall): T {
  return { durable: { role: 'fe', d: c.f }, effects: c.out };
}
function req(c: FeCall, r: string): fe.RequestState {
  const x = c.f.requests[r];
  if (x === undefined) throw new Error(`assertion: unknown request ${r}`);
  return x;
}
const tenantOf = (x: fe.RequestState): string => {
  if (x.kind === null) throw new Error(`assertion: ${x.id} has no kind`);
  return x.kind.tenant;
};

function armRetry(c: FeCall): void {
  const armed = c.run.world?.node(FRONTEND_ID).timerNames().includes('retry') ?? false;
  if (!armed) c.out.push({ type: 'setTimer', name: 'retry', afterMs: c.run.config.retryMs ?? 15 });
}

function askMessage(c: FeCall, r: string, wait: Extract<Wait, { type: 'ask' | 'ready' }>): Msg {
  const x = req(c, r);
  if (x.kind === null) throw new Error('assertion: kind');
  const mode = wait.type === 'ask' ? wait.mode : 'provision';
  const sandbox = wait.type === 'ask' ? wait.sandbox : null;
  return { type: 'Acquire', askId: wait.askId, request: r, attempt: wait.attempt, kind: x.kind,
    mode, sandbox };
}

/** The request's next placement ask, or the spec's Throttle when every worker was asked. */
function nextStep(c: FeCall, r: string): void {
  const x = req(c, r);
  const { workers, maxProbes, maxRetries } = c.run.config.cluster;
  const ask = fe.nextAsk(x, { workers, maxProbes, maxRetries }, pickOf(c.ctx), c.run.steps.place);
  if (ask.type === 'throttle') {
    c.f.limiter = releaseOnce(c.f.limiter, tenantOf(x), r);
    c.f.requests[r] = fe.throttled(x);
    c.f.waits[r] = null;
    setAction(c.run, 'Throttle');
    return;
  }
  const named = ask.type === 'acquireNamed';
  const wait: Wait = { type: 'ask', askId: `a${c.f.askSeq}`, worker: ask.worker,
    mode: named ? 'named' : ask.mode, sandbox: named ? ask.sandbox : null,
    attempt: attemptOf(x) };
  c.f.askSeq += 1;
  c.f.waits[r] = wait;
  c.out.push(send(ask.worker, askMessage(c, r, wait)));
  armRetry(c);
}

/** The spec's Start: a credential scoped to (request, sandbox) is minted and sent with Run. */
function doStart(c: FeCall, r: string): void {
  const x = req(c, r);
  const s = x.sandbox;
  if (s === null) throw new Error('assertion: start without sandbox');
  const { key, scope, timeoutMs } = c.run.config.cluster;
  const credential = mintCredential(key, { request: r, sandbox: s, scope,
    expiresAtMs: c.ctx.nowMs + 2 * timeoutMs });
  const attempt = attemptOf(x);
  c.f.requests[r] = fe.started(x);
  c.f.minted = [...c.f.minted, credential];
  c.f.waits[r] = { type: 'run', sandbox: s, attempt };
  c.out.push(send(fe.workerOfSandbox(s), { type: 'Run', request: r, attempt, sandbox: s,
    credential }));
  c.out.push({ type: 'setTimer', name: `timeout:${r}`, afterMs: timeoutMs });
  armRetry(c);
  setAction(c.run, 'Start');
}

/** The end of a run (Complete, Fail or Timeout): revoke, release, limiter, store, retry. */
function endRun(c: FeCall, r: string, outcome: Outcome): void {
  const x = req(c, r);
  const wait = c.f.waits[r];
  if (x.phase !== 'running' || wait?.type !== 'run') throw new Error('assertion: end of no run');
  const steps = c.run.steps;
  const mine = c.f.minted.filter((m) => m.request === r && !c.f.revoked.has(credentialId(m)));
  c.f.revoked = steps.revokeOnEnd(c.f.revoked, mine, outcome);
  const release = { request: r, attempt: wait.attempt, sandbox: wait.sandbox, outcome };
  c.f.releases.push(release);
  c.out.push(send(fe.workerOfSandbox(wait.sandbox), { type: 'Release', ...release }));
  c.out.push({ type: 'cancelTimer', name: `timeout:${r}` });
  armRetry(c);
  c.f.waits[r] = null;
  if (outcome === 'success') {
    c.f.requests[r] = fe.completed(x);
    c.f.limiter = releaseOnce(c.f.limiter, tenantOf(x), r);
    c.f.completions[r] = (c.f.completions[r] ?? 0) + 1;
    setAction(c.run, 'Complete');
    return;
  }
  const { state, retry } = fe.attemptFailed(x, outcome, c.run.config.cluster.maxRetries);
  c.f.limiter = steps.onAttemptFailed(c.f.limiter, tenantOf(x), r, retry);
  c.f.requests[r] = state;
  setAction(c.run, outcome === 'error' ? 'Fail' : 'Timeout');
  if (retry) {
    nextStep(c, r);
    return;
  }
  const stored = fs.storeFailure(c.f.store, { request: r, kind: state.kind!, error: outcome,
    attempts: state.tries + 1 });
  if (!stored.ok) throw new Error(`assertion: ${stored.error.message}`);
  c.f.store = stored.state;
}

function onAcquireReply(c: FeCall, m: Extract<Msg, { type: 'AcquireReply' }>): void {
  const r = m.request;
  const wait = c.f.waits[r];
  const x = req(c, r);
  if (wait?.type === 'ready' && wait.askId === m.askId) {
    if (m.answer.outcome === 'acquired') doStart(c, r);
    return;
  }
  if (wait?.type !== 'ask' || wait.askId !== m.askId) return; // stale or duplicate
  c.f.waits[r] = null;
  const a: AcquireAnswer = m.answer;
  if (wait.mode === 'named') {
    if (a.outcome === 'miss') {
      c.f.requests[r] = fe.stickyMissed(x);
      nextStep(c, r);
      return;
    }
    c.f.requests[r] = fe.onNamedAcquired(x, a.sandbox);
    doStart(c, r);
    return;
  }
  c.f.requests[r] = fe.onAcquireAnswer(x, wait.worker, wait.mode, a);
  if (a.outcome === 'miss') nextStep(c, r);
  else if (a.outcome === 'acquired') doStart(c, r);
  else c.f.waits[r] = { type: 'ready', askId: wait.askId, worker: wait.worker,
    sandbox: a.sandbox, attempt: wait.attempt };
}

function feOnMessage(c: FeCall, m: Msg): void {
  switch (m.type) {
    case 'AcquireReply':
      onAcquireReply(c, m);
      return;
    case 'SandboxReady': {
      const wait = c.f.waits[m.request];
      if (wait?.type === 'ready' && wait.sandbox === m.sandbox && wait.attempt === m.attempt) {
        doStart(c, m.request);
      }
      return;
    }
    case 'Result': {
      const wait = c.f.waits[m.request];
      if (wait?.type === 'run' && wait.sandbox === m.sandbox && wait.attempt === m.attempt) {
        endRun(c, m.request, m.outcome);
      }
      return;
    }
    case 'ReleaseAck':
      c.f.releases = c.f.releases.filter((p) => !(p.request === m.request &&
        p.attempt === m.attempt && p.sandbox === m.sandbox));
      return;
    case 'Acquire':
    case 'Run':
    case 'Release':
      c.f.droppedMessages += 1;
      return;
    default: {
      const never: never = m;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

/** Resends every unanswered ask, Run and Release (same ids: receivers deduplicate). */
function feRetry(c: FeCall): void {
  let waiting = c.f.releases.length > 0;
  for (const p of c.f.releases) {
    c.out.push(send(fe.workerOfSandbox(p.sandbox), { type: 'Release', ...p }));
  }
  for (const [r, wait] of Object.entries(c.f.waits)) {
    if (wait === null) continue;
    waiting = true;
    if (wait.type !== 'run') {
      c.out.push(send(wait.worker, askMessage(c, r, wait)));
      continue;
    }
    const credential = c.f.minted.findLast((m) => m.request === r);
    if (credential === undefined) throw new Error('assertion: running without credential');
    c.out.push(send(fe.workerOfSandbox(wait.sandbox), { type: 'Run', request: r,
      attempt: wait.attempt, sandbox: wait.sandbox, credential }));
  }
  if (waiting) c.out.push({ type: 'setTimer', name: 'retry', afterMs: c.run.config.retryMs ?? 15 });
}

function feOnInput(c: FeCall, input: SandboxInput): void {
  const cfg = c.run.config.cluster;
  switch (input.type) {
    case 'invoke': {
      const x = req(c, input.request);
      if (x.phase !== 'new') return;
      const adm = lim.admit(c.f.limiter, input.kind.tenant, x.id);
      c.f.limiter = adm.state;
      c.f.requests[x.id] = fe.accept(x, input.kind, input.sticky, adm.admitted);
      setAction(c.run, 'Accept');
      if (adm.admitted) nextStep(c, x.id);
      return;
    }
    case 'redrive': {
      const x = req(c, input.request);
      if (x.phase !== 'failed' || x.redrives >= cfg.maxRedrives) return;
      const t = lim.tenantOf(c.f.limiter, tenantOf(x));
      if (t.admitted.length >= t.limit) return;
      const out = fs.redrive(c.f.store, x.id);
      if (!out.ok) return;
      const adm = lim.admit(c.f.limiter, tenantOf(x), x.id);
      if (!adm.admitted) throw new Error('assertion: redrive not admitted');
      c.f.store = out.state;
      c.f.limiter = adm.state;
      c.f.requests[x.id] = fe.redriven(x);
      setAction(c.run, 'Redrive');
      nextStep(c, x.id);
      return;
    }
    case 'adjust': {
      const next = lim.adjust(c.f.limiter, input.tenant, input.refused);
      if (next === c.f.limiter) return;
      c.f.limiter = next;
      setAction(c.run, 'AdjustLimit');
      return;
    }
    case 'timeout':
      feOnTimer(c, `timeout:${input.request}`);
      return;
    case 'reclaim':
    case 'sandboxCrash':
      return;
    default: {
      const never: never = input;
      throw new Error(`assertion: unknown input ${JSON.stringify(never)}`);
    }
  }
}

function feOnTimer(c: FeCall, name: string): void {
  if (name === 'retry') {
    feRetry(c);
    return;
  }
  if (!name.startsWith('timeout:')) return;
  const r = name.slice('timeout:'.length);
  if (req(c, r).phase === 'running' && c.f.waits[r]?.type === 'run') endRun(c, r, 'timeout');
}

function feInit(cfg: ClusterConfig): FrontendDurable {
  const by = <V>(f: (id: string) => V): Record<string, V> =>
    Object.fromEntries(cfg.requests.map((id) => [id, f(id)]));
  return {
    requests: by(fe.newRequest), waits: by(() => null),
    limiter: lim.initLimiter({ floor: cfg.limitFloor, max: cfg.limitMax }, cfg.tenants),
    store: fs.initFailureStore(Math.max(1, cfg.requests.length)), minted: [],
    revoked: new Set(), completions: by(() => 0), releases: [], askSeq: 0, droppedMessages: 0,
  };
}

function feRecoverEffects(run: SandboxRun, f: FrontendDurable): Effect<Msg>[] {
  const out: Effect<Msg>[] = [];
  const waiting = f.releases.length > 0 || Object.values(f.waits).some((w) => w !== null);
  if (waiting) out.push({ type: 'setTimer', name: 'retry', afterMs: run.config.retryMs ?? 15 });
  for (const r of Object.values(f.requests)) {
    if (r.phase === 'running') {
      out.push({ type: 'setTimer', name: `timeout:${r.id}`,
        afterMs: run.config.cluster.timeoutMs });
    }
  }
  return out;
}

// ---- the behaviour --------------------------------------------------------------------------

function behaviorFor(run: SandboxRun): Behavior {
  const cfg = run.config.cluster;
  const wk = workerBehavior(run);
  const isFe = (id: string): boolean => id === FRONTEND_ID;
  const withFe = (d: SandboxDurable, ctx: SimContext, f: (c: FeCall) => void): T => {
    const c = feCall(run, d, ctx);
    f(c);
    return feDone(c);
  };
  return {
    init: (id) => (isFe(id)
      ? { durable: { role: 'fe', d: feInit(cfg) }, volatile: { role: 'fe' } }
      : { durable: { role: 'wm', d: wk.init(id) }, volatile: { role: 'wm' } }),
    recover: (id, durable, ctx) => {
      if (durable.role === 'fe') {
        return { volatile: { role: 'fe' }, effects: feRecoverEffects(run, durable.d) };
      }
      return { volatile: { role: 'wm' }, effects: wk.recoverEffects(durable.d, ctx) };
    },
    onMessage: (node, _from, raw, ctx) => {
      const m = parseSimMessage(raw);
      if (isFe(node.id)) {
        return withFe(node.durable, ctx, (c) => {
          if (m === null) c.f.droppedMessages += 1;
          else feOnMessage(c, m);
        });
      }
      return wk.onMessage(node.id, node.durable, m, ctx);
    },
    onTimer: (node, name, ctx) => (isFe(node.id)
      ? withFe(node.durable, ctx, (c) => feOnTimer(c, name))
      : wk.onTimer(node.id, node.durable, name, ctx)),
    onInput: (node, input, ctx) => (isFe(node.id)
      ? withFe(node.durable, ctx, (c) => feOnInput(c, input))
      : wk.onInput(node.id, node.durable, input, ctx)),
  };
}

/** The cores' invariants on the run's view, then the run's extra checks. */
export function checkRun(run: SandboxRun, world: World): Violation[] {
  const view = clusterViewOf(run.config.cluster, run.steps, world);
  const out: Violation[] = [];
  for (const [name, holds] of Object.entries(invariants)) {
    if (run.config.checkInvariants !== false && !holds(view)) out.push({ name });
  }
  out.push(...(run.config.extraChecks?.(run) ?? []));
  return out;
}

/** The run's current spec state. */
export function specStateOf(run: SandboxRun, world: World): TlaState {
  return specState(clusterViewOf(run.config.cluster, run.steps, world));
}

/** Builds one run: a fresh journal, the behaviour and the sim options (invariants, recorder). */
export function sandboxRun(
  config: SandboxSimConfig,
  sim: Omit<SimOptions<Msg, SandboxDurable, SandboxVolatile, SandboxInput>,
    'nodes' | 'behavior' | 'invariants' | 'onInit' | 'onStep'> = {},
): SandboxRun {
  const nodes = [FRONTEND_ID, ...config.cluster.workers];
  const journal: Journal = { stepAction: undefined, steps: 0, actions: {}, trace: undefined };
  const run: SandboxRun = {
    config, steps: { ...realSteps, ...config.steps }, journal, nodes, world: undefined,
    options: undefined as unknown as SandboxRun['options'],
  };
  const options: SandboxRun['options'] = {
    ...sim,
    nodes,
    behavior: behaviorFor(run),
    invariants: (world) => checkRun(run, world),
    onInit: (world) => {
      run.world = world;
      if (config.record) journal.trace = { init: specStateOf(run, world), steps: [] };
    },
    onStep: (_event, world) => {
      const action = journal.stepAction;
      journal.stepAction = undefined;
      journal.steps++;
      if (action === undefined) return;
      journal.actions[action] = (journal.actions[action] ?? 0) + 1;
      if (config.record && journal.trace !== undefined) {
        journal.trace.steps.push({ action, state: specStateOf(run, world) });
      }
    },
  };
  (run as { options: SandboxRun['options'] }).options = options;
  return run;
}

/** The recorded trace of a run built with `record: true`. */
export function traceOf(run: SandboxRun): ImplTrace {
  const t = run.journal.trace;
  if (t === undefined) throw new Error('assertion: the run was not recorded');
  return t;
}
