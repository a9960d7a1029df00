/**
 * What binds the snapshot-gc cores to spec/snapshot-gc/SnapshotGC.tla for conformance checks:
 * the spec's variables, every Next action's formula with its parameters quantified as in Next,
 * and the constants of the trace validation module. The trace bounds (`TRACE_CONFIG`) are the
 * cluster configuration of every simulator run; `TRACE_CONSTANTS` is the same in cfg form.
 */
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../index.ts';

export const SPEC_PATH =
  fileURLToPath(new URL('../../../spec/snapshot-gc/SnapshotGC.tla', import.meta.url));
export const REPLAY_CONFIG_PATH =
  fileURLToPath(new URL('../../../spec/snapshot-gc/Replay.cfg', import.meta.url));

export { SPEC_VARIABLES } from '../spec-state.ts';

/** Every action of the spec's Next, with its parameters quantified as in Next. */
export const SPEC_ACTIONS = {
  Launch: '\\E i \\in Instances : Launch(i)',
  Start: '\\E i \\in Instances : Start(i)',
  Finish: '\\E i \\in Instances, g \\in 1..MaxGarbage, w \\in BOOLEAN : Finish(i, g, w)',
  Connect: '\\E i \\in Instances : Connect(i)',
  Disconnect: '\\E i \\in Instances : Disconnect(i)',
  StopAdmitting: '\\E i \\in Instances : StopAdmitting(i)',
  SavePreserved: '\\E i \\in Instances : SavePreserved(i)',
  Terminate: '\\E i \\in Instances : Terminate(i)',
  Restore: '\\E i \\in Instances : Restore(i)',
  WriteBack: '\\E i \\in Instances : WriteBack(i)',
  Admit: '\\E i \\in Instances : Admit(i)',
  TxBegin: 'TxBegin',
  TxSend: 'TxSend',
  TxJudge: '\\E ok \\in BOOLEAN : TxJudge(ok)',
  TxRetry: 'TxRetry',
  TxGiveUp: 'TxGiveUp',
} as const satisfies Record<string, string>;

export type SpecActionName = keyof typeof SPEC_ACTIONS;
export const SPEC_ACTION_NAMES = Object.keys(SPEC_ACTIONS) as SpecActionName[];

/** The cluster configuration of every simulator run whose trace TLC validates. */
export const TRACE_CONFIG: ClusterConfig = {
  instances: ['i1', 'i2'], threshold: 2, maxGarbage: 2, maxRunning: 2, presMax: 3, genMax: 3,
  maxAttempts: 3, traceMax: 4,
};

/** The constants block of the trace validation module (TRACE_CONFIG in cfg form). */
export const TRACE_CONSTANTS = `CONSTANTS
  Instances = {${TRACE_CONFIG.instances.join(', ')}}
  Threshold = ${TRACE_CONFIG.threshold}
  MaxGarbage = ${TRACE_CONFIG.maxGarbage}
  MaxRunning = ${TRACE_CONFIG.maxRunning}
  PresMax = ${TRACE_CONFIG.presMax}
  GenMax = ${TRACE_CONFIG.genMax}
  MaxAttempts = ${TRACE_CONFIG.maxAttempts}
  TraceMax = ${TRACE_CONFIG.traceMax}`;
