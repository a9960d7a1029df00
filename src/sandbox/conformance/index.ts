/**
 * `plumbline conform sandbox-reuse`: trace validation of simulator runs of the sandbox-reuse
 * cores, then state-graph replay of spec/sandbox-reuse/Replay.cfg on cluster.ts, through the
 * shared conformance kit (src/conform/kit.ts). `ok` iff every trace is accepted, the replay has
 * no mismatch, every spec action is covered and edge coverage is at least `EDGE_COVERAGE_MIN`.
 */
import { replayBinding, runConformance } from '../../conform/index.ts';
import type {
  ConformDriver, ConformOptions, ConformResult, ReplayResult,
} from '../../conform/index.ts';
import { SANDBOX_BINDING, SANDBOX_WARM_BINDING } from './binding.ts';

export {
  SANDBOX_BINDING, SANDBOX_SPEC, SANDBOX_WARM_BINDING, SANDBOX_WARM_SPEC,
} from './binding.ts';
export { clusterConfigFromCfg, clusterTarget } from './replay.ts';
export {
  generateTrace, randomPlan, sandboxIds, HORIZON_MS, TRACE_NETWORK,
} from './traces.ts';
export type { SandboxTrace } from './traces.ts';
export { checkRun, sandboxRun, specStateOf, traceOf } from './sim-adapter.ts';
export type { Journal, SandboxRun, SandboxSimConfig } from './sim-adapter.ts';
export { attemptOf, clusterViewOf, frontendOf, workerDurableOf, FRONTEND_ID } from './sim-view.ts';
export type {
  FrontendDurable, SandboxDurable, SandboxInput, SandboxVolatile, Wait, WorkerDurable, World,
} from './sim-view.ts';
export { parseSimMessage, SimMessageSchema } from './messages.ts';
export type { SimMessage } from './messages.ts';
export {
  constantsOf, modeActions, REPLAY_CONFIG_PATH, REPLAY_WARM_CONFIG_PATH, SIM_KEY,
  SPEC_ACTION_NAMES, SPEC_ACTIONS, SPEC_PATH, SPEC_VARIABLES, TRACE_CONSTANTS,
  traceClusterConfig, WARM_TRACE_CONSTANTS, warmTraceClusterConfig,
} from './spec-binding.ts';

/**
 * Runs TLC on Replay.cfg (or ReplayWarm.cfg with `warm`), covers the graph's edges and replays
 * every path on the cores.
 */
export async function replaySandbox(opts: { onPhase?: (p: 'dump' | 'replay') => void;
  warm?: boolean } = {}): Promise<ReplayResult> {
  return replayBinding(opts.warm === true ? SANDBOX_WARM_BINDING : SANDBOX_BINDING, opts);
}

/** One result per mode: single-use (Replay.cfg), then warm (ReplayWarm.cfg). */
async function run(opts: ConformOptions): Promise<ConformResult[]> {
  return [await runConformance(SANDBOX_BINDING, opts),
    await runConformance(SANDBOX_WARM_BINDING, opts)];
}

/**
 * The driver `plumbline conform` loads. `ProtocolName` (src/protocols.ts, not ours) lists only
 * the protocols registered so far; the lead adds 'sandbox-reuse' there and to DRIVERS.
 */
export const sandboxReuseConformance: ConformDriver = {
  protocol: 'sandbox-reuse',
  run,
};
