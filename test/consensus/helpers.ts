/** Shared configurations and the random walk of the consensus cluster tests. */
import {
  applyAction, defaultSteps, enabledActions, initCluster, refinesConsensusStep, violatedInvariants,
  type Cluster, type ClusterAction, type ClusterConfig, type ClusterSteps,
} from '../../src/consensus/index.ts';

/** The MC bound: 3 target members (2 active), 2 slots, ballots 0..2, one proposer each. */
export const WALK_CONFIG: ClusterConfig = {
  members: ['m1', 'm2', 'm3'],
  initialActive: ['m1', 'm2'],
  values: ['v1', 'v2'],
  numSlots: 2,
  maxBallot: 2,
  proposers: ['p0', 'p1', 'p2'],
};

/**
 * Picks an action by name first, then an instance, so rare actions (Phase1a, Join, Apply)
 * get as much weight as the many message deliveries.
 */
export function pickAction(
  enabled: readonly ClusterAction[], pick: number,
): ClusterAction | undefined {
  const names = [...new Set(enabled.map((a) => a.action))];
  if (names.length === 0) return undefined;
  const group = enabled.filter((a) => a.action === names[pick % names.length]);
  return group[Math.floor(pick / names.length) % group.length];
}

export interface WalkResult {
  readonly cluster: Cluster;
  readonly trail: readonly string[];
}

/** Walks from `start` along `picks`; throws naming the invariant and the path on a violation. */
export function walk(start: Cluster, picks: readonly number[]): WalkResult {
  let c = start;
  const trail: string[] = [];
  for (const pick of picks) {
    const a = pickAction(enabledActions(c), pick);
    if (a === undefined) break;
    const r = applyAction(c, a);
    if (!r.ok) throw new Error(`assertion: enabled action refused: ${r.error.message}`);
    trail.push(a.label);
    const bad = violatedInvariants(r.cluster);
    if (!refinesConsensusStep(c, r.cluster)) bad.push('ChosenConsistent');
    if (bad.length > 0) {
      throw new Error(`${bad.join(', ')} violated after:\n  ${trail.join('\n  ')}`);
    }
    c = r.cluster;
  }
  return { cluster: c, trail };
}

/** A cluster of `config` whose steps are the real ones except those `steps` replaces. */
export const newCluster = (steps?: Partial<ClusterSteps>, config = WALK_CONFIG): Cluster =>
  initCluster(config, { ...defaultSteps, ...steps });

/** Runs the labelled actions in order (each must be enabled). */
export function run(c: Cluster, labels: readonly string[]): Cluster {
  return labels.reduce((acc, l) => {
    const a = enabledActions(acc).find((x) => x.label === l || x.label.startsWith(l));
    if (a === undefined) {
      const have = enabledActions(acc).map((x) => x.label).join('\n  ');
      throw new Error(`no enabled action ${l}; enabled:\n  ${have}`);
    }
    const r = applyAction(acc, a);
    if (!r.ok) throw new Error(r.error.message);
    return r.cluster;
  }, c);
}
