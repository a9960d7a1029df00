/** The fencing cores bound to spec/fencing/Fencing.tla for the shared conformance kit. */
import type { ConformBinding, SpecBinding } from '../../conform/index.ts';
import type { Cluster, ClusterAction } from '../index.ts';
import { clusterConfigFromCfg, clusterTarget } from './replay.ts';
import {
  REPLAY_CONFIG_PATH, SPEC_ACTIONS, SPEC_PATH, SPEC_VARIABLES, TRACE_CONSTANTS,
} from './spec-binding.ts';
import { generateTrace } from './traces.ts';

export const FENCING_SPEC: SpecBinding = {
  protocol: 'fencing',
  specLabel: 'spec/fencing/Fencing.tla',
  specPath: SPEC_PATH,
  replayConfigPath: REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/fencing/Replay.cfg',
  variables: SPEC_VARIABLES,
  actions: SPEC_ACTIONS,
  traceConstants: TRACE_CONSTANTS,
};

export const FENCING_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: FENCING_SPEC,
  generateTrace,
  replayTarget: (cfgText) => clusterTarget(clusterConfigFromCfg(cfgText)),
};
