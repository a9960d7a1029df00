import type { ClusterConfig, TxnSpec } from '../../src/txn/index.ts';

export const T1: TxnSpec = { id: 't1', ops: [
  { group: 'g1', key: 'a1', delta: -1 }, { group: 'g2', key: 'a2', delta: 1 },
] };
export const T2: TxnSpec = { id: 't2', ops: [
  { group: 'g2', key: 'a2', delta: -1 }, { group: 'g1', key: 'a1', delta: 1 },
] };
export const T3: TxnSpec = { id: 't3', ops: [
  { group: 'g1', key: 'a1', delta: -1 }, { group: 'g2', key: 'a2', delta: -1 },
  { group: 'g3', key: 'a3', delta: 2 },
] };

/** The workload of spec/consensus-txn/MCCrossGroupTxn.tla with all three transfers (Deep.cfg). */
export const DEEP_CONFIG: ClusterConfig = {
  groups: ['g1', 'g2', 'g3'],
  proposers: ['p1', 'p2'],
  accounts: { a1: { group: 'g1', initial: 2 }, a2: { group: 'g2', initial: 2 },
    a3: { group: 'g3', initial: 2 } },
  txns: [T1, T2, T3],
};

/** A seeded PRNG (mulberry32): the walk's only source of randomness. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
