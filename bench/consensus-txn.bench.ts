/**
 * consensus-txn benchmarks (issue 3, item 6):
 * (a) messages and message delays per transaction for 1, 2, 4, 8 groups per transaction,
 *     counted on an in-memory transport (bench/consensus/counting.ts), against Paxos Commit's
 *     normal case (Gray and Lamport, "Consensus on Transaction Commit", ACM TODS 2006):
 *     5 message delays and (N+1)(F+3) - 2 messages, N = groups, F = 1;
 * (b) loopback with fsync on (bench/consensus/loopback.ts): committed two-group
 *     transactions per second and p50/p99 latency with a fixed number of closed-loop clients,
 *     members as separate processes (target: >= 1,000/s, p99 <= 50 ms); then the same with
 *     1, 2, 4, 8 groups per transaction (members in this process, so 24 members fit).
 *
 * Run: npx tsx bench/run.ts consensus-txn   (CN_BENCH_MS sets each loopback run's length)
 */
import { countPerTxn, paxosCommitOptimum } from './consensus/counting.ts';
import { loopback, type LoopbackResult } from './consensus/loopback.ts';
import type { BenchResult } from './types.ts';

const GROUPS = [1, 2, 4, 8] as const;
const DURATION_MS = Number(process.env.CN_BENCH_MS ?? 6_000);
const CLIENTS = Number(process.env.CN_BENCH_CLIENTS ?? 32);

async function counting(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const g of GROUPS) {
    const c = await countPerTxn(g, 20);
    const opt = paxosCommitOptimum(g);
    const detail = { ...c, paxosCommitMessages: opt.messages, paxosCommitDelays: opt.delays,
      twoPhaseCommitMessages: 3 * g - 1, twoPhaseCommitDelays: 4,
      note: 'critical = Accept+Accepted for Prepare and Commit entries in every group + client '
        + 'request/answer; notifications = Chosen to every member (phase 3, off the path)' };
    out.push(
      { name: `msgs/txn critical, ${g} group(s)`, unit: 'messages', value: c.criticalMsgsPerTxn,
        samples: c.txns, detail },
      { name: `msgs/txn incl. notifications, ${g} group(s)`, unit: 'messages',
        value: c.criticalMsgsPerTxn + c.notifyMsgsPerTxn, samples: c.txns },
      { name: `Paxos Commit optimum msgs, N=${g} F=1`, unit: 'messages', value: opt.messages },
      { name: `message delays/txn, ${g} group(s)`, unit: 'delays', value: c.delaysPerTxn,
        samples: c.txns, detail: { paxosCommit: opt.delays, twoPhaseCommit: 4 } },
    );
  }
  return out;
}

function loopResults(r: LoopbackResult, tag: string, targets: boolean): BenchResult[] {
  const detail = { ...r };
  return [
    { name: `committed txn/s ${tag}`, unit: 'txn/s', value: r.committedPerSecond,
      samples: r.committed, detail,
      ...(targets ? { target: { op: '>=' as const, value: 1_000 } } : {}) },
    { name: `latency p50 ${tag}`, unit: 'ms', value: r.p50Ms, samples: r.committed },
    { name: `latency p99 ${tag}`, unit: 'ms', value: r.p99Ms, samples: r.committed,
      ...(targets ? { target: { op: '<=' as const, value: 50 } } : {}) },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const out = await counting();
  const headline = await loopback(2, CLIENTS, DURATION_MS, 'process');
  out.push(...loopResults(headline, `2 groups, ${CLIENTS} clients, member processes`, true));
  const single = await loopback(2, 1, Math.round(DURATION_MS / 2), 'process');
  out.push(...loopResults(single, '2 groups, 1 client, member processes', false));
  for (const g of GROUPS) {
    const r = await loopback(g, CLIENTS, Math.round(DURATION_MS / 2), 'inproc');
    out.push(...loopResults(r, `${g} group(s), ${CLIENTS} clients, in-process members`, false));
  }
  return out;
}
