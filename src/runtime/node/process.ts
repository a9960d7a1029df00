/**
 * Node roles as child processes: `node --import tsx <entry.ts> <json args>`.
 *
 * A role reports readiness with one stdout line `PLUMBLINE-READY <json>` (see announceReady),
 * carrying at least its port. The parent can SIGKILL, SIGSTOP, SIGCONT and restart it. Every
 * child is tracked: killAllRoles() ends them (call it in afterEach/afterAll), and the parent's
 * 'exit' kills any left. A child also exits on its own when its stdin closes (the parent died),
 * see exitWithParent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { assert, err, ok, type Result } from './result.ts';

export const READY_PREFIX = 'PLUMBLINE-READY ';
const MAX_KEPT_LINES = 200;

export type ProcessErrorCode = 'spawn-failed' | 'ready-timeout' | 'exited-early' | 'bad-args';
export type ProcessError = { code: ProcessErrorCode; message: string };

export const readyInfoSchema = z.looseObject({ port: z.number().int().min(0).max(65535) });
export type ReadyInfo = z.infer<typeof readyInfoSchema>;

export type RoleSpec = {
  /** A short name for logs ("sled-1"). */
  name: string;
  /** Absolute path of the role's entry module (.ts). */
  entry: string;
  /** JSON-serialisable arguments, passed as argv[2]. */
  args: unknown;
  readyTimeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /**
   * A program that execs the role after setting something up, e.g.
   * `['ip', 'netns', 'exec', 'ns1']` to run it in a network namespace. It must exec (not fork)
   * so that the pid the parent signals is the role's own.
   */
  launcher?: readonly string[];
};

const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const live = new Set<RoleProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const role of live) role.killNow();
  });
}

export class RoleProcess {
  /** The last lines the child printed on stdout and stderr (bounded). */
  readonly lines: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  private child: ChildProcess;
  private exitPromise: Promise<number | null>;
  private info: ReadyInfo;

  private constructor(
    private spec: RoleSpec,
    child: ChildProcess,
    exit: Promise<number | null>,
    info: ReadyInfo,
  ) {
    this.child = child;
    this.exitPromise = exit;
    this.info = info;
  }

  get name(): string {
    return this.spec.name;
  }
  get pid(): number {
    assert(this.child.pid !== undefined, 'a started child has a pid');
    return this.child.pid;
  }
  get ready(): ReadyInfo {
    return this.info;
  }
  get port(): number {
    return this.info.port;
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Resolves with the exit code (null when killed by a signal). */
  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  static async spawn(spec: RoleSpec): Promise<Result<RoleProcess, ProcessError>> {
    installExitHook();
    const started = await startChild(spec);
    if (!started.ok) return started;
    const role = new RoleProcess(spec, started.value.child, started.value.exit, started.value.info);
    role.lines.push(...started.value.lines);
    role.follow(started.value.leftover);
    live.add(role);
    void role.exitPromise.then(() => live.delete(role));
    return ok(role);
  }

  /** SIGKILL and wait until the child is gone. */
  async kill(): Promise<void> {
    this.killNow();
    await this.exitPromise;
  }

  killNow(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Call `listener` with every later stdout/stderr line; returns an unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pause(): void {
    if (this.alive) this.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.alive) this.child.kill('SIGCONT');
  }

  /** Kill (if alive) and start again, optionally with new arguments (e.g. the old port). */
  async restart(args?: unknown): Promise<Result<void, ProcessError>> {
    await this.kill();
    this.spec = args === undefined ? this.spec : { ...this.spec, args };
    const started = await startChild(this.spec);
    if (!started.ok) return started;
    this.child = started.value.child;
    this.exitPromise = started.value.exit;
    this.info = started.value.info;
    this.lines.push(...started.value.lines);
    this.follow(started.value.leftover);
    live.add(this);
    void this.exitPromise.then(() => live.delete(this));
    return ok(undefined);
  }

  private follow(leftover: string): void {
    const keeper = (): ((chunk: Buffer) => void) => {
      let partial = '';
      return (chunk) => {
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          if (line.length === 0) continue;
          this.lines.push(line.slice(0, 500));
          if (this.lines.length > MAX_KEPT_LINES) this.lines.shift();
          for (const listener of this.listeners) listener(line);
        }
      };
    };
    const stdoutKeeper = keeper();
    this.child.stdout?.on('data', stdoutKeeper);
    if (leftover.length > 0) stdoutKeeper(Buffer.from(leftover, 'utf8'));
    this.child.stderr?.on('data', keeper());
  }
}

type Started = {
  child: ChildProcess;
  exit: Promise<number | null>;
  info: ReadyInfo;
  lines: string[];
  /** Stdout text that came after the ready line in the same chunk. */
  leftover: string;
};

async function startChild(spec: RoleSpec): Promise<Result<Started, ProcessError>> {
  const nodeArgv = [process.execPath, '--import', tsxLoaderUrl, spec.entry,
    JSON.stringify(spec.args ?? null)];
  const [program, ...argv] = [...(spec.launcher ?? []), ...nodeArgv];
  assert(program !== undefined, 'a role has a program to run');
  let child: ChildProcess;
  try {
    child = spawn(program, argv, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (thrown) {
    return err({ code: 'spawn-failed', message: `${spec.name}: ${String(thrown)}` });
  }
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  const readyTimeoutMs = spec.readyTimeoutMs ?? 15_000;
  let leftover = '';
  const info = await new Promise<Result<ReadyInfo, ProcessError>>((resolve) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      const message = `${spec.name} not ready within ${readyTimeoutMs} ms: ${lines.slice(-5)}`;
      resolve(err({ code: 'ready-timeout', message }));
    }, readyTimeoutMs);
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const [index, line] of parts.entries()) {
        if (!line.startsWith(READY_PREFIX)) {
          if (lines.length < MAX_KEPT_LINES) lines.push(line);
          continue;
        }
        const parsed = readyInfoSchema.safeParse(safeJson(line.slice(READY_PREFIX.length)));
        if (!parsed.success) continue;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        leftover = [...parts.slice(index + 1), pending].join('\n');
        resolve(ok(parsed.data));
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => lines.push(...c.toString('utf8').split('\n')));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const tail = lines.filter((l) => l.length > 0).slice(-8).join(' | ');
      const message = `${spec.name} exited (${code ?? signal}) before ready: ${tail}`;
      resolve(err({ code: 'exited-early', message }));
    });
  });
  if (!info.ok) return info;
  return ok({ child, exit, info: info.value, lines, leftover });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** SIGKILL every tracked child and wait for them (for afterEach/afterAll). */
export async function killAllRoles(): Promise<void> {
  await Promise.all([...live].map((role) => role.kill()));
}

/** How many tracked children are alive (tests assert it returns to 0). */
export function liveRoleCount(): number {
  return [...live].filter((role) => role.alive).length;
}

// ---------------------------------------------------------------------------------------------
// Child side

/** Print the ready line the parent waits for. */
export function announceReady(info: ReadyInfo): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(info)}\n`);
}

/** Exit when the parent goes away (its end of our stdin closes). */
export function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

/** Parse argv[2] as JSON and validate it. */
export function parseRoleArgs<T>(schema: z.ZodType<T>): Result<T, ProcessError> {
  const parsed = schema.safeParse(safeJson(process.argv[2] ?? 'null'));
  if (parsed.success) return ok(parsed.data);
  const message = `bad role arguments: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  return err({ code: 'bad-args', message });
}
