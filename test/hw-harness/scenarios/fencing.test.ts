/**
 * The fencing scenario: its smoke through `scenario.run` must pass every check; with the sheet's
 * bug 1 (VolatileMaxEpoch) injected into the sled processes it must fail naming NoStaleWrite.
 * Needs root (netns, loop devices) and QEMU: without them it FAILS, it never skips.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../../spec/fencing/bugs/manifest.json' with { type: 'json' };
import { issuer, sled } from '../../../src/fencing/index.ts';
import { Teardown } from '../../../hw-harness/host/index.ts';
import { ensureGuestImage } from '../../../hw-harness/image/index.ts';
import { hostsFileSchema, type ScenarioReport } from '../../../hw-harness/report.ts';
import { detectAccel, vmConfigSchema, type Accel } from '../../../hw-harness/vmm/index.ts';
import { scenario } from '../../../hw-harness/scenarios/fencing/index.ts';
import { injectionFor } from '../../../hw-harness/scenarios/fencing/bugs.ts';
import { percentile } from '../../../hw-harness/scenarios/fencing/devices.ts';
import { loadSteps } from '../../../src/fencing/node/steps-module.ts';
import { sledSteps } from '../../../hw-harness/scenarios/fencing/volatile-max-epoch.ts';
import { issuerSteps } from '../../../hw-harness/scenarios/fencing/volatile-issuer.ts';

let accel: Accel | null = null;

async function pickAccel(): Promise<Accel> {
  if (accel !== null) return accel;
  const image = await ensureGuestImage();
  if (!image.ok) throw new Error(`guest image: ${image.error.message}`);
  const probed = await detectAccel(vmConfigSchema.parse({ kernelPath: image.value.kernelPath,
    initrdPath: image.value.initrdPath }));
  if (!probed.ok) throw new Error(`accelerator: ${probed.error.message}`);
  accel = probed.value.accel;
  return accel;
}

async function runOnce(inject?: string): Promise<ScenarioReport> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-fencing-test-'));
  const teardown = new Teardown();
  try {
    return await scenario.run({ accel: await pickAccel(), long: false,
      hosts: hostsFileSchema.parse({}), destructive: false, inject, workDir, teardown,
      progress: () => undefined });
  } finally {
    await teardown.run();
    expect(teardown.failures).toEqual([]);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

const failed = (report: ScenarioReport) => report.checks.filter((c) => !c.ok);

describe('fencing scenario: pure parts', () => {
  it('lists sheet bugs by their manifest names and properties', () => {
    for (const bug of scenario.bugs) {
      const entry = manifest.find((m) => m.module === `${bug.name}.tla`);
      expect(entry?.expected).toBe(bug.property);
      const modules = Object.values(injectionFor(bug.name) ?? {});
      expect(modules.length).toBe(1);
      expect(modules[0]).toMatch(/\.ts$/);
    }
    expect(injectionFor(undefined)).toEqual({});
    expect(injectionFor('NoSuchBug')).toBeNull();
  });

  it('the injected SledRestart forgets maxEpoch but keeps the blocks', () => {
    const block = { epoch: 2, seq: 7, val: 'v' };
    const durable = { extents: { 'vol-1/0': { maxEpoch: 3, block } } };
    const config = { id: 's', key: new Uint8Array(32) };
    const buggy = sledSteps.sledRestart!(config, durable);
    expect(buggy.durable.extents['vol-1/0']).toEqual({ maxEpoch: 0, block });
    expect(sled.sledRestart(config, durable).durable.extents['vol-1/0']?.maxEpoch).toBe(3);
  });

  it('the injected Grant answers but never persists its counter', () => {
    const state = issuer.initIssuer({ id: 'i', key: new Uint8Array(32) });
    const input = { volume: 'vol-1', extent: '0', holder: 'head-a' };
    const correct = issuer.grant(state, input).effects.map((e) => e.type);
    const buggy = issuerSteps.grant!(state, input).effects.map((e) => e.type);
    expect(correct).toEqual(['persist', 'send']);
    expect(buggy).toEqual(['send']);
  });

  it('a role\'s steps module replaces only the steps it names, and is checked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-steps-'));
    const module = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const defaults = { a: () => 'a', b: () => 'b' };
    expect(await loadSteps(undefined, 'steps', defaults)).toEqual({ ok: true, value: defaults });
    const good = await loadSteps(module('good.mjs', 'export const steps = { b: () => "B" };'),
      'steps', defaults);
    expect(good.ok && [good.value.a(), good.value.b()]).toEqual(['a', 'B']);
    const unknown = await loadSteps(module('u.mjs', 'export const steps = { c: () => 1 };'),
      'steps', defaults);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad-steps-module' } });
    const missing = await loadSteps(module('m.mjs', 'export const other = {};'), 'steps',
      defaults);
    expect(missing.ok).toBe(false);
    expect((await loadSteps(path.join(dir, 'absent.mjs'), 'steps', defaults)).ok).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('percentile picks from the sorted samples', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('fencing scenario on netns, loop devices and a QEMU guest', () => {
  it('smoke: every check passes', async () => {
    const report = await runOnce();
    console.log(`fencing figures: ${JSON.stringify(report.figures)}`);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name.split(':')[0])).toEqual(expect.arrayContaining([
      'NoStaleWrite', 'AckedWritesSurvive', 'OneWriterPerEpoch', 'ReadsSeeLatestAck',
      'MigrationExclusive', 'EpochsMonotonic']));
    for (const figure of ['failoverMs', 'writesPerS', 'fdatasyncMsP50', 'migrationMs']) {
      expect(report.figures[figure]).toBeGreaterThan(0);
    }
  }, 120_000);

  it('with VolatileMaxEpoch injected it fails, naming NoStaleWrite', async () => {
    const report = await runOnce('VolatileMaxEpoch');
    expect(report.ok).toBe(false);
    const names = failed(report).map((c) => c.name);
    expect(names.some((n) => n.startsWith('NoStaleWrite'))).toBe(true);
    expect(failed(report).find((c) => c.name.startsWith('NoStaleWrite'))?.detail)
      .toMatch(/sled-3 block \d+: extent 0 epoch 2 < 3/);
  }, 120_000);

  it('with VolatileIssuer injected it fails, naming OneWriterPerEpoch', async () => {
    const report = await runOnce('VolatileIssuer');
    expect(report.ok).toBe(false);
    const check = failed(report).find((c) => c.name.startsWith('OneWriterPerEpoch'));
    expect(check?.detail).toMatch(/^\d+@1: head-a and head-b/);
  }, 120_000);
});
