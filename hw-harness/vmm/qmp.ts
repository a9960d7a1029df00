/**
 * A small QMP client: JSON lines over a Unix socket. Connect reads the greeting and sends
 * `qmp_capabilities`; `execute` tags each command with an id and resolves with the matching
 * `return` (or `error`) value; events are kept (bounded) and can be awaited by name.
 * Every message from QEMU is validated with zod before it is used.
 */
import net from 'node:net';
import { z } from 'zod';
import { err, harnessError, ok, sleepMs, type HarnessError, type Result } from '../run.ts';

const EVENTS_KEPT_MAX = 256;
const LINE_BYTES_MAX = 16 * 1024 * 1024;

export const qmpGreetingSchema = z.object({
  QMP: z.object({ version: z.object({ qemu: z.object({ major: z.number(), minor: z.number(),
    micro: z.number() }) }) }),
});
export const qmpReturnSchema = z.object({ return: z.unknown(), id: z.string().optional() });
export const qmpErrorSchema = z.object({
  error: z.object({ class: z.string(), desc: z.string() }),
  id: z.string().optional(),
});
export const qmpEventSchema = z.object({
  event: z.string(),
  data: z.unknown().optional(),
  timestamp: z.object({ seconds: z.number(), microseconds: z.number() }),
});
export type QmpEvent = z.infer<typeof qmpEventSchema>;

type Pending = { resolve: (value: Result<unknown, HarnessError>) => void; timer: NodeJS.Timeout };

export class QmpClient {
  readonly events: QmpEvent[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly eventWaiters = new Set<(event: QmpEvent) => void>();
  private nextId = 1;
  private buffer = '';
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => this.onClose());
  }

  /** Connect (retrying until QEMU has created the socket), read the greeting, negotiate. */
  static async connect(
    socketPath: string,
    timeoutMs = 10_000,
  ): Promise<Result<QmpClient, HarnessError>> {
    const deadlineMs = Date.now() + timeoutMs;
    while (Date.now() < deadlineMs) {
      const socket = await tryConnect(socketPath);
      if (socket === null) {
        await sleepMs(50);
        continue;
      }
      const greeting = await readGreeting(socket, deadlineMs - Date.now());
      if (!greeting.ok) {
        socket.destroy();
        return greeting;
      }
      const client = new QmpClient(socket);
      const caps = await client.execute('qmp_capabilities');
      if (!caps.ok) return caps;
      return ok(client);
    }
    return err(harnessError('timeout', `no QMP socket at ${socketPath} within ${timeoutMs} ms`));
  }

  /** Run one QMP command; resolves with its `return` value or a `bad-response` error. */
  execute(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = 30_000,
  ): Promise<Result<unknown, HarnessError>> {
    if (this.closed) return Promise.resolve(err(harnessError('vm-failed', 'QMP socket closed')));
    const id = `q${this.nextId++}`;
    const message =
      args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(err(harnessError('timeout', `QMP ${command} took more than ${timeoutMs} ms`)));
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Resolve with the first event named `name` after `sinceIndex` in `events` (or later). */
  waitEvent(name: string, timeoutMs: number, sinceIndex = 0): Promise<QmpEvent | null> {
    const seen = this.events.slice(sinceIndex).find((event) => event.event === name);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = (event: QmpEvent): void => {
        if (event.event !== name) return;
        clearTimeout(timer);
        this.eventWaiters.delete(waiter);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(waiter);
        resolve(null);
      }, timeoutMs);
      this.eventWaiters.add(waiter);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
    this.onClose();
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    if (this.buffer.length > LINE_BYTES_MAX) this.buffer = '';
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    for (const line of lines) if (line.trim().length > 0) this.onLine(line);
  }

  private onLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return;
    }
    const event = qmpEventSchema.safeParse(json);
    if (event.success) return this.onEvent(event.data);
    const answer = qmpReturnSchema.safeParse(json);
    const failure = qmpErrorSchema.safeParse(json);
    const id = answer.success ? answer.data.id : failure.success ? failure.data.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (pending === undefined || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (answer.success) pending.resolve(ok(answer.data.return));
    else if (failure.success) {
      const { class: kind, desc } = failure.data.error;
      pending.resolve(err(harnessError('bad-response', `QMP ${kind}: ${desc}`)));
    }
  }

  private onEvent(event: QmpEvent): void {
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT_MAX) this.events.shift();
    for (const waiter of [...this.eventWaiters]) waiter(event);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.resolve(err(harnessError('vm-failed', `QMP socket closed before answer ${id}`)));
    }
    this.pending.clear();
  }
}

function tryConnect(socketPath: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

function readGreeting(socket: net.Socket, timeoutMs: number): Promise<Result<void, HarnessError>> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.off('data', onData);
      resolve(err(harnessError('timeout', 'no QMP greeting')));
    }, Math.max(timeoutMs, 1));
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (text.length > newline + 1) socket.unshift(Buffer.from(text.slice(newline + 1)));
      const parsed = qmpGreetingSchema.safeParse(safeJson(text.slice(0, newline)));
      if (parsed.success) resolve(ok(undefined));
      else resolve(err(harnessError('bad-response', 'bad QMP greeting')));
    };
    socket.on('data', onData);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
