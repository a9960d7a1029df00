/**
 * The snapshot-gc cores as nodes of the deterministic simulator (src/runtime/sim):
 *  - `host`: the GC managers, instance models, connection table and tracing store (a
 *    `Cluster` of src/snapshot/cluster.ts, all durable: the VMs and the manager's phase outlive
 *    a crash of the host agent). Launch/Start/Finish/Connect/Disconnect arrive as inputs; the
 *    GC steps run on a periodic `gc` timer, one enabled step per tick.
 *  - `peer`: the far end of every connection. Connect, Disconnect and the termination signal
 *    of Terminate are requests the host sends and the peer acknowledges over the faulty
 *    network (resent on every tick until acknowledged); the host takes the spec step when the
 *    acknowledgement arrives and the step's guard still holds (a connect acknowledged too late
 *    is undone with a close).
 *  - `txr`: the transaction runner (TxBegin/TxSend/TxJudge/TxRetry/TxGiveUp as inputs); its
 *    external effect is an `apply` message to `ext`, resent until acknowledged, and TxSend is
 *    taken when the acknowledgement of the current attempt arrives.
 *  - `ext`: the external service, applying each idempotency key once (durable).
 * The view: the host's cluster, with the runner's transaction and the external service's
 * counters as the runner learnt them with the acknowledgement of TxSend. A step that is a
 * spec action records `(action, specState(view))`; the cores' invariants run on the view
 * after every step. Bugs come in through `ClusterSteps` (the host's cluster and the runner).
 */
import {
  applyAction, connections, defaultClusterSteps, enabledActions, gc, initCluster, invariants,
  retry, specState,
} from '../index.ts';
import type {
  Cluster, ClusterAction, ClusterConfig, ClusterSteps, ExternalService, TxState,
} from '../index.ts';
import { TX_ID } from '../cluster.ts';
import type {
  Effect, NodeBehavior, NodeId, SimContext, SimOptions, SimWorld, Transition, Violation,
} from '../../runtime/sim/index.ts';
import type { ImplTrace, TlaState } from '../../tla/index.ts';

export const HOST = 'host';
export const PEER = 'peer';
export const TXR = 'txr';
export const EXT = 'ext';
export const SNAP_NODES: readonly NodeId[] = [HOST, PEER, TXR, EXT];
/** The host's GC tick (also resends unacknowledged peer requests). */
export const GC_TICK_MS = 4;
export const TX_RESEND_MS = 15;

export type SnapInput =
  | { type: 'launch' | 'start' | 'connect' | 'disconnect'; i: string }
  | { type: 'finish'; i: string; g: number; w: boolean }
  | { type: 'tx-begin' | 'tx-send' | 'tx-next' }
  | { type: 'tx-judge'; ok: boolean };

export type SnapMsg =
  | { type: 'open' | 'close' | 'terminate'; i: string; req: number }
  | { type: 'ack'; req: number }
  | { type: 'apply'; key: string | null; attempt: number }
  | { type: 'applied'; attempt: number; applied: number; keyed: boolean };

type Sending = { attempt: number; key: string | null; next: TxState };
export type SnapDurable =
  | { role: 'host'; c: Cluster; reqSeq: number }
  | { role: 'peer'; ends: Readonly<Record<string, 'open' | 'closed'>> }
  | { role: 'txr'; tx: TxState; sending: Sending | null }
  | { role: 'ext'; svc: ExternalService };
type Pending = { msg: SnapMsg & { req: number; i: string }; action: ClusterAction };
export type SnapVolatile =
  | { role: 'host'; pending: Readonly<Record<number, Pending>> }
  | { role: 'other' };

export interface Journal {
  /** The spec action the current step took, if any. */
  stepAction: string | undefined;
  /** The external service as the runner learnt it with TxSend's acknowledgement. */
  external: { applied: number; keyed: boolean };
  trace: ImplTrace | undefined;
  actions: Record<string, number>;
}

export interface SnapSimConfig {
  cluster: ClusterConfig;
  steps?: ClusterSteps;
  record?: boolean;
  /** The host's GC tick (default GC_TICK_MS); a slow GC widens check-then-act windows. */
  gcTickMs?: number;
  /** The runner's resend interval of an unacknowledged effect (default TX_RESEND_MS). */
  txResendMs?: number;
}

type Behavior = NodeBehavior<SnapMsg, SnapDurable, SnapVolatile, SnapInput>;
type T = Transition<SnapMsg, SnapDurable, SnapVolatile>;
type HostDurable = Extract<SnapDurable, { role: 'host' }>;
type TxrDurable = Extract<SnapDurable, { role: 'txr' }>;

export interface SnapRun {
  readonly config: SnapSimConfig;
  readonly steps: ClusterSteps;
  readonly journal: Journal;
  readonly options: SimOptions<SnapMsg, SnapDurable, SnapVolatile, SnapInput>;
}

const GC_ACTIONS = new Set<string>([
  'StopAdmitting', 'SavePreserved', 'Terminate', 'Restore', 'WriteBack', 'Admit',
]);

function role<R extends SnapDurable['role']>(d: SnapDurable, r: R): Extract<SnapDurable,
  { role: R }> {
  if (d.role !== r) throw new Error(`assertion: ${r} state expected, got ${d.role}`);
  return d as Extract<SnapDurable, { role: R }>;
}
function pendingOf(v: SnapVolatile): Readonly<Record<number, Pending>> {
  if (v.role !== 'host') throw new Error('assertion: host volatile state');
  return v.pending;
}
const find = (c: Cluster, label: string): ClusterAction | undefined =>
  enabledActions(c).find((a) => a.label === label);

const tickOf = (run: SnapRun): Effect<SnapMsg> =>
  ({ type: 'setTimer', name: 'gc', afterMs: run.config.gcTickMs ?? GC_TICK_MS });

// ---- host -----------------------------------------------------------------------------------

function take(run: SnapRun, d: HostDurable, a: ClusterAction): HostDurable {
  run.journal.stepAction = a.action;
  return { ...d, c: applyAction(d.c, a) };
}

/** Sends a request to the peer; the spec step `action` is taken when it is acknowledged. */
function request(d: HostDurable, pending: Readonly<Record<number, Pending>>,
  type: 'open' | 'close' | 'terminate', action: ClusterAction): T {
  const req = d.reqSeq + 1;
  const msg = { type, i: instanceOf(action), req };
  return {
    durable: { ...d, reqSeq: req },
    volatile: { role: 'host', pending: { ...pending, [req]: { msg, action } } },
    effects: [{ type: 'send', to: PEER, msg }],
  };
}

const instanceOf = (a: ClusterAction): string => ('i' in a.params ? a.params.i : '');
const busy = (pending: Readonly<Record<number, Pending>>, i: string): boolean =>
  Object.values(pending).some((p) => p.msg.i === i);

function hostInput(run: SnapRun, d: HostDurable, v: SnapVolatile, input: SnapInput): T {
  const pending = pendingOf(v);
  switch (input.type) {
    case 'launch': case 'start': {
      const a = find(d.c, `${input.type === 'launch' ? 'Launch' : 'Start'}(${input.i})`);
      return a === undefined ? {} : { durable: take(run, d, a) };
    }
    case 'finish': {
      const a = find(d.c, `Finish(${input.i}, ${input.g}, ${input.w ? 'TRUE' : 'FALSE'})`);
      return a === undefined ? {} : { durable: take(run, d, a) };
    }
    case 'connect': case 'disconnect': {
      const name = input.type === 'connect' ? 'Connect' : 'Disconnect';
      const a = find(d.c, `${name}(${input.i})`);
      if (a === undefined || busy(pending, input.i)) return {};
      return request(d, pending, input.type === 'connect' ? 'open' : 'close', a);
    }
    case 'tx-begin': case 'tx-send': case 'tx-next': case 'tx-judge':
      return {};
    default: {
      const never: never = input;
      throw new Error(`assertion: unknown input ${JSON.stringify(never)}`);
    }
  }
}

/** Whether Terminate(i) must signal the peer: the GC closes the peer end and it is open. */
function signalsPeer(c: Cluster, i: string): boolean {
  const m = c.managers[i];
  if (m === null || m === undefined) return false;
  const asked = gc.requestTerminate(m, c.steps.gc);
  const ends = asked.effects.flatMap((e) => (e.type === 'terminate-connections' ? e.ends : []));
  const open = connections.openConnections(c.conns, i)
    .some((id) => c.conns[id]?.peerEnd === 'open');
  return ends.includes('peer') && open;
}

function hostTick(run: SnapRun, d: HostDurable, v: SnapVolatile, ctx: SimContext): T {
  const pending = pendingOf(v);
  const tick = tickOf(run);
  const resend: Effect<SnapMsg>[] = Object.values(pending)
    .map((p) => ({ type: 'send', to: PEER, msg: p.msg }));
  const options = enabledActions(d.c)
    .filter((a) => GC_ACTIONS.has(a.action))
    .filter((a) => !(a.action === 'Terminate' && busy(pending, instanceOf(a))));
  if (options.length === 0) return { effects: [...resend, tick] };
  const a = options[ctx.rng.int(0, options.length - 1)]!;
  if (a.action === 'Terminate' && signalsPeer(d.c, a.params.i)) {
    const t = request(d, pending, 'terminate', a);
    return { ...t, effects: [...resend, ...(t.effects ?? []), tick] };
  }
  return { durable: take(run, d, a), effects: [...resend, tick] };
}

function hostAck(run: SnapRun, d: HostDurable, v: SnapVolatile, req: number): T {
  const pending = pendingOf(v);
  const p = pending[req];
  if (p === undefined) return {};
  const rest = { ...pending };
  delete rest[req];
  const volatile: SnapVolatile = { role: 'host', pending: rest };
  const a = find(d.c, p.action.label);
  if (a !== undefined) return { durable: take(run, d, a), volatile };
  if (p.msg.type !== 'open') return { volatile };
  // Acknowledged too late (the execution ended meanwhile): undo the peer's end.
  const undo: SnapMsg = { type: 'close', i: p.msg.i, req: -req };
  return { volatile, effects: [{ type: 'send', to: PEER, msg: undo }] };
}

// ---- peer, transaction runner, external service -----------------------------------------------

function peerMessage(d: SnapDurable, from: NodeId, msg: SnapMsg): T {
  if (msg.type !== 'open' && msg.type !== 'close' && msg.type !== 'terminate') return {};
  const p = role(d, 'peer');
  const state = msg.type === 'open' ? 'open' : 'closed';
  const ack: Effect<SnapMsg> = { type: 'send', to: from, msg: { type: 'ack', req: msg.req } };
  return { durable: { role: 'peer', ends: { ...p.ends, [msg.i]: state } }, effects: [ack] };
}

function txrInput(run: SnapRun, d: TxrDurable, input: SnapInput): T {
  const s = d.tx;
  const set = (action: string, tx: TxState): T => {
    run.journal.stepAction = action;
    return { durable: { ...d, tx } };
  };
  switch (input.type) {
    case 'tx-begin':
      return s.phase === 'idle' ? set('TxBegin', retry.txBegin(s).state) : {};
    case 'tx-send': {
      if (s.phase !== 'running' || d.sending !== null) return {};
      const r = retry.txSend(s, 'effect', run.steps.retry);
      const e = r.effects.find((x) => x.type === 'send-external');
      if (e?.type !== 'send-external') throw new Error('assertion: send-external effect');
      const sending = { attempt: s.attempt, key: e.key, next: r.state };
      const msg: SnapMsg = { type: 'apply', key: e.key, attempt: s.attempt };
      return { durable: { ...d, sending }, effects: [{ type: 'send', to: EXT, msg },
        resendOf(run)] };
    }
    case 'tx-judge':
      if ((s.phase !== 'running' && s.phase !== 'sent') || d.sending !== null) return {};
      return set('TxJudge', retry.txJudge(s, input.ok, (ok: boolean) => ok).state);
    case 'tx-next':
      if (retry.canRetry(s)) return set('TxRetry', retry.txRetry(s).state);
      if (retry.mustGiveUp(s)) return set('TxGiveUp', retry.txGiveUp(s).state);
      return {};
    default:
      return {};
  }
}

function txrMessage(run: SnapRun, d: TxrDurable, msg: SnapMsg): T {
  if (msg.type !== 'applied' || d.sending === null) return {};
  if (msg.attempt !== d.sending.attempt || d.tx.phase !== 'running') return {};
  run.journal.stepAction = 'TxSend';
  run.journal.external = { applied: msg.applied, keyed: msg.keyed };
  return { durable: { ...d, tx: d.sending.next, sending: null },
    effects: [{ type: 'cancelTimer', name: 'resend' }] };
}

const resendOf = (run: SnapRun): Effect<SnapMsg> =>
  ({ type: 'setTimer', name: 'resend', afterMs: run.config.txResendMs ?? TX_RESEND_MS });

function txrResend(run: SnapRun, d: TxrDurable): T {
  if (d.sending === null) return {};
  const msg: SnapMsg = { type: 'apply', key: d.sending.key, attempt: d.sending.attempt };
  return { effects: [{ type: 'send', to: EXT, msg }, resendOf(run)] };
}

function extMessage(d: SnapDurable, from: NodeId, msg: SnapMsg): T {
  if (msg.type !== 'apply') return {};
  const svc = retry.applyExternal(role(d, 'ext').svc, msg.key).service;
  const reply: SnapMsg = { type: 'applied', attempt: msg.attempt, applied: svc.applied,
    keyed: svc.keys.length > 0 };
  return { durable: { role: 'ext', svc }, effects: [{ type: 'send', to: from, msg: reply }] };
}

// ---- the behaviour ----------------------------------------------------------------------------

function initial(run: SnapRun, id: NodeId): { durable: SnapDurable; volatile: SnapVolatile } {
  const other: SnapVolatile = { role: 'other' };
  switch (id) {
    case HOST:
      return { durable: { role: 'host', c: initCluster(run.config.cluster, run.steps), reqSeq: 0 },
        volatile: { role: 'host', pending: {} } };
    case PEER: return { durable: { role: 'peer', ends: {} }, volatile: other };
    case TXR: {
      const tx = retry.initTx({ txId: TX_ID, maxAttempts: run.config.cluster.maxAttempts });
      return { durable: { role: 'txr', tx, sending: null }, volatile: other };
    }
    case EXT: return { durable: { role: 'ext', svc: retry.initExternal() }, volatile: other };
    default: throw new Error(`assertion: unknown node ${id}`);
  }
}

function behaviorFor(run: SnapRun): Behavior {
  const tick = tickOf(run);
  return {
    init: (id) => ({ ...initial(run, id), effects: id === HOST ? [tick] : [] }),
    recover: (id, durable) => {
      if (id === HOST) return { volatile: { role: 'host', pending: {} }, effects: [tick] };
      if (id === TXR) {
        return { volatile: { role: 'other' }, ...txrResend(run, role(durable, 'txr')) };
      }
      return { volatile: { role: 'other' } };
    },
    onMessage: (node, from, msg) => {
      if (node.id === HOST) {
        return msg.type === 'ack' ? hostAck(run, role(node.durable, 'host'), node.volatile,
          msg.req) : {};
      }
      if (node.id === PEER) return peerMessage(node.durable, from, msg);
      if (node.id === TXR) return txrMessage(run, role(node.durable, 'txr'), msg);
      return extMessage(node.durable, from, msg);
    },
    onTimer: (node, name, ctx) => {
      if (node.id === HOST && name === 'gc') {
        return hostTick(run, role(node.durable, 'host'), node.volatile, ctx);
      }
      if (node.id === TXR && name === 'resend') return txrResend(run, role(node.durable, 'txr'));
      return {};
    },
    onInput: (node, input) => {
      if (node.id === HOST) return hostInput(run, role(node.durable, 'host'), node.volatile, input);
      if (node.id === TXR) return txrInput(run, role(node.durable, 'txr'), input);
      return {};
    },
  };
}

/**
 * The cluster the spec sees: the host's, with the runner's transaction. `external`: the
 * service's counters as the runner learnt them with TxSend's acknowledgement (`learnt`, what
 * traces record: the spec applies the effect within TxSend), or the service's own durable
 * state (`real`, what the invariants check: every application counts, acknowledged or not).
 */
export function viewOf(run: SnapRun, node: (id: NodeId) => { durable: SnapDurable },
  external: 'learnt' | 'real' = 'learnt'): Cluster {
  const c = role(node(HOST).durable, 'host').c;
  const tx = role(node(TXR).durable, 'txr').tx;
  if (external === 'real') return { ...c, tx, external: role(node(EXT).durable, 'ext').svc };
  const ext = run.journal.external;
  const learnt: ExternalService = { ...retry.initExternal(), applied: ext.applied,
    keys: ext.keyed ? [`tx:${TX_ID}`] : [] };
  return { ...c, tx, external: learnt };
}

/** The cores' invariants on the view, named as in the spec. */
export function checkView(view: Cluster): Violation[] {
  return Object.entries(invariants).filter(([, holds]) => !holds(view)).map(([name]) => ({ name }));
}

/** Builds one run: a fresh journal, the behaviour and the sim options (invariants, recorder). */
export function snapRun(config: SnapSimConfig,
  sim: Omit<SimOptions<SnapMsg, SnapDurable, SnapVolatile, SnapInput>,
    'nodes' | 'behavior' | 'invariants' | 'onInit' | 'onStep'> = {}): SnapRun {
  const journal: Journal = {
    stepAction: undefined, external: { applied: 0, keyed: false }, trace: undefined, actions: {},
  };
  const run = { config, steps: config.steps ?? defaultClusterSteps, journal } as SnapRun;
  type W = SimWorld<SnapDurable, SnapVolatile>;
  const record = (w: W): TlaState => specState(viewOf(run, (id) => w.node(id)));
  const options: SnapRun['options'] = {
    ...sim,
    nodes: SNAP_NODES,
    behavior: behaviorFor(run),
    invariants: (w) => checkView(viewOf(run, (id) => w.node(id), 'real')),
    onInit: (w) => {
      if (config.record === true) journal.trace = { init: record(w), steps: [] };
    },
    onStep: (_event, w) => {
      const action = journal.stepAction;
      journal.stepAction = undefined;
      if (action === undefined) return;
      journal.actions[action] = (journal.actions[action] ?? 0) + 1;
      journal.trace?.steps.push({ action, state: record(w) });
    },
  };
  (run as { options: SnapRun['options'] }).options = options;
  return run;
}

/** The recorded trace of a run built with `record: true`. */
export function traceOf(run: SnapRun): ImplTrace {
  if (run.journal.trace === undefined) throw new Error('assertion: the run was not recorded');
  return run.journal.trace;
}
