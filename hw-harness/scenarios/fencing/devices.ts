/**
 * The sleds' block devices: NVMe namespaces when the hosts file names some AND `--destructive`
 * was given (the used region is zeroed first), else loop devices over temp files, else plain
 * files (the report says so). Plus a calibration device of the same kind on which the harness
 * times the node driver's durable write (pwrite + fdatasync of one 4 KiB block) directly.
 */
import path from 'node:path';
import {
  fileTarget,
  listNvmeNamespaces,
  loopTarget,
  nvmeTarget,
  type BlockTarget,
} from '../../block/index.ts';
import type { Teardown } from '../../host/teardown.ts';
import { err, ok, type HarnessError, type Result } from '../../run.ts';
import type { ScenarioContext } from '../types.ts';
import type { SledDevice } from './cluster.ts';

export const BLOCK_BYTES = 4096;

export type Devices = { kind: BlockTarget['kind']; sleds: SledDevice[]; calibration: BlockTarget;
  why: string | null };

/** `count` sled devices plus one calibration device, each of `bytes`. */
export async function makeDevices(ctx: ScenarioContext, names: string[], bytes: number):
  Promise<Result<Devices, HarnessError>> {
  const maxBlocks = Math.floor(bytes / BLOCK_BYTES);
  const nvme = nvmeDevices(ctx, names.length + 1);
  let targets: BlockTarget[] | null = nvme;
  let why: string | null = null;
  if (targets === null && ctx.hosts.loopDevices) {
    const loops = await loopDevices(ctx.workDir, names.length + 1, bytes, ctx.teardown);
    if (loops.ok) targets = loops.value;
    else why = `loop devices unavailable (${loops.error.message}): plain files used`;
  } else if (targets === null) {
    why = 'the hosts file allows no loop devices: plain files used';
  }
  if (targets === null) {
    const files: BlockTarget[] = [];
    for (let i = 0; i <= names.length; i++) {
      const file = fileTarget(path.join(ctx.workDir, `dev-${i}.img`), bytes);
      if (!file.ok) return file;
      files.push(file.value);
    }
    targets = files;
  }
  if (nvme !== null) {
    const zeroed = zeroRegions(nvme, bytes);
    if (!zeroed.ok) return zeroed;
  }
  const [calibration, ...rest] = targets;
  if (calibration === undefined) throw new Error('assertion failed: a calibration device');
  const sleds = names.map((sled, i): SledDevice => ({ sled, dataPath: rest[i]!.path,
    maxBlocks: Math.min(maxBlocks, Math.floor(rest[i]!.bytes / BLOCK_BYTES)),
    destructive: rest[i]!.kind !== 'file' }));
  return ok({ kind: calibration.kind, sleds, calibration, why });
}

/** NVMe namespaces named in the hosts file and present, only with --destructive. */
function nvmeDevices(ctx: ScenarioContext, count: number): BlockTarget[] | null {
  if (!ctx.destructive || ctx.hosts.nvmeNamespaces.length < count) return null;
  const present = listNvmeNamespaces();
  const chosen = ctx.hosts.nvmeNamespaces.slice(0, count)
    .map((p) => present.find((n) => n.devicePath === p));
  if (chosen.some((n) => n === undefined)) return null;
  return chosen.map((n) => nvmeTarget(n!));
}

async function loopDevices(dir: string, count: number, bytes: number, teardown: Teardown):
  Promise<Result<BlockTarget[], HarnessError>> {
  const targets: BlockTarget[] = [];
  for (let i = 0; i < count; i++) {
    const loop = await loopTarget(path.join(dir, `loop-${i}.img`), bytes);
    if (!loop.ok) return loop;
    const target = loop.value;
    teardown.add(`loop ${target.path}`, () => target.release());
    targets.push(target);
  }
  return ok(targets);
}

/** Zero the log region of each NVMe namespace (an old log there would be recovered). */
function zeroRegions(targets: BlockTarget[], bytes: number): Result<void, HarnessError> {
  const zero = new Uint8Array(BLOCK_BYTES);
  for (const target of targets) {
    const device = target.open({ destructive: true });
    if (!device.ok) return err({ code: 'io-failed', message: device.error.message });
    try {
      for (let i = 0; i < Math.floor(bytes / BLOCK_BYTES); i++) {
        const written = device.value.writeBlock(i, zero);
        if (!written.ok) return err({ code: 'io-failed', message: written.error.message });
      }
    } finally {
      device.value.close();
    }
  }
  return ok(undefined);
}

/** Time `samples` durable 4 KiB writes (pwrite + fdatasync) on the calibration device. */
export function timeDurableWrites(target: BlockTarget, samples: number):
  Result<number[], HarnessError> {
  const device = target.open({ destructive: true });
  if (!device.ok) return err({ code: 'io-failed', message: device.error.message });
  const block = new Uint8Array(BLOCK_BYTES).fill(0x5a);
  const timesMs: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const startedMs = performance.now();
      const written = device.value.writeBlock(i, block);
      if (!written.ok) return err({ code: 'io-failed', message: written.error.message });
      timesMs.push(performance.now() - startedMs);
    }
  } finally {
    device.value.close();
  }
  return ok(timesMs);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
