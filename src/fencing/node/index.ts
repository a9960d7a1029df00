/**
 * fencing's real-process driver: the issuer, sled and head processes on the sans-IO cores of
 * src/fencing/, the cluster launcher and its client, and the raw-file audit.
 */
export { FencingCluster, recordReply } from './launch.ts';
export type {
  AckRecord,
  ClientRecord,
  ClusterError,
  ClusterOptions,
  FenceRecord,
  SledFile,
} from './launch.ts';
export type { HeadArgs, IssuerArgs, IssuerSteps, SledArgs, SledSteps } from './roles.ts';
export { KEY_ENV } from './roles.ts';
export { auditSledLogs, readSledLog } from './audit.ts';
export type { AuditCheck, AuditReport, SledLog, StateRecord } from './audit.ts';
export {
  BLOCK_BYTES,
  decodeLogBlock,
  encodeLogBlock,
  extentKeyOf,
  sledStateSchema,
} from './block-log.ts';
export type { LogEntry, SledStateFile } from './block-log.ts';
export {
  headReplySchema,
  headRequestSchema,
  sledReplySchema,
  sledRequestSchema,
} from './wire.ts';
export type { HeadReply, HeadRequest, SledReply, SledRequest, SledStats } from './wire.ts';
