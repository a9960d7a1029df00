/**
 * The sandbox-reuse harness scenario on real QEMU guests: one smoke run through `scenario.run`
 * must pass every check; then each injectable bug of the sheet must make it fail with a check
 * named after the property the bug violates. QEMU absent FAILS (never skips).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Teardown } from '../../../hw-harness/host/index.ts';
import { ensureGuestImage } from '../../../hw-harness/image/index.ts';
import { hostsFileSchema, type ScenarioReport } from '../../../hw-harness/report.ts';
import { scenario } from '../../../hw-harness/scenarios/sandbox-reuse/index.ts';
import {
  detectAccel, liveVmCount, vmConfigSchema, type Accel,
} from '../../../hw-harness/vmm/index.ts';

let accel: Accel;

beforeAll(async () => {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('QEMU is not installed: apt-get install -y qemu-system-x86 qemu-utils cpio');
  }
  const image = await ensureGuestImage();
  if (!image.ok) throw new Error(`guest image: ${image.error.message}`);
  const probed = await detectAccel(vmConfigSchema.parse({ kernelPath: image.value.kernelPath,
    initrdPath: image.value.initrdPath }));
  if (!probed.ok) throw new Error(`accelerator: ${probed.error.message}`);
  accel = probed.value.accel;
}, 300_000);

async function runScenario(inject?: string): Promise<{ report: ScenarioReport;
  leftovers: string[] }> {
  const teardown = new Teardown();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-sbx-scenario-'));
  try {
    const report = await scenario.run({ accel, long: false, hosts: hostsFileSchema.parse({}),
      destructive: false, inject, workDir, teardown, progress: () => undefined });
    await teardown.run();
    return { report, leftovers: [...teardown.failures, ...teardown.pending] };
  } finally {
    await teardown.run();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

const failed = (report: ScenarioReport): string =>
  report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('\n');

describe('sandbox-reuse scenario (QEMU sandboxes)', () => {
  it('passes every check in the smoke run and leaves no VM behind', async () => {
    const { report, leftovers } = await runScenario();
    console.log(`sandbox-reuse figures (${accel}): ${JSON.stringify(report.figures)}`);
    expect(failed(report)).toBe('');
    expect(report.ok).toBe(true);
    const names = report.checks.map((c) => c.name.split(':')[0]);
    for (const property of ['TenantIsolation', 'SingleUseReset', 'CredentialScope',
      'NoDoubleBooking']) {
      expect(names).toContain(property);
    }
    for (const figure of ['bootMs', 'cleanSnapshotMs', 'warmHitMs', 'provisionMs', 'resetMs',
      'snapshotBytes']) {
      expect(report.figures[figure]).toBeGreaterThan(0);
    }
    expect(report.real.join(' ')).toContain(`qemu-${accel}`);
    expect(leftovers).toEqual([]);
    expect(liveVmCount()).toBe(0);
  }, 240_000);

  for (const bug of scenario.bugs) {
    it(`fails naming ${bug.property} with ${bug.name} injected`, async () => {
      const { report } = await runScenario(bug.name);
      expect(report.ok).toBe(false);
      const failing = report.checks.filter((c) => !c.ok);
      expect(failing.length).toBeGreaterThan(0);
      expect(failing.every((c) => c.name.startsWith(`${bug.property}:`)), failed(report))
        .toBe(true);
      // Not only the cores' invariant: the audit of what happened in the guests fails too.
      expect(failing.some((c) => !c.name.includes('cores\' state'))).toBe(true);
      expect(liveVmCount()).toBe(0);
    }, 240_000);
  }
});
