/**
 * Public surface of sandbox-reuse: sans-IO cores (placement, frontend, worker manager, sandbox
 * lifecycle, scoped credentials, limiter, failure store), wire messages, and the spec-aligned
 * cluster composition with its abstraction function and invariants
 * (spec/sandbox-reuse/SandboxReuse.tla).
 */
export * from './messages.ts';
export * from './placement.ts';
export * from './credential.ts';
export * as frontend from './frontend.ts';
export * as workerManager from './worker-manager.ts';
export * as lifecycle from './lifecycle.ts';
export * as limiter from './limiter.ts';
export * as failureStore from './failure-store.ts';
export type {
  FrontendAsk, FrontendConfig, PlaceFn, RequestPhase, RequestState,
} from './frontend.ts';
export type {
  AcquireMode, AcquireResult, MatchFn, WorkerConfig, WorkerEffect, WorkerError, WorkerOutcome,
  WorkerState, WorkerStep,
} from './worker-manager.ts';
export type { LifecycleError, LifecycleResult, Sandbox, SandboxPhase } from './lifecycle.ts';
export type { LimiterConfig, LimiterError, LimiterState, TenantLimit } from './limiter.ts';
export type { FailureStoreError, FailureStoreState, StoredFailure } from './failure-store.ts';
export {
  ACTION_NAMES, allSandboxes, applyAction, describeKind, enabledActions, initCluster, kindsOf,
  realSteps, releaseOnce, validCredentials,
} from './cluster.ts';
export type {
  ActionName, Cluster, ClusterAction, ClusterConfig, PendingRelease, Steps,
} from './cluster.ts';
export { specState, specKind, specSlot, SPEC_VARIABLES, NONE_MODEL } from './spec-state.ts';
export { invariants, violatedInvariants, type InvariantName } from './invariants.ts';
