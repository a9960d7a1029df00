/**
 * The sandbox backend interface: what a worker manager needs from "a sandbox", whatever it is
 * made of. The process backend (process-backend.ts) makes a sandbox of a child process with its
 * own directory and environment; the VM backend of the harness makes one of a QEMU guest. The
 * same calls fit both:
 *
 *   boot      a fresh sandbox from a clean template (process: copy the template dir, spawn the
 *             agent; VM: boot the guest, then save its clean snapshot)
 *   exec      run one invocation command inside (process: the agent spawns it in the sandbox
 *             dir; VM: the guest agent runs it)
 *   reset     back to the saved clean state (process: kill, restore the dir, respawn with a
 *             clean env; VM: restore the snapshot)
 *   snapshot  save the current state under a reference; restore makes a new sandbox from it
 *   destroy   end it and remove everything it had
 *
 * Handles and snapshot references are plain data (zod schemas below), so they can cross process
 * boundaries; the backend keeps the live objects. Every failure is a `{ code, message }` value.
 */
import { z } from 'zod';
import type { Result } from '../../runtime/node/index.ts';

/** Sandbox ids name directories and files: keep them to a safe alphabet. */
export const sandboxIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/);

/** Environment variables: names as POSIX allows, bounded values. */
export const envSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/),
  z.string().max(4096),
);
export type SandboxEnv = z.infer<typeof envSchema>;

export const bootSpecSchema = z.object({
  /** Unique among live sandboxes of one backend. */
  id: sandboxIdSchema,
  /** What the sandbox is built for, e.g. `tenant/function@version` (a label; kept as given). */
  kind: z.string().min(1).max(256),
  /** The sandbox's whole environment: nothing of the host's leaks in. */
  env: envSchema,
  /** A directory whose copy is the sandbox's clean file state (default: empty). */
  templateDir: z.string().min(1).optional(),
});
export type BootSpec = z.infer<typeof bootSpecSchema>;

export const sandboxHandleSchema = z.object({
  id: sandboxIdSchema,
  kind: z.string(),
  backend: z.string(),
});
export type SandboxHandle = z.infer<typeof sandboxHandleSchema>;

export const execRequestSchema = z.object({
  command: z.string().min(1).max(4096),
  args: z.array(z.string().max(65_536)).max(256).default([]),
  /** Added to the sandbox's environment for this command only. */
  env: envSchema.optional(),
  stdin: z.string().max(1 << 20).optional(),
  timeoutMs: z.number().int().positive().max(3_600_000),
});
export type ExecRequest = z.input<typeof execRequestSchema>;

export const execResultSchema = z.object({
  /** The command's exit code; null when it was killed by a signal (e.g. on timeout). */
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** True when stdout or stderr was cut at the backend's output limit. */
  truncated: z.boolean(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
});
export type ExecResult = z.infer<typeof execResultSchema>;

export const snapshotRefSchema = z.object({
  snapshotId: sandboxIdSchema,
  /** The sandbox it was taken from, and what that sandbox was built for. */
  sandboxId: sandboxIdSchema,
  kind: z.string(),
  backend: z.string(),
});
export type SnapshotRef = z.infer<typeof snapshotRefSchema>;

export type BackendDescription = {
  /** `process`, later `qemu-tcg` / `qemu-kvm`. */
  backend: string;
  /** How sandboxes are kept apart, in a few words. */
  isolation: string;
  /** How reset works, in a few words. */
  reset: string;
};

export type BackendErrorCode =
  | 'bad-spec'
  | 'duplicate-id'
  | 'unknown-sandbox'
  | 'unknown-snapshot'
  | 'boot-failed'
  | 'busy'
  | 'agent-crashed'
  | 'agent-unresponsive'
  | 'exec-failed'
  | 'io-failed';
export type BackendError = { code: BackendErrorCode; message: string };

export type BackendResult<T> = Result<T, BackendError>;

export interface SandboxBackend {
  describe(): BackendDescription;
  boot(spec: BootSpec): Promise<BackendResult<SandboxHandle>>;
  exec(handle: SandboxHandle, request: ExecRequest): Promise<BackendResult<ExecResult>>;
  /** Back to the saved clean state: nothing of earlier commands remains. */
  reset(handle: SandboxHandle): Promise<BackendResult<SandboxHandle>>;
  snapshot(handle: SandboxHandle): Promise<BackendResult<SnapshotRef>>;
  /** A new sandbox (id `id`, default derived from the reference) in the snapshot's state. */
  restore(ref: SnapshotRef, id?: string): Promise<BackendResult<SandboxHandle>>;
  destroy(handle: SandboxHandle): Promise<BackendResult<void>>;
  /** Destroy every sandbox and snapshot this backend made. */
  close(): Promise<void>;
}
