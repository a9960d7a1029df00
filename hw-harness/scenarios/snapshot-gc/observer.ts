/**
 * An InstanceBackend that passes every call to the QEMU backend and audits what really
 * happened at the moments the properties are about: right before an instance of the watched
 * slot is destroyed for a restore (executions still in flight on the host, running markers in
 * the guest, both ends of every connection, guest memory), and right after every restore
 * (guest memory, restore-to-ready time). GcHost drives it exactly as it drives any backend.
 */
import type { MemoryUse } from '../../vmm/index.ts';
import type {
  BackendKind, BackendResult, CloseReport, ColdStartSpec, ConnectionEnd, ConnectionInfo,
  Execution, ExecutionResult, InstanceBackend, InstanceHandle, InstanceInfo, PreservedState,
  RestoreOptions, SnapshotRef,
} from '../../../src/snapshot/backend/index.ts';
import type { TcpSocket } from './guest.ts';
import type { InstanceTimings, QemuBackend } from './qemu-backend.ts';

/** What held when an instance of the watched slot was about to be destroyed. */
export type DestroyAudit = {
  instanceId: string;
  generation: number;
  /** Host side: execute calls on this instance that had not returned. */
  executionsInFlight: number;
  /** Guest side: running markers (executions started in the guest and not finished). */
  runningInGuest: string[] | null;
  /** The guest's view of its connections and its raw sockets to the peer. */
  guestConnections: ConnectionInfo[] | null;
  guestSockets: TcpSocket[] | null;
  /** Host-side peer ends still open for this instance. */
  peerOpen: string[];
  memory: MemoryUse | null;
};

export type RestoreObservation = {
  handle: InstanceHandle;
  entropyHex: string;
  timings: InstanceTimings | null;
  memory: MemoryUse | null;
};

export class ObservedBackend implements InstanceBackend {
  readonly destroyAudits: DestroyAudit[] = [];
  readonly restores: RestoreObservation[] = [];
  readonly snapshots: { ref: SnapshotRef; memory: MemoryUse | null; elapsedMs: number }[] = [];
  readonly coldStarts: { handle: InstanceHandle; timings: InstanceTimings | null }[] = [];
  private readonly inFlight = new Map<string, number>();

  constructor(readonly inner: QemuBackend, private readonly watchedSlot: string) {}

  describe(): BackendKind {
    return this.inner.describe();
  }

  async coldStart(spec: ColdStartSpec): BackendResult<InstanceHandle> {
    const r = await this.inner.coldStart(spec);
    if (r.ok) this.coldStarts.push({ handle: r.value, timings: this.inner.timings(r.value) });
    return r;
  }

  async snapshot(handle: InstanceHandle, path: string): BackendResult<SnapshotRef> {
    const memory = await this.inner.memory(handle);
    const startedMs = Date.now();
    const r = await this.inner.snapshot(handle, path);
    if (r.ok) {
      this.snapshots.push({ ref: r.value, memory: memory.ok ? memory.value : null,
        elapsedMs: Date.now() - startedMs });
    }
    return r;
  }

  async restore(ref: SnapshotRef, options: RestoreOptions): BackendResult<InstanceHandle> {
    const r = await this.inner.restore(ref, options);
    if (!r.ok) return r;
    const timings = this.inner.timings(r.value);
    const memory = await this.inner.memory(r.value);
    this.restores.push({ handle: r.value, entropyHex: options.entropyHex, timings,
      memory: memory.ok ? memory.value : null });
    return r;
  }

  async execute(handle: InstanceHandle, execution: Execution): BackendResult<ExecutionResult> {
    const id = handle.instanceId;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    try {
      return await this.inner.execute(handle, execution);
    } finally {
      this.inFlight.set(id, (this.inFlight.get(id) ?? 1) - 1);
    }
  }

  garbage(handle: InstanceHandle): BackendResult<number> {
    return this.inner.garbage(handle);
  }

  info(handle: InstanceHandle): BackendResult<InstanceInfo> {
    return this.inner.info(handle);
  }

  readPreserved(slot: string): BackendResult<PreservedState> {
    return this.inner.readPreserved(slot);
  }

  writePreserved(slot: string, state: PreservedState): BackendResult<void> {
    return this.inner.writePreserved(slot, state);
  }

  openConnection(handle: InstanceHandle): BackendResult<ConnectionInfo> {
    return this.inner.openConnection(handle);
  }

  connections(handle: InstanceHandle): BackendResult<ConnectionInfo[]> {
    return this.inner.connections(handle);
  }

  closeConnections(handle: InstanceHandle, ends?: readonly ConnectionEnd[])
    : BackendResult<CloseReport> {
    return this.inner.closeConnections(handle, ends);
  }

  peerOpenConnections(handle: InstanceHandle): number {
    return this.inner.peerOpenConnections(handle);
  }

  random(handle: InstanceHandle, bytes: number): BackendResult<string> {
    return this.inner.random(handle, bytes);
  }

  async destroy(handle: InstanceHandle): Promise<void> {
    if (handle.slot === this.watchedSlot && this.inner.vm(handle) !== null) {
      this.destroyAudits.push(await this.audit(handle));
    }
    await this.inner.destroy(handle);
  }

  /** Both ends, running work and memory of a live instance, read now. */
  async audit(handle: InstanceHandle): Promise<DestroyAudit> {
    const executionsInFlight = this.inFlight.get(handle.instanceId) ?? 0;
    const running = await this.inner.runningInGuest(handle);
    const connections = await this.inner.connections(handle);
    const sockets = await this.inner.sockets(handle);
    const memory = await this.inner.memory(handle);
    const peerOpen = this.inner.peer.connections(handle.instanceId).filter((c) => c.open)
      .map((c) => c.connectionId);
    return { instanceId: handle.instanceId, generation: handle.generation, executionsInFlight,
      runningInGuest: running.ok ? running.value : null,
      guestConnections: connections.ok ? connections.value : null,
      guestSockets: sockets.ok ? sockets.value : null, peerOpen,
      memory: memory.ok ? memory.value : null };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
