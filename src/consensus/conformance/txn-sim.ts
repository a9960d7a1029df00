/**
 * The transaction layer (src/txn) on the deterministic simulator: proposers are sim nodes
 * running the proposer and recovery cores; each group is a sim node standing for abstract
 * consensus (as CrossGroupTxn.tla has it): a `propose` message it receives is chosen in its
 * next slot at once and applied by the participant core, and an `applied` message goes to
 * every proposer. Proposals and notifications cross the faulty network (delay, loss,
 * duplication, reordering, partitions); proposers crash for good (the spec's Crash), groups
 * pause. Clients hand transactions to proposers as scheduled inputs (Begin).
 *
 * One sim step is at most one spec step: a group choosing an entry is Prepare / AbortVote /
 * Decide by the proposer that sent it; a proposer's input is Begin; a proposer emitting an
 * outcome is Tell; an effective crash of a proposer is Crash.
 *
 * Where abstract consensus and the spec part (reported, see the driver's report):
 *  - a group does not choose an entry its replica would ignore (a Prepare or AbortVote for a
 *    transaction it already voted on, a decision it already applied): the spec's logs hold no
 *    such duplicates (its guards `vote = "none"` / `dec = "none"`), real logs would;
 *  - a proposal reaching a group after its sender crashed IS chosen: the spec's Prepare has no
 *    alive[p]; AbortVote / Decide from a crashed sender are the same state change as a live
 *    proposer's (trace validation quantifies over the proposer).
 */
import * as txn from '../../txn/index.ts';
import type { Entry, TxnSpec } from '../../txn/index.ts';
import type {
  Effect, NodeBehavior, SimEvent, SimOptions, SimWorld, Transition, Violation,
} from '../../runtime/sim/index.ts';
import type { ImplTrace } from '../../tla/index.ts';

export type TxnSimMsg =
  | { type: 'propose'; entry: Entry }
  | { type: 'applied'; group: string; slot: number; entry: Entry; result: txn.ApplyResult };

export type TxnSimInput = { type: 'begin'; txn: string };

export type TxnSimDurable =
  | { role: 'group'; log: readonly Entry[]; replica: txn.ParticipantState }
  | { role: 'proposer' };

export type TxnSimVolatile = { role: 'group' } | { role: 'proposer'; st: txn.ProposerState };

export interface TxnSimConfig {
  cluster: txn.ClusterConfig;
  steps?: txn.ClusterSteps;
  retryMs?: number;
  recoverAfterMs?: number;
  record?: boolean;
}

export interface TxnJournal {
  owner: Record<string, string | null>;
  told: Record<string, txn.Told>;
  alive: Record<string, boolean>;
  stepAction: string | undefined;
  trace: ImplTrace | undefined;
  actions: Record<string, number>;
}

type Behavior = NodeBehavior<TxnSimMsg, TxnSimDurable, TxnSimVolatile, TxnSimInput>;
type T = Transition<TxnSimMsg, TxnSimDurable, TxnSimVolatile>;
export type TxnSimOptions = SimOptions<TxnSimMsg, TxnSimDurable, TxnSimVolatile, TxnSimInput>;

export interface TxnRun {
  readonly config: TxnSimConfig;
  readonly journal: TxnJournal;
  readonly options: TxnSimOptions;
  world: SimWorld<TxnSimDurable, TxnSimVolatile> | undefined;
}

const stepsOf = (run: TxnRun): txn.ClusterSteps => run.config.steps ?? txn.defaultSteps;

function specOf(run: TxnRun, id: string): TxnSpec {
  const t = run.config.cluster.txns.find((x) => x.id === id);
  if (t === undefined) throw new Error(`assertion: unknown txn ${id}`);
  return t;
}

/** The spec action choosing `e` in a group is, or null when its guard fails (not chosen). */
function chooseAction(run: TxnRun, g: string, rep: txn.ParticipantState, e: Entry,
  from: string): string | null {
  const j = run.journal;
  const id = txn.entryTxnId(e);
  switch (e.type) {
    case 'Prepare':
      return j.owner[id] === from && rep.votes[id] === undefined ? 'Prepare' : null;
    case 'AbortVote':
      return rep.votes[id] === undefined ? 'AbortVote' : null;
    case 'Commit':
    case 'Abort':
      return rep.decisions[id] === undefined ? 'Decide' : null;
    default: {
      const never: never = e;
      throw new Error(`assertion: unknown entry ${JSON.stringify(never)}`);
    }
  }
}

function groupOnMessage(run: TxnRun, g: string, d: TxnSimDurable, from: string,
  msg: TxnSimMsg): T {
  if (msg.type !== 'propose' || d.role !== 'group') return {};
  const action = chooseAction(run, g, d.replica, msg.entry, from);
  if (action === null) return {};
  const { state: replica, result } = txn.participant.apply(d.replica, msg.entry,
    stepsOf(run).participant);
  run.journal.stepAction = action;
  const slot = d.log.length + 1;
  const note: TxnSimMsg = { type: 'applied', group: g, slot, entry: msg.entry, result };
  return {
    durable: { role: 'group', log: [...d.log, msg.entry], replica },
    effects: run.config.cluster.proposers.map((p) => ({ type: 'send', to: p, msg: note })),
  };
}

function proposerTransition(run: TxnRun, p: string, step: txn.ProposerStep): T {
  const effects: Effect<TxnSimMsg>[] = [];
  for (const e of step.effects) {
    if (e.type === 'propose') effects.push({ type: 'send', to: e.group,
      msg: { type: 'propose', entry: e.entry } });
    if (e.type === 'outcome' && run.journal.owner[e.txnId] === p &&
        run.journal.told[e.txnId] === 'none') {
      run.journal.told[e.txnId] = e.outcome;
      run.journal.stepAction = 'Tell';
    }
  }
  return { volatile: { role: 'proposer', st: step.state }, effects };
}

function proposerOnInput(run: TxnRun, p: string, st: txn.ProposerState,
  input: TxnSimInput, nowMs: number): T {
  const j = run.journal;
  if (j.owner[input.txn] !== null || j.alive[p] !== true) return {};
  j.owner[input.txn] = p;
  j.stepAction = 'Begin';
  return proposerTransition(run, p, txn.proposer.begin(st, specOf(run, input.txn), nowMs));
}

function behaviorFor(run: TxnRun): Behavior {
  const cfg = run.config.cluster;
  const isGroup = (id: string) => cfg.groups.includes(id);
  const retryMs = run.config.retryMs ?? 40;
  const newProposer = (id: string): TxnSimVolatile => ({ role: 'proposer',
    st: txn.proposer.initProposer({ id, retryMs, recoverAfterMs: run.config.recoverAfterMs ?? 120,
      outcome: stepsOf(run).outcome }) });
  const tick: Effect<TxnSimMsg> = { type: 'setTimer', name: 'tick', afterMs: retryMs };
  return {
    init: (id) => isGroup(id)
      ? { durable: { role: 'group', log: [], replica: txn.participant.initParticipant(id,
        txn.groupBalances(cfg, id)) }, volatile: { role: 'group' } }
      : { durable: { role: 'proposer' }, volatile: newProposer(id), effects: [tick] },
    recover: (id) => ({ volatile: isGroup(id) ? { role: 'group' } : newProposer(id) }),
    onMessage: (node, from, msg) => {
      if (isGroup(node.id)) return groupOnMessage(run, node.id, node.durable, from, msg);
      if (node.volatile.role !== 'proposer' || msg.type !== 'applied') return {};
      return proposerTransition(run, node.id, txn.proposer.applied(node.volatile.st, msg.group,
        msg.entry, msg.result, run.world?.nowMs ?? 0));
    },
    onTimer: (node, _name, ctx) => {
      if (node.volatile.role !== 'proposer') return {};
      const t = proposerTransition(run, node.id, txn.proposerStep(node.volatile.st,
        { type: 'tick', nowMs: ctx.nowMs }));
      return { ...t, effects: [...(t.effects ?? []), tick] };
    },
    onInput: (node, input, ctx) => {
      if (node.volatile.role !== 'proposer') return {};
      return proposerOnInput(run, node.id, node.volatile.st, input, ctx.nowMs);
    },
  };
}

/** The run's state as src/txn's cluster value (for its specState and invariants). */
export function txnViewOf(run: TxnRun, world: SimWorld<TxnSimDurable, TxnSimVolatile>):
  txn.Cluster {
  const cfg = run.config.cluster;
  const groups: Record<string, txn.GroupState> = {};
  for (const g of cfg.groups) {
    const d = world.node(g).durable;
    if (d.role !== 'group') throw new Error('assertion: group');
    groups[g] = { log: d.log, replica: d.replica };
  }
  const j = run.journal;
  return { config: cfg, steps: stepsOf(run), groups, proposers: {}, alive: { ...j.alive },
    owner: { ...j.owner }, told: { ...j.told }, sent: {}, outbox: {}, nowMs: world.nowMs };
}

function crashAction(run: TxnRun, e: SimEvent<TxnSimMsg, TxnSimInput>): string | undefined {
  if (e.kind !== 'crash' || !e.effective || !run.config.cluster.proposers.includes(e.node)) {
    return undefined;
  }
  run.journal.alive[e.node] = false;
  return 'Crash';
}

export function txnRun(config: TxnSimConfig,
  sim: Omit<TxnSimOptions, 'nodes' | 'behavior' | 'invariants' | 'onInit' | 'onStep'> = {},
): TxnRun {
  const cfg = config.cluster;
  const ids = cfg.txns.map((t) => t.id);
  const journal: TxnJournal = {
    owner: Object.fromEntries(ids.map((t) => [t, null])),
    told: Object.fromEntries(ids.map((t) => [t, 'none' as txn.Told])),
    alive: Object.fromEntries(cfg.proposers.map((p) => [p, true])),
    stepAction: undefined, trace: undefined, actions: {},
  };
  const run = { config, journal, world: undefined } as TxnRun;
  const state = (w: SimWorld<TxnSimDurable, TxnSimVolatile>) => txn.specState(txnViewOf(run, w));
  const options: TxnSimOptions = {
    ...sim,
    nodes: [...cfg.groups, ...cfg.proposers],
    behavior: behaviorFor(run),
    onInit: (w) => {
      run.world = w;
      if (config.record) journal.trace = { init: state(w), steps: [] };
    },
    onStep: (event, w) => {
      const action = crashAction(run, event) ?? journal.stepAction;
      journal.stepAction = undefined;
      if (action === undefined) return;
      journal.actions[action] = (journal.actions[action] ?? 0) + 1;
      if (config.record) journal.trace?.steps.push({ action, state: state(w) });
    },
    invariants: (w): Violation[] =>
      txn.violatedInvariants(txnViewOf(run, w)).map((name) => ({ name })),
  };
  (run as { options: TxnSimOptions }).options = options;
  return run;
}

export function txnTraceOf(run: TxnRun): ImplTrace {
  if (run.journal.trace === undefined) throw new Error('assertion: the run was not recorded');
  return run.journal.trace;
}
