/**
 * Committed transactions per second and latency on loopback with fsync on: three members per
 * group, each on its own group-commit WAL (fdatasync before any answer), real TCP between
 * clients, the proposer and the members; a fixed number of closed-loop clients, each
 * transaction touching G groups (one account per group, accounts drawn from a large set so
 * conflicts are rare). Members run as separate processes or inside this process.
 */
import { TxnCluster } from '../../src/consensus/node/index.ts';
import type { Op } from '../../src/txn/entries.ts';

export interface LoopbackResult {
  readonly groups: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly committed: number;
  readonly aborted: number;
  readonly undecided: number;
  readonly committedPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly membersAs: 'process' | 'inproc';
  readonly walFsyncsPerTxn: number | null;
  readonly msgsPerTxn: number;
  readonly framesPerTxn: number;
}

const ACCOUNTS = 1_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function opsFor(groups: number, rnd: () => number): Op[] {
  const pick = (): number => Math.floor(rnd() * ACCOUNTS);
  if (groups === 1) {
    const a = pick();
    const b = (a + 1 + Math.floor(rnd() * (ACCOUNTS - 1))) % ACCOUNTS;
    return [{ group: 'g1', key: `g1a${a}`, delta: -1 }, { group: 'g1', key: `g1a${b}`, delta: 1 }];
  }
  return Array.from({ length: groups }, (_, g) => ({
    group: `g${g + 1}`, key: `g${g + 1}a${pick()}`, delta: g === 0 ? -(groups - 1) : 1,
  }));
}

/** xorshift: the bench's own seeded randomness for account choice. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export async function loopback(groups: number, clients: number, durationMs: number,
  membersAs: 'process' | 'inproc'): Promise<LoopbackResult> {
  const cluster = await TxnCluster.start({ groups, accountsPerGroup: ACCOUNTS,
    initialBalance: 1_000_000, proposers: ['p1'], membersAs, proposersAs: 'inproc',
    timing: { txnRetryMs: 2_000, recoverAfterMs: 5_000, paxosRetryMs: 1_000 } });
  try {
    const warm = cluster.client('warm');
    await warm.transact(opsFor(groups, rng(99)), { timeoutMs: 10_000 });
    const node = cluster.proposerNodes.get('p1')!;
    const msgs0 = node.counters.msgsSent;
    const frames0 = node.counters.framesSent;
    const latencies: number[] = [];
    let aborted = 0;
    let undecided = 0;
    const startMs = performance.now();
    const endMs = startMs + durationMs;
    const loop = async (i: number): Promise<void> => {
      const c = cluster.client(`c${i}`);
      const rnd = rng(1_000 + i);
      while (performance.now() < endMs) {
        const t0 = performance.now();
        const r = await c.transact(opsFor(groups, rnd), { timeoutMs: 5_000 });
        if (!r.ok) throw new Error(r.error.message);
        if (r.value.outcome === 'committed') latencies.push(performance.now() - t0);
        else if (r.value.decided) aborted += 1;
        else undecided += 1;
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
    const elapsedS = (performance.now() - startMs) / 1_000;
    const done = latencies.length + aborted + undecided;
    latencies.sort((a, b) => a - b);
    return {
      groups, clients, durationMs, committed: latencies.length, aborted, undecided,
      committedPerSecond: latencies.length / elapsedS,
      p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), membersAs,
      walFsyncsPerTxn: null,
      msgsPerTxn: (node.counters.msgsSent - msgs0) / Math.max(1, done),
      framesPerTxn: (node.counters.framesSent - frames0) / Math.max(1, done),
    };
  } finally {
    await cluster.stop();
    cluster.removeDir();
  }
}
