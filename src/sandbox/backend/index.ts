/**
 * Sandbox backends behind one interface (types.ts): the process backend here, for the node
 * driver; the VM (QEMU) backend of the harness implements the same `SandboxBackend`.
 */
export {
  bootSpecSchema,
  envSchema,
  execRequestSchema,
  execResultSchema,
  sandboxHandleSchema,
  sandboxIdSchema,
  snapshotRefSchema,
} from './types.ts';
export type {
  BackendDescription,
  BackendError,
  BackendErrorCode,
  BackendResult,
  BootSpec,
  ExecRequest,
  ExecResult,
  SandboxBackend,
  SandboxEnv,
  SandboxHandle,
  SnapshotRef,
} from './types.ts';
export { ProcessBackend } from './process-backend.ts';
export type { ProcessBackendOptions } from './process-backend.ts';
