/**
 * `plumbline conform consensus-txn`: two specs, two results.
 *  1. spec/consensus-txn/GroupPaxos.tla: simulator runs of one Paxos group of src/consensus
 *     (3 members, 2 proposers, message faults, crashes, joins) validated by TLC; the state
 *     graph of GroupPaxosReplay.cfg replayed on cluster.ts from every initial majority.
 *  2. spec/consensus-txn/CrossGroupTxn.tla: seeded runs of the transaction layer (src/txn)
 *     validated by TLC; CrossGroupTxnReplay.cfg's graph replayed on src/txn's cluster.ts.
 * Both run through the shared kit (GroupPaxos's binding gives one replay target per initial
 * state): all traces accepted, no replay mismatch, every
 * action covered, edge coverage at least EDGE_COVERAGE_MIN.
 */
import { replayBinding, runConformance } from '../../conform/index.ts';
import type {
  ConformDriver, ConformOptions, ConformResult, ReplayResult,
} from '../../conform/index.ts';
import { PAXOS_BINDING } from './paxos-binding.ts';
import { TXN_BINDING } from './txn-binding.ts';

export * from './paxos-binding.ts';
export * from './txn-binding.ts';
export { mirrorCluster, NOOP_VALUE, paxosRun, paxosTraceOf } from './paxos-sim.ts';
export type {
  PaxosDurable, PaxosInput, PaxosJournal, PaxosRun, PaxosSimConfig, PaxosSimOptions,
  PaxosVolatile,
} from './paxos-sim.ts';

/** GroupPaxosReplay.cfg replayed from each of its initial states (one target per majority). */
export async function replayGroupPaxos(): Promise<ReplayResult> {
  return replayBinding(PAXOS_BINDING);
}

async function run(opts: ConformOptions): Promise<ConformResult[]> {
  const paxos = await runConformance(PAXOS_BINDING, opts);
  const txn = await runConformance(TXN_BINDING, opts);
  return [paxos, txn];
}

export const consensusTxnConformance: ConformDriver = { protocol: 'consensus-txn', run };
export { txnRun, txnTraceOf, txnViewOf } from './txn-sim.ts';
export type {
  TxnJournal, TxnRun, TxnSimConfig, TxnSimDurable, TxnSimInput, TxnSimMsg, TxnSimOptions,
  TxnSimVolatile,
} from './txn-sim.ts';
