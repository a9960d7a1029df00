/**
 * The host-side peer of instance connections: a TCP server that learns which instance and
 * connection each socket belongs to from its first line (`{"instanceId","slot","connectionId"}`)
 * and records when the host end is closed, so a caller can check that a close happened on both
 * ends (no half-open connection after a restore).
 */
import net from 'node:net';
import { z } from 'zod';
import { describeError, err, ok, type Result } from '../../runtime/node/index.ts';

const helloSchema = z.object({ instanceId: z.string(), slot: z.string(),
  connectionId: z.string() });
const MAX_HELLO_BYTES = 1024;

export type PeerConnection = {
  instanceId: string;
  slot: string;
  connectionId: string;
  /** The host end is still open. */
  open: boolean;
};

type Entry = PeerConnection & { socket: net.Socket; closed: Promise<void> };

export class PeerServer {
  private readonly entries = new Map<string, Entry>();
  private readonly sockets = new Set<net.Socket>();
  helloRejected = 0;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(host = '127.0.0.1'): Promise<Result<PeerServer, { code: 'listen-failed';
    message: string }>> {
    let peer: PeerServer | null = null;
    const server = net.createServer((socket) => peer?.accept(socket));
    const listened = await new Promise<Result<number, string>>((resolve) => {
      server.once('error', (e) => resolve(err(describeError(e))));
      server.listen(0, host, () => {
        const address = server.address();
        const hasPort = typeof address === 'object' && address !== null;
        resolve(hasPort ? ok(address.port) : err('no port'));
      });
    });
    if (!listened.ok) return err({ code: 'listen-failed', message: listened.error });
    peer = new PeerServer(server, listened.value);
    return ok(peer);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    void closed.then(() => this.sockets.delete(socket));
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const newline = buffered.indexOf('\n');
      if (newline < 0) {
        if (buffered.length > MAX_HELLO_BYTES) this.reject(socket);
        return;
      }
      socket.off('data', onData);
      const hello = helloSchema.safeParse(safeJson(buffered.slice(0, newline)));
      if (!hello.success) return this.reject(socket);
      const entry: Entry = { ...hello.data, open: true, socket, closed };
      this.entries.set(hello.data.connectionId, entry);
      void closed.then(() => { entry.open = false; });
      socket.on('data', () => undefined);
    };
    socket.on('data', onData);
    // The instance ended its side: end ours, so the connection is closed at both ends.
    socket.on('end', () => socket.end());
  }

  private reject(socket: net.Socket): void {
    this.helloRejected += 1;
    socket.destroy();
  }

  connections(instanceId?: string): PeerConnection[] {
    return [...this.entries.values()]
      .filter((e) => instanceId === undefined || e.instanceId === instanceId)
      .map(({ instanceId: i, slot, connectionId, open }) => ({ instanceId: i, slot,
        connectionId, open }));
  }

  openCount(instanceId?: string): number {
    return this.connections(instanceId).filter((c) => c.open).length;
  }

  /** Wait until the host end of each connection is closed; returns those still open. */
  async waitClosed(connectionIds: string[], timeoutMs: number): Promise<string[]> {
    const waits = connectionIds.map((id) => this.entries.get(id)?.closed ?? Promise.resolve());
    const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all(waits), timer]);
    return connectionIds.filter((id) => this.entries.get(id)?.open === true);
  }

  /** Close the host end of every connection of an instance (the host's half of terminate). */
  async closeFor(instanceId: string, timeoutMs = 2000): Promise<void> {
    const open = [...this.entries.values()].filter((e) => e.instanceId === instanceId && e.open);
    for (const e of open) e.socket.end();
    const force = setTimeout(() => open.forEach((e) => e.socket.destroy()), timeoutMs);
    await Promise.all(open.map((e) => e.closed));
    clearTimeout(force);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
