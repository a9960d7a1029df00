/** Pure parts of the harness: command lines, request builders, parsers, schemas, clients. */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listNvmeNamespaces } from '../../hw-harness/block/index.ts';
import { netemArgs } from '../../hw-harness/host/index.ts';
import {
  AGENT_SCRIPT,
  hashInputs,
  moduleDepends,
  orderModules,
  parseStanzas,
  type ImageInputs,
} from '../../hw-harness/image/index.ts';
import {
  harnessReportSchema,
  hostsFileSchema,
  makeHarnessReport,
  readHostsFile,
  scenarioOk,
} from '../../hw-harness/report.ts';
import {
  AgentChannel,
  QmpClient,
  findFirecracker,
  qemuArgs,
  sendRequest,
  snapshotCreateRequest,
  snapshotLoadRequest,
  vmConfigSchema,
  vmStateRequest,
} from '../../hw-harness/vmm/index.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-hwunit-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('qemuArgs', () => {
  const config = vmConfigSchema.parse({
    kernelPath: '/k/vmlinuz',
    initrdPath: '/k/initrd.gz',
    disks: [{ id: 'state', path: '/d/state.img', locking: false }, { id: 'n1', path: '/d/n.img',
      bus: 'nvme' }],
    network: 'user',
    forwards: [{ hostPort: 8022, guestPort: 22 }],
  });
  it('puts the agent on the second serial port and the disks/network on the command line', () => {
    const args = qemuArgs(config, 'tcg', '/w', { kind: 'none' });
    const joined = args.join(' ');
    expect(args.slice(0, 4)).toEqual(['-accel', 'tcg', '-M', 'pc']);
    expect(joined).toContain('-serial file:/w/console.log');
    expect(joined).toContain(
      'socket,id=agent,path=/w/agent.sock,server=on,wait=off -serial chardev:agent');
    expect(joined).toContain('plumbline.agent=ttyS1');
    expect(joined).toContain(
      'file=/d/state.img,if=none,id=state,format=raw,file.locking=off');
    expect(joined).toContain('virtio-blk-pci,drive=state');
    expect(joined).toContain('nvme,drive=n1,serial=n1');
    expect(joined).toContain('user,id=net0,hostfwd=tcp:127.0.0.1:8022-:22');
    expect(args).not.toContain('-incoming');
  });
  it('differs from a restore command line only by -incoming defer', () => {
    const boot = qemuArgs(config, 'kvm', '/w', { kind: 'none' });
    const restore = qemuArgs(config, 'kvm', '/w', { kind: 'defer' });
    expect(restore).toEqual([...boot, '-incoming', 'defer']);
  });
  it('rejects a config outside its limits', () => {
    expect(vmConfigSchema.safeParse({ kernelPath: 'k', initrdPath: 'i', memoryMiB: 8 }).success)
      .toBe(false);
    expect(vmConfigSchema.safeParse({ kernelPath: 'k', initrdPath: 'i', disks: [{ id: 'A B',
      path: 'x' }] }).success).toBe(false);
  });
});

describe('image inputs', () => {
  const inputs: ImageInputs = {
    formatVersion: 1, kernelPackage: 'linux-image-6.1.0-56-cloud-amd64', kernelVersion: '6.1.192-2',
    busyboxVersion: '1:1.35.0-4', initScript: '#!/bin/sh', agentScript: AGENT_SCRIPT,
    modules: ['a'],
  };
  it('hashes every input: a changed agent, kernel or module list is a new image', () => {
    const base = hashInputs(inputs);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashInputs({ ...inputs })).toBe(base);
    expect(hashInputs({ ...inputs, agentScript: `${AGENT_SCRIPT}\n` })).not.toBe(base);
    expect(hashInputs({ ...inputs, kernelVersion: '6.1.192-3' })).not.toBe(base);
    expect(hashInputs({ ...inputs, modules: ['a', 'b'] })).not.toBe(base);
  });
  it('reads package stanzas from apt-cache show', () => {
    const text = 'Package: linux-image-cloud-amd64\nVersion: 6.1.192-2\nDepends: ' +
      'linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)\n\n' +
      'Package: busybox-static\nVersion: 1:1.35\n';
    const stanzas = parseStanzas(text);
    expect(stanzas.get('busybox-static')?.Version).toBe('1:1.35');
    expect(stanzas.get('linux-image-cloud-amd64')?.Depends).toContain('6.1.0-56');
  });
  it('orders modules after their dependencies, and names a missing one', () => {
    const deps: Record<string, string[]> = { virtio_blk: ['virtio', 'virtio_ring'],
      virtio: ['virtio_ring'], virtio_ring: [] };
    const order = orderModules(['virtio_blk'], (n) => deps[n] ?? null);
    expect(order.ok && order.value).toEqual(['virtio_ring', 'virtio', 'virtio_blk']);
    const missing = orderModules(['nope'], (n) => deps[n] ?? null);
    expect(missing.ok ? 'ok' : missing.error.code).toBe('io-failed');
    const cyclic = orderModules(['a'], (n) => (n === 'a' ? ['b'] : ['a']));
    expect(cyclic.ok ? 'ok' : cyclic.error.code).toBe('bad-response');
  });
  it('reads depends= from a module .modinfo section', () => {
    const modinfo = '\x7fELF...\0license=GPL\0depends=virtio_ring,virtio\0name=x\0';
    const ko = Buffer.from(modinfo, 'latin1');
    expect(moduleDepends(ko)).toEqual(['virtio_ring', 'virtio']);
    expect(moduleDepends(Buffer.from('\0depends=\0'))).toEqual([]);
  });
});

describe('tc netem arguments', () => {
  it('builds delay, jitter and loss words', () => {
    expect(netemArgs({ delayMs: 20, jitterMs: 5, lossPercent: 1.5 })).toEqual(
      ['netem', 'delay', '20ms', '5ms', 'loss', '1.5%']);
    expect(netemArgs({ lossPercent: 100 })).toEqual(['netem', 'loss', '100%']);
  });
});

describe('NVMe namespaces from /sys/class/nvme', () => {
  it('lists namespaces with sizes from a sysfs tree and ignores other entries', () => {
    const root = path.join(scratch, 'sys-nvme');
    fs.mkdirSync(path.join(root, 'nvme0/nvme0n1'), { recursive: true });
    fs.mkdirSync(path.join(root, 'nvme0/nvme0c0n2'), { recursive: true });
    fs.mkdirSync(path.join(root, 'nvme0/power'), { recursive: true });
    fs.writeFileSync(path.join(root, 'nvme0/model'), 'QEMU NVMe Ctrl  \n');
    fs.writeFileSync(path.join(root, 'nvme0/serial'), 'abc\n');
    fs.writeFileSync(path.join(root, 'nvme0/nvme0n1/size'), '2048\n');
    fs.writeFileSync(path.join(root, 'nvme0/nvme0c0n2/size'), '8\n');
    const found = listNvmeNamespaces(root);
    expect(found.map((n) => [n.devicePath, n.bytes, n.model])).toEqual([
      ['/dev/nvme0c0n2', 4096, 'QEMU NVMe Ctrl'], ['/dev/nvme0n1', 1024 * 1024, 'QEMU NVMe Ctrl']]);
    expect(listNvmeNamespaces(path.join(scratch, 'absent'))).toEqual([]);
  });
});

describe('report schemas', () => {
  const scenario = { name: 'fencing', ok: true, checks: [{ name: 'a', ok: true, detail: '' }],
    figures: { bootMs: 1 }, real: ['qemu-tcg'], emulated: [] };
  it('ties ok to the scenarios', () => {
    expect(harnessReportSchema.safeParse(makeHarnessReport('tcg', [scenario])).success).toBe(true);
    expect(harnessReportSchema.safeParse({ ok: true, accel: null, scenarios: [{ ...scenario,
      ok: false }] }).success).toBe(false);
    expect(scenarioOk([])).toBe(false);
    expect(scenarioOk([{ name: 'x', ok: false, detail: 'no' }])).toBe(false);
  });
  it('reads a hosts file, filling defaults and refusing unknown fields', () => {
    const good = path.join(scratch, 'hosts.json');
    fs.writeFileSync(good, JSON.stringify({ kvm: false, nvmeNamespaces: ['/dev/nvme0n1'] }));
    const read = readHostsFile(good);
    expect(read.ok && read.value).toEqual({ kvm: false, nvmeNamespaces: ['/dev/nvme0n1'],
      networkNamespaces: 3, loopDevices: true, firecracker: null });
    const bad = path.join(scratch, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ nvmeNamespaces: ['/dev/sda'] }));
    const refused = readHostsFile(bad);
    expect(refused.ok ? 'ok' : refused.error.code).toBe('refused');
    expect(hostsFileSchema.safeParse({ cores: 2 }).success).toBe(false);
  });
});

describe('Firecracker requests', () => {
  it('builds the snapshot and pause requests of its HTTP API', () => {
    expect(vmStateRequest('Paused')).toEqual({ method: 'PATCH', path: '/vm',
      body: { state: 'Paused' } });
    expect(snapshotCreateRequest('/s/vm.snap', '/s/vm.mem')).toEqual({ method: 'PUT',
      path: '/snapshot/create', body: { snapshot_type: 'Full', snapshot_path: '/s/vm.snap',
        mem_file_path: '/s/vm.mem' } });
    expect(snapshotLoadRequest('/s/vm.snap', '/s/vm.mem', true).body).toEqual({
      snapshot_path: '/s/vm.snap', mem_backend: { backend_type: 'File',
        backend_path: '/s/vm.mem' }, resume_vm: true });
  });
  it('sends requests over a Unix socket and turns a fault into an error value', async () => {
    const socketPath = path.join(scratch, 'fc.sock');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        if (req.url === '/vm') return void res.writeHead(204).end();
        res.writeHead(400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ fault_message: 'no snapshot here' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const paused = await sendRequest(socketPath, vmStateRequest('Paused'));
    const failed = await sendRequest(socketPath, snapshotLoadRequest('/x', '/y', false));
    server.close();
    expect(paused.ok).toBe(true);
    expect(failed.ok ? 'ok' : failed.error.message).toContain('no snapshot here');
    expect(seen[0]).toBe('PATCH /vm {"state":"Paused"}');
  });
  it('finds a firecracker binary only where one is executable', () => {
    const dir = path.join(scratch, 'bin');
    fs.mkdirSync(dir, { recursive: true });
    expect(findFirecracker(dir)).toBeNull();
    fs.writeFileSync(path.join(dir, 'firecracker'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findFirecracker(`/nonexistent:${dir}`)).toBe(path.join(dir, 'firecracker'));
  });
});

describe('QMP client against a fake QEMU', () => {
  it('negotiates, matches answers by id, keeps events and reports errors', async () => {
    const socketPath = path.join(scratch, 'qmp.sock');
    const server = net.createServer((socket) => {
      socket.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}}}\n');
      let buffer = '';
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const { execute, id } = JSON.parse(line) as { execute: string; id: string };
          if (execute === 'stop') {
            socket.write('{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\n');
          }
          const answer = execute === 'bogus'
            ? { error: { class: 'CommandNotFound', desc: 'no bogus' }, id }
            : { return: execute === 'query-status' ? { running: false, status: 'paused' } : {},
              id };
          socket.write(`${JSON.stringify(answer)}\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const client = await QmpClient.connect(socketPath, 5_000);
    if (!client.ok) throw new Error(client.error.message);
    const [stopped, status, bogus] = await Promise.all([client.value.execute('stop'),
      client.value.execute('query-status'), client.value.execute('bogus')]);
    expect(stopped.ok).toBe(true);
    expect(status.ok && status.value).toEqual({ running: false, status: 'paused' });
    expect(bogus.ok ? 'ok' : bogus.error.message).toContain('CommandNotFound');
    expect((await client.value.waitEvent('STOP', 1_000))?.event).toBe('STOP');
    client.value.close();
    const closed = await client.value.execute('cont');
    expect(closed.ok ? 'ok' : closed.error.code).toBe('vm-failed');
    server.close();
  });
});

describe('agent channel against a fake guest', () => {
  it('matches answers by id, drops strays, decodes output and times out', async () => {
    const socketPath = path.join(scratch, 'agent.sock');
    const server = net.createServer((socket) => {
      let buffer = '';
      socket.write('garbage\n@@R zz 0 aGk=\n');
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines.filter((l) => l.length > 0)) {
          const [id, b64] = line.split(' ') as [string, string];
          const command = Buffer.from(b64, 'base64').toString();
          if (command === 'sleep') continue;
          const text = command.startsWith('echo ') ? command.slice(5) : `ran ${command}`;
          const out = Buffer.from(`${text}\n`).toString('base64');
          socket.write(`\n@@R ${id} ${command.includes('fail') ? 3 : 0} ${out}\n`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const channel = await AgentChannel.connect(socketPath, 5_000);
    if (!channel.ok) throw new Error(channel.error.message);
    const ready = await channel.value.waitReady(5_000);
    expect(ready.ok).toBe(true);
    const slow = await channel.value.exec('sleep', 200);
    expect(slow.ok ? 'ok' : slow.error.code).toBe('timeout');
    const ran = await channel.value.exec('echo héllo');
    expect(ran.ok && ran.value).toMatchObject({ exitCode: 0, output: 'héllo\n' });
    const failed = await channel.value.exec('fail now');
    expect(failed.ok && failed.value).toMatchObject({ exitCode: 3, output: 'ran fail now\n' });
    channel.value.close();
    server.close();
  });
});
