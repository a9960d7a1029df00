/** The QEMU `Vmm`: boot, restore from a snapshot file, live-migrate between QEMU processes. */
import fs from 'node:fs';
import path from 'node:path';
import { err, harnessError, ok, sleepMs, type HarnessError, type Result } from '../run.ts';
import type { Err } from '../../src/runtime/node/index.ts';
import { detectAccel } from './accel.ts';
import { QemuVm, savedStateSchema, shellQuote } from './qemu.ts';
import {
  vmConfigSchema,
  type Accel,
  type BootOptions,
  type RestoreOptions,
  type Vm,
  type VmConfig,
  type VmConfigInput,
  type Vmm,
} from './types.ts';

const DEFAULT_READY_TIMEOUT_MS = 180_000;
const INCOMING_TIMEOUT_MS = 60_000;

/** Figures of the last operation, for reports. */
export type QemuTimings = { bootMs?: number; readyMs?: number; loadMs?: number };

export class QemuVmm implements Vmm {
  readonly name = 'qemu';

  async boot(
    input: VmConfigInput,
    options: BootOptions = {},
  ): Promise<Result<QemuVm, HarnessError>> {
    const parsed = vmConfigSchema.safeParse(input);
    if (!parsed.success) {
      return err(harnessError('refused', `bad VM config: ${parsed.error.message}`));
    }
    const accel = await this.pickAccel(parsed.data, options.accel ?? 'auto');
    if (!accel.ok) return accel;
    return bootWith(parsed.data, accel.value, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  }

  async restore(
    statePath: string,
    options: RestoreOptions = {},
  ): Promise<Result<QemuVm, HarnessError>> {
    const saved = readSaved(statePath);
    if (!saved.ok) return saved;
    const { accel } = saved.value;
    const config = withDiskPaths(saved.value.config, options.diskPaths ?? {});
    const startedMs = Date.now();
    const started = await QemuVm.start(config, accel, { kind: 'defer' });
    if (!started.ok) return started;
    const vm = started.value;
    vm.timings.startMs = Date.now() - startedMs;
    const loaded = await incomingFrom(vm, `exec:cat ${shellQuote(statePath)}`, 'paused');
    vm.timings.loadMs = Date.now() - startedMs - vm.timings.startMs;
    if (!loaded.ok || options.resume === false) return finish(vm, loaded);
    const resumed = await vm.resume();
    if (!resumed.ok) return finish(vm, resumed);
    const ready = await vm.connectAgent(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    if (ready.ok) vm.timings.readyMs = ready.value;
    return finish(vm, ready);
  }

  async migrate(source: Vm): Promise<Result<{ vm: QemuVm; elapsedMs: number }, HarnessError>> {
    if (!(source instanceof QemuVm)) return err(harnessError('refused', 'not a QEMU VM'));
    const startedMs = Date.now();
    const started = await QemuVm.start(source.config, source.accel, { kind: 'defer' });
    if (!started.ok) return started;
    const target = started.value;
    const uri = `unix:${path.join(target.workDir, 'migrate.sock')}`;
    const listening = await target.qmp.execute('migrate-incoming', { uri });
    if (!listening.ok) return failWith(target, listening.error);
    const sent = await source.migrateOut(uri);
    if (!sent.ok) return failWith(target, sent.error);
    target.timings.downtimeMs = sent.value.downtimeMs;
    target.timings.transferMs = Date.now() - startedMs;
    const running = await waitStatus(target, 'running', INCOMING_TIMEOUT_MS);
    if (!running.ok) return failWith(target, running.error);
    await source.destroy();
    const ready = await target.connectAgent(DEFAULT_READY_TIMEOUT_MS);
    if (!ready.ok) return failWith(target, ready.error);
    return ok({ vm: target, elapsedMs: Date.now() - startedMs });
  }

  private async pickAccel(config: VmConfig, wanted: Accel | 'auto') {
    if (wanted !== 'auto') return ok(wanted);
    const detected = await detectAccel(config);
    return detected.ok ? ok(detected.value.accel) : detected;
  }
}

/** Boot with a fixed accelerator and wait for the agent; a failure leaves nothing running. */
export async function bootWith(
  config: VmConfig,
  accel: Accel,
  readyTimeoutMs: number,
): Promise<Result<QemuVm, HarnessError>> {
  const startedMs = Date.now();
  const started = await QemuVm.start(config, accel, { kind: 'none' });
  if (!started.ok) return started;
  started.value.timings.startMs = Date.now() - startedMs;
  const ready = await started.value.connectAgent(readyTimeoutMs);
  if (ready.ok) started.value.timings.readyMs = ready.value;
  return finish(started.value, ready);
}

async function finish<T>(
  vm: QemuVm,
  last: Result<T, HarnessError>,
): Promise<Result<QemuVm, HarnessError>> {
  return last.ok ? ok(vm) : failWith(vm, last.error);
}

/** Destroy the VM and return the error with the tail of its console. */
async function failWith(vm: QemuVm, error: HarnessError): Promise<Err<HarnessError>> {
  const tail = vm.consoleLog.replace(/\x1b(\[[0-9;?]*[A-Za-z]|.)/g, '').trim().slice(-200);
  await vm.destroy();
  return err(harnessError(error.code, `${error.message}; console: ${tail}`));
}

async function incomingFrom(
  vm: QemuVm,
  uri: string,
  want: string,
): Promise<Result<void, HarnessError>> {
  const started = await vm.qmp.execute('migrate-incoming', { uri });
  if (!started.ok) return started;
  return waitStatus(vm, want, INCOMING_TIMEOUT_MS);
}

async function waitStatus(
  vm: QemuVm,
  want: string,
  timeoutMs: number,
): Promise<Result<void, HarnessError>> {
  const deadlineMs = Date.now() + timeoutMs;
  while (Date.now() < deadlineMs) {
    const status = await vm.status();
    if (!status.ok) return status;
    if (status.value.status === want) return ok(undefined);
    if (status.value.status === 'internal-error' || status.value.status === 'shutdown') {
      return err(harnessError('vm-failed', `VM status ${status.value.status}`));
    }
    await sleepMs(20);
  }
  return err(harnessError('timeout', `VM not ${want} within ${timeoutMs} ms`));
}

function readSaved(statePath: string) {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(`${statePath}.json`, 'utf8'));
    const parsed = savedStateSchema.safeParse(json);
    if (!parsed.success) return err(harnessError('bad-response', `${statePath}.json is not valid`));
    if (!fs.existsSync(statePath)) return err(harnessError('io-failed', `no ${statePath}`));
    return ok(parsed.data);
  } catch (thrown) {
    return err(harnessError('io-failed', `cannot read ${statePath}.json: ${String(thrown)}`));
  }
}

function withDiskPaths(config: VmConfig, diskPaths: Record<string, string>): VmConfig {
  const disks = config.disks.map((disk) => ({ ...disk, path: diskPaths[disk.id] ?? disk.path }));
  return { ...config, disks };
}
