/** The sandbox-reuse cores bound to spec/sandbox-reuse/SandboxReuse.tla for the conformance kit. */
import type { ConformBinding, SpecBinding } from '../../conform/index.ts';
import type { Cluster, ClusterAction } from '../index.ts';
import { clusterConfigFromCfg, clusterTarget } from './replay.ts';
import {
  modeActions, REPLAY_CONFIG_PATH, REPLAY_WARM_CONFIG_PATH, SPEC_PATH, SPEC_VARIABLES,
  TRACE_CONSTANTS, traceClusterConfig, WARM_TRACE_CONSTANTS, warmTraceClusterConfig,
} from './spec-binding.ts';
import { generateTrace } from './traces.ts';

/** Single-use mode (SingleUse = TRUE): traces and Replay.cfg. */
export const SANDBOX_SPEC: SpecBinding = {
  protocol: 'sandbox-reuse',
  specLabel: 'spec/sandbox-reuse/SandboxReuse.tla',
  specPath: SPEC_PATH,
  replayConfigPath: REPLAY_CONFIG_PATH,
  replayConfigLabel: 'spec/sandbox-reuse/Replay.cfg',
  variables: SPEC_VARIABLES,
  actions: modeActions(true),
  traceConstants: TRACE_CONSTANTS,
};

/** Warm mode (SingleUse = FALSE): traces and ReplayWarm.cfg, with the Release step. */
export const SANDBOX_WARM_SPEC: SpecBinding = {
  ...SANDBOX_SPEC,
  specLabel: 'spec/sandbox-reuse/SandboxReuse.tla (SingleUse = FALSE)',
  replayConfigPath: REPLAY_WARM_CONFIG_PATH,
  replayConfigLabel: 'spec/sandbox-reuse/ReplayWarm.cfg',
  actions: modeActions(false),
  traceConstants: WARM_TRACE_CONSTANTS,
};

export const SANDBOX_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: SANDBOX_SPEC,
  generateTrace: (seed) => generateTrace(seed, traceClusterConfig()),
  replayTarget: (cfgText) => clusterTarget(clusterConfigFromCfg(cfgText)),
};

export const SANDBOX_WARM_BINDING: ConformBinding<Cluster, ClusterAction> = {
  spec: SANDBOX_WARM_SPEC,
  generateTrace: (seed) => generateTrace(seed, warmTraceClusterConfig()),
  replayTarget: (cfgText) => clusterTarget(clusterConfigFromCfg(cfgText)),
};
