/**
 * `TxnClient.transact` resolves before its deadline even when no proposer ever tells an
 * outcome. Regression: the client used to tick its core only once, at the deadline; that
 * tick only gave up (the core resolves `in-doubt` at a tick after the give-up), so a
 * transaction nobody answered hung forever (seen once in CI as a 120 s test timeout).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TxnClient } from '../../src/consensus/node/index.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A proposer that accepts connections and never answers. */
async function silentProposer(): Promise<number> {
  const server = createServer((socket) => { sockets.push(socket); socket.on('data', () => {}); });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('assertion: tcp address');
  return address.port;
}

const OPS = [
  { group: 'g1', key: 'a', delta: -1 },
  { group: 'g2', key: 'b', delta: 1 },
];
const hung = Symbol('hung');
const within = <T>(p: Promise<T>, ms: number): Promise<T | typeof hung> =>
  Promise.race([p, new Promise<typeof hung>((r) => setTimeout(() => r(hung), ms))]);

describe('TxnClient deadline', () => {
  it('resolves in-doubt before the deadline when the proposer never answers', async () => {
    const port = await silentProposer();
    const client = new TxnClient([{ id: 'p1', host: '127.0.0.1', port }], 'dl');
    const t0 = Date.now();
    const r = await within(client.transact(OPS, { timeoutMs: 400, marginMs: 50 }), 3_000);
    const elapsedMs = Date.now() - t0;
    expect(r).not.toBe(hung);
    if (r === hung || !r.ok) throw new Error('assertion: resolved ok');
    expect(r.value).toMatchObject({ outcome: 'in-doubt', decided: false });
    expect(elapsedMs).toBeLessThan(400);
    await client.close();
  });

  it('resolves every one of several overlapping transactions', async () => {
    const port = await silentProposer();
    const client = new TxnClient([{ id: 'p1', host: '127.0.0.1', port }], 'dl2');
    const all = Promise.all([300, 350, 500].map((timeoutMs) =>
      client.transact(OPS, { timeoutMs, marginMs: 50 })));
    const r = await within(all, 3_000);
    expect(r).not.toBe(hung);
    if (r === hung) throw new Error('assertion: resolved');
    expect(r.map((x) => x.ok && x.value.outcome)).toEqual(['in-doubt', 'in-doubt', 'in-doubt']);
    await client.close();
  });

  it('close() resolves a pending transaction instead of leaving it hanging', async () => {
    const port = await silentProposer();
    const client = new TxnClient([{ id: 'p1', host: '127.0.0.1', port }], 'dl3');
    const pending = client.transact(OPS, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    const r = await within(pending, 1_000);
    expect(r).not.toBe(hung);
    if (r === hung || !r.ok) throw new Error('assertion: resolved ok');
    expect(r.value.decided).toBe(false);
  });
});
