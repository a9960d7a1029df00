/** Real processes, network namespaces and block devices on this machine (root required). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockDevice, fileTarget, loopTarget } from '../../hw-harness/block/index.ts';
import { HostNetwork, HostProcess, Teardown, withTeardown } from '../../hw-harness/host/index.ts';
import { probe } from '../../hw-harness/probe/index.ts';
import { probeReportSchema } from '../../hw-harness/report.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-hwhost-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const ECHO_SERVER = `
const net = require('node:net');
const server = net.createServer((s) => s.on('data', (d) => s.end('echo:' + d)));
const ready = () => console.log('PLUMBLINE-READY ' + JSON.stringify({ port: 7000 }));
server.listen(7000, '0.0.0.0', ready);
`;

function clientArgv(address: string): string[] {
  const code = `const s = require('node:net').connect(7000, '${address}');
s.setTimeout(1500, () => { console.log('timeout'); process.exit(2); });
s.on('error', (e) => { console.log('error ' + e.code); process.exit(3); });
s.on('data', (d) => { console.log(String(d)); process.exit(0); }); s.write('ping');`;
  return [process.execPath, '-e', code];
}

function inNs(netns: string, argv: string[]): { code: number; out: string } {
  try {
    const out = execFileSync('ip', ['netns', 'exec', netns, ...argv], { encoding: 'utf8',
      timeout: 15_000 });
    return { code: 0, out: out.trim() };
  } catch (thrown) {
    const failed = thrown as { status: number | null; stdout: string };
    return { code: failed.status ?? -1, out: String(failed.stdout).trim() };
  }
}

function netnsNames(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')
    .map((line) => line.split(' ')[0] ?? '').filter((name) => name.length > 0);
}

describe('hosts: network namespaces and processes', () => {
  it('runs a server in one namespace, partitions, heals, and tears everything down', async () => {
    const tag = `t${(process.pid % 1296).toString(36)}`;
    const netemOutcome = await withTeardown(async (teardown) => {
      const network = await HostNetwork.create(2, teardown, { tag });
      if (!network.ok) throw new Error(network.error.message);
      const [a, b] = [network.value.host(0), network.value.host(1)];
      expect(netnsNames()).toEqual(expect.arrayContaining([a.netns, b.netns]));
      const server = await HostProcess.start({ name: 'echo', netns: a.netns,
        argv: [process.execPath, '-e', ECHO_SERVER], readyTimeoutMs: 15_000 }, teardown);
      if (!server.ok) throw new Error(server.error.message);
      expect(server.value.ready?.port).toBe(7000);
      expect(inNs(b.netns, clientArgv(a.address))).toEqual({ code: 0, out: 'echo:ping' });
      expect((await network.value.partition(0, 1)).ok).toBe(true);
      expect(inNs(b.netns, clientArgv(a.address)).code).not.toBe(0);
      expect((await network.value.heal()).ok).toBe(true);
      expect(inNs(b.netns, clientArgv(a.address)).out).toBe('echo:ping');
      server.value.pause();
      expect(inNs(b.netns, clientArgv(a.address)).out).toBe('timeout');
      server.value.resume();
      expect(inNs(b.netns, clientArgv(a.address)).out).toBe('echo:ping');
      await server.value.kill();
      expect(server.value.alive).toBe(false);
      expect(inNs(b.netns, clientArgv(a.address)).out).toBe('error ECONNREFUSED');
      const restarted = await server.value.restart();
      expect(restarted.ok).toBe(true);
      expect(inNs(b.netns, clientArgv(a.address)).out).toBe('echo:ping');
      const netem = await network.value.netem(1, { delayMs: 5, lossPercent: 0 });
      return netem.ok ? 'ok' : netem.error.code;
    });
    expect(['ok', 'unsupported']).toContain(netemOutcome);
    expect(netnsNames().filter((name) => name.startsWith(tag))).toEqual([]);
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
    expect(links).not.toContain(`${tag}br`);
  });

  it('two networks asking for one subnet get different ones (concurrent harness runs)', async () => {
    const t = (process.pid % 1296).toString(36);
    await withTeardown(async (teardown) => {
      const first = await HostNetwork.create(1, teardown, { tag: `a${t}`, net: 177 });
      const second = await HostNetwork.create(1, teardown, { tag: `b${t}`, net: 177 });
      if (!first.ok || !second.ok) throw new Error('assertion: both networks created');
      expect(second.value.net).not.toBe(first.value.net);
      expect(second.value.host(0).address.startsWith(`10.${second.value.net}.0.`)).toBe(true);
    });
  });

  it('tears down what was created before a failure', async () => {
    const tag = `f${(process.pid % 1296).toString(36)}`;
    await expect(withTeardown(async (teardown) => {
      const network = await HostNetwork.create(1, teardown, { tag });
      if (!network.ok) throw new Error(network.error.message);
      throw new Error('scenario failed');
    })).rejects.toThrow('scenario failed');
    expect(netnsNames().filter((name) => name.startsWith(tag))).toEqual([]);
    const teardown = new Teardown();
    const refused = await HostNetwork.create(0, teardown);
    expect(refused.ok ? 'ok' : refused.error.code).toBe('refused');
    await teardown.run();
  });
});

describe('block targets', () => {
  it('writes durable blocks to a file and to a loop device over it', async () => {
    const file = fileTarget(path.join(scratch, 'plain.img'), 1 << 20);
    if (!file.ok) throw new Error(file.error.message);
    const opened = file.value.open();
    if (!opened.ok) throw new Error(opened.error.message);
    expect(opened.value.writeBlock(2, Buffer.alloc(4096, 9)).ok).toBe(true);
    expect(opened.value.stats.syncs).toBe(1);
    opened.value.close();
    expect(fs.readFileSync(path.join(scratch, 'plain.img'))[2 * 4096]).toBe(9);

    const loop = await loopTarget(path.join(scratch, 'loop.img'), 1 << 20);
    if (!loop.ok) throw new Error(loop.error.message);
    try {
      expect(loop.value.path).toMatch(/^\/dev\/loop\d+$/);
      const unguarded = BlockDevice.open(loop.value.path);
      expect(unguarded.ok ? 'ok' : unguarded.error.code).toBe('device-refused');
      const mountsText = `${loop.value.path} /mnt ext4 rw 0 0\n`;
      const mounted = BlockDevice.open(loop.value.path, { destructive: true, mountsText });
      expect(mounted.ok ? 'ok' : mounted.error.code).toBe('device-mounted');
      const device = loop.value.open();
      if (!device.ok) throw new Error(device.error.message);
      expect(device.value.isDevice).toBe(true);
      expect(device.value.writeBlock(5, Buffer.alloc(4096, 0xab)).ok).toBe(true);
      device.value.close();
    } finally {
      await loop.value.release();
    }
    expect(fs.readFileSync(path.join(scratch, 'loop.img'))[5 * 4096]).toBe(0xab);
    const attached = execFileSync('losetup', ['-j', path.join(scratch, 'loop.img')],
      { encoding: 'utf8' });
    expect(attached.trim()).toBe('');
  });
});

describe('probe', () => {
  it('reports what this machine offers, validated by its schema', async () => {
    const report = await probe();
    expect(probeReportSchema.safeParse(report).success).toBe(true);
    if (report.qemu.version === null) {
      throw new Error('QEMU is missing: apt-get install -y qemu-system-x86 qemu-utils cpio');
    }
    expect(report.tcg.usable).toBe(true);
    expect(report.netns.usable).toBe(true);
    expect(report.veth.usable).toBe(true);
    expect(report.loopDevices.usable).toBe(true);
    expect(report.accel).not.toBeNull();
  });
});
