/**
 * The fencing protocol on the deterministic simulator: simulated protocol steps per second on
 * one core, with the real sans-IO cores (issuer, two heads, three sleds), a faulty network
 * (delay, loss, duplication), random fault plans (sled crashes, issuer restarts, head pauses,
 * partitions) and inputs (writes, reads, takeovers, migrations), and every fencing invariant
 * asserted after every step. Runs without recording traces (the conformance path, which also
 * computes `specState` per step, is measured separately as `withSpecState`).
 */
import { runSim } from '../src/runtime/sim/index.ts';
import {
  TRACE_NETWORK, fencingRun, randomPlan, traceClusterConfig,
} from '../src/fencing/conformance/index.ts';
import type { BenchResult } from './types.ts';

const BUDGET_MS = 6_000;

function measure(record: boolean): { stepsPerSecond: number; runs: number; steps: number; failed: number } {
  let steps = 0;
  let runs = 0;
  let failed = 0;
  const started = performance.now();
  for (let seed = 1; performance.now() - started < BUDGET_MS; seed++) {
    const run = fencingRun({ cluster: traceClusterConfig(), record },
      { network: TRACE_NETWORK, maxSteps: 5_000, maxTimeMs: 2_000, hashLog: false });
    const r = runSim(run.options, seed >>> 0, randomPlan(seed));
    steps += r.steps;
    runs += 1;
    if (!r.ok) failed += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  return { stepsPerSecond: steps / seconds, runs, steps, failed };
}

export async function run(): Promise<BenchResult[]> {
  measure(false); // warm-up: let V8 compile the hot paths
  const plain = measure(false);
  const withSpecState = measure(true);
  return [
    { name: 'sim.fencing.stepsPerSecond', unit: 'steps/s', value: plain.stepsPerSecond,
      target: { op: '>=', value: 100_000 }, samples: plain.runs,
      detail: { runs: plain.runs, steps: plain.steps, failedRuns: plain.failed, budgetMs: BUDGET_MS } },
    { name: 'sim.fencing.stepsPerSecond.withSpecState', unit: 'steps/s',
      value: withSpecState.stepsPerSecond, samples: withSpecState.runs,
      detail: { runs: withSpecState.runs, steps: withSpecState.steps, failedRuns: withSpecState.failed } },
  ];
}
