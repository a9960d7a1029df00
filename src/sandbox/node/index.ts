/**
 * sandbox-reuse's real-process driver: worker-manager processes (the worker-manager core over
 * the process backend) and frontend processes (frontend, limiter and failure-store cores) over
 * TCP frames, the cluster launcher and its client.
 */
export { SandboxCluster } from './launch.ts';
export type { SandboxClusterError, SandboxClusterOptions } from './launch.ts';
export {
  frontendReplySchema, frontendRequestSchema, invokeResultSchema, runReplySchema, runSchema,
  workerReplySchema, workerRequestSchema,
} from './wire.ts';
export type {
  FrontendReply, FrontendRequest, FrontendStats, InvokeResult, Run, RunReply, WorkerReply,
  WorkerRequest, WorkerStats,
} from './wire.ts';
