/**
 * The worker manager node of the simulated sandbox-reuse cluster: the atomic acquire (the
 * spec's Probe, Provision, Sticky), Ready and Reset when the backend finishes, Reclaim when a
 * keep-alive expires, and the execution of runs (Result after a random time, or an error when
 * the sandbox crashes). Runs and Releases of the frontend are applied idempotently: a retried
 * or stale one (of an earlier attempt) changes nothing.
 */
import * as wm from '../worker-manager.ts';
import type { WorkerState } from '../worker-manager.ts';
import { verifyCredential } from '../credential.ts';
import type { Effect, SimContext, Transition } from '../../runtime/sim/index.ts';
import type { AcquireAnswer, SimMessage } from './messages.ts';
import { FRONTEND_ID, setAction as setActionOf, startIfNeeded } from './sim-view.ts';
import type {
  AnsweredAsk, SandboxDurable, SandboxInput, SandboxVolatile, WorkerDurable,
} from './sim-view.ts';
import type { SandboxRun } from './sim-adapter.ts';

type Msg = SimMessage;
type T = Transition<Msg, SandboxDurable, SandboxVolatile>;

interface WkCall {
  id: string;
  d: WorkerDurable;
  ctx: SimContext;
  out: Effect<Msg>[];
}

const send = (to: string, msg: Msg): Effect<Msg> => ({ type: 'send', to, msg });

const setAction = (run: SandboxRun, action: string): void =>
  setActionOf(run.journal, action);

function sandbox(w: WorkerState, id: string): wm.WorkerState['sandboxes'][number] | undefined {
  return wm.sandboxOf(w, id);
}

/** The answer to a retried ask: the sandbox's state now, if still reserved for the attempt. */
function answerNow(d: WorkerDurable, a: AnsweredAsk): AcquireAnswer {
  if (a.answer.outcome === 'miss') return a.answer;
  const s = a.answer.sandbox;
  const sb = sandbox(d.state, s);
  if (sb === undefined || d.reservedFor[s] !== a.attempt) return a.answer;
  if (sb.phase === 'Busy') return { outcome: 'acquired', sandbox: s };
  if (sb.phase === 'Provisioning') return { outcome: 'provisioning', sandbox: s };
  return a.answer;
}

function between(ctx: SimContext, maxMs: number): number {
  return ctx.rng.int(1, Math.max(1, maxMs));
}

function onAcquire(run: SandboxRun, c: WkCall, m: Extract<Msg, { type: 'Acquire' }>): void {
  const reply = (answer: AcquireAnswer): void => {
    c.out.push(send(FRONTEND_ID, { type: 'AcquireReply', askId: m.askId, request: m.request,
      worker: c.id, answer }));
  };
  const known = c.d.answers[m.askId];
  if (known !== undefined) {
    reply(answerNow(c.d, known));
    return;
  }
  const steps = run.steps;
  const pick = (n: number): number => c.ctx.rng.int(0, n - 1);
  const step = m.mode === 'named'
    ? (m.sandbox === null ? { state: c.d.state, result: { outcome: 'miss' as const }, effects: [] }
      : wm.acquireNamed(c.d.state, m.request, m.kind, m.sandbox, steps.match))
    : steps.acquire(c.d.state, m.request, m.kind, m.mode, pick, steps.match);
  const answer: AcquireAnswer = step.result;
  c.d.state = step.state;
  c.d.answers = { ...c.d.answers, [m.askId]: { request: m.request, attempt: m.attempt,
    mode: m.mode, answer } };
  if (answer.outcome !== 'miss') {
    c.d.reservedFor = { ...c.d.reservedFor, [answer.sandbox]: m.attempt };
  }
  for (const e of step.effects) {
    if (e.type === 'provision') {
      c.out.push({ type: 'setTimer', name: `ready:${e.sandbox}`,
        afterMs: between(c.ctx, run.config.provisionMsMax ?? 20) });
    }
  }
  if (m.mode === 'named') {
    if (answer.outcome !== 'miss') setAction(run, 'Sticky');
  } else {
    setAction(run, m.mode === 'probe' ? 'Probe' : 'Provision');
  }
  reply(answer);
}

function heldBy(d: WorkerDurable, s: string, r: string, attempt: string): boolean {
  const sb = sandbox(d.state, s);
  return sb !== undefined && sb.phase === 'Busy' && sb.request === r &&
    d.reservedFor[s] === attempt;
}

function onRun(run: SandboxRun, c: WkCall, m: Extract<Msg, { type: 'Run' }>): void {
  if (!heldBy(c.d, m.sandbox, m.request, m.attempt) || c.d.running[m.sandbox] !== undefined) return;
  const { key, scope } = run.config.cluster;
  const ok = verifyCredential(key, m.credential, { sandbox: m.sandbox, scope,
    nowMs: c.ctx.nowMs, revoked: new Set() }).ok && m.credential.request === m.request;
  if (!ok) return;
  c.d.state = startIfNeeded(c.d.state, m.sandbox, m.request);
  c.d.running = { ...c.d.running, [m.sandbox]: m.attempt };
  c.out.push({ type: 'setTimer', name: `exec:${m.sandbox}`,
    afterMs: between(c.ctx, run.config.execMsMax ?? 80) });
}

function onRelease(run: SandboxRun, c: WkCall, m: Extract<Msg, { type: 'Release' }>): void {
  const s = m.sandbox;
  if (heldBy(c.d, s, m.request, m.attempt)) {
    const started = startIfNeeded(c.d.state, s, m.request);
    const out = run.steps.release(started, s, m.request, m.outcome);
    if (!out.ok) throw new Error(`assertion: release: ${out.error.message}`);
    c.d.state = out.step.state;
    if (!c.d.state.config.singleUse) setAction(run, 'Release'); // Releasing -> Idle in the view
    const { [s]: _r, ...reservedFor } = c.d.reservedFor;
    const { [s]: _x, ...running } = c.d.running;
    c.d.reservedFor = reservedFor;
    c.d.running = running;
    c.out.push({ type: 'cancelTimer', name: `exec:${s}` });
    for (const e of out.step.effects) {
      if (e.type === 'reset') {
        c.out.push({ type: 'setTimer', name: `reset:${s}`,
          afterMs: between(c.ctx, run.config.resetMsMax ?? 20) });
      }
    }
  }
  c.out.push(send(FRONTEND_ID, { type: 'ReleaseAck', request: m.request, attempt: m.attempt,
    sandbox: s }));
}

function onMessage(run: SandboxRun, c: WkCall, m: Msg | null): void {
  if (m === null) {
    c.d.droppedMessages += 1;
    return;
  }
  switch (m.type) {
    case 'Acquire':
      onAcquire(run, c, m);
      return;
    case 'Run':
      onRun(run, c, m);
      return;
    case 'Release':
      onRelease(run, c, m);
      return;
    case 'AcquireReply':
    case 'SandboxReady':
    case 'Result':
    case 'ReleaseAck':
      c.d.droppedMessages += 1;
      return;
    default: {
      const never: never = m;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

function unwrap(o: wm.WorkerOutcome<null>): WorkerState {
  if (!o.ok) throw new Error(`assertion: ${o.error.message}`);
  return o.step.state;
}

/** The end of an execution: its Result goes to the frontend (the run itself stays Busy). */
function result(run: SandboxRun, c: WkCall, s: string, outcome: 'success' | 'error'): void {
  const attempt = c.d.running[s];
  const sb = sandbox(c.d.state, s);
  if (attempt === undefined || sb?.phase !== 'Busy' || sb.request === null) return;
  c.out.push(send(FRONTEND_ID, { type: 'Result', request: sb.request, attempt, sandbox: s,
    outcome }));
}

function onTimer(run: SandboxRun, c: WkCall, name: string): void {
  const colon = name.indexOf(':');
  const kind = name.slice(0, colon);
  const s = name.slice(colon + 1);
  const sb = sandbox(c.d.state, s);
  if (sb === undefined) return;
  if (kind === 'ready' && sb.phase === 'Provisioning') {
    c.d.state = unwrap(wm.ready(c.d.state, s));
    setAction(run, 'Ready');
    const attempt = c.d.reservedFor[s];
    if (sb.request !== null && attempt !== undefined) {
      c.out.push(send(FRONTEND_ID, { type: 'SandboxReady', request: sb.request, attempt,
        sandbox: s }));
    }
  } else if (kind === 'reset' && sb.phase === 'Resetting') {
    c.d.state = unwrap(wm.reset(c.d.state, s));
    setAction(run, 'Reset');
  } else if (kind === 'exec') {
    const errorRate = run.config.errorRate ?? 0.3;
    result(run, c, s, c.ctx.rng.chance(errorRate) ? 'error' : 'success');
  }
}

function onInput(run: SandboxRun, c: WkCall, input: SandboxInput): void {
  if (input.type === 'reclaim') {
    const idle = c.d.state.sandboxes.filter((s) => s.phase === 'Idle');
    if (idle.length === 0) return;
    const s = idle[c.ctx.rng.int(0, idle.length - 1)]!;
    c.d.state = unwrap(wm.reclaim(c.d.state, s.id));
    setAction(run, 'Reclaim');
    return;
  }
  if (input.type === 'sandboxCrash') {
    const running = Object.keys(c.d.running).sort();
    if (running.length === 0) return;
    const s = running[c.ctx.rng.int(0, running.length - 1)]!;
    c.out.push({ type: 'cancelTimer', name: `exec:${s}` });
    result(run, c, s, 'error');
  }
}

function recoverEffects(run: SandboxRun, d: WorkerDurable, ctx: SimContext): Effect<Msg>[] {
  const out: Effect<Msg>[] = [];
  for (const sb of d.state.sandboxes) {
    if (sb.phase === 'Provisioning') {
      out.push({ type: 'setTimer', name: `ready:${sb.id}`,
        afterMs: between(ctx, run.config.provisionMsMax ?? 20) });
    }
    if (sb.phase === 'Resetting') {
      out.push({ type: 'setTimer', name: `reset:${sb.id}`,
        afterMs: between(ctx, run.config.resetMsMax ?? 20) });
    }
    if (d.running[sb.id] !== undefined) {
      out.push({ type: 'setTimer', name: `exec:${sb.id}`,
        afterMs: between(ctx, run.config.execMsMax ?? 80) });
    }
  }
  return out;
}

/** The worker manager's handlers for one run. */
export function workerBehavior(run: SandboxRun) {
  const call = (id: string, durable: SandboxDurable, ctx: SimContext): WkCall => {
    if (durable.role !== 'wm') throw new Error(`assertion: worker durable of ${id}`);
    return { id, d: { ...durable.d }, ctx, out: [] };
  };
  const done = (c: WkCall): T => ({ durable: { role: 'wm', d: c.d }, effects: c.out });
  const cfg = run.config.cluster;
  return {
    init: (id: string): WorkerDurable => ({
      state: wm.initWorker({ id, capacity: cfg.capacity, singleUse: cfg.singleUse }),
      answers: {}, reservedFor: {}, running: {}, droppedMessages: 0,
    }),
    recoverEffects: (d: WorkerDurable, ctx: SimContext) => recoverEffects(run, d, ctx),
    onMessage: (id: string, durable: SandboxDurable, m: Msg | null, ctx: SimContext): T => {
      const c = call(id, durable, ctx);
      onMessage(run, c, m);
      return done(c);
    },
    onTimer: (id: string, durable: SandboxDurable, name: string, ctx: SimContext): T => {
      const c = call(id, durable, ctx);
      onTimer(run, c, name);
      return done(c);
    },
    onInput: (id: string, durable: SandboxDurable, input: SandboxInput, ctx: SimContext): T => {
      const c = call(id, durable, ctx);
      onInput(run, c, input);
      return done(c);
    },
  };
}
