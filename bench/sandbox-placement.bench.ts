/**
 * sandbox-reuse placement sweep: the seed's policy (src/sandbox/placement.ts) against pure
 * random, best-of-two and sticky routing, for W ∈ {10, 100, 1000} worker managers and offered
 * load 10%…95% of capacity, on a discrete-event simulator (bench/sandbox/sim.ts). Measures
 * probes per invocation, warm-hit ratio, p99 acquisition latency, throttle rate and simulated
 * invocations per second. Writes bench/results/sandbox-placement.md (table) and .svg (plot).
 *
 * Run: npm run bench -- sandbox-placement   (or: npx tsx bench/sandbox-placement.bench.ts)
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePolicy, POLICY_NAMES, type PolicyName } from './sandbox/policies.ts';
import { markdownTable, plotSvg, figuresOf, type SweepRow } from './sandbox/report.ts';
import { runCell, type CellMetrics, type SimParams } from './sandbox/sim.ts';
import type { BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKERS = [10, 100, 1000] as const;
const LOADS = [0.1, 0.3, 0.5, 0.7, 0.85, 0.95] as const;
const SEED = 20_261_122;
const BASE = {
  capacity: 8,
  functionsPerWorker: 4,
  zipfS: 1.0,
  execMeanMs: 1000,
  keepAliveMs: 5_000,
  probeMs: 1,
  provisionMs: 150,
  maxProbes: 3,
  warmupMs: 8_000,
  seed: SEED,
};
/** Each cell measures at least this many invocations (low loads run longer in sim time). */
const MIN_MEASURED = 10_000;
const MIN_MEASURE_MS = 5_000;

export function cellParams(workers: number, load: number): SimParams {
  const ratePerMs = (load * workers * BASE.capacity) / BASE.execMeanMs;
  const { functionsPerWorker, ...rest } = BASE;
  return { ...rest, workers, load, functions: functionsPerWorker * workers,
    measureMs: Math.max(MIN_MEASURE_MS, MIN_MEASURED / ratePerMs) };
}

function sameDecisions(a: CellMetrics, b: CellMetrics): boolean {
  return a.invocations === b.invocations && a.warm === b.warm && a.provisions === b.provisions
    && a.throttled === b.throttled && a.asksTotal === b.asksTotal && a.evictions === b.evictions
    && a.p99Ms === b.p99Ms;
}

/** The benchmark's 'seed' is a fast mirror of the core: check it decides exactly alike. */
function crossCheck(): BenchResult {
  const cells = [[10, 0.5], [10, 0.95], [100, 0.3]] as const;
  let agreeing = 0;
  for (const [workers, load] of cells) {
    const params = { ...cellParams(workers, load), warmupMs: 5000, measureMs: 5000 };
    const fast = runCell(params, makePolicy('seed', workers, BASE.maxProbes));
    const core = runCell(params, makePolicy('seed-core', workers, BASE.maxProbes));
    if (sameDecisions(fast, core)) agreeing += 1;
  }
  return { name: 'placement: seed mirror agrees with nextPlacementStep (cells)', unit: 'cells',
    value: agreeing, target: { op: '>=', value: cells.length } };
}

function sweep(): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const workers of WORKERS) {
    for (const load of LOADS) {
      for (const policy of POLICY_NAMES) {
        const metrics = runCell(cellParams(workers, load), makePolicy(policy as PolicyName,
          workers, BASE.maxProbes));
        rows.push({ policy, workers, load, metrics });
        if (process.stderr.isTTY) {
          process.stderr.write(`  W=${workers} load=${load} ${policy}: `
            + `${Math.round(metrics.wallMs)} ms\n`);
        }
      }
    }
  }
  return rows;
}

export async function run(): Promise<BenchResult[]> {
  const check = crossCheck();
  const rows = sweep();
  const totals = rows.reduce((t, r) => ({ simulated: t.simulated + r.metrics.simulated,
    wallMs: t.wallMs + r.metrics.wallMs, cpuMs: t.cpuMs + r.metrics.cpuMs }),
  { simulated: 0, wallMs: 0, cpuMs: 0 });
  const out = path.join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'sandbox-placement.md'), markdownTable(rows, BASE, totals));
  writeFileSync(path.join(out, 'sandbox-placement.svg'), await plotSvg(rows));
  const results: BenchResult[] = [
    { name: 'placement sim: invocations per wall second', unit: 'inv/s',
      value: totals.simulated / (totals.wallMs / 1000), samples: totals.simulated,
      target: { op: '>=', value: 100_000 } },
    { name: 'placement sim: invocations per CPU second', unit: 'inv/s',
      value: totals.simulated / (totals.cpuMs / 1000), samples: totals.simulated,
      target: { op: '>=', value: 100_000 } },
    check,
  ];
  for (const policy of POLICY_NAMES) {
    const mine = rows.filter((r) => r.policy === policy);
    const simulated = mine.reduce((n, r) => n + r.metrics.simulated, 0);
    const cpuMs = mine.reduce((n, r) => n + r.metrics.cpuMs, 0);
    const asks = mine.reduce((n, r) => n + r.metrics.asksTotal, 0);
    const measured = mine.reduce((n, r) => n + r.metrics.invocations, 0);
    results.push({ name: `placement sim ${policy}: invocations per CPU second`, unit: 'inv/s',
      value: simulated / (cpuMs / 1000), samples: simulated,
      target: { op: '>=', value: 100_000 },
      detail: { probesPerCpuSecond: (asks / Math.max(1, measured)) * simulated / (cpuMs / 1000),
        cpuSeconds: cpuMs / 1000 } });
  }
  for (const row of rows) {
    const f = figuresOf(row.metrics);
    results.push({ name: `placement ${row.policy} W=${row.workers} load=${row.load} warm-hit`,
      unit: 'ratio', value: f.warmHitRatio, samples: row.metrics.invocations,
      detail: { ...f, provisions: row.metrics.provisions, evictions: row.metrics.evictions,
        asksMax: row.metrics.asksMax, p50Ms: row.metrics.p50Ms } });
  }
  return results;
}

const invokedDirectly = process.argv[1] !== undefined
  && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  for (const r of await run()) {
    if (r.name.includes(' W=')) continue;
    process.stdout.write(`${r.name}: ${r.value.toFixed(1)} ${r.unit}\n`);
  }
}
