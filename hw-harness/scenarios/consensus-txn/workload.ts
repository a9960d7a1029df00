/**
 * Bank-transfer clients over a TxnCluster: each client loops, moving money from one account of
 * one group to accounts of `span` other groups (the deltas sum to 0), and records what it was
 * told with the times it submitted and learnt it. Test-side randomness (a seeded PRNG).
 */
import { Prng } from '../../../src/runtime/sim/index.ts';
import type { Op } from '../../../src/txn/index.ts';
import type { TxnClient } from '../../../src/consensus/node/index.ts';
import type { Observation } from './history.ts';

export interface WorkloadConfig {
  readonly groups: readonly string[];
  readonly accountsPerGroup: number;
  /** How many groups one transfer touches (2..groups). */
  readonly span: number;
  readonly timeoutMs: number;
  readonly marginMs: number;
}
export interface Observed extends Observation { readonly elapsedMs: number }
export interface Refused { readonly txnId: string; readonly message: string }

/** The workload's seeded randomness: the simulator's PRNG, as a `() => [0, 1)` function. */
export function prng(seed: number): () => number {
  const rng = new Prng(seed >>> 0);
  return () => rng.float();
}

export function transfer(cfg: WorkloadConfig, rnd: () => number): Op[] {
  const pool = [...cfg.groups];
  const picked: string[] = [];
  const span = Math.max(2, Math.min(cfg.span, pool.length));
  while (picked.length < span) picked.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]!);
  const credits = picked.slice(1).map((g) => ({ group: g,
    key: `${g}a${Math.floor(rnd() * cfg.accountsPerGroup)}`, delta: 1 + Math.floor(rnd() * 9) }));
  const from = picked[0]!;
  const debit = { group: from, key: `${from}a${Math.floor(rnd() * cfg.accountsPerGroup)}`,
    delta: -credits.reduce((a, c) => a + c.delta, 0) };
  return [debit, ...credits];
}

export async function clientLoop(client: TxnClient, name: string, seed: number,
  cfg: WorkloadConfig, stop: { now: boolean }, out: Observed[], refused: Refused[]):
  Promise<void> {
  const rnd = prng(seed);
  for (let n = 1; !stop.now; n += 1) {
    const ops = transfer(cfg, rnd);
    const txnId = `${name}-${n}`;
    const startedAtMs = Date.now();
    const r = await client.transact(ops, { id: txnId, timeoutMs: cfg.timeoutMs,
      marginMs: cfg.marginMs });
    const resolvedAtMs = Date.now();
    if (!r.ok) {
      refused.push({ txnId, message: `${r.error.code}: ${r.error.message}` });
      continue;
    }
    out.push({ txnId, ops, startedAtMs, resolvedAtMs, elapsedMs: resolvedAtMs - startedAtMs,
      outcome: r.value.outcome });
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
