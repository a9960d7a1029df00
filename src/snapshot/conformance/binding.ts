/** The snapshot-gc cores bound to spec/snapshot-gc/SnapshotGC.tla for the conformance kit. */
import type { ConformBinding, SpecBinding } from '../../conform/index.ts';
import type { Cluster, ClusterAction } from '../index.ts';
import { clusterConfigFromCfg, clusterTarget } from './replay.ts';
import {
  REPLAY_CONFIG_PATH, SPEC_ACTIONS, SPEC_PATH, SPEC_VARIABLES, TRACE_CONSTANTS,
} from './spec-binding.ts';
import { generateTrace } from './traces.ts';

export const SNAPSHOT_GC_SPEC: SpecBinding = {
  protocol: 'snapshot-gc',
  specLabel: 'spec/snapshot-gc/SnapshotGC.tla',
  specPath: SPEC_PATH,
  replayConfigPath: REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/snapshot-gc/Replay.cfg',
  variables: SPEC_VARIABLES,
  actions: SPEC_ACTIONS,
  traceConstants: TRACE_CONSTANTS,
};

export const SNAPSHOT_GC_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: SNAPSHOT_GC_SPEC,
  generateTrace,
  replayTarget: (cfgText) => clusterTarget(clusterConfigFromCfg(cfgText)),
};
