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
const SEQUENTIAL_WRITES = 150;
const WARMUP_WRITES = 200;
const WORKERS = 8;
const WRITES_PER_WORKER = 30;
const FAILOVERS = 6;

type WriteFn = (extent: number, val: string) => Promise<boolean>;

function percentile(sortedMs: number[], p: number): number {
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? NaN;
}

/**
 * Paired sequential samples: each iteration times one baseline write and one fencing write
 * back to back (which goes first alternates), so background load on this shared 2-core machine
 * hits both paths alike instead of whichever round it happened to fall in.
 */
async function pairedSequential(paths: { baseline: WriteFn; fencing: WriteFn }, count: number,
  latenciesMs: { baseline: number[]; fencing: number[] }): Promise<void> {
  for (let i = 0; i < count; i++) {
    const order = i % 2 === 0 ? (['baseline', 'fencing'] as const)
      : (['fencing', 'baseline'] as const);
    for (const which of order) {
      const t0 = performance.now();
      if (!(await paths[which](0, `v-${i}`))) throw new Error(`${which} write not acknowledged`);
      latenciesMs[which].push(performance.now() - t0);
    }
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

type Failover = { promoteToAckMs: number; grantToServingMs: number };

/**
 * Alternate the heads. A head that was replaced still believes it serves until a sled answers
 * it Fenced (spec HeadFencedOff), and only then may it take over again (the TakeOver guard):
 * before promoting it, let it try one write per extent, outside the timed part.
 */
async function failovers(cluster: FencingCluster, extents: number[]): Promise<Failover[]> {
  const out: Failover[] = [];
  const heads = cluster.headNames();
  for (let i = 0; i < FAILOVERS; i++) {
    const head = heads[(i + 1) % heads.length]!;
    for (const extent of i >= 1 ? extents : []) {
      const stale = await cluster.write(extent, `stale-${i}`, head);
      if (!stale.ok || stale.value.type !== 'Fenced') throw new Error('stale head not fenced');
    }
    const t0 = performance.now();
    const promoted = await cluster.promote(head);
    if (!promoted.ok || promoted.value.type !== 'Promoted') throw new Error('promote failed');
    const t1 = performance.now();
    const written = await cluster.write(0, `failover-${i}`);
    if (!written.ok || written.value.type !== 'WriteAcked') throw new Error('write failed');
    const t2 = performance.now();
    out.push({ promoteToAckMs: t2 - t0,
      grantToServingMs: (promoted.value.grantToServingMs['0'] ?? NaN) + (t2 - t1) });
  }
  return out;
}

async function sledSyncsPerWrite(cluster: FencingCluster, writes: () => Promise<number>) {
  const before = await cluster.sledStats('sled-1');
  const count = await writes();
  const after = await cluster.sledStats('sled-1');
  if (!before.ok || !after.ok) throw new Error('sled stats');
  const syncs = (after.value.blockSyncs + after.value.statePersists)
    - (before.value.blockSyncs + before.value.statePersists);
  return syncs / count;
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
    const paths = { baseline: baseline.write, fencing: fencingWrite(c) };
    // Warm-up: V8 tiers up the hot paths of all seven processes only after a few hundred calls.
    await pairedSequential(paths, WARMUP_WRITES, { baseline: [], fencing: [] });
    const lat = { baseline: [] as number[], fencing: [] as number[] };
    const tput = { baseline: [] as number[], fencing: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      await pairedSequential(paths, SEQUENTIAL_WRITES, lat);
      // Alternate which path goes first, so neither always inherits the other's disk state.
      const order = round % 2 === 0 ? (['baseline', 'fencing'] as const)
        : (['fencing', 'baseline'] as const);
      for (const which of order) tput[which].push(await throughput(paths[which]));
    }
    const syncsPerWrite = await sledSyncsPerWrite(c, async () => {
      await pairedSequential({ baseline: async () => true, fencing: paths.fencing }, 50,
        { baseline: [], fencing: [] });
      return 50;
    });
    const failover = await failovers(c, extents);
    await baseline.stop();
    await c.stop();
    return summarise(lat, tput, failover, syncsPerWrite);
  } finally {
    await killAllRoles();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function summarise(lat: { baseline: number[]; fencing: number[] },
  tput: { baseline: number[]; fencing: number[] }, failover: Failover[],
  syncsPerWrite: number): BenchResult[] {
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const p50 = { b: median(lat.baseline), f: median(lat.fencing) };
  const tp = { b: median(tput.baseline), f: median(tput.fencing) };
  const promoteMs = failover.map((f) => f.promoteToAckMs).sort((a, b) => a - b);
  const grantMs = failover.map((f) => f.grantToServingMs);
  const topology = { sleds: 3, writeQuorum: 2, blockBytes: 4096, durability: 'pwrite+fdatasync' };
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return [
    ...latencyResults('baseline', lat.baseline),
    ...latencyResults('fencing', lat.fencing),
    { name: 'fencing.overhead.latency-p50', unit: 'ratio', value: p50.f / p50.b,
      target: { op: '<=', value: 1.05 }, detail: { ...topology, baselineMs: p50.b,
        fencingMs: p50.f, pairing: 'one baseline and one fencing write per iteration' } },
    { name: 'baseline.throughput', unit: 'writes/s', value: tp.b, samples: tput.baseline.length,
      detail: { workers: WORKERS, writesPerWorker: WRITES_PER_WORKER } },
    { name: 'fencing.throughput', unit: 'writes/s', value: tp.f, samples: tput.fencing.length,
      detail: { workers: WORKERS, writesPerWorker: WRITES_PER_WORKER } },
    { name: 'fencing.overhead.throughput', unit: 'ratio', value: tp.b / tp.f,
      target: { op: '<=', value: 1.05 }, detail: { rounds: tput.fencing } },
    { name: 'fencing.sled.fsyncs-per-write', unit: 'fsyncs', value: syncsPerWrite,
      target: { op: '<=', value: 1 }, detail: { sled: 'sled-1', baseline: 1 } },
    { name: 'fencing.failover.grant-to-first-ack.p50', unit: 'ms', value: median(grantMs),
      samples: grantMs.length, detail: { from: 'Grant received by the head (extent 0)',
        to: 'first WriteAcked at the client', allMs: grantMs.map(round1) } },
    { name: 'fencing.failover.p50', unit: 'ms', value: percentile(promoteMs, 50),
      samples: promoteMs.length, detail: { from: 'Promote sent (Grant, Fence F, Repair) for '
        + `${WORKERS} extents`, to: 'first WriteAcked', allMs: promoteMs.map(round1) } },
    { name: 'fencing.failover.max', unit: 'ms', value: promoteMs.at(-1) ?? NaN,
      samples: promoteMs.length },
  ];
}

if (process.argv[1]?.endsWith('fencing.bench.ts') === true) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
}
