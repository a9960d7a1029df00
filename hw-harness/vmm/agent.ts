/**
 * Host side of the guest agent channel (see image/guest-files.ts for the line protocol).
 * Commands go one at a time (the guest runs them in order); answers are matched by id, and an
 * answer for an id that already timed out is dropped. `waitReady` pings until the guest answers.
 */
import net from 'node:net';
import { z } from 'zod';
import { AGENT_ANSWER_PREFIX, AGENT_READY_LINE } from '../image/guest-files.ts';
import { err, harnessError, ok, sleepMs, type HarnessError, type Result } from '../run.ts';

const LINE_BYTES_MAX = 8 * 1024 * 1024;
const PING_SPACING_MS_MIN = 1_000;
const PING_SPACING_MS_MAX = 5_000;

export const execResultSchema = z.object({
  exitCode: z.number().int(),
  output: z.string(),
  elapsedMs: z.number(),
});
export type ExecResult = z.infer<typeof execResultSchema>;

const answerSchema = z.tuple([
  z.string().regex(/^[A-Za-z0-9_-]+$/),
  z.string().regex(/^\d+$/),
  z.string().regex(/^[A-Za-z0-9+/=]*$/),
]);

type Waiter = (exitCode: number, output: string) => void;

export class AgentChannel {
  private readonly waiters = new Map<string, Waiter>();
  private readonly bannerWaiters = new Set<() => void>();
  private buffer = '';
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static async connect(
    socketPath: string,
    timeoutMs = 10_000,
  ): Promise<Result<AgentChannel, HarnessError>> {
    const deadlineMs = Date.now() + timeoutMs;
    while (Date.now() < deadlineMs) {
      const socket = await new Promise<net.Socket | null>((resolve) => {
        const s = net.connect(socketPath);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(null));
      });
      if (socket !== null) return ok(new AgentChannel(socket));
      await sleepMs(50);
    }
    return err(harnessError('timeout', `no agent socket at ${socketPath} within ${timeoutMs} ms`));
  }

  /**
   * Wait until the agent answers a ping. Pings are spaced out (1 s, doubling to 5 s), because a
   * ping sent before the agent runs waits in the serial line and is answered later, so a fast
   * ping loop would leave the agent a backlog. The answer to any ping of this wait counts, and
   * the "@@READY" banner of a fresh agent cuts the wait short.
   */
  async waitReady(timeoutMs: number): Promise<Result<number, HarnessError>> {
    const startedMs = Date.now();
    const posted: string[] = [];
    let answered = false;
    let wake = (): void => undefined;
    const onBanner = (): void => wake();
    this.bannerWaiters.add(onBanner);
    let spacingMs = PING_SPACING_MS_MIN;
    while (!answered && !this.closed && Date.now() - startedMs < timeoutMs) {
      posted.push(this.post('echo plumbline-ready', (_exitCode, output) => {
        answered ||= output.trim() === 'plumbline-ready';
        wake();
      }));
      const waitMs = Math.min(spacingMs, Math.max(timeoutMs - (Date.now() - startedMs), 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      spacingMs = Math.min(spacingMs * 2, PING_SPACING_MS_MAX);
    }
    this.bannerWaiters.delete(onBanner);
    for (const id of posted) this.waiters.delete(id);
    if (answered) return ok(Date.now() - startedMs);
    return err(harnessError('timeout', `guest agent not ready within ${timeoutMs} ms`));
  }

  /** Run a sh command in the guest (queued behind earlier ones). */
  exec(command: string, timeoutMs = 30_000): Promise<Result<ExecResult, HarnessError>> {
    const run = this.queue.then(() => this.send(command, timeoutMs));
    this.queue = run;
    return run;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private send(command: string, timeoutMs: number): Promise<Result<ExecResult, HarnessError>> {
    if (this.closed) return Promise.resolve(err(harnessError('vm-failed', 'agent channel closed')));
    const startedMs = Date.now();
    return new Promise((resolve) => {
      const id = this.post(command, (exitCode, output) => {
        clearTimeout(timer);
        resolve(ok({ exitCode, output, elapsedMs: Date.now() - startedMs }));
      });
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(err(harnessError('timeout', `guest command ${id} took more than ${timeoutMs} ms`)));
      }, timeoutMs);
    });
  }

  /** Write one framed command and register its answer callback; returns its id. */
  private post(command: string, onAnswer: Waiter): string {
    const id = `c${this.nextId++}`;
    this.waiters.set(id, onAnswer);
    this.socket.write(`\n${id} ${Buffer.from(command, 'utf8').toString('base64')}\n`);
    return id;
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1');
    if (this.buffer.length > LINE_BYTES_MAX) this.buffer = '';
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === AGENT_READY_LINE) this.onBanner();
      if (!line.startsWith(AGENT_ANSWER_PREFIX)) continue;
      const parsed = answerSchema.safeParse(line.slice(AGENT_ANSWER_PREFIX.length).split(' '));
      if (!parsed.success) continue;
      const [id, exitCode, output] = parsed.data;
      const waiter = this.waiters.get(id);
      if (waiter === undefined) continue;
      this.waiters.delete(id);
      waiter(Number(exitCode), Buffer.from(output, 'base64').toString('utf8'));
    }
  }

  /** A fresh agent started: ping it now rather than at the next spacing. */
  private onBanner(): void {
    for (const waiter of [...this.bannerWaiters]) waiter();
  }
}
