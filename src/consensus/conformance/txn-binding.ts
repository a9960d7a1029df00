/**
 * What binds the transaction layer (src/txn) to spec/consensus-txn/CrossGroupTxn.tla (through
 * MCCrossGroupTxn.tla, which defines the bank-transfer workload): the spec's variables and
 * actions, the trace validation constants, seeded runs and the replay target of
 * CrossGroupTxnReplay.cfg.
 *
 * The spec has groups as abstract consensus (one atomic choice per slot): a run is the
 * simulator running proposer nodes and abstract group nodes (txn-sim.ts) with a random plan.
 * `generateTxnTrace` is a second, schedule-level generator: seeded random walks of cluster.ts.
 */
import { fileURLToPath } from 'node:url';
import type { ConformBinding, GeneratedTrace, ReplayTarget, SpecBinding }
  from '../../conform/index.ts';
import { Prng, runSim } from '../../runtime/sim/index.ts';
import type { FaultEntry, InputEntry, NetworkConfigInput, SimPlan }
  from '../../runtime/sim/index.ts';
import { txnRun, txnTraceOf } from './txn-sim.ts';
import type { TxnSimInput } from './txn-sim.ts';
import {
  applyAction, enabledActions, initCluster, specState, violatedInvariants,
} from '../../txn/index.ts';
import type { Cluster, ClusterAction, ClusterConfig, ClusterSteps, TxnSpec }
  from '../../txn/index.ts';

export const TXN_SPEC_PATH =
  fileURLToPath(new URL('../../../spec/consensus-txn/MCCrossGroupTxn.tla', import.meta.url));
export const TXN_REPLAY_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/consensus-txn/CrossGroupTxnReplay.cfg', import.meta.url));

export const TXN_VARIABLES = ['log', 'rep', 'owner', 'alive', 'told'] as const;

export const TXN_ACTIONS = {
  Begin: '\\E p \\in Proposers, t \\in Txns : Begin(p, t)',
  Prepare: '\\E p \\in Proposers, t \\in Txns, g \\in Groups : Prepare(p, t, g)',
  AbortVote: '\\E p \\in Proposers, t \\in Txns, g \\in Groups : AbortVote(p, t, g)',
  Decide: '\\E p \\in Proposers, t \\in Txns, g \\in Groups : Decide(p, t, g)',
  Tell: '\\E p \\in Proposers, t \\in Txns : Tell(p, t)',
  Crash: '\\E p \\in Proposers : Crash(p)',
} as const satisfies Record<string, string>;
export const TXN_ACTION_NAMES = Object.keys(TXN_ACTIONS);

const T1: TxnSpec = { id: 't1', ops: [
  { group: 'g1', key: 'a1', delta: -1 }, { group: 'g2', key: 'a2', delta: 1 }] };
const T2: TxnSpec = { id: 't2', ops: [
  { group: 'g2', key: 'a2', delta: -1 }, { group: 'g1', key: 'a1', delta: 1 }] };
const T3: TxnSpec = { id: 't3', ops: [
  { group: 'g1', key: 'a1', delta: -1 }, { group: 'g2', key: 'a2', delta: -1 },
  { group: 'g3', key: 'a3', delta: 2 }] };

/** The workload of MCCrossGroupTxn.tla with all three transfers (trace validation). */
export const TXN_TRACE_CLUSTER: ClusterConfig = {
  groups: ['g1', 'g2', 'g3'], proposers: ['p1', 'p2'],
  accounts: { a1: { group: 'g1', initial: 2 }, a2: { group: 'g2', initial: 2 },
    a3: { group: 'g3', initial: 2 } },
  txns: [T1, T2, T3],
};

/** The set definitions of MCCrossGroupTxn.tla a cfg may substitute (`Txns <- MCTxnsT3`). */
const MC_SETS: Readonly<Record<string, readonly string[]>> = {
  MCGroups: ['g1', 'g2', 'g3'], MCGroups2: ['g1', 'g2'],
  MCAccounts: ['a1', 'a2', 'a3'], MCAccounts2: ['a1', 'a2'],
  MCTxns3: ['t1', 't2', 't3'], MCTxns2: ['t1', 't2'], MCTxns23: ['t2', 't3'], MCTxns1: ['t1'],
  MCTxns13: ['t1', 't3'], MCTxnsT3: ['t3'],
};
const TXNS: Readonly<Record<string, TxnSpec>> = { t1: T1, t2: T2, t3: T3 };
/** MCHome: account aN lives in group gN; MCInitBal: every balance starts at 2. */
const HOME = (a: string): string => `g${a.slice(1)}`;

/** The cluster configuration of a CrossGroupTxn cfg over MCCrossGroupTxn's definitions. */
export function txnClusterFromCfg(cfg: string): ClusterConfig {
  const subst = (k: string): readonly string[] => {
    const name = new RegExp(`^\\s*${k}\\s*<-\\s*(\\w+)`, 'm').exec(cfg)?.[1];
    const set = name === undefined ? undefined : MC_SETS[name];
    if (set === undefined) throw new Error(`assertion: cfg substitutes no known set for ${k}`);
    return set;
  };
  const proposers = /Proposers\s*=\s*\{([^}]*)\}/.exec(cfg)?.[1]?.split(',')
    .map((x) => x.trim()).filter((x) => x.length > 0);
  if (proposers === undefined) throw new Error('assertion: cfg has no Proposers');
  const accounts = Object.fromEntries(subst('Accounts').map((a) => [a, { group: HOME(a),
    initial: 2 }]));
  return { groups: [...subst('Groups')], proposers, accounts,
    txns: subst('Txns').map((t) => TXNS[t]!) };
}

export const TXN_TRACE_CONSTANTS = `CONSTANTS
  Groups <- MCGroups
  Accounts <- MCAccounts
  Home <- MCHome
  InitBal <- MCInitBal
  Txns <- MCTxns3
  Ops <- MCOps
  Proposers = {p1, p2}
  None = None`;

export const TXN_SPEC: SpecBinding = {
  protocol: 'consensus-txn',
  specLabel: 'spec/consensus-txn/CrossGroupTxn.tla',
  specPath: TXN_SPEC_PATH,
  replayConfigPath: TXN_REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/consensus-txn/CrossGroupTxnReplay.cfg',
  variables: TXN_VARIABLES,
  actions: TXN_ACTIONS,
  traceConstants: TXN_TRACE_CONSTANTS,
};

export const TXN_RUN_STEPS_MAX = 40;
export const TXN_HORIZON_MS = 300;
export const TXN_NETWORK: NetworkConfigInput = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 15 },
  reorder: { rate: 0.2, extraMsMax: 30 },
};
export const TXN_SIM_LIMITS = { maxSteps: 3_000, maxTimeMs: 1_200 } as const;

function pick<X>(rng: Prng, xs: readonly X[]): X {
  return xs[rng.int(0, xs.length - 1)]!;
}

/** Inputs and faults of run `seed`, drawn from the seed alone. */
export function txnRandomPlan(seed: number, cluster = TXN_TRACE_CLUSTER): SimPlan<TxnSimInput> {
  const rng = new Prng(seed >>> 0).fork('txn-plan');
  const inputs: InputEntry<TxnSimInput>[] = [];
  for (const t of cluster.txns) {
    if (!rng.chance(0.85)) continue;
    inputs.push({ atMs: rng.int(0, TXN_HORIZON_MS / 2), node: pick(rng, cluster.proposers),
      input: { type: 'begin', txn: t.id } });
  }
  const faults: FaultEntry[] = [];
  const at = () => rng.int(0, TXN_HORIZON_MS);
  if (rng.chance(0.4)) faults.push({ atMs: at(), fault: { type: 'crash',
    node: pick(rng, cluster.proposers) } });
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, [...cluster.groups, ...cluster.proposers]);
    const t = at();
    const kind = rng.chance(0.5);
    const start: FaultEntry['fault'] = kind ? { type: 'pause', node: n }
      : { type: 'isolate', node: n };
    const end: FaultEntry['fault'] = kind ? { type: 'resume', node: n }
      : { type: 'rejoin', node: n };
    faults.push({ atMs: t, fault: start }, { atMs: t + rng.int(5, 150), fault: end });
  }
  if (rng.chance(0.5)) {
    const t = at();
    faults.push({ atMs: t, fault: { type: 'network', lossRate: rng.int(0, 40) / 100,
      dupRate: rng.int(0, 40) / 100 } },
    { atMs: t + rng.int(10, 150), fault: { type: 'network', lossRate: 0, dupRate: 0 } });
  }
  return { inputs: inputs.sort((a, b) => a.atMs - b.atMs),
    faults: faults.sort((a, b) => a.atMs - b.atMs) };
}

/** Runs the transaction layer in the simulator for `seed` and records the trace. */
export function generateTxnSimTrace(seed: number, steps?: ClusterSteps): GeneratedTrace {
  const run = txnRun({ cluster: TXN_TRACE_CLUSTER, record: true,
    ...(steps === undefined ? {} : { steps }) },
  { network: TXN_NETWORK, ...TXN_SIM_LIMITS, hashLog: false });
  const r = runSim(run.options, seed >>> 0, txnRandomPlan(seed));
  const out: GeneratedTrace = { seed, trace: txnTraceOf(run) };
  if (!r.ok) out.failure = r.failure.message;
  return out;
}

/** A seeded schedule of at most `stepsMax` actions; invariants checked after every one. */
export function generateTxnTrace(seed: number, steps?: ClusterSteps,
  stepsMax = TXN_RUN_STEPS_MAX): GeneratedTrace & { labels: string[] } {
  const rng = new Prng(seed >>> 0).fork('txn-schedule');
  let c = initCluster(TXN_TRACE_CLUSTER, steps);
  const out: GeneratedTrace & { labels: string[] } = {
    seed, trace: { init: specState(c), steps: [] }, labels: [],
  };
  for (let i = 0; i < stepsMax; i += 1) {
    const enabled = enabledActions(c);
    if (enabled.length === 0) break;
    // Crashes are rarer than steps: draw one only one time in eight.
    const pool = rng.chance(0.125) ? enabled : enabled.filter((a) => a.action !== 'Crash');
    if (pool.length === 0) continue;
    const a = pool[rng.int(0, pool.length - 1)]!;
    c = applyAction(c, a);
    out.labels.push(a.label);
    out.trace.steps.push({ action: a.action, state: specState(c) });
    const violated = violatedInvariants(c);
    if (violated.length > 0) {
      out.failure = `invariant ${violated.join(', ')} after step ${i + 1} (${a.label})`;
      break;
    }
  }
  return out;
}

/**
 * src/txn's cluster.ts as a replay target. The spec state does not show who recovers a
 * transaction, and recovering changes what a proposer proposes next (an owner that proposed an
 * AbortVote proposes no more Prepare, though the Prepares it sent stay in the network); graph
 * replay takes the first candidate that reaches the edge's state, so a non-owner's AbortVote /
 * Decide is offered before the owner's.
 */
export function txnTarget(config: ClusterConfig, steps?: ClusterSteps):
  ReplayTarget<Cluster, ClusterAction> {
  const ownerActs = (c: Cluster, a: ClusterAction): number =>
    (a.action === 'AbortVote' || a.action === 'Decide') && c.owner[a.params.t] === a.params.p
      ? 1 : 0;
  return {
    init: () => initCluster(config, steps),
    enabled: (c) => [...enabledActions(c)].sort((x, y) => ownerActs(c, x) - ownerActs(c, y)),
    apply: (c, a) => applyAction(c, a),
    actionName: (a) => a.action,
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}

export const TXN_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: TXN_SPEC,
  generateTrace: (seed) => generateTxnSimTrace(seed),
  replayTarget: (cfgText) => txnTarget(txnClusterFromCfg(cfgText)),
};
