/** Shared configs and a seeded random walk over the sandbox-reuse cluster. */
import { Prng } from '../../src/runtime/sim/index.ts';
import {
  applyAction, enabledActions, initCluster, violatedInvariants,
  type Cluster, type ClusterAction, type ClusterConfig, type InvariantName, type Steps,
} from '../../src/sandbox/index.ts';

export const KEY = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);

/** The constants of spec/sandbox-reuse/MC.cfg (the bug cfgs use workers w1, w2). */
export const MC_CONFIG: ClusterConfig = {
  workers: ['w1', 'w2'], capacity: 1, requests: ['r1', 'r2'], fn: 'f', versions: [1],
  tenants: ['ta', 'tb'], maxProbes: 1, maxRetries: 1, maxRedrives: 1, singleUse: true,
  limitFloor: 1, limitMax: 2, key: KEY, scope: 'invoke', timeoutMs: 1_000_000,
};
/** The constants of spec/sandbox-reuse/Replay.cfg. */
export const REPLAY_CONFIG: ClusterConfig = { ...MC_CONFIG, requests: ['r1'] };
/** A wider walk: 3 worker managers, 2 slots, 3 requests, 2 versions. */
export const WIDE_CONFIG: ClusterConfig = {
  ...MC_CONFIG, workers: ['w1', 'w2', 'w3'], capacity: 2, requests: ['r1', 'r2', 'r3'],
  versions: [1, 2], maxRedrives: 2, limitMax: 3,
};

/**
 * Picks an action name first, then an instance, so rare actions get as much weight as the
 * many instances of common ones.
 */
function pick(enabled: readonly ClusterAction[], rng: Prng): ClusterAction | undefined {
  const names = [...new Set(enabled.map((a) => a.action))];
  if (names.length === 0) return undefined;
  const name = names[rng.int(0, names.length - 1)];
  const group = enabled.filter((a) => a.action === name);
  return group[rng.int(0, group.length - 1)];
}

export interface WalkResult {
  readonly seed: number;
  readonly steps: number;
  readonly trail: readonly string[];
  readonly violated: readonly InvariantName[];
  readonly last: Cluster;
}

/** One seeded walk of at most `maxSteps`, checking every invariant after every step. */
export function walk(config: ClusterConfig, seed: number, maxSteps: number,
  steps: Partial<Steps> = {}): WalkResult {
  const rng = new Prng(seed);
  let c = initCluster(config, steps);
  const trail: string[] = [];
  for (let i = 0; i < maxSteps; i++) {
    const a = pick(enabledActions(c), rng);
    if (a === undefined) break;
    c = applyAction(c, a);
    trail.push(a.label);
    const violated = violatedInvariants(c);
    if (violated.length > 0) return { seed, steps: i + 1, trail, violated, last: c };
  }
  return { seed, steps: trail.length, trail, violated: [], last: c };
}
