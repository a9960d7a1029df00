/**
 * The host's end of one sandbox agent (agent.mjs): spawn it in the sandbox's directory with
 * exactly the sandbox's environment, send it one command at a time, match answers by id, and
 * notice when it dies. A command that overruns its timeout is killed by the agent; an agent
 * that does not answer within the timeout plus a grace is killed by the host and reported
 * `agent-unresponsive`; an agent that dies is reported `agent-crashed`. Nothing here hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, err, ok, type Result } from '../../runtime/node/index.ts';
import { agentAnswerSchema, type AgentAnswer, type AgentRequest } from './agent-protocol.ts';
import type { BackendError, ExecResult } from './types.ts';

export const AGENT_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent.mjs');

type Waiter = {
  resolve: (result: Result<ExecResult, BackendError>) => void;
  timer: NodeJS.Timeout;
};

export type AgentStartOptions = {
  dir: string;
  env: Record<string, string>;
  bootTimeoutMs: number;
  /** Run the agent (and so its commands) as this user and group id; null: as the host. */
  uid: number | null;
  /** The agent script to run (default: the one beside this module). A sandbox running as its
   *  own uid needs a copy it can read: the checkout may sit under a directory it cannot enter. */
  agentPath?: string;
};

export class AgentConnection {
  /** Answers that failed their schema (counted, dropped). */
  framesDropped = 0;
  private readonly waiters = new Map<number, Waiter>();
  private commandPid: number | null = null;
  private nextId = 1;
  private dead = false;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, readonly pid: number) {
    this.exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => this.onExit());
  }

  get alive(): boolean {
    return !this.dead;
  }

  get busy(): boolean {
    return this.waiters.size > 0;
  }

  static async start(options: AgentStartOptions): Promise<Result<AgentConnection, BackendError>> {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [options.agentPath ?? AGENT_PATH], {
        cwd: options.dir, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'],
        ...(options.uid === null ? {} : { uid: options.uid, gid: options.uid }),
      });
    } catch (thrown) {
      return err({ code: 'boot-failed', message: `agent spawn failed: ${String(thrown)}` });
    }
    const stderr: string[] = [];
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 20) stderr.push(c.toString('utf8').slice(0, 500));
    });
    const ready = await waitReady(child, options.bootTimeoutMs, stderr);
    if (!ready.ok) return ready;
    const connection = new AgentConnection(child, ready.value.pid);
    connection.follow(ready.value.leftover);
    return ok(connection);
  }

  /** Run one command; the request's id is assigned here. */
  exec(request: Omit<AgentRequest, 'id' | 'type'>, graceMs: number):
    Promise<Result<ExecResult, BackendError>> {
    if (this.dead) return Promise.resolve(crashed('the agent is not running'));
    if (this.busy) return Promise.resolve(err({ code: 'busy', message: 'a command is running' }));
    const id = this.nextId++;
    const frame = `${JSON.stringify({ id, type: 'exec', ...request })}\n`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(id, err({ code: 'agent-unresponsive',
          message: `no answer within ${request.timeoutMs + graceMs} ms; agent killed` }));
        void this.kill();
      }, request.timeoutMs + graceMs);
      this.waiters.set(id, { resolve, timer });
      this.child.stdin?.write(frame);
    });
  }

  /** SIGKILL the agent's process group and the running command's group; wait for the exit. */
  async kill(): Promise<void> {
    if (this.commandPid !== null) killGroup(this.commandPid);
    if (!this.dead) killGroup(this.pid);
    await this.exited;
  }

  private follow(leftover: string): void {
    let partial = '';
    const onChunk = (text: string): void => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) this.onLine(line);
    };
    this.child.stdout?.on('data', (c: Buffer) => onChunk(c.toString('utf8')));
    this.child.stdin?.on('error', () => undefined);
    if (leftover.length > 0) onChunk(leftover);
  }

  private onLine(line: string): void {
    const parsed = agentAnswerSchema.safeParse(safeJson(line));
    if (!parsed.success) {
      this.framesDropped += 1;
      return;
    }
    this.onAnswer(parsed.data);
  }

  private onAnswer(answer: AgentAnswer): void {
    switch (answer.type) {
      case 'ready':
        return;
      case 'started':
        this.commandPid = answer.pid;
        return;
      case 'result': {
        this.commandPid = null;
        const { id: _id, type: _type, ...result } = answer;
        this.settle(answer.id, ok(result));
        return;
      }
      case 'error':
        this.commandPid = null;
        this.settle(answer.id, err({ code: answer.code === 'busy' ? 'busy' : 'exec-failed',
          message: `${answer.code}: ${answer.message ?? ''}`.slice(0, 500) }));
        return;
      default: {
        const unreachable: never = answer;
        throw new Error(`unknown agent answer ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private settle(id: number, result: Result<ExecResult, BackendError>): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(result);
  }

  private onExit(): void {
    this.dead = true;
    if (this.commandPid !== null) killGroup(this.commandPid);
    this.commandPid = null;
    for (const id of [...this.waiters.keys()]) this.settle(id, crashed('the agent died'));
  }
}

function crashed(message: string): Result<ExecResult, BackendError> {
  return err({ code: 'agent-crashed', message });
}

function killGroup(pid: number): void {
  assert(pid > 1, 'never signal init or every process');
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function waitReady(child: ChildProcess, timeoutMs: number, stderr: string[]):
  Promise<Result<{ pid: number; leftover: string }, BackendError>> {
  return new Promise((resolve) => {
    let pending = '';
    const fail = (message: string): void => {
      cleanup();
      if (child.pid !== undefined) killGroup(child.pid);
      resolve(err({ code: 'boot-failed', message: `${message}: ${stderr.join(' ').trim()}` }));
    };
    const timer = setTimeout(() => fail(`agent not ready within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const newline = pending.indexOf('\n');
      if (newline < 0) return;
      const parsed = agentAnswerSchema.safeParse(safeJson(pending.slice(0, newline)));
      if (!parsed.success || parsed.data.type !== 'ready') return fail('agent spoke first');
      cleanup();
      resolve(ok({ pid: parsed.data.pid, leftover: pending.slice(newline + 1) }));
    };
    const onExit = (code: number | null): void => fail(`agent exited (${code}) before ready`);
    const onError = (e: Error): void => fail(`agent spawn failed: ${e.message}`);
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
