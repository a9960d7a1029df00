/**
 * Public surface of consensus-txn part 2: transactions across consensus groups (Paxos Commit
 * over group logs). Sans-IO cores (participant, proposer, recovery, client), entries and
 * messages (zod), an in-memory driver, and the spec-aligned cluster composition with its
 * abstraction function and invariants (spec/consensus-txn/CrossGroupTxn.tla).
 */
export * from './entries.ts';
export * from './messages.ts';
export * as participant from './participant.ts';
export type { ParticipantState, ParticipantSteps } from './participant.ts';
export * as proposer from './proposer.ts';
export type {
  OutcomeFn, OutcomeView, ProposerConfig, ProposerState, ProposerStep, TxnView,
} from './proposer.ts';
export * as recovery from './recovery.ts';
export { proposerStep } from './step.ts';
export * as client from './client.ts';
export type {
  ClientConfig, ClientEffect, ClientError, ClientOutcome, ClientState, PendingTxn, TransactResult,
} from './client.ts';
export { MemoryTxnSystem } from './memory-groups.ts';
export type { MemoryOptions, TransactError } from './memory-groups.ts';
export {
  ACTION_NAMES, applyAction, defaultSteps, enabledActions, groupBalances, initCluster, known,
} from './cluster.ts';
export type {
  AccountConfig, ActionName, Cluster, ClusterAction, ClusterConfig, ClusterSteps, GroupState, Told,
} from './cluster.ts';
export { specState, specEntry, SPEC_VARIABLES, NONE_MODEL } from './spec-state.ts';
export { invariants, violatedInvariants, precedence, type InvariantName } from './invariants.ts';
