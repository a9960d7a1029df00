/**
 * The sled controller process: the core `sled` (src/fencing/sled.ts) on a real file or device.
 * Each Fence / Write frame is one call of `sledFence` / `sledWrite`; the effects run in order:
 *   writeBlock -> append the block (block-log.ts layout), pwrite + fdatasync
 *   persist    -> make the core's durable state durable before anything later is sent; the
 *                 blocks are already on the device, so only a maxEpoch that neither the state
 *                 file nor a block on the device already proves is written (DurableState,
 *                 fdatasync). A Write of the current epoch thus costs one fdatasync, as a plain
 *                 replicated block store does.
 *   send       -> the answer frame to the head (the request's connection)
 *   refused    -> a `Refused` answer; the core counted it
 * All I/O is synchronous, so requests are handled one at a time, each to completion.
 *
 * The core steps (sledRestart, sledFence, sledWrite) can be replaced through the `stepsModule`
 * argument (composition: tests and the harness wrap a step there; the core stays as it is).
 *
 * Run: node --import tsx sled-main.ts '<json args>'  (the MAC key comes in the environment
 * variable PLUMBLINE_FENCING_KEY as hex, never on the command line).
 */
import path from 'node:path';
import type { z } from 'zod';
import { sled as core, type SledDurable, type SledEffect, type SledState } from '../index.ts';
import {
  announceReady,
  BlockDevice,
  DurableState,
  exitWithParent,
  parseRoleArgs,
  startFrameServer,
} from '../../runtime/node/index.ts';
import { keyFromEnv, sledArgsSchema, type SledSteps } from './roles.ts';
import { loadSteps } from './steps-module.ts';
import {
  encodeLogBlock,
  extentKeyOf,
  extentNumberOf,
  scanLog,
  sledStateSchema,
  type SledStateFile,
} from './block-log.ts';
import {
  sledRequestSchema,
  type SledReply,
  type SledRequest,
  type SledStats,
} from './wire.ts';

const CORE_STEPS: SledSteps = { sledRestart: core.sledRestart, sledFence: core.sledFence,
  sledWrite: core.sledWrite };

type Sled = {
  steps: SledSteps;
  volume: string;
  core: SledState;
  file: DurableState<SledStateFile>;
  device: BlockDevice;
  nextIndex: number;
  maxBlocks: number;
  /** Per extent key: the epoch of its newest block on the device. */
  deviceEpoch: Map<string, number>;
  stats: Omit<SledStats, 'type' | 'badMacCount'>;
};

function fail(message: string, code: number): never {
  process.stderr.write(`sled: ${message}\n`);
  process.exit(code);
}

function openSled(args: z.infer<typeof sledArgsSchema>, key: Uint8Array,
  steps: SledSteps): Sled {
  const file = DurableState.open(args.statePath, sledStateSchema, { maxEpoch: {}, logBlocks: 0 });
  if (!file.ok) fail(file.error.message, 3);
  const device = BlockDevice.open(args.dataPath, { destructive: args.destructive });
  if (!device.ok) fail(device.error.message, 3);
  const scanned = scanLog(device.value, args.maxBlocks);
  if (!scanned.ok) fail(scanned.error.message, 3);
  // Recovery (spec SledRestart): durable = the state file's maxEpoch and the device's blocks.
  const extents: Record<string, SledDurable['extents'][string]> = {};
  const deviceEpoch = new Map<string, number>();
  for (const { extent, block } of scanned.value.entries) {
    const k = extentKeyOf(args.volume, extent);
    extents[k] = { maxEpoch: Math.max(extents[k]?.maxEpoch ?? 0, block.epoch), block };
    deviceEpoch.set(k, block.epoch);
  }
  for (const [k, epoch] of Object.entries(file.value.value.maxEpoch)) {
    const ext = extents[k];
    extents[k] = { maxEpoch: Math.max(ext?.maxEpoch ?? 0, epoch),
      block: ext?.block ?? { epoch: 0, seq: 0, val: null } };
  }
  return {
    steps,
    volume: args.volume,
    core: steps.sledRestart({ id: args.name, key }, { extents }),
    file: file.value,
    device: device.value,
    nextIndex: scanned.value.nextIndex,
    maxBlocks: args.maxBlocks,
    deviceEpoch,
    stats: { blocksWritten: 0, blockSyncs: 0, statePersists: 0, persistsCovered: 0, requests: 0 },
  };
}

function writeBlock(s: Sled, key: string, effect: Extract<SledEffect, { type: 'writeBlock' }>) {
  const extent = extentNumberOf(s.volume, key);
  if (extent === null) throw new Error(`assertion failed: extent ${key} was checked`);
  if (s.nextIndex >= s.maxBlocks) fail('device full', 5);
  const written = s.device.writeBlock(s.nextIndex, encodeLogBlock({ extent,
    block: effect.block }));
  if (!written.ok) fail(written.error.message, 5);
  s.nextIndex += 1;
  s.deviceEpoch.set(key, effect.block.epoch);
  s.stats.blocksWritten += 1;
  s.stats.blockSyncs += 1;
}

/** Make `durable` durable: its blocks are on the device; write any maxEpoch not yet proven. */
function persist(s: Sled, durable: SledDurable): void {
  const stored = s.file.value.maxEpoch;
  const raised: Record<string, number> = {};
  for (const [k, ext] of Object.entries(durable.extents)) {
    const proven = Math.max(stored[k] ?? 0, s.deviceEpoch.get(k) ?? 0);
    if (ext.maxEpoch > proven) raised[k] = ext.maxEpoch;
    if (ext.block.epoch !== (s.deviceEpoch.get(k) ?? 0) && ext.block.epoch !== 0) {
      throw new Error(`assertion failed: the block of ${k} is on the device before persist`);
    }
  }
  if (Object.keys(raised).length === 0) {
    s.stats.persistsCovered += 1;
    return;
  }
  const next = { maxEpoch: { ...stored, ...raised }, logBlocks: s.nextIndex };
  const written = s.file.write(next);
  if (!written.ok) fail(written.error.message, 5);
  s.stats.statePersists += 1;
}

/** Run the core's effects in order; the answer is what the core sent (or its refusal). */
function perform(s: Sled, effects: SledEffect[]): SledReply {
  let reply: SledReply | null = null;
  for (const effect of effects) {
    switch (effect.type) {
      case 'writeBlock':
        writeBlock(s, effect.extent, effect);
        break;
      case 'persist':
        persist(s, effect.durable);
        break;
      case 'send': {
        const m = effect.msg;
        if (m.type !== 'FenceAck' && m.type !== 'WriteAck' && m.type !== 'Fenced') {
          throw new Error(`assertion failed: a sled sends answers only, not ${m.type}`);
        }
        reply = m;
        break;
      }
      case 'refused':
        reply = { type: 'Refused', sled: s.core.config.id, code: effect.code,
          message: effect.message };
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  if (reply === null) throw new Error('assertion failed: every sled step answers');
  return reply;
}

function handle(s: Sled, request: SledRequest): SledReply {
  s.stats.requests += 1;
  if (request.type === 'GetStats') {
    return { type: 'SledStats', badMacCount: s.core.volatile.badMacCount, ...s.stats };
  }
  const cred = request.credential;
  if (cred.volume !== s.volume || extentNumberOf(s.volume, `${cred.volume}/${cred.extent}`)
    === null) {
    return { type: 'Refused', sled: s.core.config.id, code: 'BAD_EXTENT',
      message: `this sled holds volume ${s.volume}, extents 0..65535` };
  }
  const step = request.type === 'Fence' ? s.steps.sledFence(s.core, request)
    : s.steps.sledWrite(s.core, request);
  s.core = step.state;
  return perform(s, step.effects);
}

async function main(): Promise<void> {
  const args = parseRoleArgs(sledArgsSchema);
  if (!args.ok) fail(args.error.message, 2);
  const key = keyFromEnv();
  if (key === null) fail('the MAC key must be 32 bytes of hex in the environment', 2);
  exitWithParent();
  const steps = await loadSteps(args.value.stepsModule, 'sledSteps', CORE_STEPS);
  if (!steps.ok) fail(steps.error.message, 2);
  const s = openSled(args.value, key, steps.value);
  const server = await startFrameServer({
    host: args.value.host,
    port: args.value.port,
    requestSchema: sledRequestSchema,
    handle: (request) => handle(s, request),
  });
  if (!server.ok) fail(server.error.message, 4);
  announceReady({ port: server.value.port, logBlocks: s.nextIndex,
    dataPath: path.resolve(args.value.dataPath) });
}

await main();
