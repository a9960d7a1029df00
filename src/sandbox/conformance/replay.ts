/**
 * State-graph replay of the sandbox-reuse cores: TLC explores spec/sandbox-reuse/Replay.cfg
 * and dumps the graph with action labels; paths covering every edge drive the cores through
 * cluster.ts (`enabledActions` / `applyAction`), and at each edge one enabled code action of
 * the edge's name must reach the edge's target state. No action of Next is quantified over a
 * variable, so every edge carries its action's own name; should TLC label one `Next` anyway,
 * it matches any action and coverage counts the action the code matched it with.
 */
import { cfgReader } from '../../conform/index.ts';
import type { ReplayTarget } from '../../conform/index.ts';
import { applyAction, enabledActions, initCluster, specState } from '../index.ts';
import type { Cluster, ClusterAction, ClusterConfig, Steps } from '../index.ts';
import { SIM_KEY } from './spec-binding.ts';

const UNSPLIT_LABEL = 'Next';

/** The cluster configuration that matches a cfg's constants. */
export function clusterConfigFromCfg(cfg: string): ClusterConfig {
  const c = cfgReader(cfg);
  const fnName = /^\s*Fn\s*=\s*(\w+)\s*$/m.exec(cfg)?.[1];
  const singleUse = /^\s*SingleUse\s*=\s*(TRUE|FALSE)\s*$/m.exec(cfg)?.[1];
  if (fnName === undefined || singleUse === undefined) {
    throw new Error('assertion: cfg lacks Fn or SingleUse');
  }
  return {
    workers: c.ids('Workers'), capacity: c.num('Capacity'), requests: c.ids('Requests'),
    fn: fnName, versions: c.ids('Versions').map(Number), tenants: c.ids('Tenants'),
    maxProbes: c.num('MaxProbes'), maxRetries: c.num('MaxRetries'),
    maxRedrives: c.num('MaxRedrives'), singleUse: singleUse === 'TRUE',
    limitFloor: c.num('LimitFloor'), limitMax: c.num('LimitMax'), key: SIM_KEY,
    scope: 'invoke', timeoutMs: 1_000_000,
  };
}

/** cluster.ts as a replay target (optionally with test-side steps). */
export function clusterTarget(config: ClusterConfig, steps: Partial<Steps> = {}):
  ReplayTarget<Cluster, ClusterAction> {
  return {
    init: () => initCluster(config, steps),
    enabled: (c) => enabledActions(c),
    apply: (c, a) => applyAction(c, a),
    actionName: (a) => a.action,
    matches: (a, label) => a.action === label || label === UNSPLIT_LABEL,
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}
