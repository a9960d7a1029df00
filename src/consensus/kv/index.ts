/**
 * plumbline consensus-txn / kv: a versioned control-plane store by conditional writes
 * (US09910881B1), as a deterministic state machine for a consensus group's log, a sans-IO
 * client core, an optimistic read-modify-write helper, and the sequential model the
 * linearizability checker uses.
 */
export {
  KvCommandSchema,
  KvEntrySchema,
  KvReplySchema,
  KvResultSchema,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  commandKey,
} from './commands.ts';
export type { KvCommand, KvEntry, KvReply, KvResult } from './commands.ts';
export { applyCommand, applyEntry, emptyKvState, kvStateMachine, visibleVersion } from './store.ts';
export type { KeyState, KvData, KvState, Session } from './store.ts';
export { initKvClient, kvClientSteps, onReply, onRetry, submit } from './client.ts';
export type {
  KvClientConfig,
  KvClientEffect,
  KvClientError,
  KvClientState,
  KvClientStep,
  KvClientSteps,
} from './client.ts';
export { rmwOnResult, rmwStart } from './rmw.ts';
export type { RmwDecision, RmwOutcome, RmwState, RmwStep, RmwUpdate } from './rmw.ts';
export { kvModel, resultsEqual } from './model.ts';
export { LOG_NODE, singleLogStore } from './single-log.ts';
export type {
  SingleLogConfig,
  SingleLogDurable,
  SingleLogHooks,
  SingleLogMsg,
  SingleLogVolatile,
} from './single-log.ts';
export { KV_NOOP, kvGroupMachine } from './group-machine.ts';
export { paxosGroupStore, readLocally } from './paxos-group.ts';
export type {
  ClientVolatile,
  GroupDurable,
  GroupHooks,
  GroupMsg,
  GroupVolatile,
  MemberView,
  MemberVolatile,
  PaxosGroupConfig,
} from './paxos-group.ts';
