/** fencing's real-process driver: the cluster launcher, its client, and the raw-log audit. */
export { FencingCluster } from './launch.ts';
export type {
  AckRecord,
  ClientRecord,
  ClusterError,
  ClusterOptions,
  FenceRecord,
  SledFile,
} from './launch.ts';
export { auditSledLogs, readSledLog } from './audit.ts';
export type { AuditCheck, AuditReport } from './audit.ts';
export { decodeLogBlock, encodeLogBlock, BLOCK_BYTES } from './block-log.ts';
export type { LogEntry } from './block-log.ts';
export type { HeadReply, HeadRequest, Block, Credential } from './protocol.ts';
