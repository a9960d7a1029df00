import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  encodeFrame,
  FrameClient,
  type FrameClientOptions,
  startFrameServer,
  type FrameServer,
} from '../../src/runtime/node/index.ts';

const req = z.object({ n: z.number().int(), delayMs: z.number().int().default(0) });
const res = z.object({ doubled: z.number().int() });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function server(port = 0, maxFrameBytes = 4096): Promise<FrameServer> {
  const started = await startFrameServer({
    port,
    maxFrameBytes,
    requestSchema: req,
    handle: async (r) => {
      if (r.delayMs > 0) await new Promise((done) => setTimeout(done, r.delayMs));
      if (r.n < 0) throw new Error('negative');
      return { doubled: r.n * 2 };
    },
  });
  if (!started.ok) throw new Error(started.error.message);
  closers.push(() => started.value.close());
  return started.value;
}

type Res = z.infer<typeof res>;
function client(port: number, extra: Partial<FrameClientOptions<Res>> = {}) {
  const c = new FrameClient<z.input<typeof req>, z.infer<typeof res>>({
    port,
    responseSchema: res,
    requestTimeoutMs: 1000,
    ...extra,
  });
  closers.push(() => c.close());
  return c;
}

function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', () => undefined);
  });
}

describe('tcp frames', () => {
  it('correlates concurrent requests answered out of order', async () => {
    const s = await server();
    const c = client(s.port);
    const delays = [50, 0, 30, 10, 0, 20];
    const results = await Promise.all(delays.map((d, i) => c.request({ n: i, delayMs: d })));
    expect(results.map((r) => (r.ok ? r.value.doubled : -1))).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('a handler failure is a remote-error value, and the server keeps serving', async () => {
    const s = await server();
    const c = client(s.port);
    const bad = await c.request({ n: -1 });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('remote-error');
    const good = await c.request({ n: 4 });
    expect(good.ok && good.value.doubled).toBe(8);
    expect(s.stats.handlerFailures).toBe(1);
  });

  it('garbage frames are counted and dropped; the connection survives', async () => {
    const s = await server();
    const sock = await rawSocket(s.port);
    const answers: Buffer[] = [];
    sock.on('data', (d: Buffer) => answers.push(d));
    const junk = Buffer.from('garbage!');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(junk.length, 0);
    const good = encodeFrame({ id: 7, body: { n: 21 } });
    const wrong = encodeFrame({ id: 8, body: { n: 'x' } });
    if (!good.ok || !wrong.ok) throw new Error('encode');
    sock.write(Buffer.concat([header, junk, wrong.value, good.value]));
    await new Promise((r) => setTimeout(r, 100));
    expect(s.stats.framesDropped).toBe(2);
    const text = Buffer.concat(answers).subarray(4).toString('utf8');
    expect(JSON.parse(text)).toEqual({ id: 7, body: { doubled: 42 } });
    expect(sock.destroyed).toBe(false);
    sock.destroy();
  });

  it('an oversized frame length closes that connection only', async () => {
    const s = await server(0, 256);
    const sock = await rawSocket(s.port);
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(10_000, 0);
    sock.write(header);
    await closed;
    expect(s.stats.connectionsClosedOversize).toBe(1);
    const c = client(s.port);
    const r = await c.request({ n: 1 });
    expect(r.ok && r.value.doubled).toBe(2);
  });

  it('times out a silent server, bounds its queue, reconnects after restart', async () => {
    const s = await server();
    const port = s.port;
    const c = client(port, { maxPending: 2, reconnectInitialDelayMs: 5 });
    const slow = await c.request({ n: 1, delayMs: 300 }, 50);
    expect(slow.ok ? 'ok' : slow.error.code).toBe('timeout');
    const a = c.request({ n: 1, delayMs: 50 });
    const b = c.request({ n: 2, delayMs: 50 });
    const full = await c.request({ n: 3 });
    expect(full.ok ? 'ok' : full.error.code).toBe('queue-full');
    expect((await a).ok && (await b).ok).toBe(true);
    await s.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(c.isConnected).toBe(false);
    await server(port);
    const again = await c.request({ n: 5 }, 2000);
    expect(again.ok && again.value.doubled).toBe(10);
    expect(c.stats.connects).toBeGreaterThanOrEqual(2);
  });

  it('close fails pending requests with closed', async () => {
    const s = await server();
    const c = client(s.port);
    const pending = c.request({ n: 1, delayMs: 500 });
    await new Promise((r) => setTimeout(r, 20));
    await c.close();
    const r = await pending;
    expect(r.ok ? 'ok' : r.error.code).toBe('closed');
  });
});
