/**
 * Public surface of one consensus group (multi-decree Paxos): sans-IO cores (acceptor,
 * proposer, learner, replica log), reconfiguration by growth to a target, the pool of ready
 * groups, wire messages, and the spec-aligned cluster composition with its abstraction
 * function and invariants (spec/consensus-txn/GroupPaxos.tla, MCGroupPaxos.tla).
 */
export * from './messages.ts';
export * as acceptor from './acceptor.ts';
export * as proposer from './proposer.ts';
export * as learner from './learner.ts';
export * as replica from './log.ts';
export * as reconfig from './reconfig.ts';
export * as pool from './pool.ts';
export type {
  AcceptorDurable, AcceptorEffect, AcceptorState, AcceptorStep, WalRecord,
} from './acceptor.ts';
export type {
  Phase2aResult, ProposerConfig, ProposerEffect, ProposerError, ProposerPhase, ProposerState,
  ProposerStep,
} from './proposer.ts';
export type { LearnerConfig, LearnerEffect, LearnerState, LearnerStep } from './learner.ts';
export type { ApplyStep, ReplicaState, StateMachine } from './log.ts';
export type { Membership, MembershipResult, ReconfigError } from './reconfig.ts';
export type {
  HandOutResult, PoolConfig, PoolEffect, PoolError, PoolGroup, PoolState, PoolStep,
} from './pool.ts';
export {
  ACTION_NAMES, applyAction, ballotNumber, ballotOf, defaultSteps, describeMsg, enabledActions,
  initCluster, msgKey, withinBounds,
} from './cluster.ts';
export type {
  ActionName, Cluster, ClusterAction, ClusterConfig, ClusterSteps,
} from './cluster.ts';
export { specState, specMessage, SPEC_VARIABLES, NONE_MODEL } from './spec-state.ts';
export {
  chosenBar, invariants, refinesConsensusStep, violatedInvariants, type InvariantName,
} from './invariants.ts';
