/** The sandbox-reuse cores bound to spec/sandbox-reuse/SandboxReuse.tla for the conformance kit. */
import type { ConformBinding, SpecBinding } from '../../conform/index.ts';
import type { Cluster, ClusterAction } from '../index.ts';
import { clusterConfigFromCfg, clusterTarget } from './replay.ts';
import {
  REPLAY_CONFIG_PATH, SPEC_ACTIONS, SPEC_PATH, SPEC_VARIABLES, TRACE_CONSTANTS,
} from './spec-binding.ts';
import { generateTrace } from './traces.ts';

export const SANDBOX_SPEC: SpecBinding = {
  protocol: 'sandbox-reuse',
  specLabel: 'spec/sandbox-reuse/SandboxReuse.tla',
  specPath: SPEC_PATH,
  replayConfigPath: REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/sandbox-reuse/Replay.cfg',
  variables: SPEC_VARIABLES,
  actions: SPEC_ACTIONS,
  traceConstants: TRACE_CONSTANTS,
};

export const SANDBOX_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: SANDBOX_SPEC,
  generateTrace,
  replayTarget: (cfgText) => clusterTarget(clusterConfigFromCfg(cfgText)),
};
