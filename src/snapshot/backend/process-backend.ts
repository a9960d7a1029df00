/**
 * The process backend: each instance is a child node process (agent-main.ts) holding its state
 * in memory. Snapshot = the agent writes its state to a file (fsync'd); restore = a new agent
 * loads that file instead of initialising and gets generation + entropy first; preserved state
 * is a per-slot file under the backend's directory, outside any image; connections are real TCP
 * sockets from the agent to the backend's host-side peer server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { err, ok, type Result } from '../../runtime/node/index.ts';
import { AgentProcess } from './agent-process.ts';
import type { AgentReplyBody, AgentRequestBody, StartArgs } from './agent-wire.ts';
import { PeerServer } from './peer.ts';
import { readPreservedFile, writePreservedFile } from './preserved.ts';
import {
  coldStartSpecSchema,
  executionSchema,
  restoreOptionsSchema,
  type BackendError,
  type BackendKind,
  type BackendResult,
  type CloseReport,
  type ColdStartSpec,
  type ConnectionEnd,
  type ConnectionInfo,
  type Execution,
  type ExecutionResult,
  type InstanceBackend,
  type InstanceHandle,
  type InstanceInfo,
  type PreservedState,
  type RestoreOptions,
  type SnapshotRef,
} from './types.ts';

export type ProcessBackendOptions = {
  /** Where preserved stores live (one file per slot). */
  dir: string;
  requestTimeoutMs?: number;
  readyTimeoutMs?: number;
  /** How long closeConnections waits for the peer to see each close. */
  closeTimeoutMs?: number;
  /**
   * Warm spare agent processes kept started with no instance (like VMM processes started
   * ahead); a cold start or restore takes one instead of spawning. 0 (default) spawns each.
   */
  spareAgents?: number;
};

type Launched = { agent: AgentProcess; readyMs: number;
  first: Result<AgentReplyBody, BackendError> | null };

type Instance = { handle: InstanceHandle; agent: AgentProcess; readyMs: number };

export class ProcessBackend implements InstanceBackend {
  private readonly instances = new Map<string, Instance>();
  /** Every agent this backend spawned and that has not exited (also those still starting). */
  private readonly agents = new Set<AgentProcess>();
  private closed = false;
  private readonly spares: AgentProcess[] = [];
  /** The latest `warm()` (close waits for spares still starting). */
  private warming: Promise<void> = Promise.resolve();
  private refilling = 0;
  private nextInstance = 1;

  private constructor(readonly options: Required<ProcessBackendOptions>,
    readonly peer: PeerServer) {}

  static async create(options: ProcessBackendOptions): Promise<Result<ProcessBackend,
    BackendError>> {
    try {
      fs.mkdirSync(options.dir, { recursive: true });
    } catch (thrown) {
      return err({ code: 'io-failed', message: String(thrown) });
    }
    const peer = await PeerServer.start();
    if (!peer.ok) return err({ code: 'spawn-failed', message: peer.error.message });
    const full = { requestTimeoutMs: 10_000, readyTimeoutMs: 30_000, closeTimeoutMs: 2000,
      spareAgents: 0, ...options };
    const backend = new ProcessBackend(full, peer.value);
    await backend.warm();
    return ok(backend);
  }

  /** Start spare agents up to `spareAgents` and wait until they are ready. */
  async warm(): Promise<void> {
    this.warming = this.refill();
    await this.warming;
  }

  private async refill(): Promise<void> {
    const starting: Promise<void>[] = [];
    while (!this.closed && this.spares.length + this.refilling < this.options.spareAgents) {
      this.refilling += 1;
      starting.push(AgentProcess.start('spare', { mode: 'idle' }, this.options.readyTimeoutMs,
        (a) => this.adopt(a)).then((r) => {
        this.refilling -= 1;
        if (r.ok) this.spares.push(r.value);
      }));
    }
    await Promise.all(starting);
  }

  private takeSpare(): AgentProcess | null {
    for (let spare = this.spares.shift(); spare !== undefined; spare = this.spares.shift()) {
      if (spare.alive) return spare;
    }
    return null;
  }

  /**
   * Start an instance in a spare agent (or a new process) and send `first` right behind the
   * start, so it is the first request the instance sees.
   */
  private async launch(name: string, args: StartArgs,
    first: AgentRequestBody | null): BackendResult<Launched> {
    const timeoutMs = this.options.readyTimeoutMs;
    const spare = this.takeSpare();
    if (spare !== null) {
      void this.warm();
      const started = spare.request({ type: 'start', args }, timeoutMs);
      const firstReply = first === null ? null : spare.request(first, timeoutMs);
      const r = await started;
      if (!r.ok || r.value.type !== 'started') {
        await spare.kill();
        const snapshotBad = !r.ok && r.error.message.startsWith('snapshot-invalid');
        return err({ code: snapshotBad ? 'snapshot-invalid' : 'spawn-failed',
          message: r.ok ? 'start not acknowledged' : r.error.message });
      }
      return ok({ agent: spare, readyMs: r.value.readyMs, first: await firstReply });
    }
    const pending: { first?: Promise<Result<AgentReplyBody, BackendError>> } = {};
    const agent = await AgentProcess.start(name, args, timeoutMs, (a) => {
      this.adopt(a);
      if (first !== null) pending.first = a.request(first, timeoutMs);
    });
    if (!agent.ok) return agent;
    const firstReply = pending.first === undefined ? null : await pending.first;
    return ok({ agent: agent.value, readyMs: agent.value.readyMs, first: firstReply });
  }

  describe(): BackendKind {
    return 'process';
  }

  preservedPath(slot: string): string {
    return path.join(this.options.dir, `slot-${slot}.preserved.json`);
  }

  async coldStart(spec: ColdStartSpec): BackendResult<InstanceHandle> {
    const parsed = coldStartSpecSchema.safeParse(spec);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad cold start spec' });
    const instanceId = `i${this.nextInstance++}-${spec.slot}`;
    const args: StartArgs = { mode: 'cold', instanceId, slot: spec.slot,
      preservedPath: this.preservedPath(spec.slot), ready: parsed.data.ready,
      generation: spec.generation, entropyHex: spec.entropyHex };
    const launched = await this.launch(instanceId, args, null);
    if (!launched.ok) return launched;
    return ok(this.track(instanceId, spec.slot, spec.generation, launched.value));
  }

  async restore(ref: SnapshotRef, options: RestoreOptions): BackendResult<InstanceHandle> {
    const parsed = restoreOptionsSchema.safeParse(options);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad restore options' });
    if (ref.backend !== 'process') {
      return err({ code: 'snapshot-invalid', message: `a ${ref.backend} snapshot` });
    }
    const instanceId = `i${this.nextInstance++}-${options.slot}`;
    const args: StartArgs = { mode: 'restore', instanceId, slot: options.slot,
      preservedPath: this.preservedPath(options.slot), snapshotPath: ref.path };
    // The first request the restored instance serves: nothing runs before it.
    const launched = await this.launch(instanceId, args, { type: 'resume',
      generation: options.generation, entropyHex: options.entropyHex });
    if (!launched.ok) return launched;
    const reply = launched.value.first;
    if (reply === null || !reply.ok || reply.value.type !== 'resumed') {
      await launched.value.agent.kill();
      return reply !== null && !reply.ok ? reply
        : err({ code: 'protocol', message: 'resume not acknowledged' });
    }
    return ok(this.track(instanceId, options.slot, options.generation, launched.value));
  }

  private adopt(agent: AgentProcess): void {
    if (this.closed) agent.killNow();
    this.agents.add(agent);
    void agent.exited.then(() => this.agents.delete(agent));
  }

  private track(instanceId: string, slot: string, generation: number,
    launched: Launched): InstanceHandle {
    const { agent, readyMs } = launched;
    const handle: InstanceHandle = { instanceId, slot, generation, backend: 'process' };
    this.instances.set(instanceId, { handle, agent, readyMs });
    void agent.exited.then(() => this.instances.delete(instanceId));
    return handle;
  }

  /** One request to the handle's agent, with the reply type checked. */
  private async call<T extends AgentReplyBody['type']>(handle: InstanceHandle,
    body: AgentRequestBody, want: T, timeoutMs?: number)
    : BackendResult<Extract<AgentReplyBody, { type: T }>> {
    const instance = this.instances.get(handle.instanceId);
    if (instance === undefined) {
      return err({ code: 'unknown-instance',
        message: `${handle.instanceId} is not running (destroyed or exited)` });
    }
    const reply = await instance.agent.request(body, timeoutMs ?? this.options.requestTimeoutMs);
    if (!reply.ok) return reply;
    if (reply.value.type !== want) {
      return err({ code: 'protocol', message: `expected ${want}, got ${reply.value.type}` });
    }
    return ok(reply.value as Extract<AgentReplyBody, { type: T }>);
  }

  async snapshot(handle: InstanceHandle, filePath: string): BackendResult<SnapshotRef> {
    const r = await this.call(handle, { type: 'snapshot', path: filePath }, 'snapshotted');
    if (!r.ok) return r;
    return ok({ backend: 'process', path: filePath, bytes: r.value.bytes,
      stateDigest: r.value.stateDigest, garbageBytes: r.value.garbageBytes,
      generation: r.value.generation });
  }

  async execute(handle: InstanceHandle, execution: Execution): BackendResult<ExecutionResult> {
    const parsed = executionSchema.safeParse(execution);
    if (!parsed.success) return err({ code: 'protocol', message: 'bad execution' });
    const timeoutMs = this.options.requestTimeoutMs + parsed.data.durationMs;
    const r = await this.call(handle, { type: 'execute', execution: parsed.data }, 'executed',
      timeoutMs);
    if (!r.ok) return r;
    const { executionId, generation, garbageBytes, nonceHex } = r.value;
    return ok({ executionId, generation, garbageBytes, nonceHex });
  }

  async info(handle: InstanceHandle): BackendResult<InstanceInfo> {
    const r = await this.call(handle, { type: 'info' }, 'info');
    return r.ok ? ok(r.value.info) : r;
  }

  async garbage(handle: InstanceHandle): BackendResult<number> {
    const r = await this.info(handle);
    return r.ok ? ok(r.value.garbageBytes) : r;
  }

  async readPreserved(slot: string): BackendResult<PreservedState> {
    const r = readPreservedFile(this.preservedPath(slot));
    return r.ok ? r : err({ code: 'io-failed', message: r.error.message });
  }

  async writePreserved(slot: string, state: PreservedState): BackendResult<void> {
    const r = writePreservedFile(this.preservedPath(slot), state);
    return r.ok ? r : err({ code: 'io-failed', message: r.error.message });
  }

  async openConnection(handle: InstanceHandle): BackendResult<ConnectionInfo> {
    const r = await this.call(handle, { type: 'open-connection', host: '127.0.0.1',
      port: this.peer.port }, 'connection');
    return r.ok ? ok(r.value.connection) : r;
  }

  async connections(handle: InstanceHandle): BackendResult<ConnectionInfo[]> {
    const r = await this.call(handle, { type: 'connections' }, 'connections');
    return r.ok ? ok(r.value.connections) : r;
  }

  async closeConnections(handle: InstanceHandle,
    ends: readonly ConnectionEnd[] = ['instance', 'peer']): BackendResult<CloseReport> {
    const peerIds = this.peer.connections(handle.instanceId).filter((c) => c.open)
      .map((c) => c.connectionId);
    let closed: string[] = [];
    if (ends.includes('instance')) {
      const r = await this.call(handle, { type: 'close-connections' }, 'closed');
      if (!r.ok) return r;
      closed = r.value.connectionIds;
    }
    // The host's half: end whatever the peer still holds for this instance.
    if (ends.includes('peer')) {
      await this.peer.closeFor(handle.instanceId, this.options.closeTimeoutMs);
    }
    const ids = [...new Set([...closed, ...peerIds])];
    const stillOpen = await this.peer.waitClosed(ids, ends.length === 0 ? 0
      : this.options.closeTimeoutMs);
    if (ends.length === 2 && stillOpen.length > 0) {
      return err({ code: 'half-open', message: `peer still holds ${stillOpen.join(', ')}` });
    }
    const peerSawClose = ids.filter((id) => !stillOpen.includes(id));
    return ok({ closed, peerSawClose });
  }

  /** Agent-measured time from process start to ready (initialisation or image load), ms. */
  readyMs(handle: InstanceHandle): number | null {
    return this.instances.get(handle.instanceId)?.readyMs ?? null;
  }

  peerOpenConnections(handle: InstanceHandle): number {
    return this.peer.openCount(handle.instanceId);
  }

  async random(handle: InstanceHandle, bytes: number): BackendResult<string> {
    const r = await this.call(handle, { type: 'random', bytes }, 'random');
    return r.ok ? ok(r.value.hex) : r;
  }

  /** The agent's pid (for tests that kill it from outside). */
  pid(handle: InstanceHandle): number | null {
    return this.instances.get(handle.instanceId)?.agent.pid ?? null;
  }

  async destroy(handle: InstanceHandle): Promise<void> {
    await this.instances.get(handle.instanceId)?.agent.kill();
    this.instances.delete(handle.instanceId);
  }

  async close(): Promise<void> {
    this.closed = true;
    // A spare still starting is adopted (and killed) after this point: kill until none is left.
    await Promise.all([...this.agents].map((agent) => agent.kill()));
    await this.warming;
    await Promise.all([...this.agents].map((agent) => agent.kill()));
    this.instances.clear();
    await this.peer.close();
  }
}
