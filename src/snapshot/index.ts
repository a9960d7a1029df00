/**
 * Public surface of snapshot-gc: garbage collection by restoring a ready-state snapshot, with
 * preserved state, connection termination, transaction retries by restore and carried tracing
 * data (spec/snapshot-gc/SnapshotGC.tla). Sans-IO cores; drivers live elsewhere.
 */
export * from './messages.ts';
export * as gc from './gc-manager.ts';
export {
  GC_PHASES, advance, defaultGcSteps, handleGcInput, initGcManager,
} from './gc-manager.ts';
export type {
  Awaiting, GcConfig, GcPhase, GcState, GcStep, GcSteps,
} from './gc-manager.ts';
export * as instance from './instance.ts';
export type { Heap, InstanceState, ReadySnapshot } from './instance.ts';
export * as connections from './connections.ts';
export type { ConnTable, Connection, EndState } from './connections.ts';
export * as retry from './retry-runner.ts';
export type {
  ExternalService, RetrySteps, TxConfig, TxEffect, TxPhase, TxState, TxStep,
} from './retry-runner.ts';
export * as tracing from './tracing-store.ts';
export type { FunctionTrace, TraceSample, TracingStore } from './tracing-store.ts';
export {
  ACTION_NAMES, SNAPSHOT, applyAction, decodeEntropy, decodePres, defaultClusterSteps,
  enabledActions, encodeEntropy, encodePres, freshEntropy, initCluster, managerOf, next1, vmOf,
} from './cluster.ts';
export type { ActionName, Cluster, ClusterAction, ClusterConfig, ClusterSteps } from './cluster.ts';
export { specState, specGen, SPEC_VARIABLES } from './spec-state.ts';
export { invariants, violatedInvariants, type InvariantName } from './invariants.ts';
