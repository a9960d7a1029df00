/**
 * The snapshot-GC node driver: a host that runs the GC manager core (src/snapshot/gc-manager)
 * over one instance of an InstanceBackend (the process backend by default), with real timers.
 * Clients submit executions over TCP. When the instance's garbage reaches the threshold the
 * core drains, saves the preserved state, terminates connections, restores the ready-state
 * snapshot S with fresh entropy and a new generation, writes the preserved state back and
 * admits again; this driver performs those effects and checks the sheet's properties on the
 * real system around every GC (GcRecord). Executions refused while a GC runs wait in a bounded
 * queue and are admitted after it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  err, ok, startFrameServer, type FrameServer, type Result,
} from '../../runtime/node/index.ts';
import {
  defaultGcSteps, handleGcInput, initGcManager, type GcEffect, type GcInput, type GcState,
  type GcSteps,
} from '../index.ts';
import {
  ProcessBackend, type InstanceBackend, type InstanceHandle, type PreservedState, type ReadySpec,
  type SnapshotRef,
} from '../backend/index.ts';
import {
  hostRequestSchema, submitSchema, type GcRecord, type HostReply, type HostRequest,
} from './wire.ts';
import type { z } from 'zod';

export type GcHostOptions = {
  dir: string;
  ready: ReadySpec;
  thresholdBytes: number;
  slot?: string;
  maxRunning?: number;
  readIntervalMs?: number;
  /** Executions waiting for admission at most; more are refused with `busy`. */
  maxWaiting?: number;
  /** The core's replaceable steps (tests inject the sheet's bugs here). */
  steps?: GcSteps;
  /** Defaults to a ProcessBackend under `dir` with `spareAgents` warm spares. */
  backend?: InstanceBackend;
  /** Warm spare agents of the default process backend (default 2). */
  spareAgents?: number;
  port?: number;
};
export type HostError = { code: string; message: string };
type Parsed = z.output<typeof submitSchema>;
type Pending = { submit: Parsed; resolve: (reply: HostReply) => void; queuedAtMs: number };
type GcInProgress = Partial<GcRecord> & { startedAtMs: number; oldHandle?: InstanceHandle };

const entropy = (): string => randomBytes(32).toString('hex');
const toHex = (p: PreservedState): string => Buffer.from(JSON.stringify(p)).toString('hex');
const fromHex = (hex: string): PreservedState =>
  JSON.parse(Buffer.from(hex, 'hex').toString('utf8')) as PreservedState;

export class GcHost {
  readonly records: GcRecord[] = [];
  readonly faults: string[] = [];
  inputsRejected = 0;
  private server: FrameServer | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Pending>();
  private waiting: string[] = [];
  private inFlight = 0;
  private readonly inbox: GcInput[] = [];
  private processing = false;
  private stopped = false;
  /** Set when a restore failed for good: the instance is gone, nothing more is admitted. */
  private broken: string | null = null;
  private gc: GcInProgress | null = null;
  private readonly t0Ms = performance.now();

  private constructor(private readonly options: Required<Omit<GcHostOptions, 'port'>>,
    private state: GcState, private handle: InstanceHandle, readonly snapshotRef: SnapshotRef) {}

  static async start(options: GcHostOptions): Promise<Result<GcHost, HostError>> {
    let backend: InstanceBackend;
    if (options.backend !== undefined) {
      backend = options.backend;
    } else {
      const created = await ProcessBackend.create({ dir: options.dir,
        spareAgents: options.spareAgents ?? 2 });
      if (!created.ok) return created;
      backend = created.value;
    }
    const o = { slot: 'fn-1', maxRunning: 4, readIntervalMs: 50, maxWaiting: 1000,
      steps: defaultGcSteps, spareAgents: 2, ...options, backend };
    const fail = async (error: HostError): Promise<Result<GcHost, HostError>> => {
      if (options.backend === undefined) await backend.close();
      return err(error);
    };
    const template = await backend.coldStart({ slot: 'template', ready: o.ready, generation: 0,
      entropyHex: entropy() });
    if (!template.ok) return fail(template.error);
    const snap = await backend.snapshot(template.value, path.join(o.dir, 'S.image'));
    await backend.destroy(template.value);
    if (!snap.ok) return fail(snap.error);
    const launchEntropy = entropy();
    const handle = await backend.restore(snap.value, { slot: o.slot, generation: 1,
      entropyHex: launchEntropy });
    if (!handle.ok) return fail(handle.error);
    const state = initGcManager({ instance: o.slot, snapshot: snap.value.path,
      thresholdBytes: o.thresholdBytes, maxRunning: o.maxRunning,
      readIntervalMs: o.readIntervalMs }, launchEntropy);
    const host = new GcHost(o, state, handle.value, snap.value);
    const server = await startFrameServer<HostRequest, HostReply>({ port: options.port ?? 0,
      requestSchema: hostRequestSchema as z.ZodType<HostRequest>,
      handle: (request) => host.request(request) });
    if (!server.ok) return fail(server.error);
    host.server = server.value;
    host.ticker = setInterval(() => host.post({ type: 'tick', instance: o.slot,
      nowMs: Math.round(performance.now() - host.t0Ms) }), Math.max(5, o.readIntervalMs / 2));
    return ok(host);
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  get backend(): InstanceBackend {
    return this.options.backend;
  }

  get instance(): InstanceHandle {
    return this.handle;
  }

  request(raw: HostRequest): Promise<HostReply> {
    const parsed = hostRequestSchema.safeParse(raw);
    if (!parsed.success) {
      return Promise.resolve({ type: 'failed', code: 'bad-request', message: 'bad request' });
    }
    if (parsed.data.type === 'status') return Promise.resolve(this.status());
    return this.submit(parsed.data);
  }

  status(): Extract<HostReply, { type: 'status' }> {
    return {
      type: 'status', phase: this.state.phase, generation: this.state.generation,
      garbageBytes: this.state.garbageBytes, running: this.state.running.length,
      waiting: this.waiting.length, gcs: [...this.records], inputsRejected: this.inputsRejected,
      faults: [...this.faults],
    };
  }

  private submit(submit: Parsed): Promise<HostReply> {
    if (this.broken !== null) {
      return Promise.resolve({ type: 'failed', code: 'host-broken', message: this.broken });
    }
    if (this.pending.has(submit.executionId)) {
      return Promise.resolve({ type: 'failed', code: 'duplicate', message: 'id in use' });
    }
    if (this.waiting.length >= this.options.maxWaiting) {
      return Promise.resolve({ type: 'failed', code: 'busy', message: 'admission queue full' });
    }
    return new Promise((resolve) => {
      this.pending.set(submit.executionId, { submit, resolve, queuedAtMs: performance.now() });
      this.post({ type: 'execution-started', instance: this.options.slot,
        execId: submit.executionId });
    });
  }

  /** Feed one input to the core; inputs posted while one is handled queue up (no reentry). */
  private post(input: GcInput): void {
    if (this.stopped) return;
    this.inbox.push(input);
    if (this.processing) return;
    this.processing = true;
    try {
      for (let next = this.inbox.shift(); next !== undefined; next = this.inbox.shift()) {
        const step = handleGcInput(this.state, next, this.options.steps);
        this.state = step.state;
        for (const effect of step.effects) this.perform(effect);
        this.admitWaiting();
      }
    } finally {
      this.processing = false;
    }
  }

  private admitWaiting(): void {
    const s = this.state;
    if (s.phase !== 'admitting' || s.garbageBytes >= s.config.thresholdBytes) return;
    const room = s.config.maxRunning - s.running.length;
    for (const execId of this.waiting.splice(0, Math.max(0, room))) {
      this.inbox.push({ type: 'execution-started', instance: this.options.slot, execId });
    }
  }

  private perform(effect: GcEffect): void {
    switch (effect.type) {
      case 'run-execution':
        return void this.runExecution(effect.execId);
      case 'reject-execution':
        this.waiting.push(effect.execId);
        return;
      case 'read-garbage':
        return void this.readGarbage();
      case 'stop-admitting':
        this.gc = { startedAtMs: performance.now() };
        return;
      case 'save-preserved':
        return void this.savePreserved();
      case 'terminate-connections':
        return void this.terminate(effect.ends);
      case 'restore':
        return void this.restore(effect.generation, effect.entropy);
      case 'write-back-preserved':
        return void this.writeBack(effect.value);
      case 'admit':
        return void this.admitted();
      case 'gc-finished':
        return;
      case 'input-rejected':
        this.inputsRejected += 1;
        this.fault(`core rejected ${effect.input}: ${effect.code} ${effect.message}`);
        return;
      default: {
        const never: never = effect;
        throw new Error(`assertion: unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  private fault(message: string): void {
    if (this.faults.length < 100) this.faults.push(message);
  }

  private async runExecution(execId: string): Promise<void> {
    const entry = this.pending.get(execId);
    if (entry === undefined) throw new Error(`assertion: ${execId} has no submitter`);
    const handle = this.handle;
    this.inFlight += 1;
    const { submit } = entry;
    const result = await this.backend.execute(handle, { executionId: execId,
      garbageBytes: submit.garbageBytes, preservedWrites: submit.preservedWrites,
      durationMs: submit.durationMs });
    if (result.ok && submit.openConnection) {
      const opened = await this.backend.openConnection(handle);
      if (!opened.ok) this.fault(`open connection: ${opened.error.message}`);
    }
    this.inFlight -= 1;
    this.pending.delete(execId);
    entry.resolve(result.ok
      ? { type: 'executed', result: result.value, waitedMs: performance.now() - entry.queuedAtMs }
      : { type: 'failed', code: result.error.code, message: result.error.message });
    this.post({ type: 'execution-finished', instance: this.options.slot, execId,
      garbageDelta: result.ok ? submit.garbageBytes : 0,
      preservedWrites: result.ok ? Object.keys(submit.preservedWrites).length : 0 });
  }

  private async readGarbage(): Promise<void> {
    const handle = this.handle;
    const r = await this.backend.garbage(handle);
    // A reading of an incarnation a restore has replaced would be stale: drop it.
    if (!r.ok || handle !== this.handle) return;
    this.post({ type: 'garbage-reading', instance: this.options.slot, bytes: r.value });
  }

  private async savePreserved(): Promise<void> {
    const r = await this.backend.readPreserved(this.options.slot);
    if (!r.ok) return this.fault(`save preserved: ${r.error.message}`);
    this.post({ type: 'preserved-saved', instance: this.options.slot, value: toHex(r.value) });
  }

  private async terminate(ends: readonly ('instance' | 'peer')[]): Promise<void> {
    const r = await this.backend.closeConnections(this.handle, ends);
    if (!r.ok) this.fault(`terminate connections: ${r.error.message}`);
    if (this.gc !== null) this.gc.connectionsClosed = r.ok ? r.value.closed.length : 0;
    this.post({ type: 'connections-closed', instance: this.options.slot, entropy: entropy() });
  }

  private async restore(generation: number, entropyHex: string): Promise<void> {
    const gc = this.gc ?? { startedAtMs: performance.now() };
    if (this.inFlight > 0) this.fault(`restore while ${this.inFlight} executions run`);
    const old = this.handle;
    const garbage = await this.backend.garbage(old);
    const preserved = await this.backend.readPreserved(this.options.slot);
    Object.assign(gc, { garbageBeforeBytes: garbage.ok ? garbage.value : 0, generation,
      entropyHex, preservedBefore: preserved.ok ? toHex(preserved.value) : '', oldHandle: old });
    await this.backend.destroy(old);
    const t0 = performance.now();
    const next = await this.restoreWithRetries(generation, entropyHex);
    if (next === null) return this.breakDown('restore failed 3 times; the instance is gone');
    gc.restoreMs = performance.now() - t0;
    const info = await this.backend.info(next);
    const random = await this.backend.random(next, 16);
    gc.garbageAfterBytes = info.ok ? info.value.garbageBytes : -1;
    gc.cleanAfterRestore = info.ok && info.value.garbageBytes === this.snapshotRef.garbageBytes
      && info.value.stateDigest === this.snapshotRef.stateDigest;
    gc.firstRandomHex = random.ok ? random.value : '';
    this.handle = next;
    this.gc = gc;
    this.post({ type: 'restored', instance: this.options.slot });
  }

  private async restoreWithRetries(generation: number,
    entropyHex: string): Promise<InstanceHandle | null> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await this.backend.restore(this.snapshotRef, { slot: this.options.slot,
        generation, entropyHex });
      if (r.ok) return r.value;
      this.fault(`restore attempt ${attempt}: ${r.error.code} ${r.error.message}`);
    }
    return null;
  }

  private breakDown(message: string): void {
    this.broken = message;
    this.fault(message);
    for (const execId of this.waiting.splice(0)) {
      this.pending.get(execId)?.resolve({ type: 'failed', code: 'host-broken', message });
      this.pending.delete(execId);
    }
  }

  private async writeBack(hex: string): Promise<void> {
    const w = await this.backend.writePreserved(this.options.slot, fromHex(hex));
    if (!w.ok) this.fault(`write back: ${w.error.message}`);
    const after = await this.backend.readPreserved(this.options.slot);
    if (this.gc !== null) {
      this.gc.preservedAfter = after.ok ? toHex(after.value) : '';
      this.gc.preservedIntact = this.gc.preservedAfter === this.gc.preservedBefore;
    }
    this.post({ type: 'written-back', instance: this.options.slot });
  }

  private async admitted(): Promise<void> {
    const gc = this.gc;
    this.gc = null;
    if (gc === null) return this.fault('admit without a GC in progress');
    const pauseMs = performance.now() - gc.startedAtMs;
    const oldPeerOpen = gc.oldHandle ? this.backend.peerOpenConnections(gc.oldHandle) : 0;
    const seen = await this.backend.connections(this.handle);
    const halfOpen = seen.ok ? seen.value.filter((c) => c.state === 'half-open').length : 0;
    this.records.push({
      gc: this.records.length + 1, generation: gc.generation ?? 0, entropyHex: gc.entropyHex ?? '',
      garbageBeforeBytes: gc.garbageBeforeBytes ?? 0, garbageAfterBytes: gc.garbageAfterBytes ?? 0,
      cleanAfterRestore: gc.cleanAfterRestore ?? false, preservedBefore: gc.preservedBefore ?? '',
      preservedAfter: gc.preservedAfter ?? '', preservedIntact: gc.preservedIntact ?? false,
      halfOpenAfterResume: oldPeerOpen + halfOpen, connectionsClosed: gc.connectionsClosed ?? 0,
      firstRandomHex: gc.firstRandomHex ?? '', pauseMs, restoreMs: gc.restoreMs ?? 0,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    await this.server?.close();
    for (const [id, entry] of this.pending) {
      entry.resolve({ type: 'failed', code: 'stopped', message: 'host stopped' });
      this.pending.delete(id);
    }
    await this.backend.close();
  }
}
