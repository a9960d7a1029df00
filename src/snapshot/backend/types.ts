/**
 * The instance backend interface: what the snapshot-GC driver needs from "a VM instance",
 * whatever runs it. The process backend (a child node process) implements it for the node
 * driver; the QEMU backend of the harness (snapshot = QMP migrate to a file, restore = a new
 * QEMU with `-incoming`, preserved state on a separate virtio disk) is meant to implement it too.
 *
 * Every method returns a Result: whatever the outside world can do (a dead child, a torn file, a
 * refused socket) is a typed error value with a `code`, never a throw.
 */
import { z } from 'zod';
import type { Result } from '../../runtime/node/index.ts';

export type BackendKind = 'process' | 'qemu-tcg' | 'qemu-kvm';

export type BackendErrorCode =
  | 'spawn-failed'
  | 'agent-exited'
  | 'timeout'
  | 'protocol'
  | 'agent-error'
  | 'io-failed'
  | 'snapshot-invalid'
  | 'unknown-instance'
  | 'half-open';
export type BackendError = { code: BackendErrorCode; message: string };
export type BackendResult<T> = Promise<Result<T, BackendError>>;

/** 32 bytes of entropy as 64 hex characters. */
export const entropyHexSchema = z.string().regex(/^[0-9a-f]{64}$/);

/** What "ready" means for a new instance: the initialisation work a cold start must do. */
export const readySpecSchema = z.object({
  /** Entries of the ready-state table (the "loaded runtime" a cold start builds). */
  tableEntries: z.number().int().min(1).max(1_000_000),
  /** Hash rounds per table entry: the cost of initialising one entry. */
  hashRounds: z.number().int().min(1).max(100_000),
});
export type ReadySpec = z.infer<typeof readySpecSchema>;

export const coldStartSpecSchema = z.object({
  /** The host slot the instance occupies; its preserved store belongs to the slot. */
  slot: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  ready: readySpecSchema,
  generation: z.number().int().nonnegative(),
  entropyHex: entropyHexSchema,
});
export type ColdStartSpec = z.infer<typeof coldStartSpecSchema>;

export const restoreOptionsSchema = z.object({
  slot: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  /** Handed to the restored instance before it runs anything (VMGenID). */
  generation: z.number().int().nonnegative(),
  entropyHex: entropyHexSchema,
});
export type RestoreOptions = z.infer<typeof restoreOptionsSchema>;

/** A snapshot on disk: the template for restores. */
export const snapshotRefSchema = z.object({
  backend: z.enum(['process', 'qemu-tcg', 'qemu-kvm']),
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  /** Digest of the non-preserved instance state the snapshot holds. */
  stateDigest: z.string(),
  garbageBytes: z.number().int().nonnegative(),
  generation: z.number().int().nonnegative(),
});
export type SnapshotRef = z.infer<typeof snapshotRefSchema>;

/** One unit of work run inside an instance. */
export const executionSchema = z.object({
  executionId: z.string().min(1).max(128),
  /** Garbage the execution allocates and leaves behind. */
  garbageBytes: z.number().int().nonnegative().max(256 * 1024 * 1024),
  /** Keys the execution writes into the instance's preserved state. */
  preservedWrites: z.record(z.string().max(128), z.string().max(4096)).default({}),
  /** How long the execution runs before it answers (so drains have something to wait for). */
  durationMs: z.number().int().nonnegative().max(60_000).default(0),
});
export type Execution = z.input<typeof executionSchema>;

export const executionResultSchema = z.object({
  executionId: z.string(),
  generation: z.number().int().nonnegative(),
  /** The instance's garbage after the execution. */
  garbageBytes: z.number().int().nonnegative(),
  /** A value drawn from the instance's RNG during the execution (a nonce). */
  nonceHex: z.string(),
});
export type ExecutionResult = z.infer<typeof executionResultSchema>;

/** The preserved state: survives restores because it lives outside the instance's image. */
export const preservedStateSchema = z.object({
  version: z.number().int().nonnegative(),
  entries: z.record(z.string(), z.string()),
});
export type PreservedState = z.infer<typeof preservedStateSchema>;

export const connectionInfoSchema = z.object({
  connectionId: z.string(),
  localPort: z.number().int().min(0).max(65535),
  /**
   * The instance's view: `open` with a live socket, `closed`, or `half-open` when the instance
   * believes a connection open that has no socket behind it (e.g. restored from an image that
   * held one).
   */
  state: z.enum(['open', 'closed', 'half-open']),
});
export type ConnectionInfo = z.infer<typeof connectionInfoSchema>;

/** What the instance reports about itself. */
export const instanceInfoSchema = z.object({
  instanceId: z.string(),
  slot: z.string(),
  generation: z.number().int().nonnegative(),
  garbageBytes: z.number().int().nonnegative(),
  executions: z.number().int().nonnegative(),
  /** Digest of every non-preserved state component (equals the snapshot's right after restore). */
  stateDigest: z.string(),
  /** Digest of the ready-state table alone. */
  readyDigest: z.string(),
  /** How this instance came to be. */
  origin: z.enum(['cold', 'restore']),
});
export type InstanceInfo = z.infer<typeof instanceInfoSchema>;

/** An opaque reference to a running instance. */
export type InstanceHandle = {
  readonly instanceId: string;
  readonly slot: string;
  readonly generation: number;
  readonly backend: BackendKind;
};

export type ConnectionEnd = 'instance' | 'peer';

/** The outcome of closing an instance's connections: both ends were seen closed. */
export type CloseReport = { closed: string[]; peerSawClose: string[] };

export interface InstanceBackend {
  describe(): BackendKind;
  /** Boot a new instance and initialise it to the ready state. */
  coldStart(spec: ColdStartSpec): BackendResult<InstanceHandle>;
  /** Write the instance's state (not its preserved state) to `path`, durably. */
  snapshot(handle: InstanceHandle, path: string): BackendResult<SnapshotRef>;
  /**
   * A new instance from `ref`, in `options.slot`, that receives `generation` and entropy before
   * it runs anything; the preserved store of the slot is not touched.
   */
  restore(ref: SnapshotRef, options: RestoreOptions): BackendResult<InstanceHandle>;
  execute(handle: InstanceHandle, execution: Execution): BackendResult<ExecutionResult>;
  garbage(handle: InstanceHandle): BackendResult<number>;
  info(handle: InstanceHandle): BackendResult<InstanceInfo>;
  readPreserved(slot: string): BackendResult<PreservedState>;
  writePreserved(slot: string, state: PreservedState): BackendResult<void>;
  /** Open a connection from the instance to the host-side peer. */
  openConnection(handle: InstanceHandle): BackendResult<ConnectionInfo>;
  connections(handle: InstanceHandle): BackendResult<ConnectionInfo[]>;
  /**
   * Close every connection of the instance at the given ends (both by default; errs
   * `half-open` when both were asked and the peer still holds one).
   */
  closeConnections(handle: InstanceHandle, ends?: readonly ConnectionEnd[])
    : BackendResult<CloseReport>;
  /** Host-side ends still open for the instance's connections (0 after closeConnections). */
  peerOpenConnections(handle: InstanceHandle): number;
  /** `bytes` drawn from the instance's RNG. */
  random(handle: InstanceHandle, bytes: number): BackendResult<string>;
  /** Stop the instance (kill the process / quit QEMU); idempotent. */
  destroy(handle: InstanceHandle): Promise<void>;
  /** Destroy every instance and stop the host-side peer. */
  close(): Promise<void>;
}
