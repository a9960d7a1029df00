/**
 * Start a sandbox-reuse cluster as separate processes on loopback: worker managers (each with
 * its own process backend) and frontends that know every worker manager; plus a small client.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, FrameClient, ok, RoleProcess, type Result } from '../../runtime/node/index.ts';
import type { Invoke } from '../index.ts';
import {
  frontendReplySchema, KEY_ENV, workerReplySchema, type FrontendArgs, type FrontendReply,
  type FrontendRequest, type FrontendStats, type InvokeResult, type WorkerArgs,
  type WorkerReply, type WorkerRequest, type WorkerStats,
} from './wire.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export type SandboxClusterOptions = {
  frontends?: number;
  workers?: number;
  capacity?: number;
  singleUse?: boolean;
  keepAliveMs?: number;
  maxProbes?: number;
  maxRetries?: number;
  limitFloor?: number;
  limitMax?: number;
  tenants?: string[];
  runTimeoutMs?: number;
  askTimeoutMs?: number;
  /** A uid per sandbox from this base (needs root); default: 61000 as root, else none. */
  uidBase?: number | null;
};

export type SandboxClusterError = { code: string; message: string };

export class SandboxCluster {
  private readonly feClients: FrameClient<FrontendRequest, FrontendReply>[];
  private readonly wmClients = new Map<string, FrameClient<WorkerRequest, WorkerReply>>();

  private constructor(
    readonly workers: Map<string, RoleProcess>,
    readonly frontends: RoleProcess[],
    private readonly invokeTimeoutMs: number,
  ) {
    this.feClients = frontends.map((role) => new FrameClient<FrontendRequest, FrontendReply>({
      port: role.port, responseSchema: frontendReplySchema, requestTimeoutMs: invokeTimeoutMs }));
    for (const [name, role] of workers) {
      this.wmClients.set(name, new FrameClient<WorkerRequest, WorkerReply>({ port: role.port,
        responseSchema: workerReplySchema, requestTimeoutMs: 2000, maxReconnectAttempts: 2 }));
    }
  }

  static async start(options: SandboxClusterOptions = {}):
    Promise<Result<SandboxCluster, SandboxClusterError>> {
    const root = process.getuid?.() === 0;
    const uidBase = options.uidBase === undefined ? (root ? 61_000 : null) : options.uidBase;
    const workers = new Map<string, RoleProcess>();
    const env = { [KEY_ENV]: randomBytes(32).toString('hex') };
    const count = options.workers ?? 3;
    for (let i = 1; i <= count; i++) {
      const args: WorkerArgs = { name: `wm-${i}`, port: 0, capacity: options.capacity ?? 2,
        singleUse: options.singleUse ?? false, keepAliveMs: options.keepAliveMs ?? 30_000,
        uidBase: uidBase === null ? null : uidBase + i * 1000 };
      const role = await RoleProcess.spawn({ name: args.name,
        entry: path.join(here, 'worker-main.ts'), args, env });
      if (!role.ok) return err({ code: role.error.code, message: role.error.message });
      workers.set(args.name, role.value);
    }
    const runTimeoutMs = options.runTimeoutMs ?? 5000;
    const frontends: RoleProcess[] = [];
    for (let i = 1; i <= (options.frontends ?? 2); i++) {
      const args: FrontendArgs = { name: `fe-${i}`, port: 0,
        workers: [...workers].map(([name, role]) => ({ name, port: role.port })),
        maxProbes: options.maxProbes ?? 2, maxRetries: options.maxRetries ?? 1,
        limitFloor: options.limitFloor ?? 4, limitMax: options.limitMax ?? 16,
        tenants: options.tenants ?? ['A', 'B'], runTimeoutMs,
        askTimeoutMs: options.askTimeoutMs ?? 1000 };
      const role = await RoleProcess.spawn({ name: args.name,
        entry: path.join(here, 'frontend-main.ts'), args, env });
      if (!role.ok) return err({ code: role.error.code, message: role.error.message });
      frontends.push(role.value);
    }
    return ok(new SandboxCluster(workers, frontends, runTimeoutMs * 4 + 10_000));
  }

  /** Invoke through frontend `frontend` (0-based); a transport failure is an error value. */
  async invoke(frontend: number, invocation: Omit<Invoke, 'type'>):
    Promise<Result<InvokeResult, SandboxClusterError>> {
    const client = this.feClients[frontend];
    if (client === undefined) return err({ code: 'no-frontend', message: `no fe ${frontend}` });
    const reply = await client.request({ type: 'Invoke', ...invocation });
    if (!reply.ok) return err(reply.error);
    if (reply.value.type !== 'InvokeResult') {
      return err({ code: 'unexpected', message: `answer ${reply.value.type}` });
    }
    return ok(reply.value);
  }

  async frontendStats(frontend: number): Promise<Result<FrontendStats, SandboxClusterError>> {
    const reply = await this.feClients[frontend]?.request({ type: 'Stats' });
    if (reply === undefined || !reply.ok) return err({ code: 'stats', message: 'no answer' });
    return reply.value.type === 'FrontendStats' ? ok(reply.value)
      : err({ code: 'unexpected', message: reply.value.type });
  }

  async workerStats(worker: string): Promise<Result<WorkerStats, SandboxClusterError>> {
    const reply = await this.wmClients.get(worker)?.request({ type: 'Stats' });
    if (reply === undefined || !reply.ok) return err({ code: 'stats', message: 'no answer' });
    return reply.value.type === 'WorkerStats' ? ok(reply.value)
      : err({ code: 'unexpected', message: reply.value.type });
  }

  /** Ask a worker manager whether `credential` verifies now for `sandbox` (null: no answer). */
  async verify(worker: string, sandbox: string, credential: unknown):
    Promise<{ ok: boolean; code: string | null } | null> {
    const reply = await this.wmClients.get(worker)?.request({ type: 'Verify', sandbox,
      credential });
    if (reply === undefined || !reply.ok || reply.value.type !== 'VerifyReply') return null;
    return { ok: reply.value.ok, code: reply.value.code };
  }

  /** SIGKILL a worker manager (its agents exit when their stdin closes). */
  async killWorker(worker: string): Promise<void> {
    await this.workers.get(worker)?.kill();
  }

  async close(): Promise<void> {
    await Promise.all([...this.feClients, ...this.wmClients.values()].map((c) => c.close()));
    await Promise.all(this.frontends.map((f) => f.kill()));
    // Worker managers remove their sandboxes when their stdin closes; SIGTERM does the same.
    await Promise.all([...this.workers.values()].map(async (role) => {
      if (!role.alive) return;
      process.kill(role.pid, 'SIGTERM');
      const done = await Promise.race([role.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
      if (!done) await role.kill();
    }));
    // A worker manager killed with SIGKILL could not remove its sandboxes' root: do it here.
    for (const role of this.workers.values()) {
      const root = role.ready.root;
      if (typeof root === 'string' && path.basename(root).startsWith('plumbline-sbx-')) {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  }
}
