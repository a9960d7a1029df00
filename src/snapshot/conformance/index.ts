/**
 * `plumbline conform snapshot-gc`: trace validation of simulator runs of the snapshot-gc cores
 * (host, peer, transaction runner and external service as sim nodes), then state-graph replay
 * of spec/snapshot-gc/Replay.cfg on cluster.ts, through the shared kit (src/conform/kit.ts).
 */
import { runConformance } from '../../conform/index.ts';
import type { ConformDriver, ConformOptions, ConformResult } from '../../conform/index.ts';
import { SNAPSHOT_GC_BINDING } from './binding.ts';

export { SNAPSHOT_GC_BINDING, SNAPSHOT_GC_SPEC } from './binding.ts';
export { clusterConfigFromCfg, clusterTarget } from './replay.ts';
export {
  EXT, GC_TICK_MS, HOST, PEER, SNAP_NODES, TXR, checkView, snapRun, traceOf, viewOf,
} from './sim-adapter.ts';
export type {
  Journal, SnapDurable, SnapInput, SnapMsg, SnapRun, SnapSimConfig, SnapVolatile,
} from './sim-adapter.ts';
export {
  HORIZON_MS, SETTLE_MS, TRACE_NETWORK, generateTrace, randomPlan, runFor,
} from './traces.ts';
export {
  REPLAY_CONFIG_PATH, SPEC_ACTIONS, SPEC_ACTION_NAMES, SPEC_PATH, TRACE_CONFIG, TRACE_CONSTANTS,
} from './spec-binding.ts';

async function run(opts: ConformOptions): Promise<ConformResult[]> {
  return [await runConformance(SNAPSHOT_GC_BINDING, opts)];
}

export const snapshotGcConformance: ConformDriver = { protocol: 'snapshot-gc', run };
