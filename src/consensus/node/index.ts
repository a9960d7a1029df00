/**
 * The real node driver of consensus-txn: member processes (acceptor + learner over a
 * group-commit WAL, TCP), proposers with real timers (txn core over per-group Paxos cores),
 * `transact(...)` clients, a launcher for loopback clusters and the WAL auditor.
 */
export * from './wire.ts';
export { Member, type DurableLog, type LogError, type MemberStats } from './member.ts';
export { openMemberWal, decodeRecords, MemoryLog, type OpenedMemberWal } from './member-wal.ts';
export { tcpTransport, type MemberTransport, type TransportError } from './transport.ts';
export {
  NOOP, ProposerNode, type ProposerCounters, type ProposerNodeConfig,
} from './proposer.ts';
export {
  TxnClient, type TransactError, type TransactOptions, type TransactResult,
} from './client.ts';
export {
  auditWals, type AuditCheck, type AuditGroup, type AuditReport, type GroupLog,
} from './audit.ts';
export {
  TxnCluster, type RoleHandle, type RolePlacement, type RoleRef, type TxnClusterOptions,
} from './launch.ts';
