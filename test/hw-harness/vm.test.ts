/**
 * The QEMU adapter on this machine: one boot reused across checks, then snapshot, restore and
 * live migration. CI installs QEMU first; without it this test FAILS (it never skips).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGuestImage, type GuestImage } from '../../hw-harness/image/index.ts';
import {
  destroyAllVms,
  detectAccel,
  liveVmCount,
  QemuVmm,
  vmConfigSchema,
  type QemuVm,
} from '../../hw-harness/vmm/index.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-hwvm-'));
const diskPath = path.join(scratch, 'state.img');
const figures: Record<string, number> = {};
const vmm = new QemuVmm();
let image: GuestImage;
let vm: QemuVm;

function requireQemu(): void {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('QEMU is not installed: apt-get install -y qemu-system-x86 qemu-utils cpio');
  }
}

async function must<T>(result: Promise<{ ok: true; value: T } | { ok: false; error: { message:
  string } }>): Promise<T> {
  const settled = await result;
  if (!settled.ok) throw new Error(settled.error.message);
  return settled.value;
}

beforeAll(async () => {
  requireQemu();
  image = await must(ensureGuestImage());
  figures[image.cached ? 'imageCachedMs' : 'imageColdMs'] = image.elapsedMs;
  fs.writeFileSync(diskPath, Buffer.alloc(8 << 20));
  const config = vmConfigSchema.parse({ kernelPath: image.kernelPath,
    initrdPath: image.initrdPath, disks: [{ id: 'state', path: diskPath }], network: 'user' });
  const accel = await must(detectAccel(config));
  figures.kvmUsable = accel.kvmUsable ? 1 : 0;
  const startedMs = Date.now();
  vm = await must(vmm.boot(config, { accel: accel.accel }));
  figures.bootToReadyMs = Date.now() - startedMs;
}, 300_000);

afterAll(async () => {
  await destroyAllVms();
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`hw-harness figures (accel ${vm?.accel}): ${JSON.stringify(figures)}`);
});

describe('QEMU VM (one boot, reused)', () => {
  it('serves the cached image on a second request, with the same hash', async () => {
    const again = await must(ensureGuestImage());
    expect(again.cached).toBe(true);
    expect(again.manifest.hash).toBe(image.manifest.hash);
    figures.imageCachedMs = again.elapsedMs;
  });

  it('runs commands in the guest with their output and exit code', async () => {
    expect(['kvm', 'tcg']).toContain(vm.accel);
    const kernel = await must(vm.exec('uname -r'));
    expect(kernel).toMatchObject({ exitCode: 0, output: `${image.manifest.kernelRelease}\n` });
    const failing = await must(vm.exec(`printf 'a "quoted"\\nline\\n'; echo err >&2; exit 42`));
    expect(failing.exitCode).toBe(42);
    expect(failing.output).toBe('a "quoted"\nline\nerr\n');
  });

  it('writes the virtio-blk disk durably, visible in the host file', async () => {
    const wrote = await must(vm.exec(
      'printf plumbline-marker | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null'));
    expect(wrote.exitCode).toBe(0);
    const bytes = fs.readFileSync(diskPath).subarray(8 * 512, 8 * 512 + 16).toString('latin1');
    expect(bytes).toBe('plumbline-marker');
  });

  it('connects from the guest to a host TCP port (user network, 10.0.2.2)', async () => {
    const received: string[] = [];
    const server = net.createServer((socket) => socket.on('data', (d) => received.push(String(d))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const sent = await must(vm.exec(`echo hello-host | nc -w 2 10.0.2.2 ${port}`));
    server.close();
    expect(sent.exitCode).toBe(0);
    expect(received.join('')).toBe('hello-host\n');
  });

  it('reads guest and host memory use', async () => {
    const memory = await must(vm.memory());
    expect(memory.configuredBytes).toBe(256 * 1024 * 1024);
    expect(memory.guestTotalBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(memory.guestUsedBytes).toBeGreaterThan(0);
    expect(memory.hostRssBytes).toBeGreaterThan(0);
    figures.guestUsedBytes = memory.guestUsedBytes;
  });

  it('pauses (commands wait) and resumes', async () => {
    await must(vm.pause());
    expect(await must(vm.status())).toEqual({ running: false, status: 'paused' });
    const stalled = await vm.exec('true', 1_500);
    expect(stalled.ok ? 'ok' : stalled.error.code).toBe('timeout');
    await must(vm.resume());
    expect((await must(vm.status())).running).toBe(true);
    expect((await must(vm.exec('echo back'))).output).toBe('back\n');
  });

  it('snapshots to a file and restores it in a new QEMU process', async () => {
    await must(vm.exec('echo kept-in-ram > /tmp/proof'));
    const statePath = path.join(scratch, 'vm.state');
    const saved = await must(vm.snapshot(statePath));
    expect(saved.bytes).toBeGreaterThan(1 << 20);
    expect(fs.statSync(statePath).size).toBe(saved.bytes);
    figures.snapshotMs = saved.elapsedMs;
    figures.snapshotBytes = saved.bytes;
    expect((await must(vm.status())).running).toBe(false);
    await must(vm.resume());
    expect((await must(vm.exec('echo still-alive'))).output).toBe('still-alive\n');
    const oldPid = vm.pid;
    await vm.destroy();
    expect(() => process.kill(oldPid, 0)).toThrow();
    const startedMs = Date.now();
    vm = await must(vmm.restore(statePath));
    figures.restoreToReadyMs = Date.now() - startedMs;
    figures.restoreVsBootRatio = figures.restoreToReadyMs / (figures.bootToReadyMs ?? 1);
    figures.restoreLoadMs = vm.timings.loadMs ?? -1;
    expect(vm.timings.loadMs).toBeGreaterThanOrEqual(0);
    expect((await must(vm.exec('cat /tmp/proof'))).output).toBe('kept-in-ram\n');
    const read = 'dd if=/dev/vda bs=512 skip=8 count=1 2>/dev/null | head -c 16';
    const disk = await must(vm.exec(read));
    expect(disk.output).toBe('plumbline-marker');
  });

  it('live-migrates to another QEMU process and keeps the guest state', async () => {
    const source = vm;
    const moved = await must(vmm.migrate(source));
    vm = moved.vm;
    figures.liveMigrationMs = moved.elapsedMs;
    figures.migrationDowntimeMs = vm.timings.downtimeMs ?? -1;
    expect(vm.pid).not.toBe(source.pid);
    expect(() => process.kill(source.pid, 0)).toThrow();
    expect((await must(vm.status())).status).toBe('running');
    expect((await must(vm.exec('cat /tmp/proof'))).output).toBe('kept-in-ram\n');
  });

  it('destroys every VM it started', async () => {
    const pid = vm.pid;
    await vm.destroy();
    expect(liveVmCount()).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(vm.workDir)).toBe(false);
  });
});
