/**
 * The host's end of one agent child: spawn, the ready frame, request/reply over stdio frames,
 * and exit tracking. A dead or silent agent is reported as a typed error (`agent-exited`,
 * `timeout`), never waited on forever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeFrame, err, FrameDecoder, ok, type Result } from '../../runtime/node/index.ts';
import { agentFrameSchema, type AgentArgs, type AgentReplyBody,
  type AgentRequestBody } from './agent-wire.ts';
import type { BackendError } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const AGENT_ENTRY = path.join(here, 'agent-main.ts');
const tsxLoaderUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAX_AGENT_FRAME_BYTES = 64 << 20;
const MAX_KEPT_LINES = 50;

const live = new Set<AgentProcess>();
let exitHookInstalled = false;

type Waiter = { resolve: (r: Result<AgentReplyBody, BackendError>) => void;
  timer: NodeJS.Timeout };

export class AgentProcess {
  readonly stderrLines: string[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private exitInfo: string | null = null;
  /** Agent-measured time from its process start to its ready frame. */
  readyMs = NaN;
  readonly exited: Promise<void>;
  private readyResolve: ((r: Result<number, BackendError>) => void) | null = null;

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitInfo = `${name} exited (${code ?? signal})`;
      this.failAll();
      resolve();
    }));
    child.stdin?.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        this.stderrLines.push(line.slice(0, 300));
        if (this.stderrLines.length > MAX_KEPT_LINES) this.stderrLines.shift();
      }
    });
    const decoder = new FrameDecoder(agentFrameSchema, MAX_AGENT_FRAME_BYTES);
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type !== 'message') continue;
        const frame = event.value;
        if (frame.kind === 'ready') this.readyResolve?.(ok(frame.readyMs));
        else if (frame.kind === 'reply') this.settle(frame.id, ok(frame.body));
        else this.settle(frame.id, err({ code: 'agent-error',
          message: `${frame.error.code}: ${frame.error.message}` }));
      }
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Spawn the agent and wait for its ready frame (after its initialisation). */
  static async start(name: string, args: AgentArgs, readyTimeoutMs: number,
    beforeReady?: (agent: AgentProcess) => void): Promise<Result<AgentProcess, BackendError>> {
    installExitHook();
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', tsxLoaderUrl, AGENT_ENTRY,
        JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (thrown) {
      return err({ code: 'spawn-failed', message: `${name}: ${String(thrown)}` });
    }
    const agent = new AgentProcess(child, name);
    live.add(agent);
    void agent.exited.then(() => live.delete(agent));
    const ready = new Promise<Result<number, BackendError>>((resolve) => {
      agent.readyResolve = resolve;
    });
    beforeReady?.(agent);
    const timer = setTimeout(() => agent.readyResolve?.(err({ code: 'timeout',
      message: `${name} not ready within ${readyTimeoutMs} ms` })), readyTimeoutMs);
    const exitedFirst = agent.exited.then(() => err<BackendError>({ code: 'spawn-failed',
      message: `${agent.exitInfo} before ready: ${agent.stderrLines.slice(-3).join(' | ')}` }));
    const outcome = await Promise.race([ready, exitedFirst]);
    clearTimeout(timer);
    if (!outcome.ok) {
      await agent.kill();
      return outcome;
    }
    agent.readyMs = outcome.value;
    return ok(agent);
  }

  /** Send one request; resolves with the reply or a typed error (dead agent, timeout). */
  request(body: AgentRequestBody, timeoutMs: number): Promise<Result<AgentReplyBody,
    BackendError>> {
    if (!this.alive) {
      return Promise.resolve(err({ code: 'agent-exited', message: this.exitInfo ?? 'exited' }));
    }
    const id = this.nextId++;
    const frame = encodeFrame({ id, body }, MAX_AGENT_FRAME_BYTES);
    if (!frame.ok) return Promise.resolve(err({ code: 'protocol', message: frame.error.message }));
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, err({ code: 'timeout',
        message: `${this.name}: no answer to ${body.type} within ${timeoutMs} ms` })), timeoutMs);
      this.waiters.set(id, { resolve, timer });
      this.child.stdin?.write(frame.value);
    });
  }

  private settle(id: number, result: Result<AgentReplyBody, BackendError>): void {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return;
    this.waiters.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(result);
  }

  private failAll(): void {
    for (const id of [...this.waiters.keys()]) {
      this.settle(id, err({ code: 'agent-exited', message: this.exitInfo ?? 'exited' }));
    }
  }

  /** SIGKILL and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  killNow(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const agent of live) agent.killNow();
  });
}

/** Agents alive now (tests assert this returns to 0). */
export function liveAgentCount(): number {
  return [...live].filter((a) => a.alive).length;
}

/** Kill every agent this process started. */
export async function killAllAgents(): Promise<void> {
  await Promise.all([...live].map((a) => a.kill()));
}
