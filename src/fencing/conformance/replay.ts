/**
 * State-graph replay of the fencing cores: TLC explores spec/fencing/Replay.cfg and dumps the
 * graph with action labels; `coverEdges` finds paths that take every edge; each path drives
 * the cores through cluster.ts (`enabledActions` / `applyAction`), and at each edge one enabled
 * code action of the edge's action name must reach the edge's target state.
 *
 * Labels: TLC names an edge by the operator it split `Next` into. The spec wraps each
 * message-driven action as `X(s) == \E m \in msgs : XOn(s, m)` so that the label is `X`; a
 * disjunct quantified over a variable directly cannot be split before the run and this TLC
 * labels it `Next`: such an edge, should one appear, matches any message-handling action, and
 * coverage counts the action the code matched it with.
 */
import { cfgReader, replayBinding } from '../../conform/index.ts';
import type { ReplayResult, ReplayTarget } from '../../conform/index.ts';
import { applyAction, enabledActions, initCluster, specState } from '../index.ts';
import type { Cluster, ClusterAction, ClusterConfig } from '../index.ts';
import { SIM_KEY } from './traces.ts';

/** Actions quantified over `msgs`, which this TLC labels `Next`. */
const MESSAGE_ACTIONS = new Set([
  'SledFence', 'HeadFenced', 'SledWrite', 'HeadAck', 'HeadFencedOff',
]);
const UNSPLIT_LABEL = 'Next';

/** The cluster configuration that matches a cfg's constants. */
export function clusterConfigFromCfg(cfg: string): ClusterConfig {
  const c = cfgReader(cfg);
  const config: ClusterConfig = {
    sleds: c.ids('Sleds'), heads: c.ids('Heads'), values: c.ids('Values'), w: c.num('W'),
    f: c.num('F'), maxEpoch: c.num('MaxEpoch'), maxSeq: c.num('MaxSeq'),
    maxCrashes: c.num('MaxCrashes'), key: SIM_KEY, volume: 'vol', extent: 'x0',
  };
  return c.has('MaxMsgs') ? { ...config, maxMsgs: c.num('MaxMsgs') } : config;
}

/** cluster.ts as a replay target; an edge label `Next` matches any message action. */
export function clusterTarget(config: ClusterConfig): ReplayTarget<Cluster, ClusterAction> {
  return {
    init: () => initCluster(config),
    enabled: (c) => enabledActions(c),
    apply: (c, a) => applyAction(c, a),
    actionName: (a) => a.action,
    matches: (a, label) =>
      a.action === label || (label === UNSPLIT_LABEL && MESSAGE_ACTIONS.has(a.action)),
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}

/** Runs TLC on Replay.cfg, covers the graph's edges and replays every path on the cores. */
export async function replayFencing(opts: { onPhase?: (p: 'dump' | 'replay') => void } = {}):
  Promise<ReplayResult> {
  const { FENCING_BINDING } = await import('./binding.ts');
  return replayBinding(FENCING_BINDING, opts);
}
