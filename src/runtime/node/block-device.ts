/**
 * Fixed-size blocks on a regular file or a block device: pwrite + fdatasync at block offsets.
 *
 * Node cannot open with O_DIRECT and use unaligned buffers, so durability comes from fdatasync
 * after every write, not from bypassing the page cache. Positions are multiples of the block
 * size (4096 bytes by default), so the same offsets suit a real NVMe namespace.
 *
 * Safety: a device path (anything under /dev, or any block special file) is only opened with
 * `destructive: true`, and never when it or one of its partitions is mounted (/proc/mounts).
 * Both checks run before the device is opened at all.
 */
import fs from 'node:fs';
import { assert, describeError, err, ok, type Result } from './result.ts';

export const DEFAULT_BLOCK_BYTES = 4096;

export type BlockDeviceErrorCode =
  | 'device-refused'
  | 'device-mounted'
  | 'io-failed'
  | 'bad-block-index'
  | 'bad-block-length';
export type BlockDeviceError = { code: BlockDeviceErrorCode; message: string };

export type BlockDeviceOptions = {
  blockBytes?: number;
  /** Required to open a device path; a mounted device is refused even with it. */
  destructive?: boolean;
  /** For a regular file: create it if missing (default true). */
  create?: boolean;
  /** fdatasync after every write (default true). */
  syncEveryWrite?: boolean;
  /** The mount table to check (default: the contents of /proc/mounts). */
  mountsText?: string;
};

/** True for anything under /dev and for any block special file. */
export function isDevicePath(filePath: string): boolean {
  const resolved = safeRealpath(filePath);
  if (resolved.startsWith('/dev/') || filePath.startsWith('/dev/')) return true;
  try {
    return fs.statSync(resolved).isBlockDevice();
  } catch {
    return false;
  }
}

function safeRealpath(filePath: string): string {
  try {
    return fs.realpathSync(filePath);
  } catch {
    return filePath;
  }
}

/** The mount sources (first field) of a /proc/mounts text, resolved through symlinks. */
export function mountSources(mountsText: string): string[] {
  return mountsText
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((source) => source.startsWith('/'))
    .map((source) => safeRealpath(source));
}

/** Is the device, or a partition of it (`/dev/sda1`, `/dev/nvme0n1p2`), mounted? */
export function isMounted(devicePath: string, mountsText: string): boolean {
  const device = safeRealpath(devicePath);
  const partition = new RegExp(`^${device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}p?\\d+$`);
  return mountSources(mountsText).some((source) => source === device || partition.test(source));
}

export class BlockDevice {
  readonly stats = { blocksWritten: 0, blocksRead: 0, syncs: 0 };

  private constructor(
    readonly path: string,
    readonly blockBytes: number,
    readonly isDevice: boolean,
    private fd: number,
    private readonly syncEveryWrite: boolean,
  ) {}

  static open(
    filePath: string,
    options: BlockDeviceOptions = {},
  ): Result<BlockDevice, BlockDeviceError> {
    const blockBytes = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
    assert(blockBytes > 0 && blockBytes % 512 === 0, 'block size is a multiple of 512');
    const device = isDevicePath(filePath);
    if (device) {
      const refused = checkDevice(filePath, options);
      if (refused !== null) return err(refused);
    }
    try {
      const exists = fs.existsSync(filePath);
      const flags = exists || device || options.create === false ? 'r+' : 'w+';
      const fd = fs.openSync(filePath, flags);
      return ok(new BlockDevice(filePath, blockBytes, device, fd, options.syncEveryWrite ?? true));
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
  }

  /** pwrite one whole block at `index * blockBytes`, then fdatasync. */
  writeBlock(index: number, block: Uint8Array): Result<void, BlockDeviceError> {
    const bad = this.checkIndex(index) ?? this.checkLength(block.length);
    if (bad !== null) return err(bad);
    try {
      const written = fs.writeSync(this.fd, block, 0, block.length, index * this.blockBytes);
      assert(written === block.length, 'pwrite of a whole block');
      if (this.syncEveryWrite) {
        fs.fdatasyncSync(this.fd);
        this.stats.syncs += 1;
      }
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
    this.stats.blocksWritten += 1;
    return ok(undefined);
  }

  /** Read one block; past the end of a file it reads as zeros. */
  readBlock(index: number): Result<Buffer, BlockDeviceError> {
    const bad = this.checkIndex(index);
    if (bad !== null) return err(bad);
    const block = Buffer.alloc(this.blockBytes);
    try {
      fs.readSync(this.fd, block, 0, this.blockBytes, index * this.blockBytes);
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
    this.stats.blocksRead += 1;
    return ok(block);
  }

  sync(): Result<void, BlockDeviceError> {
    try {
      fs.fdatasyncSync(this.fd);
      this.stats.syncs += 1;
      return ok(undefined);
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private checkIndex(index: number): BlockDeviceError | null {
    if (Number.isSafeInteger(index) && index >= 0 && index * this.blockBytes < 2 ** 50) return null;
    return { code: 'bad-block-index', message: `block index ${index} is not a valid index` };
  }

  private checkLength(bytes: number): BlockDeviceError | null {
    if (bytes === this.blockBytes) return null;
    const message = `a block is ${this.blockBytes} bytes, got ${bytes}`;
    return { code: 'bad-block-length', message };
  }
}

function checkDevice(filePath: string, options: BlockDeviceOptions): BlockDeviceError | null {
  if (options.destructive !== true) {
    const message = `${filePath} is a device path; writing it needs destructive: true`;
    return { code: 'device-refused', message };
  }
  let mountsText = options.mountsText;
  if (mountsText === undefined) {
    try {
      mountsText = fs.readFileSync('/proc/mounts', 'utf8');
    } catch (thrown) {
      const message = `cannot read /proc/mounts: ${describeError(thrown)}`;
      return { code: 'device-refused', message };
    }
  }
  if (isMounted(filePath, mountsText)) {
    return { code: 'device-mounted', message: `${filePath} (or a partition of it) is mounted` };
  }
  return null;
}
