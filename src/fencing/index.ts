/**
 * Public surface of the fencing protocol: sans-IO cores (issuer, head, sled), wire messages,
 * credentials, the on-device block format, burst throttling, and the spec-aligned cluster
 * composition with its abstraction function and invariants (spec/fencing/Fencing.tla).
 */
export * from './messages.ts';
export * from './credential.ts';
export * as issuer from './issuer.ts';
export * as head from './head.ts';
export * as sled from './sled.ts';
export type { IssuerConfig, IssuerDurable, IssuerEffect, IssuerState } from './issuer.ts';
export type {
  ClientReply, HeadConfig, HeadEffect, HeadState, Phase, PendingWrite,
} from './head.ts';
export type { ExtentDurable, SledConfig, SledDurable, SledEffect, SledState } from './sled.ts';
export * from './block-format.ts';
export * as throttle from './token-bucket.ts';
export type { ThrottleConfig, ThrottleDecision, ThrottleState } from './token-bucket.ts';
export {
  ACTION_NAMES, applyAction, clusterIssuerEpoch, describeMsg, enabledActions, initCluster, msgKey,
  withinBounds,
} from './cluster.ts';
export type {
  AckedWrite, ActionName, Cluster, ClusterAction, ClusterConfig, Migration, PerformedWrite,
} from './cluster.ts';
export {
  specState, specMessage, SPEC_VARIABLES, NO_VALUE_MODEL, NONE_MODEL,
} from './spec-state.ts';
export { invariants, violatedInvariants, latestVal, type InvariantName } from './invariants.ts';
