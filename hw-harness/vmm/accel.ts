/**
 * Which accelerator runs here: KVM only if a real boot under `-accel kvm` reaches the guest
 * agent in time (on these machines /dev/kvm exists but runs only paravirtual guests, so a stock
 * kernel hangs), otherwise TCG. The answer is kept for the life of the process, and on disk
 * (`<cache>/accel/<key>.json`) for the same host boot (/proc/sys/kernel/random/boot_id), QEMU
 * version and guest image, so later processes reuse the real boot's verdict.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultCacheRoot } from '../image/build.ts';
import { ok, runCommand, type HarnessError, type Result } from '../run.ts';
import { accelSchema, type VmConfig } from './types.ts';

export const KVM_PROBE_TIMEOUT_MS = 15_000;

export const accelProbeSchema = z.object({
  accel: accelSchema,
  kvmUsable: z.boolean(),
  /** Why KVM was not used (absent when it was). */
  kvmReason: z.string().optional(),
  kvmBootMs: z.number().optional(),
  /** When the real boot ran (ISO time); a later process may reuse it. */
  probedAt: z.string(),
});
export type AccelProbe = z.infer<typeof accelProbeSchema>;

let remembered: AccelProbe | null = null;

export function kvmDeviceOpenable(): boolean {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** Probe once per process (a real boot under KVM with a timeout); TCG when KVM fails. */
export async function detectAccel(
  config: VmConfig,
  timeoutMs = KVM_PROBE_TIMEOUT_MS,
): Promise<Result<AccelProbe, HarnessError>> {
  if (remembered !== null) return ok(remembered);
  const file = await cacheFile(config);
  remembered = readProbe(file) ?? (await probeKvm(config, timeoutMs));
  writeProbe(file, remembered);
  return ok(remembered);
}

async function cacheFile(config: VmConfig): Promise<string> {
  const version = await runCommand(['qemu-system-x86_64', '--version'], { timeoutMs: 15_000 });
  let bootId = 'unknown';
  try {
    bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // no boot id: the key still separates QEMU versions and images
  }
  const parts = [bootId, version.ok ? version.value.stdout : '', config.kernelPath,
    config.initrdPath];
  const key = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  return path.join(defaultCacheRoot(), 'accel', `${key}.json`);
}

function readProbe(file: string): AccelProbe | null {
  try {
    const parsed = accelProbeSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function writeProbe(file: string, found: AccelProbe): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(found)}\n`);
  } catch {
    // a cache that cannot be written only costs a probe next time
  }
}

async function probeKvm(config: VmConfig, timeoutMs: number): Promise<AccelProbe> {
  if (!kvmDeviceOpenable()) {
    const kvmReason = '/dev/kvm missing or not openable';
    return { accel: 'tcg', kvmUsable: false, kvmReason, probedAt: new Date().toISOString() };
  }
  const { bootWith } = await import('./qemu-vmm.ts');
  const startedMs = Date.now();
  const probeConfig = { ...config, disks: [], network: 'none' as const, forwards: [] };
  const booted = await bootWith(probeConfig, 'kvm', timeoutMs);
  const probedAt = new Date().toISOString();
  if (!booted.ok) {
    return { accel: 'tcg', kvmUsable: false, kvmReason: booted.error.message, probedAt };
  }
  await booted.value.destroy();
  return { accel: 'kvm', kvmUsable: true, kvmBootMs: Date.now() - startedMs, probedAt };
}

/** Forget the probe in this process (the next detectAccel reads the disk cache or boots). */
export function forgetAccelProbe(): void {
  remembered = null;
}
