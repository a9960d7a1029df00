/**
 * The TLC toolchain: find the jar, run TLC with structured results, parse TLA+ values, compare
 * them, write ITF, validate implementation traces, read state graphs and cover their edges.
 * Works on any spec, not only plumbline's.
 */
export * from './value.ts';
export {
  canonical, compareTla, tlaEqual, printTla, printString, isTlaIdentifier, printNeeds,
  diffStates, describeDiffs, modelValuesIn,
} from './value-ops.ts';
export type { StateDiff } from './value-ops.ts';
export { parseTlaValue, parseTlaState, tryParseTlaValue, tryParseTlaState, TlaParseError } from './parse-value.ts';
export {
  TlcOutcomeSchema, TlcLocationSchema, TlcTraceStepSchema, TlcViolationSchema, TlcErrorSchema,
  TlcResultSchema, TlcProgressSchema,
} from './result.ts';
export type {
  TlcOutcome, TlcLocation, TlcTraceStep, TlcViolation, TlcError, TlcResult, TlcProgress,
} from './result.ts';
export { findTlcJar, javaWorks, DEFAULT_TLC_JAR } from './jar.ts';
export type { TlcSetupError } from './jar.ts';
export { runTlc, tlcArgs, NO_EXIT_CODE } from './runner.ts';
export type { TlcRunOptions } from './runner.ts';
export { formatTlcResult, formatTlaValue } from './format.ts';
export { toItf, writeItf, fromItf, ItfTraceSchema } from './itf.ts';
export type { ItfTrace } from './itf.ts';
export {
  writeTraceModule, constantsBlockOf, ImplTraceSchema, TraceStepSchema, TraceValidationSpecSchema,
} from './trace-module.ts';
export type { ImplTrace, TraceStep, TraceValidationSpec } from './trace-module.ts';
export { validateTraces } from './validate.ts';
export type { TraceValidationResult } from './validate.ts';
export { readStateGraph, parseStateGraph, nodeState, initialNodes } from './graph.ts';
export type { StateGraph, StateNode, StateEdge, GraphResult } from './graph.ts';
export { coverEdges } from './edge-cover.ts';
export type { EdgeCover, CoverStats, CoverOptions } from './edge-cover.ts';
