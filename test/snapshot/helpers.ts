/** Shared bounds and bug injections of the snapshot-gc tests. */
import {
  SNAPSHOT, applyAction, defaultClusterSteps, enabledActions, violatedInvariants,
  type Cluster, type ClusterAction, type ClusterConfig, type ClusterSteps, type InvariantName,
} from '../../src/snapshot/index.ts';

/** Mirrors spec/snapshot-gc/Replay.cfg. */
export const REPLAY_CONFIG: ClusterConfig = {
  instances: ['i1'], threshold: 1, maxGarbage: 1, maxRunning: 2, presMax: 2, genMax: 2,
  maxAttempts: 2, traceMax: 1,
};
/** Mirrors the bug configs of spec/snapshot-gc/bugs/ (MaxAttempts 2 for all). */
export const BUG_CONFIG: ClusterConfig = {
  instances: ['i1', 'i2'], threshold: 1, maxGarbage: 1, maxRunning: 2, presMax: 2, genMax: 1,
  maxAttempts: 2, traceMax: 0,
};
/** A wider bound for random walks. */
export const WALK_CONFIG: ClusterConfig = {
  instances: ['i1', 'i2', 'i3'], threshold: 3, maxGarbage: 2, maxRunning: 3, presMax: 3,
  genMax: 3, maxAttempts: 3, traceMax: 4,
};

const d = defaultClusterSteps;
/** The six bugs of the sheet, injected through the cluster's steps. */
export const BUGS: readonly { bug: number; name: string; expected: InvariantName;
  steps: ClusterSteps }[] = [
  { bug: 1, name: 'RestoreWithoutDrain', expected: 'NoRestoreDuringExecution',
    steps: { ...d, gc: { ...d.gc, drained: () => true } } },
  { bug: 2, name: 'SaveBeforeDrain', expected: 'PreservedStateIntact',
    steps: { ...d, gc: { ...d.gc,
      canSave: (s) => s.phase === 'draining' && s.awaiting === null } } },
  { bug: 3, name: 'RestoreWithoutTerminate', expected: 'NoHalfOpenConnection',
    steps: { ...d, gc: { ...d.gc, terminateEnds: () => [] } } },
  { bug: 4, name: 'RetryWithoutKey', expected: 'EffectsOnce',
    steps: { ...d, retry: { effectKey: () => null } } },
  { bug: 5, name: 'StaleGarbageReading', expected: 'GarbageBounded',
    steps: { ...d, gc: { ...d.gc, admits: (s) => {
      if (s.phase !== 'admitting') return 'NOT_ADMITTING';
      if (s.running.length >= s.config.maxRunning) return 'AT_CAPACITY';
      return s.garbageReadingBytes >= s.config.thresholdBytes ? 'OVER_THRESHOLD' : null;
    } } } },
  { bug: 6, name: 'RestoreWithoutNewIdentity', expected: 'UniqueAfterRestore',
    steps: { ...d, gc: { ...d.gc,
      identity: () => ({ generation: 0, entropy: SNAPSHOT.entropy }) } } },
];

/** mulberry32: a seeded PRNG for walks (the seed is printed on failure). */
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

/** Picks an action name uniformly, then one of its instances. */
export function pickAction(enabled: readonly ClusterAction[], r: () => number):
  ClusterAction | undefined {
  const names = [...new Set(enabled.map((a) => a.action))];
  if (names.length === 0) return undefined;
  const name = names[Math.floor(r() * names.length)];
  const group = enabled.filter((a) => a.action === name);
  return group[Math.floor(r() * group.length)];
}

export interface WalkResult {
  readonly seed: number;
  readonly steps: number;
  readonly violated: InvariantName[];
  readonly trail: string[];
}

/** A random walk checking every invariant after every step; stops at the first violation. */
export function randomWalk(start: Cluster, seed: number, maxSteps: number): WalkResult {
  const r = prng(seed);
  let c = start;
  const trail: string[] = [];
  for (let n = 0; n < maxSteps; n += 1) {
    const a = pickAction(enabledActions(c), r);
    if (a === undefined) break;
    c = applyAction(c, a);
    trail.push(a.label);
    const violated = violatedInvariants(c);
    if (violated.length > 0) return { seed, steps: n + 1, violated, trail };
  }
  return { seed, steps: trail.length, violated: [], trail };
}
