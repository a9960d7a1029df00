/**
 * The fencing cores on the deterministic simulator (src/runtime/sim): one issuer node, head
 * nodes and sled nodes run the cores' step functions; their messages cross the sim's faulty
 * network; crashes, pauses and partitions come from the fault plan; client writes, reads,
 * takeovers and migrations are scheduled inputs.
 *
 * The abstraction: after every step a `Cluster` view is built from the nodes' states and a
 * per-run journal (the message set, which only grows; grants issued but not yet taken; the
 * migration; crash count; ghosts), and mapped by the cores' own `specState`; the cores'
 * `invariants` are checked on the same view. A step that is a spec action records
 * `(action, specState)`; a step that is none (a stale answer ignored, a dropped message, a
 * pause) records nothing.
 *
 * Grant is atomic in the spec (issuer counter, head credential and Fence message in one step).
 * Here the issuer grants in one step and the credential travels to the head as a message: the
 * grant step is the spec's Grant, and until the head takes the credential the view shows the
 * head as the spec does after Grant (fencing under the new epoch, its Fence in msgs); taking it
 * then changes nothing in the view. The control plane (the issuer's takeover input, the source
 * head's migrate input) checks the spec's guards against the other nodes' states, as a real
 * control plane checks whom it promotes.
 */
import {
  applyWriteBlock, clusterViewOf, emptyJournal, observeHead, observeSled,
} from './sim-view.ts';
import type { FencingDurable, FencingInput, FencingVolatile, Journal } from './sim-view.ts';
import { head, issuer, sled, invariants, specState } from '../index.ts';
import type {
  ClusterConfig, HeadState, IssuerState, Message, SledState, ClientReply,
} from '../index.ts';
import type { HeadStep } from '../head.ts';
import type { IssuerStep } from '../issuer.ts';
import type { SledStep } from '../sled.ts';
import type {
  Effect, NodeBehavior, NodeId, SimContext, SimEvent, SimOptions, SimWorld, Transition,
  Violation,
} from '../../runtime/sim/index.ts';
import type { ImplTrace, TlaState } from '../../tla/index.ts';

export { clusterViewOf } from './sim-view.ts';
export type { FencingDurable, FencingInput, FencingVolatile, Journal } from './sim-view.ts';

export const ISSUER_ID = 'issuer';

/**
 * Test-side wrappers around the cores' steps (bug injection from the test side; the cores
 * themselves stay correct). Each receives the state before and the core's step, and returns
 * the step the driver then carries out.
 */
export interface CoreHooks {
  sledStep?(before: SledState, msg: Message, step: SledStep): SledStep;
  issuerGrant?(before: IssuerState, step: IssuerStep): IssuerStep;
  /** The head's initial state (e.g. a different fence quorum). */
  headInit?(config: head.HeadConfig): HeadState;
  /** Whether the head answers a read (default: the core's `canRead`). */
  headServesRead?(state: HeadState): boolean;
}

export interface FencingSimConfig {
  cluster: ClusterConfig;
  /** Record `(action, specState)` per spec step into `journal.trace`. */
  record?: boolean;
  /** Resend Fence / pending Write every retryMs while waiting (a driver retry). */
  retryMs?: number;
  hooks?: CoreHooks;
  /** Extra checks on the view after every step (e.g. bounded liveness). */
  extraChecks?: (run: FencingRun) => Violation[];
}

type Msg = Message;
type Behavior = NodeBehavior<Msg, FencingDurable, FencingVolatile, FencingInput>;
type T = Transition<Msg, FencingDurable, FencingVolatile>;

/** One run's behaviour, journal and sim options; build a fresh one per run. */
export interface FencingRun {
  readonly config: FencingSimConfig;
  readonly journal: Journal;
  readonly nodes: NodeId[];
  readonly options: SimOptions<Msg, FencingDurable, FencingVolatile, FencingInput>;
  /** The world, set at init. */
  world: SimWorld<FencingDurable, FencingVolatile> | undefined;
}

const sends = (to: readonly string[], msg: Message): Effect<Msg>[] =>
  to.map((t) => ({ type: 'send', to: t, msg }));

function sendEffects(effects: readonly { type: string }[]): Effect<Msg>[] {
  const out: Effect<Msg>[] = [];
  for (const e of effects) {
    const s = e as { type: string; to?: string; msg?: Message };
    if (s.type === 'send' && s.to !== undefined && s.msg !== undefined) {
      out.push({ type: 'send', to: s.to, msg: s.msg });
    }
  }
  return out;
}

function headOf(v: FencingVolatile | undefined): HeadState {
  if (v?.role !== 'head') throw new Error('assertion: head state');
  return v.s;
}

// ---- the issuer ---------------------------------------------------------------------------

function issuerBehavior(run: FencingRun): Pick<Behavior, 'onInput'> {
  const cfg = run.config.cluster;
  const j = run.journal;
  /** The spec's guard on the holder: idle or stepped down, no credential on its way. */
  const canTake = (h: string): boolean => {
    const w = run.world;
    if (w === undefined || j.outstanding[h] !== undefined) return false;
    return head.canTakeOver(headOf(w.node(h).volatile));
  };
  const doGrant = (st: IssuerState, holder: string): T => {
    let step = issuer.grant(st, { volume: cfg.volume, extent: cfg.extent, holder });
    step = run.config.hooks?.issuerGrant?.(st, step) ?? step;
    let durable: FencingDurable | undefined;
    for (const e of step.effects) {
      if (e.type === 'persist') durable = { role: 'issuer', d: e.durable };
    }
    j.outstanding[holder] = step.credential;
    const t: T = { volatile: { role: 'issuer', s: step.state },
      effects: sendEffects(step.effects) };
    if (durable !== undefined) t.durable = durable;
    return t;
  };
  return {
    onInput: (node, input): T => {
      if (node.volatile.role !== 'issuer') throw new Error('assertion: issuer state');
      const st = node.volatile.s;
      const epochNow = issuer.issuerEpoch(st, cfg.volume, cfg.extent);
      if (epochNow >= cfg.maxEpoch) return {};
      if (input.type === 'takeover' && canTake(input.holder)) {
        j.stepAction = 'Grant';
        return doGrant(st, input.holder);
      }
      const mg = j.migration;
      if (input.type === 'migrateGrant' && mg !== null && !mg.granted && canTake(mg.dst)) {
        j.stepAction = 'MigrateGrant';
        j.migration = { ...mg, granted: true };
        return doGrant(st, mg.dst);
      }
      return {};
    },
  };
}

// ---- heads --------------------------------------------------------------------------------

function headTransition(run: FencingRun, id: string, before: HeadState, step: HeadStep): T {
  const j = run.journal;
  observeHead(j, id, step.effects);
  const effects: Effect<Msg>[] = sendEffects(step.effects);
  if (head.canRepair(step.state) && !head.canRepair(before)) {
    effects.push({ type: 'setTimer', name: 'repair', afterMs: 0 });
  }
  return { volatile: { role: 'head', s: step.state }, effects };
}

function headOnMessage(run: FencingRun, id: string, hs: HeadState, m: Message): T {
  const j = run.journal;
  switch (m.type) {
    case 'Grant': {
      const want = j.outstanding[id];
      if (want === undefined || want.epoch !== m.credential.epoch || !head.canTakeOver(hs)) {
        return {};
      }
      delete j.outstanding[id];
      const t = headTransition(run, id, hs, head.takeOver(hs, m.credential));
      return withRetry(run, t);
    }
    case 'FenceAck':
      if (!head.acceptsFenceAck(hs, m)) return {};
      j.stepAction = 'HeadFenced';
      return headTransition(run, id, hs, head.headFenced(hs, m));
    case 'WriteAck':
      if (!head.acceptsWriteAck(hs, m)) return {};
      j.stepAction = 'HeadAck';
      return headTransition(run, id, hs, head.headAck(hs, m));
    case 'Fenced':
      if (!head.acceptsFenced(hs, m)) return {};
      j.stepAction = 'HeadFencedOff';
      return headTransition(run, id, hs, head.headFencedOff(hs, m));
    case 'Fence':
    case 'Write':
      return {};
    default: {
      const never: never = m;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

function withRetry(run: FencingRun, t: T): T {
  const retryMs = run.config.retryMs;
  if (retryMs === undefined) return t;
  const retry: Effect<Msg> = { type: 'setTimer', name: 'retry', afterMs: retryMs };
  return { ...t, effects: [...(t.effects ?? []), retry] };
}

function headOnTimer(run: FencingRun, id: string, hs: HeadState, name: string): T {
  const j = run.journal;
  if (name === 'repair') {
    if (!head.canRepair(hs)) return {};
    j.stepAction = 'Repair';
    return withRetry(run, headTransition(run, id, hs, head.repair(hs)));
  }
  if (name !== 'retry' || hs.credential === null) return {};
  const again: Effect<Msg>[] = [];
  if (hs.phase === 'fencing') {
    again.push(...sends(hs.config.sleds, { type: 'Fence', credential: hs.credential }));
  }
  if (hs.pending !== null && (hs.phase === 'repairing' || hs.phase === 'serving')) {
    again.push(...sends(hs.config.sleds,
      { type: 'Write', credential: hs.credential, seq: hs.pending.seq, val: hs.pending.val }));
  }
  const afterMs = run.config.retryMs ?? 1;
  if (again.length > 0) again.push({ type: 'setTimer', name: 'retry', afterMs });
  return { effects: again };
}

function headOnInput(run: FencingRun, id: string, hs: HeadState, input: FencingInput): T {
  const j = run.journal;
  const cfg = run.config.cluster;
  switch (input.type) {
    case 'write': {
      if (!head.canClientWrite(hs) || hs.known.seq >= cfg.maxSeq) {
        const reply = { type: 'error', code: 'NOT_SERVING', message: 'refused' } as const;
        j.replies.push({ head: id, reply });
        return {};
      }
      j.stepAction = 'ClientWrite';
      return withRetry(run, headTransition(run, id, hs, head.clientWrite(hs, input.val)));
    }
    case 'read': {
      const serves = run.config.hooks?.headServesRead ?? head.canRead;
      if (serves(hs)) {
        if (head.canRead(hs)) j.stepAction = 'ClientRead';
        const { val, epoch, seq } = hs.known;
        j.replies.push({ head: id, reply: { type: 'readResult', val, epoch, seq },
          current: readIsCurrent(run, hs) });
        return {};
      }
      const reply = { type: 'error', code: 'NOT_SERVING', message: hs.phase } as const;
      j.replies.push({ head: id, reply });
      return {};
    }
    case 'migrate':
      return headMigrate(run, id, hs, input.dst);
    case 'takeover':
    case 'migrateGrant':
    case 'probe':
      return {};
    default: {
      const never: never = input;
      throw new Error(`assertion: unknown input ${JSON.stringify(never)}`);
    }
  }
}

/** Whether a head answering a read holds the highest epoch the issuer granted. */
function readIsCurrent(run: FencingRun, hs: HeadState): boolean {
  const w = run.world;
  if (w === undefined) return false;
  const view = clusterViewOf(run.config.cluster, w, run.journal);
  const cur = issuer.issuerEpoch(view.issuer, run.config.cluster.volume, run.config.cluster.extent);
  return head.headEpoch(hs) === cur;
}

function headMigrate(run: FencingRun, src: string, hs: HeadState, dst: string): T {
  const j = run.journal;
  const w = run.world;
  if (w === undefined || j.migration !== null || src === dst) return {};
  if (!head.canMigratePause(hs) || j.outstanding[dst] !== undefined) return {};
  if (!head.canTakeOver(headOf(w.node(dst).volatile))) return {};
  j.stepAction = 'MigratePause';
  j.migration = { src, dst, granted: false };
  return { volatile: { role: 'head', s: head.migratePause(hs).state } };
}

// ---- sleds --------------------------------------------------------------------------------

type SledNode = { durable: FencingDurable; volatile: FencingVolatile };

function sledOnMessage(run: FencingRun, id: string, node: SledNode, m: Message): T {
  if (m.type !== 'Fence' && m.type !== 'Write') return {};
  if (node.volatile.role !== 'sled' || node.durable.role !== 'sled') {
    throw new Error('assertion: sled');
  }
  const before = node.volatile.s;
  let step = m.type === 'Fence' ? sled.sledFence(before, m) : sled.sledWrite(before, m);
  step = run.config.hooks?.sledStep?.(before, m, step) ?? step;
  if (step.effects.some((e) => e.type === 'refused')) {
    return { volatile: { role: 'sled', s: step.state } };
  }
  run.journal.stepAction = m.type === 'Fence' ? 'SledFence' : 'SledWrite';
  observeSled(run.journal, id, m.credential.epoch, step.effects);
  let durable = node.durable.d;
  for (const e of step.effects) {
    if (e.type === 'writeBlock') durable = applyWriteBlock(durable, e.extent, e.block);
    if (e.type === 'persist') durable = e.durable;
  }
  return {
    durable: { role: 'sled', d: durable },
    volatile: { role: 'sled', s: step.state },
    effects: sendEffects(step.effects),
  };
}

// ---- the behaviour ------------------------------------------------------------------------

function behaviorFor(run: FencingRun): Behavior {
  const cfg = run.config.cluster;
  const isHead = (id: string) => cfg.heads.includes(id);
  const issuerConfig = { id: ISSUER_ID, key: cfg.key };
  const iss = issuerBehavior(run);
  const headInit = (id: string): HeadState => {
    const hc = { id, sleds: cfg.sleds, w: cfg.w, f: cfg.f };
    return run.config.hooks?.headInit?.(hc) ?? head.initHead(hc);
  };
  const fresh = (id: string, durable?: FencingDurable): SledNode => {
    if (id === ISSUER_ID) {
      const d = durable?.role === 'issuer' ? durable.d : undefined;
      const s = issuer.initIssuer(issuerConfig, d);
      return { durable: { role: 'issuer', d: s.durable }, volatile: { role: 'issuer', s } };
    }
    if (isHead(id)) {
      return { durable: { role: 'head' }, volatile: { role: 'head', s: headInit(id) } };
    }
    const d = durable?.role === 'sled' ? durable.d : undefined;
    const sc = { id, key: cfg.key };
    const s = d === undefined ? sled.initSled(sc) : sled.sledRestart(sc, d);
    return { durable: { role: 'sled', d: s.durable }, volatile: { role: 'sled', s } };
  };
  return {
    init: (id) => fresh(id),
    recover: (id, durable) => ({ volatile: fresh(id, durable).volatile }),
    onMessage: (node, _from, m) => {
      if (isHead(node.id)) return headOnMessage(run, node.id, headOf(node.volatile), m);
      if (node.id === ISSUER_ID) return {};
      return sledOnMessage(run, node.id, node, m);
    },
    onTimer: (node, name) =>
      isHead(node.id) ? headOnTimer(run, node.id, headOf(node.volatile), name) : {},
    onInput: (node, input, ctx: SimContext) => {
      if (node.id === ISSUER_ID) return iss.onInput(node, input, ctx);
      if (isHead(node.id)) return headOnInput(run, node.id, headOf(node.volatile), input);
      return {};
    },
  };
}

/** The spec action a fault event performs, if any (and its bookkeeping). */
function faultAction(run: FencingRun, e: SimEvent<Msg, FencingInput>): string | undefined {
  const cfg = run.config.cluster;
  if (e.kind !== 'crash' && e.kind !== 'restart') return undefined;
  if (!e.effective) return undefined;
  if (e.node === ISSUER_ID) return e.kind === 'restart' ? 'IssuerRestart' : undefined;
  if (!cfg.sleds.includes(e.node)) return undefined;
  if (e.kind === 'crash') {
    run.journal.crashes++;
    return 'SledCrash';
  }
  return 'SledRestart';
}

/** The cores' invariants on the run's view, then the run's extra checks. */
export function checkRun(
  run: FencingRun,
  world: SimWorld<FencingDurable, FencingVolatile>,
): Violation[] {
  const view = clusterViewOf(run.config.cluster, world, run.journal);
  const out: Violation[] = [];
  for (const [name, holds] of Object.entries(invariants)) {
    if (!holds(view)) out.push({ name });
  }
  out.push(...(run.config.extraChecks?.(run) ?? []));
  return out;
}

/** Builds one run: a fresh journal, the behaviour and the sim options (invariants, recorder). */
export function fencingRun(
  config: FencingSimConfig,
  sim: Omit<SimOptions<Msg, FencingDurable, FencingVolatile, FencingInput>,
    'nodes' | 'behavior' | 'invariants' | 'onInit' | 'onStep'> = {},
): FencingRun {
  const cfg = config.cluster;
  const nodes = [ISSUER_ID, ...cfg.heads, ...cfg.sleds];
  const run: FencingRun = {
    config, journal: emptyJournal(cfg), nodes, world: undefined,
    options: undefined as unknown as FencingRun['options'],
  };
  const record = (world: SimWorld<FencingDurable, FencingVolatile>): TlaState =>
    specState(clusterViewOf(cfg, world, run.journal));
  const options: FencingRun['options'] = {
    ...sim,
    nodes,
    behavior: behaviorFor(run),
    invariants: (world) => checkRun(run, world),
    onInit: (world) => {
      run.world = world;
      if (config.record) run.journal.trace = { init: record(world), steps: [] };
    },
    onStep: (event, world) => {
      const action = faultAction(run, event) ?? run.journal.stepAction;
      run.journal.stepAction = undefined;
      run.journal.steps++;
      const counts = run.journal.actions;
      if (action !== undefined) counts[action] = (counts[action] ?? 0) + 1;
      if (action !== undefined && config.record && run.journal.trace !== undefined) {
        run.journal.trace.steps.push({ action, state: record(world) });
      }
    },
  };
  (run as { options: FencingRun['options'] }).options = options;
  return run;
}

/** The recorded trace of a run built with `record: true`. */
export function traceOf(run: FencingRun): ImplTrace {
  const t = run.journal.trace;
  if (t === undefined) throw new Error('assertion: the run was not recorded');
  return t;
}

export type { ClientReply };
