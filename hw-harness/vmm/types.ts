/**
 * The VMM interface every adapter (QEMU, Firecracker) implements, and the VM configuration
 * (a zod schema, so a snapshot can carry the configuration it must be restored with).
 */
import { z } from 'zod';
import type { HarnessError, Result } from '../run.ts';
import type { ExecResult } from './agent.ts';

export const accelSchema = z.enum(['kvm', 'tcg']);
export type Accel = z.infer<typeof accelSchema>;

export const diskSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9]{0,15}$/),
  path: z.string().min(1),
  format: z.enum(['raw', 'qcow2']).default('raw'),
  /** virtio: /dev/vda… in the guest (needs the virtio_blk module); nvme: /dev/nvme0n1… */
  bus: z.enum(['virtio', 'nvme']).default('virtio'),
  /** false turns QEMU's image locking off (several VMs restored from one snapshot). */
  locking: z.boolean().default(true),
});
export type DiskConfig = z.infer<typeof diskSchema>;

export const forwardSchema = z.object({
  hostPort: z.number().int().min(1).max(65535),
  guestPort: z.number().int().min(1).max(65535),
});

export const vmConfigSchema = z.object({
  kernelPath: z.string().min(1),
  initrdPath: z.string().min(1),
  memoryMiB: z.number().int().min(64).max(16_384).default(256),
  cpus: z.number().int().min(1).max(8).default(1),
  /** Extra kernel command line words. */
  append: z.string().default(''),
  disks: z.array(diskSchema).max(8).default([]),
  /** user: QEMU's user-mode network; the guest reaches the host at 10.0.2.2. */
  network: z.enum(['none', 'user']).default('none'),
  /** host 127.0.0.1:hostPort -> guest guestPort (user network only). */
  forwards: z.array(forwardSchema).max(16).default([]),
});
export type VmConfigInput = z.input<typeof vmConfigSchema>;
export type VmConfig = z.infer<typeof vmConfigSchema>;

export const memoryUseSchema = z.object({
  guestTotalBytes: z.number(),
  guestAvailableBytes: z.number(),
  guestUsedBytes: z.number(),
  /** QMP query-memory-size-summary base-memory. */
  configuredBytes: z.number(),
  /** Resident set of the VMM process on the host (/proc/<pid>/status VmRSS). */
  hostRssBytes: z.number(),
});
export type MemoryUse = z.infer<typeof memoryUseSchema>;

export const snapshotInfoSchema = z.object({
  statePath: z.string(),
  bytes: z.number(),
  elapsedMs: z.number(),
});
export type SnapshotInfo = z.infer<typeof snapshotInfoSchema>;

export type VmStatus = { running: boolean; status: string };

/** One running (or paused) virtual machine. */
export interface Vm {
  readonly vmm: 'qemu' | 'firecracker';
  readonly accel: Accel;
  readonly config: VmConfig;
  /** The VMM process id on the host. */
  readonly pid: number;
  exec(command: string, timeoutMs?: number): Promise<Result<ExecResult, HarnessError>>;
  pause(): Promise<Result<void, HarnessError>>;
  resume(): Promise<Result<void, HarnessError>>;
  status(): Promise<Result<VmStatus, HarnessError>>;
  /** Save the whole VM to `statePath` (leaves it paused). */
  snapshot(statePath: string): Promise<Result<SnapshotInfo, HarnessError>>;
  memory(): Promise<Result<MemoryUse, HarnessError>>;
  /** Kill the VMM and remove its working directory; idempotent. */
  destroy(): Promise<void>;
}

export type BootOptions = {
  accel?: Accel | 'auto';
  readyTimeoutMs?: number;
};

export type RestoreOptions = {
  /** Resume after loading and wait for the agent (default true). */
  resume?: boolean;
  readyTimeoutMs?: number;
  /** Replace disk paths (by disk id) for the restored VM. */
  diskPaths?: Record<string, string>;
};

/** Boot, restore and migrate: what a scenario needs from a VMM. */
export interface Vmm {
  readonly name: 'qemu' | 'firecracker';
  boot(config: VmConfigInput, options?: BootOptions): Promise<Result<Vm, HarnessError>>;
  restore(statePath: string, options?: RestoreOptions): Promise<Result<Vm, HarnessError>>;
  /** Live-migrate a running VM to a new VMM process; the source is destroyed on success. */
  migrate(source: Vm): Promise<Result<{ vm: Vm; elapsedMs: number }, HarnessError>>;
}
