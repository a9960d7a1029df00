/**
 * QEMU over QMP. A VM is one `qemu-system-x86_64` process (its own process group) with a work
 * directory holding `qmp.sock`, `agent.sock` (the second serial port, /dev/ttyS1 in the guest)
 * and `console.log` (the first serial port).
 *
 * Snapshot = `stop` + `migrate exec:cat > F` + poll `query-migrate`, and `F.json` beside it
 * keeps the configuration and accelerator. Restore = the identical command line +
 * `-incoming defer` + `migrate-incoming exec:cat F` (+ `cont`). Live migration = a destination
 * with the same command line, `migrate-incoming unix:<dest>/migrate.sock`, `migrate` on the
 * source. Every VM still alive when this process exits is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { err, harnessError, killGroup, ok, sleepMs } from '../run.ts';
import type { HarnessError, Result } from '../run.ts';
import { AgentChannel, type ExecResult } from './agent.ts';
import { QmpClient } from './qmp.ts';
import {
  accelSchema,
  vmConfigSchema,
  type Accel,
  type MemoryUse,
  type SnapshotInfo,
  type Vm,
  type VmConfig,
  type VmStatus,
} from './types.ts';

export const QEMU_BINARY = 'qemu-system-x86_64';
const MIGRATE_POLL_MS = 20;
const MIGRATE_TIMEOUT_MS = 120_000;

export const savedStateSchema = z.object({
  vmm: z.literal('qemu'),
  accel: accelSchema,
  config: vmConfigSchema,
  savedAt: z.string(),
});

const live = new Set<QemuVm>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const vm of live) vm.killNow();
  });
}

/** How many QEMU processes this module started that are still alive. */
export function liveVmCount(): number {
  return live.size;
}

/** Kill every VM this module started (for afterAll hooks). */
export async function destroyAllVms(): Promise<void> {
  await Promise.all([...live].map((vm) => vm.destroy()));
}

export type Incoming = { kind: 'none' } | { kind: 'defer' };

/** The QEMU command line for a configuration (pure; unit-tested). */
export function qemuArgs(config: VmConfig, accel: Accel, workDir: string, incoming: Incoming) {
  // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can fail and
  // panic at boot ("x86_late_time_init … apic_intr_mode_init" on the console; seen once in CI).
  const append = ['console=ttyS0', 'panic=-1', 'loglevel=3', 'edd=off', 'no_timer_check',
    'plumbline.agent=ttyS1'];
  if (config.append.length > 0) append.push(config.append);
  const args = ['-accel', accel, '-M', 'pc', '-m', String(config.memoryMiB)];
  args.push('-smp', String(config.cpus), '-nographic', '-nodefaults', '-no-reboot');
  args.push('-kernel', config.kernelPath, '-initrd', config.initrdPath);
  args.push('-append', append.join(' '));
  args.push('-serial', `file:${path.join(workDir, 'console.log')}`);
  const agentSocket = path.join(workDir, 'agent.sock');
  args.push('-chardev', `socket,id=agent,path=${agentSocket},server=on,wait=off`);
  args.push('-serial', 'chardev:agent');
  args.push('-qmp', `unix:${path.join(workDir, 'qmp.sock')},server=on,wait=off`);
  for (const disk of config.disks) args.push(...diskArgs(disk));
  if (config.network === 'user') {
    const forwards = config.forwards.map(
      (f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`,
    );
    args.push('-netdev', `user,id=net0${forwards.join('')}`);
    args.push('-device', 'virtio-net-pci,netdev=net0,romfile=');
  }
  if (incoming.kind === 'defer') args.push('-incoming', 'defer');
  return args;
}

function diskArgs(disk: VmConfig['disks'][number]): string[] {
  const locking = disk.locking ? '' : ',file.locking=off';
  const drive = `file=${disk.path},if=none,id=${disk.id},format=${disk.format}${locking}`;
  const device =
    disk.bus === 'virtio'
      ? `virtio-blk-pci,drive=${disk.id}`
      : `nvme,drive=${disk.id},serial=${disk.id}`;
  return ['-drive', drive, '-device', device];
}

export class QemuVm implements Vm {
  readonly vmm = 'qemu';
  /** Phases of the operation that made this VM (startMs, loadMs, readyMs), for reports. */
  readonly timings: Record<string, number> = {};
  private destroyed = false;

  private constructor(
    readonly config: VmConfig,
    readonly accel: Accel,
    readonly workDir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly qmp: QmpClient,
    private agent: AgentChannel | null,
  ) {}

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('assertion failed: QEMU has a pid');
    return this.child.pid;
  }

  get consoleLog(): string {
    try {
      return fs.readFileSync(path.join(this.workDir, 'console.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Start QEMU and connect QMP; the agent is connected by `connectAgent`. */
  static async start(
    config: VmConfig,
    accel: Accel,
    incoming: Incoming,
  ): Promise<Result<QemuVm, HarnessError>> {
    installExitHook();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-vm-'));
    const args = qemuArgs(config, accel, workDir, incoming);
    const child = spawn(QEMU_BINARY, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const spawnError = new Promise<string>((resolve) => {
      child.once('error', (e) => resolve(e.message));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const qmp = await Promise.race([
      QmpClient.connect(path.join(workDir, 'qmp.sock'), 20_000),
      spawnError.then((m) => err(harnessError('missing-tool', `${QEMU_BINARY}: ${m}`))),
      exited.then(() => err(harnessError('vm-failed', `QEMU exited: ${stderr}`))),
    ]);
    if (!qmp.ok) {
      killGroup(child.pid);
      fs.rmSync(workDir, { recursive: true, force: true });
      return qmp;
    }
    const vm = new QemuVm(config, accel, workDir, child, exited, qmp.value, null);
    live.add(vm);
    return ok(vm);
  }

  /** Connect the agent channel and wait until the guest answers; returns the wait in ms. */
  async connectAgent(readyTimeoutMs: number): Promise<Result<number, HarnessError>> {
    const channel = await AgentChannel.connect(path.join(this.workDir, 'agent.sock'));
    if (!channel.ok) return channel;
    this.agent = channel.value;
    return channel.value.waitReady(readyTimeoutMs);
  }

  exec(command: string, timeoutMs = 30_000): Promise<Result<ExecResult, HarnessError>> {
    if (this.agent === null) return Promise.resolve(err(harnessError('vm-failed', 'no agent')));
    return this.agent.exec(command, timeoutMs);
  }

  async pause(): Promise<Result<void, HarnessError>> {
    const stopped = await this.qmp.execute('stop');
    return stopped.ok ? ok(undefined) : stopped;
  }

  async resume(): Promise<Result<void, HarnessError>> {
    const resumed = await this.qmp.execute('cont');
    return resumed.ok ? ok(undefined) : resumed;
  }

  async status(): Promise<Result<VmStatus, HarnessError>> {
    const answer = await this.qmp.execute('query-status');
    if (!answer.ok) return answer;
    const parsed = z.object({ running: z.boolean(), status: z.string() }).safeParse(answer.value);
    if (!parsed.success) return err(harnessError('bad-response', 'query-status answer'));
    return ok(parsed.data);
  }

  async snapshot(statePath: string): Promise<Result<SnapshotInfo, HarnessError>> {
    const startedMs = Date.now();
    const stopped = await this.pause();
    if (!stopped.ok) return stopped;
    const uri = `exec:cat > ${shellQuote(statePath)}`;
    const migrated = await this.migrateOut(uri);
    if (!migrated.ok) return migrated;
    const saved = { vmm: 'qemu', accel: this.accel, config: this.config, savedAt: new Date() };
    fs.writeFileSync(`${statePath}.json`, `${JSON.stringify(saved, null, 2)}\n`);
    const bytes = fs.statSync(statePath).size;
    return ok({ statePath, bytes, elapsedMs: Date.now() - startedMs });
  }

  /** `migrate` to `uri` and poll `query-migrate` until it completes. */
  async migrateOut(uri: string): Promise<Result<{ downtimeMs: number }, HarnessError>> {
    const started = await this.qmp.execute('migrate', { uri });
    if (!started.ok) return started;
    const deadlineMs = Date.now() + MIGRATE_TIMEOUT_MS;
    const answerSchema = z.looseObject({
      status: z.string().optional(),
      'error-desc': z.string().optional(),
      downtime: z.number().optional(),
    });
    while (Date.now() < deadlineMs) {
      const polled = await this.qmp.execute('query-migrate');
      if (!polled.ok) return polled;
      const answer = answerSchema.safeParse(polled.value);
      if (!answer.success) return err(harnessError('bad-response', 'query-migrate answer'));
      const { status } = answer.data;
      if (status === 'completed') return ok({ downtimeMs: answer.data.downtime ?? 0 });
      if (status === 'failed' || status === 'cancelled') {
        const why = answer.data['error-desc'] ?? status;
        return err(harnessError('vm-failed', `migration ${status}: ${why}`));
      }
      await sleepMs(MIGRATE_POLL_MS);
    }
    return err(harnessError('timeout', `migration did not finish in ${MIGRATE_TIMEOUT_MS} ms`));
  }

  async memory(): Promise<Result<MemoryUse, HarnessError>> {
    const meminfo = await this.exec('cat /proc/meminfo');
    if (!meminfo.ok) return meminfo;
    const field = (name: string): number => {
      const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo.value.output);
      return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
    };
    const summary = await this.qmp.execute('query-memory-size-summary');
    if (!summary.ok) return summary;
    const base = z.object({ 'base-memory': z.number() }).safeParse(summary.value);
    if (!base.success) return err(harnessError('bad-response', 'query-memory-size-summary'));
    const total = field('MemTotal');
    const available = field('MemAvailable');
    return ok({
      guestTotalBytes: total,
      guestAvailableBytes: available,
      guestUsedBytes: total - available,
      configuredBytes: base.data['base-memory'],
      hostRssBytes: hostRssBytes(this.pid),
    });
  }

  killNow(): void {
    killGroup(this.child.pid);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.agent?.close();
    this.qmp.close();
    this.killNow();
    await Promise.race([this.exited, sleepMs(5_000)]);
    live.delete(this);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

function hostRssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
