/**
 * snapshot-gc: (b) the process backend's restore-to-ready against a cold start to the same
 * ready state; (a) simulated executions per second with GC by restore (the real GC manager
 * core), without GC, and with an item-by-item collector, over one workload, with GC pauses;
 * the restore cost of (a) is swept, including the restore time measured in (b), and the
 * break-even restore time against the item-by-item collector is searched.
 */
import {
  DEFAULT_COST_MODEL, makeWorkload, simulateRestore, simulateSlots, type CostModel,
  type SimOutcome,
} from './snapshot/sim-gc.ts';
import { measureReadyVsCold } from './snapshot/ready-vs-cold.ts';
import type { BenchResult } from './types.ts';

const READY = { tableEntries: 1000, hashRounds: 100 };
const SAMPLES = 3;
const SEED = 20261122;
const MiB = 1 << 20;

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? NaN;
}

async function readyResults(spareAgents: number, label: string)
  : Promise<{ results: BenchResult[]; restoreP50Ms: number }> {
  const r = await measureReadyVsCold(READY, SAMPLES, spareAgents);
  const p50 = { cold: percentile(r.coldMs, 50), restore: percentile(r.restoreMs, 50),
    coldAgent: percentile(r.coldAgentMs, 50), restoreAgent: percentile(r.restoreAgentMs, 50) };
  const detail = { ready: READY, imageBytes: r.imageBytes, snapshotMs: r.snapshotMs,
    backend: 'process (node child + tsx)', spareAgents };
  const name = (what: string) => `snapshot.process.${label}.${what}`;
  const results: BenchResult[] = [
    { name: name('cold-start.p50'), unit: 'ms', value: p50.cold, samples: SAMPLES,
      detail: { ...detail, samplesMs: r.coldMs, agentInitP50Ms: p50.coldAgent } },
    { name: name('restore-to-ready.p50'), unit: 'ms', value: p50.restore, samples: SAMPLES,
      detail: { ...detail, samplesMs: r.restoreMs, agentImageLoadP50Ms: p50.restoreAgent } },
    { name: name('restore-vs-cold.ratio'), unit: 'ratio', value: p50.restore / p50.cold,
      target: { op: '<=', value: 1 },
      detail: { agentViewRatio: p50.restoreAgent / p50.coldAgent,
        view: spareAgents > 0 ? 'warm spare process: init vs image load + resume'
          : 'new process each: spawn + tsx load + init vs spawn + tsx load + image load' } },
  ];
  return { results, restoreP50Ms: p50.restore };
}

function simResults(label: string, o: SimOutcome, model: CostModel): BenchResult[] {
  const out: BenchResult[] = [{
    name: `snapshot.sim.${label}.executions-per-s`, unit: 'exec/s', value: o.executionsPerSecond,
    detail: { makespanMs: o.makespanMs, gcs: o.pausesMs.length,
      finalGarbageMiB: o.finalGarbageBytes / MiB, maxGarbageMiB: o.maxGarbageBytes / MiB,
      finalLiveItems: o.finalLiveItems, restoreMs: model.restoreMs },
  }];
  if (o.pausesMs.length > 0) {
    out.push(
      { name: `snapshot.sim.${label}.pause.p50`, unit: 'ms', value: percentile(o.pausesMs, 50),
        samples: o.pausesMs.length },
      { name: `snapshot.sim.${label}.pause.p99`, unit: 'ms', value: percentile(o.pausesMs, 99),
        samples: o.pausesMs.length },
    );
  }
  return out;
}

/** The restore time at which GC by restore matches the item-by-item collector's throughput. */
function breakEvenRestoreMs(model: CostModel, items: SimOutcome): number {
  const work = makeWorkload(model, SEED);
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 14; i++) {
    const mid = (lo + hi) / 2;
    const r = simulateRestore({ ...model, restoreMs: mid }, work);
    if (r.executionsPerSecond >= items.executionsPerSecond) lo = mid;
    else hi = mid;
  }
  return lo;
}

export async function run(): Promise<BenchResult[]> {
  const spawned = await readyResults(0, 'spawn');
  const ready = await readyResults(1, 'warm');
  const model = DEFAULT_COST_MODEL;
  const work = makeWorkload(model, SEED);
  const t0 = performance.now();
  const none = simulateSlots(model, work, false);
  const items = simulateSlots(model, work, true);
  const restore = simulateRestore(model, work);
  const simWallMs = performance.now() - t0;
  // GarbageBounded on the simulated run: never past threshold + what the running ones leave.
  const bound = model.thresholdBytes + model.maxRunning * model.garbageBytesMax;
  if (restore.maxGarbageBytes > bound) throw new Error('restore GC let garbage past its bound');
  const measured = { ...model, restoreMs: Math.max(1, Math.round(ready.restoreP50Ms)) };
  const fast = { ...model, restoreMs: 5 };
  const results: BenchResult[] = [
    ...spawned.results,
    ...ready.results,
    ...simResults('no-gc', none, model),
    ...simResults('item-gc', items, model),
    ...simResults('restore-gc', restore, model),
    ...simResults('restore-gc-5ms', simulateRestore(fast, work), fast),
    ...simResults('restore-gc-process-warm', simulateRestore(measured, work), measured),
    { name: 'snapshot.sim.restore-gc.vs-no-gc.ratio', unit: 'ratio',
      value: restore.executionsPerSecond / none.executionsPerSecond,
      detail: { note: 'no GC never pauses but its garbage grows without bound',
        noGcFinalGarbageMiB: none.finalGarbageBytes / MiB } },
    { name: 'snapshot.sim.restore-gc.vs-item-gc.ratio', unit: 'ratio',
      value: restore.executionsPerSecond / items.executionsPerSecond },
    { name: 'snapshot.sim.break-even-restore-ms', unit: 'ms',
      value: breakEvenRestoreMs(model, items),
      detail: { meaning: 'restore cost below which GC by restore beats the item collector',
        costModel: model, seed: SEED, simWallMsForThreeRuns: simWallMs } },
  ];
  return results;
}
