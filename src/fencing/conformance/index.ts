/**
 * `plumbline conform fencing`: trace validation of simulator runs of the fencing cores, then
 * state-graph replay of spec/fencing/Replay.cfg on them, through the shared conformance kit
 * (src/conform/kit.ts). `ok` iff every trace is accepted, the replay has no mismatch, every spec
 * action is covered and edge coverage is at least `EDGE_COVERAGE_MIN`.
 */
import { rejectionsOf as kitRejectionsOf, runConformance, writeTracesAsItf as kitWriteItf }
  from '../../conform/index.ts';
import type {
  ConformDriver, ConformOptions, ConformResult, GeneratedTrace as KitTrace,
} from '../../conform/index.ts';
import type { TraceValidationResult } from '../../tla/index.ts';
import { FENCING_BINDING } from './binding.ts';

export { replayFencing, clusterTarget, clusterConfigFromCfg } from './replay.ts';
export { parseCfgConstants, EDGE_COVERAGE_MIN, replayPaths, stateKey } from '../../conform/index.ts';
export type {
  ReplayResult, GraphReplayResult, ReplayMismatch, ReplayTarget,
} from '../../conform/index.ts';
export {
  generateTrace, randomPlan, traceClusterConfig, traceValidationSpec, validateFencingTraces,
  SIM_KEY, TRACE_NETWORK,
} from './traces.ts';
export type { GeneratedTrace, TraceRunResult } from './traces.ts';
export { checkRun, fencingRun, traceOf, clusterViewOf, ISSUER_ID } from './sim-adapter.ts';
export type {
  CoreHooks, FencingInput, FencingRun, FencingSimConfig, Journal,
} from './sim-adapter.ts';
export {
  SPEC_ACTIONS, SPEC_ACTION_NAMES, SPEC_PATH, REPLAY_CONFIG_PATH, TRACE_BOUNDS, TRACE_CONSTANTS,
} from './spec-binding.ts';
export { FENCING_BINDING } from './binding.ts';

/** The rejections of a validation, each rejected trace written as ITF to a temp dir. */
export function rejectionsOf(v: TraceValidationResult, generated: KitTrace[]):
  ConformResult['traces']['rejections'] {
  return kitRejectionsOf(FENCING_BINDING.spec, v, generated);
}

/** Every generated trace as ITF (`fencing-seed-<S>.itf.json`); returns the files written. */
export function writeTracesAsItf(dir: string, generated: KitTrace[]): string[] {
  return kitWriteItf(FENCING_BINDING.spec, dir, generated);
}

async function run(opts: ConformOptions): Promise<ConformResult[]> {
  return [await runConformance(FENCING_BINDING, opts)];
}

export const fencingConformance: ConformDriver = { protocol: 'fencing', run };
