import {
  applyAction, enabledActions, initCluster, violatedInvariants, type Cluster, type ClusterConfig,
  type ClusterSteps, type InvariantName,
} from '../../src/txn/index.ts';
import { prng } from './helpers.ts';

export interface WalkResult {
  readonly seed: number;
  readonly steps: number;
  readonly labels: string[];
  readonly violated: InvariantName[];
  readonly final: Cluster;
}

/** One random walk of at most maxSteps actions, checking every invariant after each step. */
export function walk(
  config: ClusterConfig, seed: number, maxSteps: number, steps?: ClusterSteps,
): WalkResult {
  const rand = prng(seed);
  let c = initCluster(config, steps);
  const labels: string[] = [];
  for (let i = 0; i < maxSteps; i += 1) {
    const enabled = enabledActions(c);
    if (enabled.length === 0) break;
    const a = enabled[Math.floor(rand() * enabled.length)]!;
    c = applyAction(c, a);
    labels.push(a.label);
    const violated = violatedInvariants(c);
    if (violated.length > 0) return { seed, steps: i + 1, labels, violated, final: c };
  }
  return { seed, steps: labels.length, labels, violated: [], final: c };
}

/** Walks seeds base, base+1, … until one violates an invariant; prints it replayably. */
export function findViolation(
  config: ClusterConfig, steps: ClusterSteps, base: number, runs: number,
): WalkResult | null {
  for (let s = base; s < base + runs; s += 1) {
    const r = walk(config, s, 60, steps);
    if (r.violated.length > 0) {
      console.log(`violation ${r.violated.join(',')} at seed ${s} ` +
        `(replay: walk(config, ${s}, 60, ` +
        `steps)): ${r.labels.join(' -> ')}`);
      return r;
    }
  }
  return null;
}
