import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockDevice, isDevicePath, isMounted } from '../../src/runtime/node/index.ts';

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-blocks-')), 'sled.img');
}

describe('BlockDevice', () => {
  it('writes and reads whole blocks at 4096-byte offsets of a regular file', () => {
    const file = tempFile();
    const opened = BlockDevice.open(file);
    if (!opened.ok) throw new Error(opened.error.message);
    const dev = opened.value;
    const block = Buffer.alloc(4096, 7);
    expect(dev.writeBlock(3, block).ok).toBe(true);
    expect(fs.statSync(file).size).toBe(4 * 4096);
    const back = dev.readBlock(3);
    expect(back.ok && back.value.equals(block)).toBe(true);
    const hole = dev.readBlock(1);
    expect(hole.ok && hole.value.every((b) => b === 0)).toBe(true);
    const short = dev.writeBlock(0, Buffer.alloc(100));
    expect(short.ok ? 'ok' : short.error.code).toBe('bad-block-length');
    const negative = dev.writeBlock(-1, block);
    expect(negative.ok ? 'ok' : negative.error.code).toBe('bad-block-index');
    expect(dev.stats.syncs).toBe(1);
    dev.close();
  });

  it('refuses a device path without destructive: true', () => {
    expect(isDevicePath('/dev/null')).toBe(true);
    expect(isDevicePath(tempFile())).toBe(false);
    const refused = BlockDevice.open('/dev/null');
    expect(refused.ok ? 'ok' : refused.error.code).toBe('device-refused');
  });

  it('refuses a mounted device even with destructive: true', () => {
    const mounts = fs.readFileSync('/proc/mounts', 'utf8');
    const mounted = mounts
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .find((src) => src.startsWith('/dev/') && fs.existsSync(src));
    expect(mounted).toBeDefined();
    const refused = BlockDevice.open(mounted!, { destructive: true });
    expect(refused.ok ? 'ok' : refused.error.code).toBe('device-mounted');
  });

  it('sees partitions of a device as mounting it', () => {
    const table = '/dev/nvme9n1p2 /data ext4 rw 0 0\n/dev/sdz1 /x ext4 rw 0 0\n';
    expect(isMounted('/dev/nvme9n1', table)).toBe(true);
    expect(isMounted('/dev/sdz', table)).toBe(true);
    expect(isMounted('/dev/sdy', table)).toBe(false);
    expect(isMounted('/dev/nvme9n1p1', table)).toBe(false);
  });
});
