/**
 * Bench-only baseline for fencing's overhead: the same topology (client -> proxy -> 3 block
 * stores, acknowledged at W), the same transport (length-prefixed JSON frames over loopback
 * TCP), the same blocks (the cores' 4096-byte block format, appended to a log as the sleds do)
 * written with pwrite + fdatasync, but no
 * credentials, no MACs, no epochs, no fencing. Roles: `store` and `proxy` (argv[2] JSON).
 */
import { z } from 'zod';
import {
  announceReady,
  BlockDevice,
  exitWithParent,
  FrameClient,
  parseRoleArgs,
  startFrameServer,
} from '../src/runtime/node/index.ts';
import { encodeLogBlock } from '../src/fencing/node/index.ts';

export const storeWrite = z.object({ extent: z.number().int(), seq: z.number().int(),
  val: z.string().max(1024) });
export const storeAck = z.object({ type: z.literal('Ack'), store: z.string() });
export const proxyWrite = z.object({ extent: z.number().int(), val: z.string().max(1024) });
export const proxyAck = z.object({ type: z.literal('Acked'), seq: z.number().int() });

const argsSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('store'), name: z.string(), dataPath: z.string() }),
  z.object({ role: z.literal('proxy'), stores: z.array(z.number().int()),
    writeQuorum: z.number() }),
]);

async function store(name: string, dataPath: string): Promise<number> {
  const device = BlockDevice.open(dataPath);
  if (!device.ok) throw new Error(device.error.message);
  let next = 0;
  const server = await startFrameServer({
    requestSchema: storeWrite,
    handle: (w) => {
      const block = encodeLogBlock({ extent: w.extent, block: { epoch: 0, seq: w.seq,
        val: w.val } });
      const written = device.value.writeBlock(next++, block);
      if (!written.ok) throw new Error(written.error.message);
      return { type: 'Ack' as const, store: name };
    },
  });
  if (!server.ok) throw new Error(server.error.message);
  return server.value.port;
}

async function proxy(ports: number[], writeQuorum: number): Promise<number> {
  const clients = ports.map((port) => new FrameClient<z.infer<typeof storeWrite>,
    z.infer<typeof storeAck>>({ port, responseSchema: storeAck }));
  const seqs = new Map<number, number>();
  const server = await startFrameServer({
    requestSchema: proxyWrite,
    maxInFlightPerConnection: 1024,
    handle: (w) => new Promise<z.infer<typeof proxyAck>>((resolve, reject) => {
      const seq = (seqs.get(w.extent) ?? 0) + 1;
      seqs.set(w.extent, seq);
      let acks = 0;
      let answered = 0;
      for (const client of clients) {
        void client.request({ extent: w.extent, seq, val: w.val }).then((r) => {
          answered += 1;
          if (r.ok) acks += 1;
          if (acks === writeQuorum) resolve({ type: 'Acked', seq });
          if (answered === clients.length && acks < writeQuorum) reject(new Error('no quorum'));
        });
      }
    }),
  });
  if (!server.ok) throw new Error(server.error.message);
  return server.value.port;
}

const isMain = process.argv[1]?.endsWith('fencing-baseline.ts') === true;
if (isMain) {
  const args = parseRoleArgs(argsSchema);
  if (!args.ok) process.exit(2);
  exitWithParent();
  const a = args.value;
  const port = a.role === 'store' ? await store(a.name, a.dataPath)
    : await proxy(a.stores, a.writeQuorum);
  announceReady({ port });
}
