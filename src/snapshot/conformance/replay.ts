/**
 * State-graph replay of the snapshot-gc cores: TLC explores spec/snapshot-gc/Replay.cfg and
 * dumps the graph with action labels; each covering path drives cluster.ts
 * (`enabledActions` / `applyAction`), and at every edge one enabled code action of the edge's
 * action name must reach the edge's target state. No action of Next is quantified over a
 * variable, so TLC labels every edge with the action's own name; a `GcStep` label (should this
 * TLC not split the disjunction) matches any of the GC's steps.
 */
import { cfgReader } from '../../conform/index.ts';
import type { ReplayTarget } from '../../conform/index.ts';
import { applyAction, enabledActions, initCluster, specState } from '../index.ts';
import type { Cluster, ClusterAction, ClusterConfig, ClusterSteps } from '../index.ts';

const GC_STEPS = new Set([
  'StopAdmitting', 'SavePreserved', 'Terminate', 'Restore', 'WriteBack', 'Admit',
]);

/** The cluster configuration that matches a cfg's constants. */
export function clusterConfigFromCfg(cfg: string): ClusterConfig {
  const c = cfgReader(cfg);
  return {
    instances: c.ids('Instances'), threshold: c.num('Threshold'), maxGarbage: c.num('MaxGarbage'),
    maxRunning: c.num('MaxRunning'), presMax: c.num('PresMax'), genMax: c.num('GenMax'),
    maxAttempts: c.num('MaxAttempts'), traceMax: c.num('TraceMax'),
  };
}

/** cluster.ts as a replay target (`steps` lets a test replay a bugged composition). */
export function clusterTarget(config: ClusterConfig, steps?: ClusterSteps):
  ReplayTarget<Cluster, ClusterAction> {
  return {
    init: () => initCluster(config, steps),
    enabled: (c) => enabledActions(c),
    apply: (c, a) => applyAction(c, a),
    actionName: (a) => a.action,
    matches: (a, label) => a.action === label || (label === 'GcStep' && GC_STEPS.has(a.action)),
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}
