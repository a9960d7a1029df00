/**
 * Runs harness scenarios: picks the accelerator once (a real KVM boot, else TCG; or what the
 * hosts file demands), makes sure the guest image is built, then runs each scenario with its own
 * work directory and Teardown. An exception escaping a scenario becomes a failed check; a
 * teardown that leaves something behind is a failed check too. Scenarios run one at a time (they
 * share 2 cores and the guest image; timings stay meaningful).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Teardown } from '../host/teardown.ts';
import { ensureGuestImage } from '../image/index.ts';
import {
  hostsFileSchema, type HarnessReport, type HostsFile, type ScenarioReport,
} from '../report.ts';
import { detectAccel, findFirecracker, vmConfigSchema, type Accel } from '../vmm/index.ts';
import type { Scenario, ScenarioName } from './types.ts';

export interface HarnessRunOptions {
  readonly scenarios: readonly Scenario[];
  readonly long?: boolean;
  readonly hosts?: HostsFile;
  readonly destructive?: boolean;
  /** Inject this bug into the one scenario that lists it. */
  readonly inject?: { scenario: ScenarioName; bug: string };
  /** Progress lines for a person (the CLI prints them on stderr on a terminal). */
  readonly progress?: (line: string) => void;
  /** Where scenario work directories go (default: the OS temp dir). */
  readonly workRoot?: string;
}

type RunError = { code: string; message: string };

export async function runHarness(options: HarnessRunOptions): Promise<HarnessReport> {
  const startedMs = Date.now();
  const progress = options.progress ?? (() => undefined);
  const hosts = options.hosts ?? hostsFileSchema.parse({});
  const firecracker = options.hosts?.firecracker ?? findFirecracker();
  const skipped = [{ what: 'firecracker VMM', why: firecracker === null
    ? 'no firecracker binary here (PATH or the hosts file): the scenarios use QEMU; the '
      + 'Firecracker adapter\'s API requests are unit-tested only'
    : `firecracker found at ${firecracker}, but the scenarios boot QEMU only: a Firecracker Vmm `
      + '(ELF vmlinux, virtio-mmio, agent on the console) is not written yet' }];
  const base = { long: options.long ?? false, ...(options.inject ? { inject: options.inject }
    : {}), skipped };
  const done = (accel: Accel | null, scenarios: ScenarioReport[], errors: RunError[]):
    HarnessReport => ({
    ok: errors.length === 0 && scenarios.every((s) => s.ok), accel, scenarios, ...base,
    ...(errors.length > 0 ? { errors } : {}), elapsedMs: Date.now() - startedMs,
  });

  progress('guest image: building or reusing the cached one');
  const image = await ensureGuestImage();
  if (!image.ok) return done(null, [], [{ code: image.error.code, message: image.error.message }]);
  const chosen = await chooseAccel(hosts, image.value.kernelPath, image.value.initrdPath);
  if (!chosen.ok) return done(null, [], [chosen.error]);
  const accel = chosen.accel;
  progress(`accelerator: ${accel}`);

  const reports: ScenarioReport[] = [];
  for (const scenario of options.scenarios) {
    const inject = options.inject?.scenario === scenario.name ? options.inject.bug : undefined;
    progress(`${scenario.name}: start${inject === undefined ? '' : ` (injected bug ${inject})`}`);
    const report = await runOne(scenario, { accel, hosts, inject, progress,
      long: options.long ?? false, destructive: options.destructive ?? false,
      workRoot: options.workRoot ?? os.tmpdir() });
    progress(`${scenario.name}: ${report.ok ? 'ok' : 'FAILED'} in `
      + `${Math.round((report.figures.scenarioMs ?? 0) / 100) / 10} s`);
    reports.push(report);
  }
  return done(accel, reports, []);
}

async function chooseAccel(hosts: HostsFile, kernelPath: string, initrdPath: string):
  Promise<{ ok: true; accel: Accel } | { ok: false; error: RunError }> {
  if (hosts.kvm === false) return { ok: true, accel: 'tcg' };
  const config = vmConfigSchema.parse({ kernelPath, initrdPath });
  const found = await detectAccel(config);
  if (!found.ok) return { ok: false, error: found.error };
  if (hosts.kvm === true && found.value.accel !== 'kvm') {
    const message = `the hosts file demands KVM, but a KVM boot failed: ${found.value.kvmReason}`;
    return { ok: false, error: { code: 'kvm-unusable', message } };
  }
  return { ok: true, accel: found.value.accel };
}

type OneOptions = {
  accel: Accel; hosts: HostsFile; inject: string | undefined; long: boolean;
  destructive: boolean; workRoot: string; progress: (line: string) => void;
};

async function runOne(scenario: Scenario, o: OneOptions): Promise<ScenarioReport> {
  const startedMs = Date.now();
  const workDir = fs.mkdtempSync(path.join(o.workRoot, `plumbline-hw-${scenario.name}-`));
  const teardown = new Teardown();
  teardown.add(`remove ${workDir}`, async () => fs.rmSync(workDir, { recursive: true,
    force: true }), () => fs.rmSync(workDir, { recursive: true, force: true }));
  let report: ScenarioReport;
  try {
    report = await scenario.run({
      accel: o.accel, long: o.long, hosts: o.hosts, destructive: o.destructive,
      inject: o.inject, workDir, teardown,
      progress: (line) => o.progress(`${scenario.name}: ${line}`),
    });
  } catch (thrown) {
    const detail = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
    report = { name: scenario.name, ok: false, figures: {}, real: [], emulated: [],
      checks: [{ name: 'scenario runs to completion', ok: false, detail }] };
  }
  o.progress(`${scenario.name}: teardown`);
  await teardown.run();
  const teardownOk = teardown.failures.length === 0;
  const checks = [...report.checks, { name: 'teardown removes everything the scenario made',
    ok: teardownOk, detail: teardownOk ? 'every cleanup ran'
      : teardown.failures.join('; ').slice(0, 2_000) }];
  return { ...report, ok: report.ok && teardownOk, checks,
    figures: { ...report.figures, scenarioMs: Date.now() - startedMs } };
}
