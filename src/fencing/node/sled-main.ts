/**
 * The sled controller process: owns a file (or device) of blocks and serves Fence and Write
 * frames. Per extent it keeps maxEpoch durable (DurableState, fdatasync) BEFORE it answers,
 * logs a fence marker block whenever it accepts a higher epoch, and appends every performed
 * write as a data block (pwrite + fdatasync). All I/O is synchronous, so requests are handled
 * one at a time, in arrival order, each to completion.
 *
 * Run: node --import tsx sled-main.ts '<json args>'  (the MAC key comes in the environment
 * variable PLUMBLINE_FENCING_KEY as hex, never on the command line).
 */
import path from 'node:path';
import { z } from 'zod';
import {
  announceReady,
  BlockDevice,
  DurableState,
  exitWithParent,
  parseRoleArgs,
  startFrameServer,
} from '../../runtime/node/index.ts';
import { keyFromEnv, sledArgsSchema } from './roles.ts';
import { encodeLogBlock, latestBlocks, scanLog } from './block-log.ts';
import {
  EMPTY_BLOCK,
  sledFence,
  sledRequestSchema,
  sledWrite,
  CredentialVerifier,
  type Block,
  type SledEffect,
  type SledReply,
  type SledRequest,
} from './protocol.ts';

const durableSchema = z.object({ maxEpoch: z.record(z.string(), z.number().int().nonnegative()) });
type Durable = z.infer<typeof durableSchema>;

type Sled = {
  name: string;
  verifier: CredentialVerifier;
  durable: DurableState<Durable>;
  device: BlockDevice;
  nextIndex: number;
  maxBlocks: number;
  latest: Map<number, Block>;
  badCredentials: number;
};

function fail(message: string, code: number): never {
  process.stderr.write(`sled: ${message}\n`);
  process.exit(code);
}

function openSled(args: z.infer<typeof sledArgsSchema>, key: Uint8Array): Sled {
  const durable = DurableState.open(args.statePath, durableSchema, { maxEpoch: {} });
  if (!durable.ok) fail(durable.error.message, 3);
  const device = BlockDevice.open(args.dataPath, { destructive: args.destructive });
  if (!device.ok) fail(device.error.message, 3);
  const scanned = scanLog(device.value, args.maxBlocks);
  if (!scanned.ok) fail(scanned.error.message, 3);
  return {
    name: args.name,
    verifier: new CredentialVerifier(key),
    durable: durable.value,
    device: device.value,
    nextIndex: scanned.value.nextIndex,
    maxBlocks: args.maxBlocks,
    latest: latestBlocks(scanned.value.entries),
    badCredentials: 0,
  };
}

function append(sled: Sled, block: Buffer): void {
  if (sled.nextIndex >= sled.maxBlocks) fail('device full', 5);
  const written = sled.device.writeBlock(sled.nextIndex, block);
  if (!written.ok) fail(written.error.message, 5);
  sled.nextIndex += 1;
}

/** Interpret the effects in order: persist (durable) and block writes happen before the reply. */
function perform(sled: Sled, effects: SledEffect[]): SledReply {
  let reply: SledReply | null = null;
  for (const effect of effects) {
    switch (effect.type) {
      case 'persist': {
        const maxEpoch = { ...sled.durable.value.maxEpoch, [effect.extent]: effect.maxEpoch };
        const persisted = sled.durable.write({ maxEpoch });
        if (!persisted.ok) fail(persisted.error.message, 5);
        append(sled, encodeLogBlock({ kind: 'fence', extent: effect.extent,
          epoch: effect.maxEpoch, seq: 0, val: null }));
        break;
      }
      case 'write-block':
        append(sled, encodeLogBlock({ kind: 'data', extent: effect.extent, ...effect.block }));
        sled.latest.set(effect.extent, effect.block);
        break;
      case 'reply':
        reply = effect.reply;
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (reply === null) throw new Error('assertion failed: every sled step replies');
  return reply;
}

function handleSledRequest(sled: Sled, request: SledRequest): SledReply {
  const credential = request.credential;
  if (!sled.verifier.verify(credential)) {
    sled.badCredentials += 1;
    return { type: 'BadCredential', sled: sled.name };
  }
  const view = {
    maxEpoch: sled.durable.value.maxEpoch[String(credential.extent)] ?? 0,
    block: sled.latest.get(credential.extent) ?? EMPTY_BLOCK,
  };
  switch (request.type) {
    case 'Fence':
      return perform(sled, sledFence(sled.name, view, credential));
    case 'Write':
      return perform(sled, sledWrite(sled.name, view, credential, request));
    default: {
      const unreachable: never = request;
      throw new Error(`unknown request ${JSON.stringify(unreachable)}`);
    }
  }
}

async function main(): Promise<void> {
  const args = parseRoleArgs(sledArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail('the MAC key must be 32 bytes of hex in the environment', 2);
  exitWithParent();
  const sled = openSled(args.value, key);
  const server = await startFrameServer({
    port: args.value.port,
    requestSchema: sledRequestSchema,
    handle: (request) => handleSledRequest(sled, request),
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port, logBlocks: sled.nextIndex,
    dataPath: path.resolve(args.value.dataPath) });
}

await main();
