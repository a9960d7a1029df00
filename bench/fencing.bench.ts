/**
 * fencing through the real node driver (separate processes, loopback TCP frames, pwrite +
 * fdatasync) against a baseline with the same topology, transport and blocks but no fencing
 * (bench/fencing-baseline.ts): write latency p50/p99, throughput, the overhead ratio, and the
 * failover time from a new credential (Promote) to the first acknowledged write.
 * Runs interleaved rounds (baseline, fencing, …) so background load hits both alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { FrameClient, killAllRoles, RoleProcess } from '../src/runtime/node/index.ts';
import { FencingCluster } from '../src/fencing/node/index.ts';
import { proxyAck, type proxyWrite } from './fencing-baseline.ts';
import type { BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = 5;
const SEQUENTIAL_WRITES = 120;
const WORKERS = 8;
const WRITES_PER_WORKER = 30;
const FAILOVERS = 6;

type WriteFn = (extent: number, val: string) => Promise<boolean>;

function percentile(sortedMs: number[], p: number): number {
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? NaN;
}

async function sequential(write: WriteFn, count: number, latenciesMs: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    if (!(await write(0, `v-${i}`))) throw new Error('write not acknowledged');
    latenciesMs.push(performance.now() - t0);
  }
}

/** WORKERS writers, each on its own extent; returns writes per second. */
async function throughput(write: WriteFn): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; i < WRITES_PER_WORKER; i++) {
      if (!(await write(w, `w${w}-${i}`))) throw new Error('write not acknowledged');
    }
  }));
  return (WORKERS * WRITES_PER_WORKER) / ((performance.now() - t0) / 1000);
}

async function startBaseline(dir: string): Promise<{ write: WriteFn; stop: () => Promise<void> }> {
  const entry = path.join(here, 'fencing-baseline.ts');
  const stores: RoleProcess[] = [];
  for (let i = 1; i <= 3; i++) {
    const s = await RoleProcess.spawn({ name: `store-${i}`, entry,
      args: { role: 'store', name: `store-${i}`, dataPath: path.join(dir, `store-${i}.img`) } });
    if (!s.ok) throw new Error(s.error.message);
    stores.push(s.value);
  }
  const proxy = await RoleProcess.spawn({ name: 'proxy', entry,
    args: { role: 'proxy', stores: stores.map((s) => s.port), writeQuorum: 2 } });
  if (!proxy.ok) throw new Error(proxy.error.message);
  const client = new FrameClient<z.infer<typeof proxyWrite>, z.infer<typeof proxyAck>>({
    port: proxy.value.port, responseSchema: proxyAck, requestTimeoutMs: 5000 });
  return {
    write: async (extent, val) => (await client.request({ extent, val })).ok,
    stop: async () => {
      await client.close();
      await Promise.all([proxy.value, ...stores].map((r) => r.kill()));
    },
  };
}

function fencingWrite(cluster: FencingCluster): WriteFn {
  return async (extent, val) => {
    const r = await cluster.write(extent, val);
    return r.ok && r.value.type === 'WriteAcked';
  };
}

async function failovers(cluster: FencingCluster): Promise<number[]> {
  const timesMs: number[] = [];
  const heads = cluster.headNames();
  for (let i = 0; i < FAILOVERS; i++) {
    const head = heads[(i + 1) % heads.length]!;
    const t0 = performance.now();
    const promoted = await cluster.promote(head);
    if (!promoted.ok || promoted.value.type !== 'Promoted') throw new Error('promote failed');
    const written = await cluster.write(0, `failover-${i}`);
    if (!written.ok || written.value.type !== 'WriteAcked') throw new Error('write failed');
    timesMs.push(performance.now() - t0);
  }
  return timesMs;
}

function latencyResults(prefix: string, ms: number[]): BenchResult[] {
  const sorted = [...ms].sort((a, b) => a - b);
  return [
    { name: `${prefix}.write.p50`, unit: 'ms', value: percentile(sorted, 50), samples: ms.length },
    { name: `${prefix}.write.p99`, unit: 'ms', value: percentile(sorted, 99), samples: ms.length },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-bench-fencing-'));
  const extents = Array.from({ length: WORKERS }, (_, i) => i);
  try {
    const cluster = await FencingCluster.start({ dir, extents });
    if (!cluster.ok) throw new Error(cluster.error.message);
    const c = cluster.value;
    const promoted = await c.promote(c.headNames()[0]!);
    if (!promoted.ok || promoted.value.type !== 'Promoted') throw new Error('promote failed');
    const baseline = await startBaseline(dir);
    const fenced = fencingWrite(c);
    await sequential(baseline.write, 20, []);
    await sequential(fenced, 20, []);
    const lat = { baseline: [] as number[], fencing: [] as number[] };
    const tput = { baseline: [] as number[], fencing: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which path goes first, so neither always inherits the other's disk state.
      const order = round % 2 === 0 ? (['baseline', 'fencing'] as const)
        : (['fencing', 'baseline'] as const);
      for (const which of order) {
        const write = which === 'baseline' ? baseline.write : fenced;
        await sequential(write, SEQUENTIAL_WRITES, lat[which]);
        tput[which].push(await throughput(write));
      }
    }
    const failoverMs = await failovers(c);
    await baseline.stop();
    await c.stop();
    return summarise(lat, tput, failoverMs);
  } finally {
    await killAllRoles();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function summarise(lat: { baseline: number[]; fencing: number[] },
  tput: { baseline: number[]; fencing: number[] }, failoverMs: number[]): BenchResult[] {
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const p50 = { b: median(lat.baseline), f: median(lat.fencing) };
  const tp = { b: median(tput.baseline), f: median(tput.fencing) };
  const sortedFailover = [...failoverMs].sort((a, b) => a - b);
  const topology = { sleds: 3, writeQuorum: 2, blockBytes: 4096, durability: 'pwrite+fdatasync' };
  return [
    ...latencyResults('baseline', lat.baseline),
    ...latencyResults('fencing', lat.fencing),
    { name: 'fencing.overhead.latency-p50', unit: 'ratio', value: p50.f / p50.b,
      target: { op: '<=', value: 1.05 }, detail: { ...topology, baselineMs: p50.b,
        fencingMs: p50.f } },
    { name: 'baseline.throughput', unit: 'writes/s', value: tp.b, samples: tput.baseline.length,
      detail: { workers: WORKERS, writesPerWorker: WRITES_PER_WORKER } },
    { name: 'fencing.throughput', unit: 'writes/s', value: tp.f, samples: tput.fencing.length,
      detail: { workers: WORKERS, writesPerWorker: WRITES_PER_WORKER } },
    { name: 'fencing.overhead.throughput', unit: 'ratio', value: tp.b / tp.f,
      target: { op: '<=', value: 1.05 }, detail: { rounds: tput.fencing } },
    { name: 'fencing.failover.p50', unit: 'ms', value: percentile(sortedFailover, 50),
      samples: failoverMs.length, detail: { from: 'Promote sent (Grant, Fence F, Repair)',
        to: 'first WriteAcked', allMs: failoverMs.map((x) => Math.round(x * 10) / 10) } },
    { name: 'fencing.failover.max', unit: 'ms', value: sortedFailover.at(-1) ?? NaN,
      samples: failoverMs.length },
  ];
}

if (process.argv[1]?.endsWith('fencing.bench.ts') === true) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
}
