/**
 * Host processes for fault injection: any argv, optionally inside a network namespace
 * (`ip netns exec <ns> …`, which execs, so the pid is the program's). Each runs in its own
 * process group so kill (SIGKILL), pause (SIGSTOP) and resume (SIGCONT) reach its children too.
 * If `waitReady` is set, start() waits for the node driver's `PLUMBLINE-READY {json}` line
 * (the same protocol as src/runtime/node's RoleProcess, which runs node roles without netns).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { READY_PREFIX, readyInfoSchema, type ReadyInfo } from '../../src/runtime/node/index.ts';
import { err, harnessError, killGroup, ok, type HarnessError, type Result } from '../run.ts';
import type { Teardown } from './teardown.ts';

const LINES_KEPT_MAX = 200;

export type HostProcessSpec = {
  name: string;
  argv: string[];
  netns?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Wait for a PLUMBLINE-READY line (ms); without it start() returns once spawned. */
  readyTimeoutMs?: number;
};

export class HostProcess {
  readonly lines: string[] = [];
  private child: ChildProcess | null = null;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private info: ReadyInfo | null = null;
  private exitCode: number | null | undefined = undefined;

  private constructor(private readonly spec: HostProcessSpec) {}

  /** Start; registered with `teardown` (if given) so it is killed at the end. */
  static async start(
    spec: HostProcessSpec,
    teardown?: Teardown,
  ): Promise<Result<HostProcess, HarnessError>> {
    const proc = new HostProcess(spec);
    teardown?.add(`process ${spec.name}`, () => proc.kill(), () => proc.killNow());
    const started = await proc.launch();
    return started.ok ? ok(proc) : started;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
  get alive(): boolean {
    return this.child !== null && this.exitCode === undefined;
  }
  get ready(): ReadyInfo | null {
    return this.info;
  }
  get exited(): Promise<number | null> {
    return this.exitPromise;
  }

  async kill(): Promise<void> {
    this.killNow();
    await this.exitPromise;
  }
  killNow(): void {
    if (this.alive) killGroup(this.child?.pid);
  }
  pause(): void {
    this.signalGroup('SIGSTOP');
  }
  resume(): void {
    this.signalGroup('SIGCONT');
  }

  async restart(): Promise<Result<void, HarnessError>> {
    await this.kill();
    return this.launch();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || !this.alive) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // exited meanwhile
    }
  }

  private launch(): Promise<Result<void, HarnessError>> {
    const { argv, netns } = this.spec;
    const full = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
    const [program, ...args] = full;
    if (program === undefined) return Promise.resolve(err(harnessError('refused', 'empty argv')));
    const env = { ...process.env, ...this.spec.env };
    const child = spawn(program, args, { cwd: this.spec.cwd, env, detached: true, stdio: 'pipe' });
    this.child = child;
    this.exitCode = undefined;
    this.info = null;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      child.once('error', () => {
        this.exitCode = -1;
        resolve(-1);
      });
    });
    return this.follow(child);
  }

  private follow(child: ChildProcess): Promise<Result<void, HarnessError>> {
    const timeoutMs = this.spec.readyTimeoutMs;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: Result<void, HarnessError>): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) clearTimeout(timer);
        resolve(result);
      };
      const timer =
        timeoutMs === undefined
          ? null
          : setTimeout(() => {
              if (settled) return;
              this.killNow();
              const message = `${this.spec.name} not ready in ${timeoutMs} ms`;
              settle(err(harnessError('timeout', message)));
            }, timeoutMs);
      if (timeoutMs === undefined) settle(ok(undefined));
      const onLine = (line: string): void => {
        this.keep(line);
        if (!line.startsWith(READY_PREFIX)) return;
        const parsed = readyInfoSchema.safeParse(safeJson(line.slice(READY_PREFIX.length)));
        if (!parsed.success) return;
        this.info = parsed.data;
        settle(ok(undefined));
      };
      lineReader(child.stdout, onLine);
      lineReader(child.stderr, (line) => this.keep(line));
      void this.exitPromise.then((code) => {
        const tail = this.lines.slice(-5).join(' | ');
        settle(err(harnessError('command-failed', `${this.spec.name} exited ${code}: ${tail}`)));
      });
    });
  }

  private keep(line: string): void {
    this.lines.push(line.slice(0, 500));
    if (this.lines.length > LINES_KEPT_MAX) this.lines.shift();
  }
}

function lineReader(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let partial = '';
  stream?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.length > 0) onLine(line);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
