/**
 * The process backend: a sandbox is a long-lived agent process (agent.mjs) whose working
 * directory is the sandbox's own directory under the backend's root and whose environment is a
 * fixed minimal base (PATH, HOME, TMPDIR pointing into the sandbox) plus the boot spec's env,
 * nothing of the host's.
 *
 *   <root>/sandboxes/<id>/   the working directory the commands see
 *   <root>/clean/<id>/       the saved clean state (the template's copy, or a snapshot's)
 *   <root>/snapshots/<sid>/  a snapshot: a copy of a working directory
 *
 * reset = kill the agent (and its command), delete the working directory, copy the clean state
 * back, respawn the agent with the clean environment. restore = a new sandbox whose clean state
 * is the snapshot (so its reset goes back to the snapshot, as a VM's snapshot restore does).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeError, err, ok, type Result } from '../../runtime/node/index.ts';
import { createRequire } from 'node:module';
import { AGENT_PATH, AgentConnection } from './agent-connection.ts';
import {
  bootSpecSchema,
  execRequestSchema,
  type BackendDescription,
  type BackendError,
  type BackendResult,
  type BootSpec,
  type ExecRequest,
  type ExecResult,
  type SandboxBackend,
  type SandboxHandle,
  type SnapshotRef,
} from './types.ts';

export type ProcessBackendOptions = {
  /** Where sandbox directories live (default: a fresh temp dir, removed by close()). */
  rootDir?: string;
  /** The limit on each of stdout and stderr per command (default 64 KiB). */
  maxOutputBytes?: number;
  bootTimeoutMs?: number;
  /** How long past a command's timeout the host waits for the agent's answer. */
  execGraceMs?: number;
  /** PATH inside sandboxes (default /usr/local/bin:/usr/bin:/bin). */
  path?: string;
  /**
   * Run each sandbox as its own user id (uidBase + n, n = 1, 2, … per boot or restore) with
   * its directory owned by that uid and mode 0700, so no sandbox can read another's files.
   * Needs root; null (the default) runs every sandbox as the host's user (directory and
   * environment isolation only).
   */
  uidBase?: number | null;
};

type Sandbox = {
  handle: SandboxHandle;
  spec: BootSpec;
  dir: string;
  cleanDir: string;
  agent: AgentConnection | null;
  /** Set while reset/snapshot/destroy runs: nothing else may touch the sandbox. */
  changing: boolean;
  /** The user id the agent runs as (null: the host's). */
  uid: number | null;
};

const BACKEND = 'process';

export class ProcessBackend implements SandboxBackend {
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly snapshots = new Map<string, { ref: SnapshotRef; spec: BootSpec }>();
  private snapshotCounter = 0;
  private restoreCounter = 0;
  private uidCounter = 0;

  private constructor(
    readonly rootDir: string,
    private readonly ownsRoot: boolean,
    private readonly options: Required<Omit<ProcessBackendOptions, 'rootDir'>>,
  ) {}

  static async create(options: ProcessBackendOptions = {}):
    Promise<Result<ProcessBackend, BackendError>> {
    const settings = {
      maxOutputBytes: options.maxOutputBytes ?? 64 * 1024,
      bootTimeoutMs: options.bootTimeoutMs ?? 10_000,
      execGraceMs: options.execGraceMs ?? 2_000,
      path: options.path ?? '/usr/local/bin:/usr/bin:/bin',
      uidBase: options.uidBase ?? null,
    };
    if (settings.uidBase !== null && process.getuid?.() !== 0) {
      return err({ code: 'bad-spec', message: 'uidBase needs the backend to run as root' });
    }
    try {
      const rootDir = options.rootDir ?? await fs.mkdtemp(path.join(os.tmpdir(), 'plumbline-sbx-'));
      for (const sub of ['sandboxes', 'clean', 'snapshots']) {
        await fs.mkdir(path.join(rootDir, sub), { recursive: true, mode: 0o700 });
      }
      // Sandbox users may pass through (not list) the root to reach their own 0700 directory.
      if (settings.uidBase !== null) {
        await fs.chmod(rootDir, 0o711);
        await fs.chmod(path.join(rootDir, 'sandboxes'), 0o711);
        // The agent script and the one package it imports (zod) must be readable by every
        // sandbox uid, wherever the checkout is (it may sit under a directory they cannot enter).
        await fs.copyFile(AGENT_PATH, path.join(rootDir, 'agent.mjs'));
        await fs.chmod(path.join(rootDir, 'agent.mjs'), 0o644);
        const zodDir = path.dirname(createRequire(import.meta.url).resolve('zod/package.json'));
        await fs.cp(zodDir, path.join(rootDir, 'node_modules', 'zod'), { recursive: true });
        await fs.chmod(path.join(rootDir, 'node_modules'), 0o755);
      }
      return ok(new ProcessBackend(rootDir, options.rootDir === undefined, settings));
    } catch (thrown) {
      const message = `cannot prepare the root: ${describeError(thrown)}`;
      return err({ code: 'io-failed', message });
    }
  }

  describe(): BackendDescription {
    const perUid = this.options.uidBase === null ? '' : ', own user id (0700 directory)';
    return { backend: BACKEND,
      isolation: `own process, working directory and environment${perUid}`,
      reset: 'kill, restore the directory from its clean copy, respawn' };
  }

  /** The working directory of a live sandbox (for tests and audits). */
  directoryOf(handle: SandboxHandle): string | null {
    return this.sandboxes.get(handle.id)?.dir ?? null;
  }

  /** The agent's pid (for fault injection in tests), or null when none runs. */
  agentPid(handle: SandboxHandle): number | null {
    const agent = this.sandboxes.get(handle.id)?.agent;
    return agent?.alive === true ? agent.pid : null;
  }

  liveCount(): number {
    return this.sandboxes.size;
  }

  async boot(input: BootSpec): Promise<BackendResult<SandboxHandle>> {
    const parsed = bootSpecSchema.safeParse(input);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    const spec = parsed.data;
    if (this.sandboxes.has(spec.id)) return duplicate(spec.id);
    const cleanDir = path.join(this.rootDir, 'clean', spec.id);
    const copied = await replaceDir(cleanDir, spec.templateDir ?? null);
    if (!copied.ok) return copied;
    return this.start(spec, cleanDir);
  }

  async exec(handle: SandboxHandle, input: ExecRequest): Promise<BackendResult<ExecResult>> {
    const sandbox = this.lookup(handle);
    if (!sandbox.ok) return sandbox;
    const parsed = execRequestSchema.safeParse(input);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    const { agent, changing } = sandbox.value;
    if (changing) return err({ code: 'busy', message: `sandbox ${handle.id} is being changed` });
    if (agent === null) return err({ code: 'agent-crashed', message: 'no agent: reset first' });
    const request = parsed.data;
    return agent.exec({ command: request.command, args: request.args, env: request.env ?? {},
      stdin: request.stdin, timeoutMs: request.timeoutMs,
      maxOutputBytes: this.options.maxOutputBytes }, this.options.execGraceMs);
  }

  async reset(handle: SandboxHandle): Promise<BackendResult<SandboxHandle>> {
    return this.change(handle, async (sandbox) => {
      await this.stopAgent(sandbox);
      const restored = await replaceDir(sandbox.dir, sandbox.cleanDir);
      if (!restored.ok) return restored;
      const owned = await ownTree(sandbox.dir, sandbox.uid);
      if (!owned.ok) return owned;
      const agent = await this.spawnAgent(sandbox.spec, sandbox.dir, sandbox.uid);
      if (!agent.ok) return agent;
      sandbox.agent = agent.value;
      return ok(sandbox.handle);
    });
  }

  async snapshot(handle: SandboxHandle): Promise<BackendResult<SnapshotRef>> {
    return this.change(handle, async (sandbox) => {
      if (sandbox.agent?.busy === true) return err({ code: 'busy', message: 'a command runs' });
      this.snapshotCounter += 1;
      const snapshotId = `${handle.id.slice(0, 80)}-s${this.snapshotCounter}`;
      const copied = await replaceDir(this.snapshotDir(snapshotId), sandbox.dir);
      if (!copied.ok) return copied;
      const ref = { snapshotId, sandboxId: handle.id, kind: sandbox.spec.kind, backend: BACKEND };
      this.snapshots.set(snapshotId, { ref, spec: sandbox.spec });
      return ok(ref);
    });
  }

  async restore(ref: SnapshotRef, id?: string): Promise<BackendResult<SandboxHandle>> {
    const saved = this.snapshots.get(ref.snapshotId);
    if (saved === undefined) {
      return err({ code: 'unknown-snapshot', message: `no snapshot ${ref.snapshotId}` });
    }
    this.restoreCounter += 1;
    const fallbackId = `${ref.sandboxId.slice(0, 80)}-r${this.restoreCounter}`;
    const spec = { ...saved.spec, id: id ?? fallbackId };
    const parsed = bootSpecSchema.safeParse(spec);
    if (!parsed.success) return badSpec(parsed.error.issues[0]?.message);
    if (this.sandboxes.has(spec.id)) return duplicate(spec.id);
    const cleanDir = path.join(this.rootDir, 'clean', spec.id);
    const copied = await replaceDir(cleanDir, this.snapshotDir(ref.snapshotId));
    if (!copied.ok) return copied;
    return this.start(parsed.data, cleanDir);
  }

  async destroy(handle: SandboxHandle): Promise<BackendResult<void>> {
    const sandbox = this.lookup(handle);
    if (!sandbox.ok) return sandbox;
    const s = sandbox.value;
    s.changing = true;
    this.sandboxes.delete(handle.id);
    await this.stopAgent(s);
    return removeAll([s.dir, s.cleanDir]);
  }

  async close(): Promise<void> {
    for (const sandbox of [...this.sandboxes.values()]) await this.destroy(sandbox.handle);
    const snapshotDirs = [...this.snapshots.keys()].map((sid) => this.snapshotDir(sid));
    this.snapshots.clear();
    await removeAll(this.ownsRoot ? [this.rootDir] : snapshotDirs);
  }

  private async start(spec: BootSpec, cleanDir: string): Promise<BackendResult<SandboxHandle>> {
    const dir = path.join(this.rootDir, 'sandboxes', spec.id);
    const handle = { id: spec.id, kind: spec.kind, backend: BACKEND };
    const uid = this.options.uidBase === null ? null
      : this.options.uidBase + 1 + (this.uidCounter++ % 60_000);
    const sandbox: Sandbox = { handle, spec, dir, cleanDir, agent: null, changing: true, uid };
    this.sandboxes.set(spec.id, sandbox);
    const copied = await replaceDir(dir, cleanDir);
    const owned = copied.ok ? await ownTree(dir, uid) : copied;
    const agent = owned.ok ? await this.spawnAgent(spec, dir, uid) : owned;
    if (!agent.ok) {
      this.sandboxes.delete(spec.id);
      await removeAll([dir, cleanDir]);
      return agent;
    }
    sandbox.agent = agent.value;
    sandbox.changing = false;
    return ok(handle);
  }

  private spawnAgent(spec: BootSpec, dir: string, uid: number | null):
    Promise<BackendResult<AgentConnection>> {
    const env = { PATH: this.options.path, HOME: dir, TMPDIR: dir, ...spec.env };
    const agentPath = uid === null ? AGENT_PATH : path.join(this.rootDir, 'agent.mjs');
    return AgentConnection.start({ dir, env, bootTimeoutMs: this.options.bootTimeoutMs, uid,
      agentPath });
  }

  private async stopAgent(sandbox: Sandbox): Promise<void> {
    const agent = sandbox.agent;
    sandbox.agent = null;
    if (agent !== null) await agent.kill();
  }

  private async change<T>(handle: SandboxHandle,
    body: (sandbox: Sandbox) => Promise<BackendResult<T>>): Promise<BackendResult<T>> {
    const sandbox = this.lookup(handle);
    if (!sandbox.ok) return sandbox;
    if (sandbox.value.changing) return err({ code: 'busy', message: `${handle.id} is changing` });
    sandbox.value.changing = true;
    try {
      return await body(sandbox.value);
    } finally {
      sandbox.value.changing = false;
    }
  }

  private lookup(handle: SandboxHandle): BackendResult<Sandbox> {
    const sandbox = this.sandboxes.get(handle.id);
    if (sandbox === undefined || handle.backend !== BACKEND) {
      return err({ code: 'unknown-sandbox', message: `no live sandbox ${handle.id}` });
    }
    return ok(sandbox);
  }

  private snapshotDir(snapshotId: string): string {
    return path.join(this.rootDir, 'snapshots', snapshotId);
  }
}

function badSpec(message: string | undefined): Result<never, BackendError> {
  return err({ code: 'bad-spec', message: message ?? 'invalid' });
}

function duplicate(id: string): Result<never, BackendError> {
  return err({ code: 'duplicate-id', message: `a sandbox ${id} is already live` });
}

/** Make `target` an exact copy of `source` (or an empty directory when source is null). */
async function replaceDir(target: string, source: string | null): Promise<BackendResult<void>> {
  try {
    await fs.rm(target, { recursive: true, force: true });
    if (source === null) await fs.mkdir(target, { recursive: true });
    else await fs.cp(source, target, { recursive: true, errorOnExist: false, force: true });
    return ok(undefined);
  } catch (thrown) {
    return err({ code: 'io-failed', message: `copy to ${target}: ${describeError(thrown)}` });
  }
}

/** Give the tree to `uid` (mode 0700 at the top) so only that user (and root) can enter it. */
async function ownTree(dir: string, uid: number | null): Promise<BackendResult<void>> {
  if (uid === null) return ok(undefined);
  try {
    const walk = async (p: string): Promise<void> => {
      await fs.lchown(p, uid, uid);
      const stat = await fs.lstat(p);
      if (!stat.isDirectory()) return;
      for (const entry of await fs.readdir(p)) await walk(path.join(p, entry));
    };
    await walk(dir);
    await fs.chmod(dir, 0o700);
    return ok(undefined);
  } catch (thrown) {
    return err({ code: 'io-failed', message: `chown ${dir}: ${describeError(thrown)}` });
  }
}

async function removeAll(paths: string[]): Promise<BackendResult<void>> {
  try {
    for (const p of paths) await fs.rm(p, { recursive: true, force: true });
    return ok(undefined);
  } catch (thrown) {
    return err({ code: 'io-failed', message: `remove: ${describeError(thrown)}` });
  }
}
