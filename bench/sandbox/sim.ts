/**
 * A small discrete-event simulator of sandbox placement (for bench/sandbox-placement.bench.ts).
 *
 * W worker managers with `capacity` sandbox slots each; F function kinds with Zipf popularity
 * (weight 1/rank^s); Poisson arrivals at `load` × (W × capacity / execMeanMs); exponential
 * execution times. A placement policy (policies.ts) decides per invocation which workers are
 * asked and whether the sandbox is warm (an idle one of that function) or provisioned.
 *
 * Model choices (stated, not hidden):
 * - Asking a worker costs `probeMs` of acquisition latency; a provision adds `provisionMs`.
 *   The decision itself happens at the arrival instant (probes are short against execution).
 * - A provisioned sandbox holds its slot from the decision on; it runs the invocation after
 *   `provisionMs`, then sits idle. An idle sandbox is reclaimed `keepAliveMs` after it went idle
 *   unless it was reused. A worker whose slots are all taken but some idle may provision by
 *   evicting one idle sandbox (the reclaim of US11714682B1); a worker whose slots are all busy
 *   cannot host: the policy asks elsewhere or throttles.
 * - Metrics count only invocations that arrive after `warmupMs`.
 * Randomness: src/runtime/sim's Prng, one fork per purpose, so a seed replays a run exactly.
 */
import { Prng } from '../../src/runtime/sim/index.ts';

export type SimParams = {
  workers: number;
  capacity: number;
  functions: number;
  zipfS: number;
  /** Offered load as a share of capacity (0..1). */
  load: number;
  execMeanMs: number;
  keepAliveMs: number;
  probeMs: number;
  provisionMs: number;
  maxProbes: number;
  warmupMs: number;
  measureMs: number;
  seed: number;
};

const BUSY = 0;
const IDLE = 1;
const GONE = 2;

export type Sandbox = {
  fn: number;
  worker: number;
  state: number;
  /** Bumped on every transition to idle: a reclaim check is valid only for its generation. */
  gen: number;
  /** Position in the worker's idle list while idle. */
  idleIdx: number;
};

type WorkerSlots = {
  used: number;
  idleList: Sandbox[];
  idleByFn: Map<number, Sandbox[]>;
};

/** What a policy may ask of the cluster (each call is what one probe would learn). */
export interface ClusterView {
  readonly workers: number;
  readonly capacity: number;
  hasIdle(worker: number, fn: number): boolean;
  /** A free slot, or an idle sandbox to evict for a provision. */
  canHost(worker: number): boolean;
  /** Busy (and provisioning) sandboxes on the worker. */
  busy(worker: number): number;
}

export type Decision =
  | { mode: 'warm'; worker: number; asks: number }
  | { mode: 'provision'; worker: number; asks: number }
  | { mode: 'throttle'; asks: number };

export interface Policy {
  readonly name: string;
  decide(fn: number, cluster: ClusterView, rng: Prng): Decision;
}

export type CellMetrics = {
  invocations: number;
  warm: number;
  provisions: number;
  throttled: number;
  evictions: number;
  asksTotal: number;
  asksMax: number;
  /** Acquisition latency percentiles over placed (not throttled) invocations, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Every invocation simulated, warm-up included (the throughput figure counts these). */
  simulated: number;
  /** Mean busy slot share seen by arrivals (= the time average, Poisson arrivals). */
  utilisation: number;
  wallMs: number;
  /** This process's CPU time for the cell (the machine is shared; wall time overstates). */
  cpuMs: number;
};

class Cluster implements ClusterView {
  readonly slots: WorkerSlots[];
  evictions = 0;
  /** Busy (and provisioning) sandboxes over all workers. */
  busyTotal = 0;
  constructor(readonly workers: number, readonly capacity: number) {
    this.slots = Array.from({ length: workers }, () => ({ used: 0, idleList: [],
      idleByFn: new Map<number, Sandbox[]>() }));
  }

  hasIdle(worker: number, fn: number): boolean {
    const byFn = this.slots[worker]!.idleByFn;
    const stack = byFn.get(fn);
    if (stack === undefined) return false;
    while (stack.length > 0 && stack[stack.length - 1]!.state !== IDLE) stack.pop();
    if (stack.length > 0) return true;
    byFn.delete(fn); // keep the maps small: only functions with idle sandboxes (or stale ones)
    return false;
  }

  canHost(worker: number): boolean {
    const w = this.slots[worker]!;
    return w.used < this.capacity || w.idleList.length > 0;
  }

  busy(worker: number): number {
    const w = this.slots[worker]!;
    return w.used - w.idleList.length;
  }

  takeWarm(worker: number, fn: number): Sandbox {
    if (!this.hasIdle(worker, fn)) throw new Error('assertion: takeWarm needs an idle sandbox');
    const sandbox = this.slots[worker]!.idleByFn.get(fn)!.pop()!;
    this.leaveIdle(sandbox);
    sandbox.state = BUSY;
    this.busyTotal += 1;
    return sandbox;
  }

  provision(worker: number, fn: number): Sandbox {
    const w = this.slots[worker]!;
    if (w.used >= this.capacity) {
      const victim = w.idleList[w.idleList.length - 1];
      if (victim === undefined) throw new Error('assertion: provision on a full worker');
      this.reclaim(victim);
      this.evictions += 1;
    }
    w.used += 1;
    if (w.used > this.capacity) throw new Error('assertion: WithinLimits (capacity)');
    this.busyTotal += 1;
    return { fn, worker, state: BUSY, gen: 0, idleIdx: -1 };
  }

  finish(sandbox: Sandbox): void {
    const w = this.slots[sandbox.worker]!;
    sandbox.state = IDLE;
    sandbox.gen += 1;
    this.busyTotal -= 1;
    sandbox.idleIdx = w.idleList.length;
    w.idleList.push(sandbox);
    let stack = w.idleByFn.get(sandbox.fn);
    if (stack === undefined) {
      stack = [];
      w.idleByFn.set(sandbox.fn, stack);
    }
    stack.push(sandbox);
  }

  reclaim(sandbox: Sandbox): void {
    this.leaveIdle(sandbox);
    sandbox.state = GONE;
    this.slots[sandbox.worker]!.used -= 1;
  }

  private leaveIdle(sandbox: Sandbox): void {
    const list = this.slots[sandbox.worker]!.idleList;
    const last = list.pop()!;
    if (last !== sandbox) {
      list[sandbox.idleIdx] = last;
      last.idleIdx = sandbox.idleIdx;
    }
    sandbox.idleIdx = -1;
  }
}

/** Min-heap of (time, sandbox): execution ends. */
class EndHeap {
  private times: number[] = [];
  private items: Sandbox[] = [];
  get size(): number {
    return this.times.length;
  }
  peekTime(): number {
    return this.times.length > 0 ? this.times[0]! : Infinity;
  }
  push(time: number, item: Sandbox): void {
    const times = this.times;
    const items = this.items;
    let i = times.length;
    times.push(time);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= time) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = time;
    items[i] = item;
  }
  pop(): Sandbox {
    const times = this.times;
    const items = this.items;
    const top = items[0]!;
    const lastTime = times.pop()!;
    const lastItem = items.pop()!;
    const n = times.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1]! < times[child]!) child += 1;
      if (times[child]! >= lastTime) break;
      times[i] = times[child]!;
      items[i] = items[child]!;
      i = child;
    }
    times[i] = lastTime;
    items[i] = lastItem;
    return top;
  }
}

/** Zipf sampler over ranks 0..n-1 (weight 1/(rank+1)^s) by inverse CDF. */
export function zipfSampler(n: number, s: number): (u: number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / (r + 1) ** s;
    cdf[r] = total;
  }
  for (let r = 0; r < n; r++) cdf[r]! /= total;
  return (u) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

type Tally = { invocations: number; warm: number; provisions: number; throttled: number;
  asksTotal: number; asksMax: number; busySeen: number; latencyCounts: Map<number, number> };

/** Run one cell (a policy at one W and load); deterministic for a given seed. */
export function runCell(params: SimParams, policy: Policy): CellMetrics {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cluster = new Cluster(params.workers, params.capacity);
  const arrivalsRng = new Prng(params.seed).fork('arrivals');
  // One policy stream for every policy: 'seed' and 'seed-core' must draw the same numbers.
  const policyRng = new Prng(params.seed).fork('policy');
  const sampleFn = zipfSampler(params.functions, params.zipfS);
  const ratePerMs = (params.load * params.workers * params.capacity) / params.execMeanMs;
  const horizonMs = params.warmupMs + params.measureMs;
  const ends = new EndHeap();
  // Reclaim checks come due in the order they were queued (end time + a constant keep-alive):
  // a FIFO of parallel arrays, compacted now and then.
  let reclaimSandboxes: Sandbox[] = [];
  let reclaimGens: number[] = [];
  let reclaimAtMs: number[] = [];
  let reclaimHead = 0;
  const tally: Tally = { invocations: 0, warm: 0, provisions: 0, throttled: 0, asksTotal: 0,
    asksMax: 0, busySeen: 0, latencyCounts: new Map() };
  let simulated = 0;
  let nextArrivalMs = expSample(arrivalsRng, 1 / ratePerMs);
  for (;;) {
    const endMs = ends.peekTime();
    const nowMs = Math.min(endMs, nextArrivalMs);
    if (nowMs > horizonMs) break;
    while (reclaimHead < reclaimAtMs.length && reclaimAtMs[reclaimHead]! <= nowMs) {
      const sandbox = reclaimSandboxes[reclaimHead]!;
      if (sandbox.state === IDLE && sandbox.gen === reclaimGens[reclaimHead]) {
        cluster.reclaim(sandbox);
      }
      reclaimHead += 1;
    }
    if (reclaimHead > 65_536 && reclaimHead * 2 > reclaimAtMs.length) {
      reclaimSandboxes = reclaimSandboxes.slice(reclaimHead);
      reclaimGens = reclaimGens.slice(reclaimHead);
      reclaimAtMs = reclaimAtMs.slice(reclaimHead);
      reclaimHead = 0;
    }
    if (endMs <= nextArrivalMs) {
      const sandbox = ends.pop();
      cluster.finish(sandbox);
      reclaimSandboxes.push(sandbox);
      reclaimGens.push(sandbox.gen);
      reclaimAtMs.push(nowMs + params.keepAliveMs);
      continue;
    }
    simulated += 1;
    const fn = sampleFn(arrivalsRng.float());
    const execMs = expSample(arrivalsRng, params.execMeanMs);
    const busyBefore = cluster.busyTotal;
    const decision = policy.decide(fn, cluster, policyRng);
    const sandbox = apply(cluster, decision, fn);
    if (sandbox !== null) {
      const startMs = nowMs + latencyOf(params, decision);
      ends.push(startMs + execMs, sandbox);
    }
    if (nowMs >= params.warmupMs) count(tally, busyBefore, decision);
    nextArrivalMs += expSample(arrivalsRng, 1 / ratePerMs);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return summarise(tally, cluster, params, simulated, { wallMs: performance.now() - t0, cpuMs });
}

function expSample(rng: Prng, meanMs: number): number {
  return -Math.log(1 - rng.float()) * meanMs;
}

function latencyOf(params: SimParams, decision: Decision): number {
  return decision.asks * params.probeMs + (decision.mode === 'provision' ? params.provisionMs : 0);
}

function apply(cluster: Cluster, decision: Decision, fn: number): Sandbox | null {
  switch (decision.mode) {
    case 'warm':
      return cluster.takeWarm(decision.worker, fn);
    case 'provision':
      if (!cluster.canHost(decision.worker)) {
        throw new Error('assertion: policy chose a full worker');
      }
      return cluster.provision(decision.worker, fn);
    case 'throttle':
      return null;
    default: {
      const unreachable: never = decision;
      throw new Error(`unknown decision ${JSON.stringify(unreachable)}`);
    }
  }
}

function count(tally: Tally, busyBefore: number, decision: Decision): void {
  tally.invocations += 1;
  tally.busySeen += busyBefore;
  tally.asksTotal += decision.asks;
  if (decision.asks > tally.asksMax) tally.asksMax = decision.asks;
  if (decision.mode === 'throttle') {
    tally.throttled += 1;
    return;
  }
  if (decision.mode === 'warm') tally.warm += 1;
  else tally.provisions += 1;
  const key = decision.asks * 2 + (decision.mode === 'provision' ? 1 : 0);
  tally.latencyCounts.set(key, (tally.latencyCounts.get(key) ?? 0) + 1);
}

function summarise(tally: Tally, cluster: Cluster, params: SimParams, simulated: number,
  time: { wallMs: number; cpuMs: number }): CellMetrics {
  const entries = [...tally.latencyCounts.entries()]
    .map(([key, n]) => ({ ms: (key >> 1) * params.probeMs + (key & 1) * params.provisionMs, n }))
    .sort((a, b) => a.ms - b.ms);
  const placed = tally.warm + tally.provisions;
  const percentile = (p: number): number => {
    const rank = Math.ceil(p * placed);
    let seen = 0;
    for (const e of entries) {
      seen += e.n;
      if (seen >= rank) return e.ms;
    }
    return NaN;
  };
  return {
    invocations: tally.invocations, warm: tally.warm, provisions: tally.provisions,
    throttled: tally.throttled, evictions: cluster.evictions, asksTotal: tally.asksTotal,
    asksMax: tally.asksMax, p50Ms: percentile(0.5), p99Ms: percentile(0.99), simulated,
    utilisation: tally.busySeen / Math.max(1, tally.invocations) / (cluster.workers
      * cluster.capacity), ...time,
  };
}
