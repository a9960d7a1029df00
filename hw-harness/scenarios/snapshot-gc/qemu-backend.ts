/**
 * The QEMU backend of snapshot-GC's instance interface (src/snapshot/backend/types.ts): each
 * instance is a QEMU guest. Instance state is guest RAM (tmpfs: ready table, garbage, RNG);
 * snapshot = the VMM's snapshot to a file (QMP migrate); restore = a new QEMU from that file,
 * after which the host hands the guest its new generation and fresh entropy before anything
 * else runs; the preserved state of a slot is a separate virtio disk image (one per slot) that
 * no restore rolls back; connections are real guest TCP connections (busybox nc over QEMU's
 * user network) to the host-side PeerServer, closed on both ends on request.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { err, ok, sleepMs, type HarnessError, type Result } from '../../run.ts';
import {
  QemuVmm, type Accel, type MemoryUse, type QemuVm, type VmConfigInput,
} from '../../vmm/index.ts';
import {
  PeerServer, coldStartSpecSchema, executionSchema, restoreOptionsSchema,
  type BackendError, type BackendKind, type BackendResult, type CloseReport, type ColdStartSpec,
  type ConnectionEnd, type ConnectionInfo, type Execution, type ExecutionResult,
  type InstanceBackend, type InstanceHandle, type InstanceInfo, type PreservedState,
  type RestoreOptions, type SnapshotRef,
} from '../../../src/snapshot/backend/index.ts';
import * as guest from './guest.ts';

export type QemuBackendOptions = {
  /** Slot disks live here. */
  dir: string;
  kernelPath: string;
  initrdPath: string;
  accel: Accel;
  memoryMiB?: number;
  readyTimeoutMs?: number;
  requestTimeoutMs?: number;
  closeTimeoutMs?: number;
};

/** Times of the operation that made an instance (ms). */
export type InstanceTimings = { bootMs?: number; initMs?: number; readyMs: number;
  restoreLoadMs?: number; identityMs?: number };

type Instance = { handle: InstanceHandle; vm: QemuVm; timings: InstanceTimings;
  connections: Map<string, { name: string; localPort: number }> };

const STATE_DISK_BYTES = 1 << 20;

export class QemuBackend implements InstanceBackend {
  private readonly instances = new Map<string, Instance>();
  private readonly vmm = new QemuVmm();
  private readonly slotLocks = new Map<string, Promise<unknown>>();
  private nextInstance = 1;
  private nextConnection = 1;
  private closed = false;
  /** The VMM's own time for the last snapshot (stop + migrate to file), ms. */
  lastSnapshotMs: number | null = null;

  private constructor(readonly options: Required<QemuBackendOptions>, readonly peer: PeerServer) {}

  static async create(options: QemuBackendOptions): Promise<Result<QemuBackend, BackendError>> {
    try {
      fs.mkdirSync(options.dir, { recursive: true });
    } catch (thrown) {
      return err({ code: 'io-failed', message: String(thrown) });
    }
    const peer = await PeerServer.start();
    if (!peer.ok) return err({ code: 'spawn-failed', message: peer.error.message });
    const full = { memoryMiB: 256, readyTimeoutMs: 120_000, requestTimeoutMs: 30_000,
      closeTimeoutMs: 3_000, ...options };
    return ok(new QemuBackend(full, peer.value));
  }

  describe(): BackendKind {
    return this.options.accel === 'kvm' ? 'qemu-kvm' : 'qemu-tcg';
  }

  slotDiskPath(slot: string): string {
    return path.join(this.options.dir, `slot-${slot}.img`);
  }

  /** The QEMU VM of a live instance (null once destroyed). */
  vm(handle: InstanceHandle): QemuVm | null {
    return this.instances.get(handle.instanceId)?.vm ?? null;
  }

  timings(handle: InstanceHandle): InstanceTimings | null {
    return this.instances.get(handle.instanceId)?.timings ?? null;
  }

  private ensureSlotDisk(slot: string): Result<string, BackendError> {
    const diskPath = this.slotDiskPath(slot);
    try {
      if (!fs.existsSync(diskPath)) fs.writeFileSync(diskPath, Buffer.alloc(STATE_DISK_BYTES));
      return ok(diskPath);
    } catch (thrown) {
      return err({ code: 'io-failed', message: `slot disk ${diskPath}: ${String(thrown)}` });
    }
  }

  async coldStart(spec: ColdStartSpec): BackendResult<InstanceHandle> {
    const parsed = coldStartSpecSchema.safeParse(spec);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad cold start spec' });
    if (this.closed) return err({ code: 'spawn-failed', message: 'backend closed' });
    const disk = this.ensureSlotDisk(spec.slot);
    if (!disk.ok) return disk;
    const config: VmConfigInput = { kernelPath: this.options.kernelPath,
      initrdPath: this.options.initrdPath, memoryMiB: this.options.memoryMiB,
      disks: [{ id: 'state', path: disk.value }], network: 'user' };
    const startedMs = Date.now();
    const booted = await this.vmm.boot(config, { accel: this.options.accel,
      readyTimeoutMs: this.options.readyTimeoutMs });
    if (!booted.ok) return err(fromHarness(booted.error, 'spawn-failed'));
    const bootMs = Date.now() - startedMs;
    const handle = this.track(spec.slot, spec.generation, booted.value, { bootMs, readyMs: 0 });
    const initStartedMs = Date.now();
    const identity = { instanceId: handle.instanceId, slot: spec.slot,
      generation: spec.generation, entropyHex: spec.entropyHex };
    const init = await this.run(handle, guest.initCommand(parsed.data.ready, identity),
      this.options.readyTimeoutMs);
    if (!init.ok) {
      await this.destroy(handle);
      return init;
    }
    const timings = this.timings(handle);
    if (timings !== null) {
      timings.initMs = Date.now() - initStartedMs;
      timings.readyMs = Date.now() - startedMs;
    }
    return ok(handle);
  }

  private track(slot: string, generation: number, vm: QemuVm,
    timings: InstanceTimings): InstanceHandle {
    const instanceId = `q${this.nextInstance++}-${slot}`;
    const handle: InstanceHandle = { instanceId, slot, generation, backend: this.describe() };
    this.instances.set(instanceId, { handle, vm, timings, connections: new Map() });
    return handle;
  }

  /** Run a guest command; a non-zero exit is an `agent-error` with the output's tail. */
  private async run(handle: InstanceHandle, command: string,
    timeoutMs = this.options.requestTimeoutMs): BackendResult<string> {
    const instance = this.instances.get(handle.instanceId);
    if (instance === undefined) {
      return err({ code: 'unknown-instance', message: `${handle.instanceId} is not running` });
    }
    const ran = await instance.vm.exec(command, timeoutMs);
    if (!ran.ok) return err(fromHarness(ran.error, 'agent-error'));
    if (ran.value.exitCode !== 0) {
      const tail = ran.value.output.trim().split('\n').slice(-2).join(' | ');
      return err({ code: 'agent-error',
        message: `guest command exited ${ran.value.exitCode}: ${tail}` });
    }
    return ok(ran.value.output);
  }

  private async ask<T extends z.ZodType>(handle: InstanceHandle, command: string,
    schema: T, timeoutMs?: number): BackendResult<z.output<T>> {
    const output = await this.run(handle, command, timeoutMs);
    if (!output.ok) return output;
    return guest.parseKeyValues(output.value, schema);
  }

  async snapshot(handle: InstanceHandle, filePath: string): BackendResult<SnapshotRef> {
    const info = await this.info(handle);
    if (!info.ok) return info;
    const vm = this.vm(handle);
    if (vm === null) return err({ code: 'unknown-instance', message: handle.instanceId });
    const saved = await vm.snapshot(filePath);
    if (!saved.ok) return err(fromHarness(saved.error, 'io-failed'));
    this.lastSnapshotMs = saved.value.elapsedMs;
    const resumed = await vm.resume();
    if (!resumed.ok) return err(fromHarness(resumed.error, 'agent-error'));
    return ok({ backend: this.describe(), path: filePath, bytes: saved.value.bytes,
      stateDigest: info.value.stateDigest, garbageBytes: info.value.garbageBytes,
      generation: info.value.generation });
  }

  /**
   * A new QEMU from the snapshot with the slot's own state disk; the first guest command
   * hands it the generation and entropy (nothing of the workload runs before).
   */
  async restore(ref: SnapshotRef, options: RestoreOptions): BackendResult<InstanceHandle> {
    const parsed = restoreOptionsSchema.safeParse(options);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad restore options' });
    if (ref.backend !== this.describe()) {
      return err({ code: 'snapshot-invalid', message: `a ${ref.backend} snapshot` });
    }
    if (this.closed) return err({ code: 'spawn-failed', message: 'backend closed' });
    const disk = this.ensureSlotDisk(options.slot);
    if (!disk.ok) return disk;
    const startedMs = Date.now();
    const restored = await this.vmm.restore(ref.path, { diskPaths: { state: disk.value },
      readyTimeoutMs: this.options.readyTimeoutMs });
    if (!restored.ok) {
      const invalid = restored.error.code === 'io-failed' || restored.error.code === 'bad-response';
      return err(fromHarness(restored.error, invalid ? 'snapshot-invalid' : 'spawn-failed'));
    }
    const handle = this.track(options.slot, options.generation, restored.value,
      { readyMs: 0, restoreLoadMs: restored.value.timings.loadMs });
    const identityStartedMs = Date.now();
    const handed = await this.run(handle, guest.identityCommand({ instanceId: handle.instanceId,
      slot: options.slot, generation: options.generation, entropyHex: options.entropyHex }));
    if (!handed.ok) {
      await this.destroy(handle);
      return handed;
    }
    const timings = this.timings(handle);
    if (timings !== null) {
      timings.identityMs = Date.now() - identityStartedMs;
      timings.readyMs = Date.now() - startedMs;
    }
    return ok(handle);
  }

  async execute(handle: InstanceHandle, execution: Execution): BackendResult<ExecutionResult> {
    const parsed = executionSchema.safeParse(execution);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad execution' });
    const e = parsed.data;
    const started = await this.run(handle, guest.executeStartCommand(e.executionId,
      e.garbageBytes));
    if (!started.ok) return started;
    if (e.durationMs > 0) await sleepMs(e.durationMs);
    if (Object.keys(e.preservedWrites).length > 0) {
      const wrote = await this.withSlot(handle.slot, async () => {
        const before = await this.readPreserved(handle.slot);
        if (!before.ok) return before;
        const next = { version: before.value.version + 1,
          entries: { ...before.value.entries, ...e.preservedWrites } };
        return this.writePreservedVia(handle, next);
      });
      if (!wrote.ok) return wrote;
    }
    const ended = await this.ask(handle, guest.executeEndCommand(e.executionId),
      guest.executeEndAnswerSchema);
    if (!ended.ok) return ended;
    return ok({ executionId: e.executionId, generation: ended.value.gen,
      garbageBytes: ended.value.garbage, nonceHex: ended.value.random });
  }

  async garbage(handle: InstanceHandle): BackendResult<number> {
    const r = await this.ask(handle, guest.garbageCommand(), guest.garbageAnswerSchema);
    return r.ok ? ok(r.value.garbage) : r;
  }

  async info(handle: InstanceHandle): BackendResult<InstanceInfo> {
    const r = await this.ask(handle, guest.infoCommand(), guest.infoAnswerSchema);
    if (!r.ok) return r;
    const v = r.value;
    return ok({ instanceId: v.iid, slot: v.slot, generation: v.gen, garbageBytes: v.garbage,
      executions: v.execs, stateDigest: v.state, readyDigest: v.ready, origin: v.origin });
  }

  /** Executions the guest has started and not finished (their running markers). */
  async runningInGuest(handle: InstanceHandle): BackendResult<string[]> {
    const r = await this.run(handle, guest.runningCommand());
    if (!r.ok) return r;
    return ok(r.value.split('\n').filter((l) => l.startsWith('running='))
      .map((l) => l.slice('running='.length)));
  }

  async memory(handle: InstanceHandle): BackendResult<MemoryUse> {
    const vm = this.vm(handle);
    if (vm === null) return err({ code: 'unknown-instance', message: handle.instanceId });
    const r = await vm.memory();
    return r.ok ? r : err(fromHarness(r.error, 'agent-error'));
  }

  /** Serialise read-modify-write of a slot's preserved state. */
  private withSlot<T>(slot: string, body: () => Promise<T>): Promise<T> {
    const previous = this.slotLocks.get(slot) ?? Promise.resolve();
    const next = previous.then(body, body);
    this.slotLocks.set(slot, next.catch(() => undefined));
    return next;
  }

  private liveIn(slot: string): InstanceHandle | null {
    for (const instance of this.instances.values()) {
      if (instance.handle.slot === slot) return instance.handle;
    }
    return null;
  }

  /** Through the guest's virtio disk when the slot has a live instance, else the image file. */
  async readPreserved(slot: string): BackendResult<PreservedState> {
    const live = this.liveIn(slot);
    if (live === null) return this.readPreservedFile(slot);
    const r = await this.run(live, guest.readPreservedCommand());
    return r.ok ? guest.preservedFromAnswer(r.value) : r;
  }

  /** The slot's disk image read on the host (what the device holds, whatever the guest says). */
  readPreservedFile(slot: string): Result<PreservedState, BackendError> {
    try {
      const fd = fs.openSync(this.slotDiskPath(slot), 'r');
      const buffer = Buffer.alloc(guest.PRESERVED_BYTES_MAX);
      const bytes = fs.readSync(fd, buffer, 0, buffer.length, 0);
      fs.closeSync(fd);
      return guest.decodePreserved(buffer.subarray(0, bytes));
    } catch (thrown) {
      const missing = (thrown as NodeJS.ErrnoException).code === 'ENOENT';
      return missing ? ok({ version: 0, entries: {} })
        : err({ code: 'io-failed', message: String(thrown) });
    }
  }

  async writePreserved(slot: string, state: PreservedState): BackendResult<void> {
    const live = this.liveIn(slot);
    if (live !== null) return this.writePreservedVia(live, state);
    const encoded = guest.encodePreserved(state);
    if (!encoded.ok) return encoded;
    const disk = this.ensureSlotDisk(slot);
    if (!disk.ok) return disk;
    try {
      const fd = fs.openSync(disk.value, 'r+');
      fs.writeSync(fd, encoded.value, 0, encoded.value.length, 0);
      fs.fdatasyncSync(fd);
      fs.closeSync(fd);
      return ok(undefined);
    } catch (thrown) {
      return err({ code: 'io-failed', message: String(thrown) });
    }
  }

  private async writePreservedVia(handle: InstanceHandle, state: PreservedState)
    : BackendResult<void> {
    const encoded = guest.encodePreserved(state);
    if (!encoded.ok) return encoded;
    const r = await this.run(handle, guest.writePreservedCommand(encoded.value));
    return r.ok ? ok(undefined) : r;
  }

  async openConnection(handle: InstanceHandle): BackendResult<ConnectionInfo> {
    const instance = this.instances.get(handle.instanceId);
    if (instance === undefined) {
      return err({ code: 'unknown-instance', message: handle.instanceId });
    }
    const connectionId = `${handle.instanceId}-c${this.nextConnection++}`;
    const hello = JSON.stringify({ instanceId: handle.instanceId, slot: handle.slot,
      connectionId });
    const before = await this.sockets(handle);
    if (!before.ok) return before;
    const known = new Set(before.value.map((s) => s.localPort));
    const started = await this.run(handle,
      guest.openConnectionCommand(connectionId, hello, this.peer.port));
    if (!started.ok) return started;
    const deadlineMs = Date.now() + this.options.closeTimeoutMs * 3;
    while (Date.now() < deadlineMs) {
      const now = await this.sockets(handle);
      if (!now.ok) return now;
      const fresh = now.value.find((s) => !known.has(s.localPort) && s.state === 'ESTABLISHED');
      const peerSaw = this.peer.connections(handle.instanceId)
        .some((c) => c.connectionId === connectionId && c.open);
      if (fresh !== undefined && peerSaw) {
        const recorded = await this.run(handle,
          guest.recordPortCommand(connectionId, fresh.localPort));
        if (!recorded.ok) return recorded;
        instance.connections.set(connectionId, { name: guest.fileName(connectionId),
          localPort: fresh.localPort });
        return ok({ connectionId, localPort: fresh.localPort, state: 'open' });
      }
      await sleepMs(100);
    }
    return err({ code: 'timeout', message: `${connectionId}: not established at both ends` });
  }

  /** The guest's sockets to the peer. */
  async sockets(handle: InstanceHandle): BackendResult<guest.TcpSocket[]> {
    const r = await this.run(handle, 'cat /proc/net/tcp');
    if (!r.ok) return r;
    return ok(guest.parseProcNetTcp(r.value).filter((s) => s.remotePort === this.peer.port
      && s.remoteIp === guest.HOST_FROM_GUEST));
  }

  /** The instance's view, from the guest's own TCP table. */
  async connections(handle: InstanceHandle): BackendResult<ConnectionInfo[]> {
    const r = await this.run(handle, guest.connectionsCommand());
    if (!r.ok) return r;
    const sockets = guest.parseProcNetTcp(r.value);
    const names = new Map([...(this.instances.get(handle.instanceId)?.connections ?? [])]
      .map(([id, c]) => [c.name, id]));
    return ok(guest.parseConnectionRecords(r.value).map((c) => ({
      connectionId: names.get(c.name) ?? c.name,
      localPort: c.localPort,
      state: guest.instanceEndState(guest.socketFor(sockets, c.localPort, this.peer.port)),
    })));
  }

  async closeConnections(handle: InstanceHandle,
    ends: readonly ConnectionEnd[] = ['instance', 'peer']): BackendResult<CloseReport> {
    const ids = this.peer.connections(handle.instanceId).map((c) => c.connectionId);
    let closed: string[] = [];
    if (ends.includes('instance')) {
      const r = await this.run(handle, guest.closeInstanceEndCommand());
      if (!r.ok) return r;
      const left = await this.waitGuestClosed(handle);
      if (!left.ok) return left;
      closed = [...(this.instances.get(handle.instanceId)?.connections.keys() ?? [])]
        .filter((id) => !left.value.includes(id));
    }
    if (ends.includes('peer')) {
      await this.peer.closeFor(handle.instanceId, this.options.closeTimeoutMs);
    }
    const stillOpen = await this.peer.waitClosed(ids, ends.length === 0 ? 0
      : this.options.closeTimeoutMs);
    if (ends.length === 2 && stillOpen.length > 0) {
      return err({ code: 'half-open', message: `peer still holds ${stillOpen.join(', ')}` });
    }
    return ok({ closed, peerSawClose: ids.filter((id) => !stillOpen.includes(id)) });
  }

  /** Wait until no guest socket of the instance's connections is open; returns those left. */
  private async waitGuestClosed(handle: InstanceHandle): BackendResult<string[]> {
    const deadlineMs = Date.now() + this.options.closeTimeoutMs;
    for (;;) {
      const seen = await this.connections(handle);
      if (!seen.ok) return seen;
      const open = seen.value.filter((c) => c.state !== 'closed').map((c) => c.connectionId);
      if (open.length === 0 || Date.now() > deadlineMs) return ok(open);
      await sleepMs(100);
    }
  }

  peerOpenConnections(handle: InstanceHandle): number {
    return this.peer.openCount(handle.instanceId);
  }

  async random(handle: InstanceHandle, bytes: number): BackendResult<string> {
    if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) {
      return err({ code: 'protocol', message: `random: ${bytes} bytes (1..256)` });
    }
    const r = await this.ask(handle, guest.randomCommand(bytes), guest.randomAnswerSchema);
    return r.ok ? ok(r.value.random) : r;
  }

  async destroy(handle: InstanceHandle): Promise<void> {
    const instance = this.instances.get(handle.instanceId);
    this.instances.delete(handle.instanceId);
    await instance?.vm.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((instance) => instance.vm.destroy()));
    await this.peer.close();
  }
}

function fromHarness(error: HarnessError, fallback: BackendError['code']): BackendError {
  return { code: error.code === 'timeout' ? 'timeout' : fallback, message: error.message };
}
