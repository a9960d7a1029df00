/**
 * `plumbline conform consensus-txn`: two specs, two results.
 *  1. spec/consensus-txn/GroupPaxos.tla: simulator runs of one Paxos group of src/consensus
 *     (3 members, 2 proposers, message faults, crashes, joins) validated by TLC; the state
 *     graph of GroupPaxosReplay.cfg replayed on cluster.ts from every initial majority.
 *  2. spec/consensus-txn/CrossGroupTxn.tla: seeded runs of the transaction layer (src/txn)
 *     validated by TLC; CrossGroupTxnReplay.cfg's graph replayed on src/txn's cluster.ts.
 * Each is judged by the shared kit (`judge`): all traces accepted, no replay mismatch, every
 * action covered, edge coverage at least EDGE_COVERAGE_MIN.
 */
import { readFileSync } from 'node:fs';
import {
  judge, rejectionsOf, runConformance, validateBindingTraces, writeTracesAsItf,
} from '../../conform/index.ts';
import type { ConformDriver, ConformOptions, ConformResult } from '../../conform/index.ts';
import { PAXOS_BINDING, PAXOS_REPLAY_CONFIG_PATH, paxosClustersFromCfg, paxosTarget }
  from './paxos-binding.ts';
import { replayFromEveryInit } from './multi-init.ts';
import { TXN_BINDING } from './txn-binding.ts';

export * from './paxos-binding.ts';
export * from './txn-binding.ts';
export { replayFromEveryInit } from './multi-init.ts';
export { mirrorCluster, NOOP_VALUE, paxosRun, paxosTraceOf } from './paxos-sim.ts';
export type {
  PaxosDurable, PaxosInput, PaxosJournal, PaxosRun, PaxosSimConfig, PaxosSimOptions,
  PaxosVolatile,
} from './paxos-sim.ts';

/** GroupPaxosReplay.cfg replayed from each of its initial states. */
export async function replayGroupPaxos() {
  const cfg = readFileSync(PAXOS_REPLAY_CONFIG_PATH, 'utf8');
  return replayFromEveryInit(PAXOS_BINDING.spec, paxosClustersFromCfg(cfg).map((c) =>
    paxosTarget(c)));
}

/** The kit's runConformance, with the multi-init replay (GroupPaxos's Init has 3 states). */
async function runGroupPaxos(opts: ConformOptions): Promise<ConformResult> {
  const started = performance.now();
  const protocol = PAXOS_BINDING.spec.protocol;
  const emit = opts.onEvent ?? (() => undefined);
  emit({ type: 'phase', protocol, phase: 'traces' });
  const { generated, validation } = await validateBindingTraces(PAXOS_BINDING, {
    runs: opts.runs, seed: opts.seed,
    onRun: (done) => {
      if (done === opts.runs) emit({ type: 'phase', protocol, phase: 'validate' });
    },
  });
  if (opts.itfDir !== undefined) writeTracesAsItf(PAXOS_BINDING.spec, opts.itfDir, generated);
  emit({ type: 'phase', protocol, phase: 'replay' });
  const rp = await replayGroupPaxos();
  const reasons = judge(validation, generated, rp);
  const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
  return {
    protocol, spec: PAXOS_BINDING.spec.specLabel, seed: opts.seed,
    traces: {
      run: generated.length, accepted: validation.accepted, rejected: validation.rejected,
      steps: generated.reduce((n, g) => n + g.trace.steps.length, 0),
      actionsSeen: [...seen].sort(),
      rejections: rejectionsOf(PAXOS_BINDING.spec, validation, generated),
      tlcSeconds: validation.tlcSeconds,
    },
    replay: {
      config: rp.config, actionsTotal: rp.actionsTotal, actionsCovered: rp.actionsCovered,
      actionsUncovered: rp.actionsUncovered, edgesTotal: rp.edgesTotal,
      edgesCovered: rp.edgesCovered,
      edgeCoverage: rp.edgesTotal === 0 ? 0 : rp.edgesCovered / rp.edgesTotal,
      paths: rp.paths, mismatches: rp.mismatches,
    },
    seconds: (performance.now() - started) / 1000, ok: reasons.length === 0, reasons,
  };
}

async function run(opts: ConformOptions): Promise<ConformResult[]> {
  const paxos = await runGroupPaxos(opts);
  const txn = await runConformance(TXN_BINDING, opts);
  return [paxos, txn];
}

export const consensusTxnConformance: ConformDriver = { protocol: 'consensus-txn', run };
export { txnRun, txnTraceOf, txnViewOf } from './txn-sim.ts';
export type {
  TxnJournal, TxnRun, TxnSimConfig, TxnSimDurable, TxnSimInput, TxnSimMsg, TxnSimOptions,
  TxnSimVolatile,
} from './txn-sim.ts';
