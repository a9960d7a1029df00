/**
 * `plumbline harness [scenario…] [--hosts FILE] [--probe] [--long] [--inject BUG]
 * [--destructive] [--json]`: the four protocol scenarios against real VMs, devices, processes
 * and network namespaces (hw-harness/). `--probe` reports what this machine offers instead.
 * `--json` prints one document (the harness or probe report); the exit code is 0 exactly when
 * its `ok` is true. An injected bug is expected to make its scenario fail (exit 1).
 */
import pc from 'picocolors';
import { probe } from '../../hw-harness/probe/index.ts';
import { readHostsFile, type HarnessReport, type ScenarioReport } from '../../hw-harness/report.ts';
import {
  isScenarioName, loadScenarios, runHarness, SCENARIO_NAMES, type Scenario, type ScenarioName,
} from '../../hw-harness/scenarios/index.ts';
import type { CliIo } from './main.ts';
import { UsageError } from './main.ts';
import { progressFor } from './progress.ts';

export interface HarnessCommandOptions {
  hosts?: string; probe?: boolean; long?: boolean; inject?: string; destructive?: boolean;
  json?: boolean;
}

export function parseScenarioNames(names: readonly string[]): ScenarioName[] {
  const unknown = names.filter((n) => !isScenarioName(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`);
  }
  return names.length === 0 ? [...SCENARIO_NAMES] : [...new Set(names as ScenarioName[])];
}

/** The scenario `--inject BUG` goes to: the one (among those run) that lists the bug. */
export function injectTarget(scenarios: readonly Scenario[], bug: string):
  { scenario: ScenarioName; bug: string } {
  const owners = scenarios.filter((s) => s.bugs.some((b) => b.name === bug));
  if (owners.length === 1) return { scenario: owners[0]!.name, bug };
  const known = scenarios.flatMap((s) => s.bugs.map((b) => `${b.name} (${s.name})`));
  throw new UsageError(owners.length === 0
    ? `--inject ${bug}: no scenario run here can inject it; injectable: ${known.join(', ')}`
    : `--inject ${bug}: ambiguous, name one scenario`);
}

export async function harnessCommand(names: string[], o: HarnessCommandOptions, io: CliIo):
  Promise<number> {
  const progress = progressFor();
  if (o.probe === true) {
    progress.update('probing: qemu, a KVM boot, loop devices, namespaces …');
    const found = await probe({ buildImage: true });
    progress.done();
    const ok = found.accel !== null;
    if (o.json) io.out(`${JSON.stringify({ ok, ...found })}\n`);
    else io.out(formatProbe(found, ok));
    return ok ? 0 : 1;
  }
  const chosen = parseScenarioNames(names);
  let hosts;
  if (o.hosts !== undefined) {
    const read = readHostsFile(o.hosts);
    if (!read.ok) throw new UsageError(read.error.message);
    hosts = read.value;
  }
  const scenarios = await loadScenarios(chosen);
  const inject = o.inject === undefined ? undefined : injectTarget(scenarios, o.inject);
  const report = await runHarness({
    scenarios, long: o.long === true, destructive: o.destructive === true, hosts, inject,
    progress: (line) => progress.log(line),
  });
  progress.done();
  io.out(o.json ? `${JSON.stringify(report)}\n` : formatHarnessReport(report));
  return report.ok ? 0 : 1;
}

function formatProbe(p: Awaited<ReturnType<typeof probe>>, ok: boolean): string {
  const yes = (b: boolean): string => (b ? pc.green('yes') : pc.yellow('no '));
  return [
    `qemu         ${p.qemu.binary ?? pc.red('missing')} ${p.qemu.version ?? ''}`,
    `accelerator  ${p.accel ?? pc.red('none')}`,
    `kvm          ${yes(p.kvm.usable)} ${p.kvm.detail}`,
    `tcg          ${yes(p.tcg.usable)} ${p.tcg.detail}`,
    `firecracker  ${yes(p.firecracker.present)} ${p.firecracker.path ?? 'not installed'}`,
    `loop devices ${yes(p.loopDevices.usable)} ${p.loopDevices.detail}`,
    `nvme         ${p.nvmeNamespaces.length} namespace(s) ${p.nvmeNamespaces.map((n) => n.devicePath).join(' ')}`,
    `netns        ${yes(p.netns.usable)} ${p.netns.detail}`,
    `veth         ${yes(p.veth.usable)} ${p.veth.detail}`,
    `netem        ${yes(p.netem.usable)} ${p.netem.detail}`,
    `guest image  ${p.guestImage.cached ? p.guestImage.dir : 'not built'}`,
    ok ? pc.green('the harness can run here') : pc.red('the harness cannot run here: no accelerator'),
    '',
  ].join('\n');
}

export function formatScenario(s: ScenarioReport): string {
  const lines = [`${s.ok ? pc.green('ok  ') : pc.red('FAIL')} ${s.name}`];
  for (const c of s.checks) {
    lines.push(`     ${c.ok ? pc.green('pass') : pc.red('FAIL')} ${c.name}${c.ok ? '' : `: ${c.detail}`}`);
  }
  const figures = Object.entries(s.figures).map(([k, v]) => `${k}=${v}`).join(' ');
  if (figures.length > 0) lines.push(`     figures: ${figures}`);
  if (s.real.length > 0) lines.push(`     real: ${s.real.join(', ')}`);
  if (s.emulated.length > 0) lines.push(`     emulated: ${s.emulated.join(', ')}`);
  return lines.join('\n');
}

export function formatHarnessReport(r: HarnessReport): string {
  const lines = [`accelerator: ${r.accel ?? 'none'}${r.inject ? `, injected bug ${r.inject.bug} `
    + `into ${r.inject.scenario}` : ''}`];
  for (const s of r.scenarios) lines.push(formatScenario(s));
  for (const x of r.skipped ?? []) lines.push(`skipped: ${x.what}: ${x.why}`);
  for (const e of r.errors ?? []) lines.push(`${pc.red('FAIL')} ${e.code}: ${e.message}`);
  lines.push(r.ok ? pc.green('harness passed') : pc.red('harness failed'), '');
  return lines.join('\n');
}
