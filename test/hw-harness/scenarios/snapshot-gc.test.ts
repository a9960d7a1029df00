/**
 * The snapshot-gc scenario's smoke, once, on real QEMU guests (TCG here): GcHost over the QEMU
 * backend, one cold boot, a ready snapshot, a GC by restore and a second guest from the same
 * snapshot. Without QEMU this FAILS with the install command (it never skips). The injected-bug
 * runs take as long as the smoke, so they are shown by `npx plumbline harness snapshot-gc --inject BUG` instead.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Teardown } from '../../../hw-harness/host/teardown.ts';
import { ensureGuestImage } from '../../../hw-harness/image/index.ts';
import { hostsFileSchema, type ScenarioReport } from '../../../hw-harness/report.ts';
import { scenario } from '../../../hw-harness/scenarios/snapshot-gc/index.ts';
import {
  destroyAllVms, detectAccel, liveVmCount, vmConfigSchema,
} from '../../../hw-harness/vmm/index.ts';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-snapshot-gc-'));

function requireQemu(): void {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('QEMU is not installed: apt-get install -y qemu-system-x86 qemu-utils cpio');
  }
}

afterAll(async () => {
  await destroyAllVms();
  fs.rmSync(workDir, { recursive: true, force: true });
});

const PROPERTIES = ['CleanAfterRestore', 'PreservedStateIntact', 'NoHalfOpenConnection',
  'UniqueAfterRestore', 'NoRestoreDuringExecution', 'RestoreVsBootSpeedup'];
const FIGURES = ['coldBootToReadyMs', 'restoreToReadyMs', 'restoreVsBootSpeedup', 'snapshotMs',
  'snapshotBytes', 'gcPauseMs', 'memoryBeforeGcBytes', 'memoryAfterGcBytes'];

describe('snapshot-gc scenario (smoke, real QEMU)', () => {
  it('runs the GC host over QEMU guests and every check passes', async () => {
    requireQemu();
    const image = await ensureGuestImage();
    if (!image.ok) throw new Error(image.error.message);
    const accel = await detectAccel(vmConfigSchema.parse({ kernelPath: image.value.kernelPath,
      initrdPath: image.value.initrdPath }));
    if (!accel.ok) throw new Error(accel.error.message);
    const teardown = new Teardown();
    let report: ScenarioReport;
    try {
      report = await scenario.run({ accel: accel.value.accel, long: false,
        hosts: hostsFileSchema.parse({}), destructive: false, inject: undefined, workDir,
        teardown, progress: () => undefined });
    } finally {
      await teardown.run();
    }
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    console.log(`snapshot-gc figures: ${JSON.stringify(report.figures)}`);
    expect(failed, failed.join('\n')).toEqual([]);
    expect(report.ok).toBe(true);
    for (const property of PROPERTIES) {
      expect(report.checks.some((c) => c.name.startsWith(property)), property).toBe(true);
    }
    for (const figure of FIGURES) expect(report.figures[figure], figure).toBeGreaterThan(0);
    expect(report.figures.memoryAfterGcBytes).toBeLessThan(report.figures.memoryBeforeGcBytes!);
    expect(report.real.some((r) => r.startsWith(`qemu-${accel.value.accel}`))).toBe(true);
    expect(teardown.failures).toEqual([]);
    expect(liveVmCount()).toBe(0);
  }, 240_000);
});
