/**
 * A pure, deterministic composition of the cores (GC managers, instance models, the
 * connection tracker, the tracing store, one transaction runner and its external service)
 * mirroring spec/snapshot-gc/SnapshotGC.tla action by action: the same action names,
 * parameters and guards. The cluster plays the driver: it answers each effect within the
 * action (save, terminate, restore, write back). `steps` holds the core functions a bug of
 * the sheet touches, so a test replaces them; the defaults are the real ones.
 */
import * as gc from './gc-manager.ts';
import type { GcState, GcSteps } from './gc-manager.ts';
import * as inst from './instance.ts';
import type { InstanceState, ReadySnapshot } from './instance.ts';
import * as conn from './connections.ts';
import type { ConnTable } from './connections.ts';
import * as tx from './retry-runner.ts';
import type { ExternalService, RetrySteps, TxState } from './retry-runner.ts';
import { initTracingStore, recordTrace, type TracingStore } from './tracing-store.ts';

export interface ClusterConfig {
  readonly instances: readonly string[];
  readonly threshold: number;
  readonly maxGarbage: number;
  readonly maxRunning: number;
  readonly presMax: number;
  readonly genMax: number;
  readonly maxAttempts: number;
  readonly traceMax: number;
}
export interface ClusterSteps {
  readonly gc: GcSteps;
  readonly retry: RetrySteps;
}
export const defaultClusterSteps: ClusterSteps = {
  gc: gc.defaultGcSteps, retry: tx.defaultRetrySteps,
};

export interface Cluster {
  readonly config: ClusterConfig;
  readonly steps: ClusterSteps;
  readonly managers: Readonly<Record<string, GcState | null>>;
  readonly vms: Readonly<Record<string, InstanceState | null>>;
  readonly conns: ConnTable;
  readonly tracing: TracingStore;
  readonly tx: TxState;
  readonly external: ExternalService;
  /** Ghost: the preserved version each instance must hold (never rolled back). */
  readonly truePres: Readonly<Record<string, number>>;
  /** Executions admitted so far (names the next execution). */
  readonly execCount: number;
}

export const FUNCTION_NAME = 'fn';
export const TX_ID = 't';
/** Entropy and preserved state as the cluster's driver encodes the spec's small numbers. */
export const encodeEntropy = (n: number): string => n.toString(16).padStart(32, '0');
export const decodeEntropy = (hex: string): number => Number.parseInt(hex, 16);
export const encodePres = (v: number): string => v.toString(16).padStart(2, '0');
export const decodePres = (hex: string): number => Number.parseInt(hex, 16);
export const SNAPSHOT: ReadySnapshot = {
  name: 'S', preserved: encodePres(0), entropy: encodeEntropy(0),
};

export type ClusterAction =
  | { action: 'Launch' | 'Start' | 'Connect' | 'Disconnect' | 'StopAdmitting' | 'SavePreserved' |
      'Terminate' | 'Restore' | 'WriteBack' | 'Admit'; params: { i: string }; label: string }
  | { action: 'Finish'; params: { i: string; g: number; w: boolean }; label: string }
  | { action: 'TxBegin' | 'TxSend' | 'TxRetry' | 'TxGiveUp'; params: Record<string, never>;
      label: string }
  | { action: 'TxJudge'; params: { ok: boolean }; label: string };
export type ActionName = ClusterAction['action'];
export const ACTION_NAMES: readonly ActionName[] = [
  'Launch', 'Start', 'Finish', 'Connect', 'Disconnect', 'StopAdmitting', 'SavePreserved',
  'Terminate', 'Restore', 'WriteBack', 'Admit', 'TxBegin', 'TxSend', 'TxJudge', 'TxRetry',
  'TxGiveUp',
];

export function initCluster(config: ClusterConfig, steps = defaultClusterSteps): Cluster {
  if (config.presMax < 2 || config.genMax < 1) throw new Error('assertion: spec ASSUMEs');
  const byId = <T>(f: () => T) => Object.fromEntries(config.instances.map((i) => [i, f()]));
  return {
    config, steps, managers: byId(() => null), vms: byId(() => null), conns: {},
    tracing: initTracingStore(config.traceMax, 1),
    tx: tx.initTx({ txId: TX_ID, maxAttempts: config.maxAttempts }),
    external: tx.initExternal(), truePres: byId(() => 0), execCount: 0,
  };
}

export const next1 = (v: number, max: number): number => (v >= max ? 1 : v + 1);

function must<T>(v: T | null | undefined, what: string): T {
  if (v === null || v === undefined) throw new Error(`assertion: ${what}`);
  return v;
}
export const managerOf = (c: Cluster, i: string): GcState | null => c.managers[i] ?? null;
export const vmOf = (c: Cluster, i: string): InstanceState | null => c.vms[i] ?? null;

/** The spec's Fresh: the least entropy in 1..N+1 no instance holds. */
export function freshEntropy(c: Cluster): string {
  const held = new Set(c.config.instances.map((i) => {
    const vm = vmOf(c, i);
    return vm === null ? 0 : decodeEntropy(vm.entropy);
  }));
  for (let e = 1; e <= c.config.instances.length + 1; e += 1) {
    if (!held.has(e)) return encodeEntropy(e);
  }
  throw new Error('assertion: no fresh entropy');
}

// ---------------------------------------------------------------------------------------------
// Enabled actions: the spec's guards, evaluated on the cores' own predicates.

function instanceActions(c: Cluster, i: string): ClusterAction[] {
  const out: ClusterAction[] = [];
  const add = (action: Exclude<ClusterAction['action'], 'Finish' | 'TxJudge' | 'TxBegin' |
    'TxSend' | 'TxRetry' | 'TxGiveUp'>) =>
    out.push({ action, params: { i }, label: `${action}(${i})` });
  const m = managerOf(c, i);
  if (m === null) {
    add('Launch');
    return out;
  }
  const g = c.steps.gc;
  if (g.admits(m) === null) add('Start');
  if (m.running.length > 0) {
    for (let n = 1; n <= c.config.maxGarbage; n += 1) {
      for (const w of [false, true]) {
        const label = `Finish(${i}, ${n}, ${w ? 'TRUE' : 'FALSE'})`;
        out.push({ action: 'Finish', params: { i, g: n, w }, label });
      }
    }
  }
  const k = c.conns[i];
  const open = (e: conn.EndState | undefined) => e === 'open';
  if (m.running.length > 0 && !open(k?.instEnd) && !open(k?.peerEnd)) add('Connect');
  if (open(k?.instEnd) && open(k?.peerEnd)) add('Disconnect');
  if (gc.canStopAdmitting(m)) add('StopAdmitting');
  if (g.canSave(m, g)) add('SavePreserved');
  if (gc.canTerminate(m, g)) add('Terminate');
  if (m.phase === 'terminated' && m.awaiting === null && g.drained(m)) add('Restore');
  if (m.phase === 'restored' && m.awaiting === null) add('WriteBack');
  if (m.phase === 'written' && m.awaiting === null) add('Admit');
  return out;
}

function txActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  const none = {} as Record<string, never>;
  if (c.tx.phase === 'idle') out.push({ action: 'TxBegin', params: none, label: 'TxBegin' });
  if (c.tx.phase === 'running') out.push({ action: 'TxSend', params: none, label: 'TxSend' });
  if (c.tx.phase === 'running' || c.tx.phase === 'sent') {
    for (const ok of [false, true]) {
      out.push({ action: 'TxJudge', params: { ok }, label: `TxJudge(${ok ? 'TRUE' : 'FALSE'})` });
    }
  }
  if (tx.canRetry(c.tx)) out.push({ action: 'TxRetry', params: none, label: 'TxRetry' });
  if (tx.mustGiveUp(c.tx)) out.push({ action: 'TxGiveUp', params: none, label: 'TxGiveUp' });
  return out;
}

/** Every action the spec enables in this state. */
export function enabledActions(c: Cluster): ClusterAction[] {
  return [...c.config.instances.flatMap((i) => instanceActions(c, i)), ...txActions(c)];
}

// ---------------------------------------------------------------------------------------------
// Applying an action: run the cores, answer their effects as the driver would.

function put(c: Cluster, i: string, m: GcState, vm: InstanceState): Cluster {
  return { ...c, managers: { ...c.managers, [i]: m }, vms: { ...c.vms, [i]: vm } };
}

function doLaunch(c: Cluster, i: string): Cluster {
  const entropy = freshEntropy(c);
  const m = gc.initGcManager({
    instance: i, snapshot: SNAPSHOT.name, thresholdBytes: c.config.threshold,
    maxRunning: c.config.maxRunning, readIntervalMs: 1000,
  }, entropy);
  return put(c, i, m, inst.launchInstance(i, SNAPSHOT, 1, entropy));
}

function doStart(c: Cluster, i: string): Cluster {
  const execId = `${i}-e${c.execCount + 1}`;
  const r = gc.start(must(managerOf(c, i), 'manager'), execId, c.steps.gc);
  if (!r.effects.some((e) => e.type === 'run-execution')) throw new Error('assertion: admitted');
  const vm = inst.startExecution(must(vmOf(c, i), 'vm'), execId);
  return { ...put(c, i, r.state, vm), execCount: c.execCount + 1 };
}

function doFinish(c: Cluster, i: string, g: number, w: boolean): Cluster {
  const m = must(managerOf(c, i), 'manager');
  const execId = must(m.running[0], 'a running execution');
  const truePres = next1(must(c.truePres[i], 'truePres'), c.config.presMax);
  const write = w ? encodePres(truePres) : null;
  const vm = inst.finishExecution(must(vmOf(c, i), 'vm'), execId, g, write);
  const r = gc.finish(m, execId, g, w ? 1 : 0);
  const rec = recordTrace(c.tracing, FUNCTION_NAME, { site: 'main', count: 1 });
  if (!rec.ok) throw new Error(`assertion: ${rec.message}`);
  const next = { ...put(c, i, r.state, vm), tracing: rec.store };
  return w ? { ...next, truePres: { ...c.truePres, [i]: truePres } } : next;
}

function doConnect(c: Cluster, i: string, open: boolean): Cluster {
  if (!open) return { ...c, conns: conn.closeConnection(c.conns, i) };
  const r = conn.openConnection(c.conns, i, i);
  if (!r.ok) throw new Error(`assertion: ${r.message}`);
  return { ...c, conns: r.table };
}

function doSave(c: Cluster, i: string): Cluster {
  const m = must(managerOf(c, i), 'manager');
  const vm = must(vmOf(c, i), 'vm');
  const asked = gc.requestSave(m, c.steps.gc);
  return put(c, i, gc.preservedSaved(asked.state, inst.readPreserved(vm)).state, vm);
}

function doTerminate(c: Cluster, i: string): Cluster {
  const asked = gc.requestTerminate(must(managerOf(c, i), 'manager'), c.steps.gc);
  let conns = c.conns;
  for (const e of asked.effects) {
    if (e.type === 'terminate-connections') conns = conn.terminateConnections(conns, i, e.ends);
  }
  // The entropy handed over here is replaced by the one drawn at Restore (the spec's Fresh
  // is evaluated at Restore, when other instances may have changed theirs).
  const closed = gc.connectionsClosed(asked.state, freshEntropy(c));
  return { ...put(c, i, closed.state, must(vmOf(c, i), 'vm')), conns };
}

function doRestore(c: Cluster, i: string): Cluster {
  const m = must(managerOf(c, i), 'manager');
  const asked = gc.requestRestore(m, freshEntropy(c), c.steps.gc);
  const eff = must(asked.effects.find((e) => e.type === 'restore'), 'restore effect');
  if (eff.type !== 'restore') throw new Error('assertion: restore effect');
  const vm = inst.restoreInstance(must(vmOf(c, i), 'vm'), SNAPSHOT, eff.generation, eff.entropy);
  const done = gc.restored(asked.state);
  return { ...put(c, i, done.state, vm), conns: conn.forgetInstanceSide(c.conns, i) };
}

function doWriteBack(c: Cluster, i: string): Cluster {
  const asked = gc.requestWriteBack(must(managerOf(c, i), 'manager'));
  const eff = must(asked.effects.find((e) => e.type === 'write-back-preserved'), 'write-back');
  if (eff.type !== 'write-back-preserved') throw new Error('assertion: write-back effect');
  const vm = inst.writePreserved(must(vmOf(c, i), 'vm'), eff.value);
  return put(c, i, gc.writtenBack(asked.state).state, vm);
}

function doTx(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'TxBegin':
      return { ...c, tx: tx.txBegin(c.tx).state };
    case 'TxSend': {
      const r = tx.txSend(c.tx, 'effect', c.steps.retry);
      const e = must(r.effects.find((x) => x.type === 'send-external'), 'send-external');
      if (e.type !== 'send-external') throw new Error('assertion: send-external');
      return { ...c, tx: r.state, external: tx.applyExternal(c.external, e.key).service };
    }
    case 'TxJudge': {
      const ok = a.params.ok;
      return { ...c, tx: tx.txJudge(c.tx, ok, (o: boolean) => o).state };
    }
    case 'TxRetry':
      return { ...c, tx: tx.txRetry(c.tx).state };
    case 'TxGiveUp':
      return { ...c, tx: tx.txGiveUp(c.tx).state };
    default:
      throw new Error(`assertion: ${a.action} is not a transaction action`);
  }
}

function step(c: Cluster, a: ClusterAction): Cluster {
  switch (a.action) {
    case 'Launch': return doLaunch(c, a.params.i);
    case 'Start': return doStart(c, a.params.i);
    case 'Finish': return doFinish(c, a.params.i, a.params.g, a.params.w);
    case 'Connect': return doConnect(c, a.params.i, true);
    case 'Disconnect': return doConnect(c, a.params.i, false);
    case 'StopAdmitting': {
      const i = a.params.i;
      const m = gc.stopAdmitting(must(managerOf(c, i), 'manager')).state;
      return put(c, i, m, must(vmOf(c, i), 'vm'));
    }
    case 'SavePreserved': return doSave(c, a.params.i);
    case 'Terminate': return doTerminate(c, a.params.i);
    case 'Restore': return doRestore(c, a.params.i);
    case 'WriteBack': return doWriteBack(c, a.params.i);
    case 'Admit': {
      const i = a.params.i;
      return put(c, i, gc.admit(must(managerOf(c, i), 'manager')).state, must(vmOf(c, i), 'vm'));
    }
    case 'TxBegin': case 'TxSend': case 'TxJudge': case 'TxRetry': case 'TxGiveUp':
      return doTx(c, a);
    default: {
      const never: never = a;
      throw new Error(`assertion: unknown action ${JSON.stringify(never)}`);
    }
  }
}

/** Applies an enabled action; applying one whose guard does not hold is a caller bug. */
export function applyAction(c: Cluster, a: ClusterAction): Cluster {
  if (!enabledActions(c).some((b) => b.label === a.label)) {
    throw new Error(`assertion: action not enabled: ${a.label}`);
  }
  return step(c, a);
}
