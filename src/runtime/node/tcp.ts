/**
 * Request/response over TCP with length-prefixed JSON frames (see framing.ts).
 *
 * Every frame is an envelope `{ id, body }` (or `{ id, error }` from the server when its handler
 * failed); the client matches responses to requests by `id`, so a connection carries many
 * requests at once and answers may come back in any order. Limits on everything: frame size,
 * connections per server, requests in flight per connection, the client's pending queue, every
 * request's time, reconnect attempts.
 */
import net from 'node:net';
import { z } from 'zod';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder } from './framing.ts';
import { assert, describeError, err, ok, type Result } from './result.ts';

export type TcpErrorCode =
  | 'listen-failed'
  | 'timeout'
  | 'disconnected'
  | 'unreachable'
  | 'queue-full'
  | 'closed'
  | 'remote-error'
  | 'encode-failed';
export type TcpError = { code: TcpErrorCode; message: string };

const remoteErrorSchema = z.object({ code: z.string().max(64), message: z.string().max(512) });

function requestEnvelope<T>(body: z.ZodType<T>) {
  return z.object({ id: z.number().int().nonnegative(), body });
}

function responseEnvelope<T>(body: z.ZodType<T>) {
  return z.union([
    z.object({ id: z.number().int().nonnegative(), body }),
    z.object({ id: z.number().int().nonnegative(), error: remoteErrorSchema }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Server

export type PeerInfo = { remoteAddress: string; remotePort: number; connectionId: number };

export type FrameServerOptions<Req, Res> = {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  requestSchema: z.ZodType<Req>;
  handle: (request: Req, peer: PeerInfo) => Promise<Res> | Res;
  maxFrameBytes?: number;
  maxConnections?: number;
  maxInFlightPerConnection?: number;
  /** How long close() waits for running handlers before it ends the sockets anyway. */
  closeGraceMs?: number;
};

export type FrameServerStats = {
  connectionsAccepted: number;
  connectionsRefused: number;
  connectionsClosedOversize: number;
  framesDropped: number;
  requestsHandled: number;
  requestsRefusedBusy: number;
  handlerFailures: number;
};

export type FrameServer = {
  readonly host: string;
  readonly port: number;
  readonly stats: FrameServerStats;
  close(): Promise<void>;
};

export async function startFrameServer<Req, Res>(
  options: FrameServerOptions<Req, Res>,
): Promise<Result<FrameServer, TcpError>> {
  const host = options.host ?? '127.0.0.1';
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxInFlight = options.maxInFlightPerConnection ?? 256;
  const schema = requestEnvelope(options.requestSchema);
  const stats: FrameServerStats = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsClosedOversize: 0,
    framesDropped: 0,
    requestsHandled: 0,
    requestsRefusedBusy: 0,
    handlerFailures: 0,
  };
  const sockets = new Set<net.Socket>();
  const running = new Set<Promise<void>>();
  let nextConnectionId = 1;

  const server = net.createServer({ noDelay: true }, (socket) => {
    if (sockets.size >= (options.maxConnections ?? 64)) {
      stats.connectionsRefused += 1;
      socket.destroy();
      return;
    }
    stats.connectionsAccepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const peer: PeerInfo = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      connectionId: nextConnectionId++,
    };
    const decoder = new FrameDecoder(schema, maxFrameBytes);
    let inFlight = 0;
    const reply = (envelope: unknown): void => {
      const frame = encodeFrame(envelope, maxFrameBytes);
      if (frame.ok && !socket.destroyed) socket.write(frame.value);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type === 'dropped') {
          stats.framesDropped += 1;
        } else if (event.type === 'fatal') {
          stats.connectionsClosedOversize += 1;
          socket.destroy();
        } else if (inFlight >= maxInFlight) {
          stats.requestsRefusedBusy += 1;
          reply({ id: event.value.id, error: { code: 'busy', message: 'too many in flight' } });
        } else {
          inFlight += 1;
          const done = runHandler(options.handle, event.value, peer, stats, reply).finally(() => {
            inFlight -= 1;
            running.delete(done);
          });
          running.add(done);
        }
      }
    });
  });

  const listening = await new Promise<Result<void, TcpError>>((resolve) => {
    server.once('error', (e) => resolve(err({ code: 'listen-failed', message: describeError(e) })));
    server.listen(options.port ?? 0, host, () => resolve(ok(undefined)));
  });
  if (!listening.ok) return listening;
  const address = server.address();
  assert(address !== null && typeof address === 'object', 'a TCP server has an address');

  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const grace = new Promise<void>((r) => setTimeout(r, options.closeGraceMs ?? 1000).unref());
    await Promise.race([Promise.all([...running]), grace]);
    for (const socket of sockets) socket.end();
    const forced = setTimeout(() => sockets.forEach((s) => s.destroy()), 200);
    await closed;
    clearTimeout(forced);
  };
  return ok({ host, port: address.port, stats, close });
}

async function runHandler<Req, Res>(
  handle: (request: Req, peer: PeerInfo) => Promise<Res> | Res,
  envelope: { id: number; body: Req },
  peer: PeerInfo,
  stats: FrameServerStats,
  reply: (envelope: unknown) => void,
): Promise<void> {
  try {
    const body = await handle(envelope.body, peer);
    stats.requestsHandled += 1;
    reply({ id: envelope.id, body });
  } catch (thrown) {
    stats.handlerFailures += 1;
    const message = describeError(thrown).slice(0, 500);
    reply({ id: envelope.id, error: { code: 'handler-failed', message } });
  }
}

// ---------------------------------------------------------------------------------------------
// Client

export type FrameClientOptions<Res> = {
  host?: string;
  port: number;
  responseSchema: z.ZodType<Res>;
  maxFrameBytes?: number;
  requestTimeoutMs?: number;
  /** Requests queued or in flight at once; more are refused with `queue-full`. */
  maxPending?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Consecutive failed connects before queued requests fail with `unreachable`. */
  maxReconnectAttempts?: number;
};

export type FrameClientStats = {
  connects: number;
  connectFailures: number;
  framesDropped: number;
  lateResponses: number;
  timeouts: number;
};

type Pending<Res> = {
  id: number;
  frame: Buffer;
  sent: boolean;
  timer: NodeJS.Timeout;
  resolve: (result: Result<Res, TcpError>) => void;
};

export class FrameClient<Req, Res> {
  readonly stats: FrameClientStats = {
    connects: 0,
    connectFailures: 0,
    framesDropped: 0,
    lateResponses: 0,
    timeouts: 0,
  };
  private readonly pending = new Map<number, Pending<Res>>();
  private readonly envelope: ReturnType<typeof responseEnvelope<Res>>;
  private socket: net.Socket | null = null;
  private connected = false;
  private closed = false;
  private nextId = 1;
  private failedAttempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: FrameClientOptions<Res>) {
    this.envelope = responseEnvelope(options.responseSchema);
    this.connect();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Send one request; resolves with its response or a typed error, never rejects. */
  request(body: Req, timeoutMs?: number): Promise<Result<Res, TcpError>> {
    if (this.closed) return Promise.resolve(err({ code: 'closed', message: 'client closed' }));
    if (this.pending.size >= (this.options.maxPending ?? 1024)) {
      return Promise.resolve(err({ code: 'queue-full', message: 'too many pending requests' }));
    }
    const id = this.nextId++;
    const frame = encodeFrame({ id, body }, this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    if (!frame.ok) {
      return Promise.resolve(err({ code: 'encode-failed', message: frame.error.message }));
    }
    if (this.socket === null && this.reconnectTimer === null) this.connect();
    return new Promise((resolve) => {
      const limitMs = timeoutMs ?? this.options.requestTimeoutMs ?? 2000;
      const timer = setTimeout(() => {
        this.stats.timeouts += 1;
        this.settle(id, err({ code: 'timeout', message: `no answer within ${limitMs} ms` }));
      }, limitMs);
      const entry: Pending<Res> = { id, frame: frame.value, sent: false, timer, resolve };
      this.pending.set(id, entry);
      if (this.connected) this.send(entry);
    });
  }

  /** Fail everything pending with `closed` and end the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    for (const id of [...this.pending.keys()]) {
      this.settle(id, err({ code: 'closed', message: 'client closed' }));
    }
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => socket.destroy(), 200);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      socket.end();
    });
  }

  private settle(id: number, result: Result<Res, TcpError>): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(result);
  }

  private send(entry: Pending<Res>): void {
    assert(this.socket !== null, 'send needs a socket');
    entry.sent = true;
    this.socket.write(entry.frame);
  }

  private connect(): void {
    if (this.closed) return;
    this.reconnectTimer = null;
    const socket = net.connect({
      host: this.options.host ?? '127.0.0.1',
      port: this.options.port,
      noDelay: true,
    });
    this.socket = socket;
    const decoder = new FrameDecoder(this.envelope, this.options.maxFrameBytes);
    socket.on('connect', () => {
      this.connected = true;
      this.failedAttempts = 0;
      this.stats.connects += 1;
      for (const entry of this.pending.values()) if (!entry.sent) this.send(entry);
    });
    socket.on('data', (chunk: Buffer) => this.onData(decoder, chunk, socket));
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClose(socket));
  }

  private onData(decoder: FrameDecoder<z.infer<typeof this.envelope>>, chunk: Buffer,
    socket: net.Socket): void {
    for (const event of decoder.push(chunk)) {
      if (event.type === 'fatal') {
        socket.destroy();
      } else if (event.type === 'dropped') {
        this.stats.framesDropped += 1;
      } else if (!this.pending.has(event.value.id)) {
        this.stats.lateResponses += 1;
      } else if ('error' in event.value) {
        const { code, message } = event.value.error;
        this.settle(event.value.id, err({ code: 'remote-error', message: `${code}: ${message}` }));
      } else {
        this.settle(event.value.id, ok(event.value.body));
      }
    }
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = null;
    if (!wasConnected) {
      this.stats.connectFailures += 1;
      this.failedAttempts += 1;
    }
    for (const entry of [...this.pending.values()]) {
      if (entry.sent) {
        this.settle(entry.id, err({ code: 'disconnected', message: 'connection lost in flight' }));
      }
    }
    if (this.closed) return;
    if (this.failedAttempts >= (this.options.maxReconnectAttempts ?? 100)) {
      for (const id of [...this.pending.keys()]) {
        this.settle(id, err({ code: 'unreachable', message: 'reconnect attempts exhausted' }));
      }
      this.failedAttempts = 0;
      return; // the next request starts a new round of attempts
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const initialMs = this.options.reconnectInitialDelayMs ?? 10;
    const maxMs = this.options.reconnectMaxDelayMs ?? 500;
    const exponent = Math.min(this.failedAttempts, 16);
    const delayMs = Math.min(maxMs, initialMs * 2 ** exponent);
    const jitteredMs = delayMs / 2 + Math.random() * (delayMs / 2);
    this.reconnectTimer = setTimeout(() => this.connect(), jitteredMs);
    this.reconnectTimer.unref();
  }
}
