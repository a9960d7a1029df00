/**
 * The VM backend of the sandbox interface (src/sandbox/backend/types.ts): a sandbox is a QEMU
 * guest. Its files live under /sandbox in the guest, its environment in /run/sandbox/env; the
 * guest agent runs the invocations (guest-command.ts wraps env, stdin and the time limit).
 *
 *   boot      restore the backend's template snapshot (one guest booted from the cached
 *             image and saved once, `prepareTemplate`), or with `bootFrom: 'image'` boot the
 *             image; install the env and files, then save the sandbox's clean snapshot, go on
 *   exec      the wrapped command through the agent
 *   reset     destroy the QEMU process, start a new one from the clean snapshot file
 *   snapshot  save the running guest to a file (it goes on running); restore = a new sandbox
 *             whose clean state is that snapshot
 *   destroy   kill QEMU, remove the sandbox's snapshot files
 *
 * Backend name `qemu-<accel>`. Every failure is a BackendError value.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  bootSpecSchema, execRequestSchema, type BackendDescription, type BackendError,
  type BackendResult, type BootSpec, type ExecRequest, type ExecResult, type SandboxBackend,
  type SandboxHandle, type SnapshotRef,
} from '../../../src/sandbox/backend/index.ts';
import { err, ok, type HarnessError, type Result } from '../../run.ts';
import { QemuVmm, type Accel, type QemuVm, type VmConfigInput } from '../../vmm/index.ts';
import { execCommand, installCommand, parseExecAnswer } from './guest-command.ts';

export type VmBackendOptions = {
  accel: Accel;
  kernelPath: string;
  initrdPath: string;
  /** Snapshot files go here (it must exist; the caller removes it). */
  workDir: string;
  memoryMiB?: number;
  /** How `boot` makes a guest: restore the template snapshot (default) or boot the image. */
  bootFrom?: 'template' | 'image';
  /** The limit on each of stdout and stderr per command (default 64 KiB). */
  maxOutputBytes?: number;
  readyTimeoutMs?: number;
  /** How long past a command's limit the host waits for the agent (default 5 s). */
  execGraceMs?: number;
  /** Largest template directory (as a tar) put into a guest (default 1 MiB). */
  templateBytesMax?: number;
};

type Settings = Required<VmBackendOptions>;

type Live = {
  handle: SandboxHandle;
  spec: BootSpec;
  vm: QemuVm;
  /** The snapshot file reset goes back to. */
  cleanPath: string;
  changing: boolean;
};

/** Timings of the last boot/reset of each sandbox, for reports. */
export type VmTimings = { restoreMs?: number; installMs?: number; cleanSnapshotMs?: number;
  cleanSnapshotBytes?: number; resetMs?: number };

export type TemplateInfo = { bootMs: number; snapshotMs: number; bytes: number };

export class VmBackend implements SandboxBackend {
  private readonly vmm = new QemuVmm();
  private readonly sandboxes = new Map<string, Live>();
  private readonly snapshots = new Map<string, { ref: SnapshotRef; spec: BootSpec;
    path: string }>();
  private templatePath: string | null = null;
  private counter = 0;
  readonly timings = new Map<string, VmTimings>();

  private constructor(private readonly settings: Settings) {}

  static create(options: VmBackendOptions): Result<VmBackend, BackendError> {
    if (!fs.existsSync(options.workDir)) {
      return err({ code: 'bad-spec', message: `no work directory ${options.workDir}` });
    }
    return ok(new VmBackend({ memoryMiB: 128, bootFrom: 'template', maxOutputBytes: 64 * 1024,
      readyTimeoutMs: 120_000, execGraceMs: 5_000, templateBytesMax: 1 << 20, ...options }));
  }

  get name(): string {
    return `qemu-${this.settings.accel}`;
  }

  describe(): BackendDescription {
    return { backend: this.name, isolation: 'own QEMU guest (kernel, memory, file system)',
      reset: 'new QEMU process restored from the clean snapshot file' };
  }

  liveCount(): number {
    return this.sandboxes.size;
  }

  /** The QEMU pid of a live sandbox (for audits and fault injection), or null. */
  pidOf(handle: SandboxHandle): number | null {
    return this.sandboxes.get(handle.id)?.vm.pid ?? null;
  }

  /** Boot one guest from the image, save it as the template, destroy it. */
  async prepareTemplate(): Promise<BackendResult<TemplateInfo>> {
    const startedMs = Date.now();
    const booted = await this.vmm.boot(this.vmConfig(), { accel: this.settings.accel,
      readyTimeoutMs: this.settings.readyTimeoutMs });
    if (!booted.ok) return bootFailed(booted.error);
    const bootMs = Date.now() - startedMs;
    const statePath = path.join(this.settings.workDir, 'template.state');
    const saved = await booted.value.snapshot(statePath);
    await booted.value.destroy();
    if (!saved.ok) return bootFailed(saved.error);
    this.templatePath = statePath;
    return ok({ bootMs, snapshotMs: saved.value.elapsedMs, bytes: saved.value.bytes });
  }

  async boot(input: BootSpec): Promise<BackendResult<SandboxHandle>> {
    const parsed = bootSpecSchema.safeParse(input);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    const spec = parsed.data;
    if (this.sandboxes.has(spec.id)) return duplicate(spec.id);
    const tar = spec.templateDir === undefined ? ok(null) : await this.packTemplate(spec);
    if (!tar.ok) return tar;
    const startedMs = Date.now();
    const vm = await this.startGuest();
    if (!vm.ok) return vm;
    const timings: VmTimings = { restoreMs: Date.now() - startedMs };
    const installedMs = Date.now();
    const installed = await vm.value.exec(installCommand(spec.env, tar.value), 30_000);
    timings.installMs = Date.now() - installedMs;
    if (!installed.ok || installed.value.exitCode !== 0) {
      await vm.value.destroy();
      const why = installed.ok ? `exit ${installed.value.exitCode}` : installed.error.message;
      return err({ code: 'boot-failed', message: `installing the sandbox: ${why}` });
    }
    const cleanPath = this.fileFor(`clean-${spec.id}`);
    const saved = await saveAndGoOn(vm.value, cleanPath);
    if (!saved.ok) return saved;
    timings.cleanSnapshotMs = saved.value.elapsedMs;
    timings.cleanSnapshotBytes = saved.value.bytes;
    this.timings.set(spec.id, timings);
    const handle = { id: spec.id, kind: spec.kind, backend: this.name };
    this.sandboxes.set(spec.id, { handle, spec, vm: vm.value, cleanPath, changing: false });
    return ok(handle);
  }

  async exec(handle: SandboxHandle, input: ExecRequest): Promise<BackendResult<ExecResult>> {
    const live = this.lookup(handle);
    if (!live.ok) return live;
    const parsed = execRequestSchema.safeParse(input);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    if (live.value.changing) return err({ code: 'busy', message: `${handle.id} is changing` });
    const request = parsed.data;
    const command = execCommand(request, this.settings.maxOutputBytes);
    const startedMs = Date.now();
    const ran = await live.value.vm.exec(command, request.timeoutMs + this.settings.execGraceMs);
    if (!ran.ok) {
      const code = ran.error.code === 'timeout' ? 'agent-unresponsive' : 'agent-crashed';
      return err({ code, message: ran.error.message });
    }
    const answer = parseExecAnswer(ran.value.output, Date.now() - startedMs, request.timeoutMs);
    return answer.ok ? ok(answer.value) : err(answer.error);
  }

  async reset(handle: SandboxHandle): Promise<BackendResult<SandboxHandle>> {
    return this.change(handle, async (live) => {
      const startedMs = Date.now();
      await live.vm.destroy();
      const restored = await this.vmm.restore(live.cleanPath,
        { readyTimeoutMs: this.settings.readyTimeoutMs });
      if (!restored.ok) {
        this.sandboxes.delete(handle.id);
        removeState(live.cleanPath);
        return err({ code: 'boot-failed', message: `reset: ${restored.error.message}` });
      }
      live.vm = restored.value;
      this.timings.set(handle.id, { ...this.timings.get(handle.id),
        resetMs: Date.now() - startedMs });
      return ok(live.handle);
    });
  }

  async snapshot(handle: SandboxHandle): Promise<BackendResult<SnapshotRef>> {
    return this.change(handle, async (live) => {
      this.counter += 1;
      const snapshotId = `${handle.id.slice(0, 80)}-s${this.counter}`;
      const file = this.fileFor(`snap-${snapshotId}`);
      const saved = await saveAndGoOn(live.vm, file);
      if (!saved.ok) {
        this.sandboxes.delete(handle.id);
        return saved;
      }
      const ref = { snapshotId, sandboxId: handle.id, kind: live.spec.kind, backend: this.name };
      this.snapshots.set(snapshotId, { ref, spec: live.spec, path: file });
      return ok(ref);
    });
  }

  async restore(ref: SnapshotRef, id?: string): Promise<BackendResult<SandboxHandle>> {
    const saved = this.snapshots.get(ref.snapshotId);
    if (saved === undefined || ref.backend !== this.name) {
      return err({ code: 'unknown-snapshot', message: `no snapshot ${ref.snapshotId}` });
    }
    this.counter += 1;
    const spec = { ...saved.spec, id: id ?? `${ref.sandboxId.slice(0, 80)}-r${this.counter}` };
    const parsed = bootSpecSchema.safeParse(spec);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    if (this.sandboxes.has(spec.id)) return duplicate(spec.id);
    const cleanPath = this.fileFor(`clean-${spec.id}`);
    const copied = await copyState(saved.path, cleanPath);
    if (!copied.ok) return copied;
    const restored = await this.vmm.restore(cleanPath,
      { readyTimeoutMs: this.settings.readyTimeoutMs });
    if (!restored.ok) {
      removeState(cleanPath);
      return err({ code: 'boot-failed', message: `restore: ${restored.error.message}` });
    }
    const handle = { id: spec.id, kind: spec.kind, backend: this.name };
    this.sandboxes.set(spec.id, { handle, spec: parsed.data, vm: restored.value, cleanPath,
      changing: false });
    return ok(handle);
  }

  async destroy(handle: SandboxHandle): Promise<BackendResult<void>> {
    const live = this.lookup(handle);
    if (!live.ok) return live;
    live.value.changing = true;
    this.sandboxes.delete(handle.id);
    await live.value.vm.destroy();
    removeState(live.value.cleanPath);
    return ok(undefined);
  }

  async close(): Promise<void> {
    for (const live of [...this.sandboxes.values()]) await this.destroy(live.handle);
    for (const saved of this.snapshots.values()) removeState(saved.path);
    this.snapshots.clear();
    if (this.templatePath !== null) removeState(this.templatePath);
    this.templatePath = null;
  }

  private vmConfig(): VmConfigInput {
    return { kernelPath: this.settings.kernelPath, initrdPath: this.settings.initrdPath,
      memoryMiB: this.settings.memoryMiB };
  }

  /** A running guest with the agent ready: restored from the template, or booted. */
  private async startGuest(): Promise<BackendResult<QemuVm>> {
    const options = { readyTimeoutMs: this.settings.readyTimeoutMs };
    if (this.settings.bootFrom === 'image') {
      const booted = await this.vmm.boot(this.vmConfig(), { ...options,
        accel: this.settings.accel });
      return booted.ok ? booted : bootFailed(booted.error);
    }
    if (this.templatePath === null) {
      return err({ code: 'boot-failed', message: 'no template: call prepareTemplate() first' });
    }
    const restored = await this.vmm.restore(this.templatePath, options);
    return restored.ok ? restored : bootFailed(restored.error);
  }

  private async packTemplate(spec: BootSpec): Promise<BackendResult<string>> {
    const dir = spec.templateDir ?? '.';
    const tar = await new Promise<Buffer | Error>((resolve) => {
      execFile('tar', ['-C', dir, '-cf', '-', '.'], { encoding: 'buffer',
        maxBuffer: this.settings.templateBytesMax }, (e, stdout) => resolve(e ?? stdout));
    });
    if (tar instanceof Error) {
      return err({ code: 'bad-spec', message: `template ${dir}: ${tar.message.slice(0, 200)}` });
    }
    return ok(tar.toString('base64'));
  }

  private async change<T>(handle: SandboxHandle,
    body: (live: Live) => Promise<BackendResult<T>>): Promise<BackendResult<T>> {
    const live = this.lookup(handle);
    if (!live.ok) return live;
    if (live.value.changing) return err({ code: 'busy', message: `${handle.id} is changing` });
    live.value.changing = true;
    try {
      return await body(live.value);
    } finally {
      live.value.changing = false;
    }
  }

  private lookup(handle: SandboxHandle): BackendResult<Live> {
    const live = this.sandboxes.get(handle.id);
    if (live === undefined || handle.backend !== this.name) {
      return err({ code: 'unknown-sandbox', message: `no live sandbox ${handle.id}` });
    }
    return ok(live);
  }

  private fileFor(name: string): string {
    return path.join(this.settings.workDir, `${name}.state`);
  }
}

/** Save the guest to `file` and resume it (QEMU leaves it paused after the migration). */
async function saveAndGoOn(vm: QemuVm, file: string):
  Promise<BackendResult<{ elapsedMs: number; bytes: number }>> {
  const saved = await vm.snapshot(file);
  const resumed = saved.ok ? await vm.resume() : saved;
  if (!saved.ok || !resumed.ok) {
    await vm.destroy();
    const message = !saved.ok ? saved.error.message : resumed.ok ? '' : resumed.error.message;
    return err({ code: 'io-failed', message: `snapshot to ${file}: ${message}` });
  }
  return ok({ elapsedMs: saved.value.elapsedMs, bytes: saved.value.bytes });
}

async function copyState(from: string, to: string): Promise<BackendResult<void>> {
  try {
    await fs.promises.copyFile(from, to);
    await fs.promises.copyFile(`${from}.json`, `${to}.json`);
    return ok(undefined);
  } catch (thrown) {
    return err({ code: 'io-failed', message: `copy ${from}: ${String(thrown).slice(0, 200)}` });
  }
}

function removeState(file: string): void {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.json`, { force: true });
}

function bootFailed(error: HarnessError): Result<never, BackendError> {
  return err({ code: 'boot-failed', message: `${error.code}: ${error.message}` });
}

function badSpec(message: string | undefined): Result<never, BackendError> {
  return err({ code: 'bad-spec', message: message ?? 'invalid' });
}

function duplicate(id: string): Result<never, BackendError> {
  return err({ code: 'duplicate-id', message: `a sandbox ${id} is already live` });
}
