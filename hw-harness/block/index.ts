/**
 * Block devices behind one interface: a regular file, a loop device (over a file the harness
 * creates) and an NVMe namespace found under /sys/class/nvme. All of them open as the node
 * driver's `BlockDevice` (pwrite + fdatasync per block), which refuses a device path without
 * `destructive: true` and refuses a mounted device even with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BlockDevice, type BlockDeviceError } from '../../src/runtime/node/index.ts';
import { err, harnessError, ok, runChecked, type HarnessError, type Result } from '../run.ts';

export type BlockTargetKind = 'file' | 'loop' | 'nvme';

export type OpenOptions = { blockBytes?: number; destructive?: boolean };

export interface BlockTarget {
  readonly kind: BlockTargetKind;
  readonly path: string;
  readonly bytes: number;
  open(options?: OpenOptions): Result<BlockDevice, BlockDeviceError>;
  /** Undo what creating the target did (detach a loop device, remove a temp file). */
  release(): Promise<void>;
}

/** A regular file of `bytes` (created or extended; never shrunk). */
export function fileTarget(filePath: string, bytes: number): Result<BlockTarget, HarnessError> {
  try {
    const fd = fs.openSync(filePath, fs.existsSync(filePath) ? 'r+' : 'w+');
    if (fs.fstatSync(fd).size < bytes) fs.ftruncateSync(fd, bytes);
    fs.closeSync(fd);
  } catch (thrown) {
    return err(harnessError('io-failed', `${filePath}: ${String(thrown)}`));
  }
  return ok({
    kind: 'file',
    path: filePath,
    bytes,
    open: (options = {}) => BlockDevice.open(filePath, { ...options, create: false }),
    release: async () => undefined,
  });
}

/**
 * A loop device over `backingFile` (created with `bytes`). It is the harness's own scratch
 * device, so opening it does not need the caller's `destructive` flag; the mount check stays.
 */
export async function loopTarget(
  backingFile: string,
  bytes: number,
): Promise<Result<BlockTarget, HarnessError>> {
  const file = fileTarget(backingFile, bytes);
  if (!file.ok) return file;
  const attached = await runChecked(['losetup', '--find', '--show', backingFile]);
  if (!attached.ok) return attached;
  const device = attached.value.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device)) {
    return err(harnessError('bad-response', `losetup printed ${JSON.stringify(device)}`));
  }
  let released = false;
  return ok({
    kind: 'loop',
    path: device,
    bytes,
    open: (options = {}) => BlockDevice.open(device, { ...options, destructive: true }),
    release: async () => {
      if (released) return;
      released = true;
      await runChecked(['losetup', '--detach', device]);
    },
  });
}

export type NvmeNamespace = {
  controller: string;
  name: string;
  devicePath: string;
  bytes: number;
  model: string;
  serial: string;
};

/** NVMe namespaces under `/sys/class/nvme/<ctrl>/<ctrl>n<N>` (or `…c<C>n<N>`). */
export function listNvmeNamespaces(sysClassNvme = '/sys/class/nvme'): NvmeNamespace[] {
  const found: NvmeNamespace[] = [];
  for (const controller of safeReaddir(sysClassNvme)) {
    const dir = path.join(sysClassNvme, controller);
    const model = readTrim(path.join(dir, 'model'));
    const serial = readTrim(path.join(dir, 'serial'));
    for (const name of safeReaddir(dir)) {
      if (!/^nvme\d+(c\d+)?n\d+$/.test(name)) continue;
      const sectors = Number(readTrim(path.join(dir, name, 'size')));
      const bytes = Number.isFinite(sectors) ? sectors * 512 : 0;
      found.push({ controller, name, devicePath: `/dev/${name}`, bytes, model, serial });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** An NVMe namespace as a target: opening it needs `destructive: true` from the caller. */
export function nvmeTarget(namespace: NvmeNamespace): BlockTarget {
  return {
    kind: 'nvme',
    path: namespace.devicePath,
    bytes: namespace.bytes,
    open: (options = {}) => BlockDevice.open(namespace.devicePath, { ...options, create: false }),
    release: async () => undefined,
  };
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function readTrim(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

export { BlockDevice, isMounted, isDevicePath } from '../../src/runtime/node/index.ts';
export type { BlockDeviceError } from '../../src/runtime/node/index.ts';
