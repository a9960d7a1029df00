/**
 * The VM backend's exec contract, checked on a live idle sandbox (stdin, the request's env on
 * top of the sandbox's, nothing of the agent's env, stdout and stderr apart, the exit code),
 * and the scenario's figures.
 */
import type { SandboxHandle } from '../../../src/sandbox/backend/index.ts';
import type { ScenarioRecorder } from '../recorder.ts';
import { canaryEnv } from './invocations.ts';
import type { Observations } from './phases.ts';
import { VmBackend, type TemplateInfo, type VmBackendOptions } from './vm-backend.ts';

export async function checkExecContract(rec: ScenarioRecorder, backend: VmBackend,
  handle: SandboxHandle): Promise<void> {
  const exec = await backend.exec(handle, { command: 'sh', args: ['-c',
    'read x; echo "in=$x extra=$EXTRA"; env | sort | cut -d= -f1 | tr "\\n" " "; ' +
    'echo; echo oops >&2; exit 7'], stdin: 'hello\n', env: { EXTRA: "a 'b' c" },
    timeoutMs: 10_000 });
  const name = 'VmBackend exec: stdin, env, stdout/stderr and exit code as the interface says';
  if (!exec.ok) {
    rec.check(name, false, `${exec.error.code}: ${exec.error.message}`);
    return;
  }
  const r = exec.value;
  const [first, names] = r.stdout.split('\n');
  const envNames = (names ?? '').trim().split(' ');
  const problems = [
    first === "in=hello extra=a 'b' c" ? null : `stdout line 1 ${JSON.stringify(first)}`,
    r.stderr === 'oops\n' ? null : `stderr ${JSON.stringify(r.stderr)}`,
    r.exitCode === 7 && r.signal === null && !r.timedOut ? null : `exit ${r.exitCode}`,
    envNames.includes(canaryEnv('ta')) ? null : 'the sandbox env is missing',
    envNames.some((n) => ['TERM', 'edd', 'SHLVL_AGENT'].includes(n)) ? 'agent env leaked' : null,
  ].filter((p): p is string => p !== null);
  rec.check(name, problems.length === 0, problems.length === 0
    ? `exit 7, stdin echoed, stderr apart; env names: ${envNames.join(' ')}`
    : problems.join('; '));
}

function p50(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function recordFigures(rec: ScenarioRecorder, obs: Observations, template: TemplateInfo,
  backend: VmBackend): void {
  const timings = [...backend.timings.values()];
  const pick = (f: (t: (typeof timings)[number]) => number | undefined): number[] =>
    timings.map(f).filter((v): v is number => v !== undefined);
  const provisions = obs.invocations.map((i) => i.provisionMs).filter((v): v is number =>
    v !== null);
  const warm = obs.invocations.filter((i) => i.path === 'acquired' && i.run?.result?.timedOut
    !== true).map((i) => i.elapsedMs);
  rec.figure('bootMs', template.bootMs);
  rec.figure('templateSnapshotMs', template.snapshotMs);
  rec.figure('templateRestoreToReadyMs', p50(pick((t) => t.restoreMs)));
  rec.figure('cleanSnapshotMs', p50(pick((t) => t.cleanSnapshotMs)));
  rec.figure('snapshotBytes', p50(pick((t) => t.cleanSnapshotBytes)));
  rec.figure('provisionMs', p50(provisions));
  rec.figure('warmHitMs', p50(warm));
  rec.figure('resetMs', p50(obs.resetMs));
  rec.figure('resetVsBootRatio', p50(obs.resetMs) / template.bootMs);
  rec.figure('invocations', obs.invocations.length);
  rec.figure('coreSteps', obs.drivers.reduce((n, d) => n + d.steps, 0));
}

/**
 * `--long`: the other way to make a sandbox, booting the image instead of restoring the
 * template, timed the same way (boot + install + clean snapshot) for comparison.
 */
export async function compareImageBoot(rec: ScenarioRecorder, options: VmBackendOptions,
  spec: { kind: string; env: Record<string, string>; templateDir?: string | undefined },
  expectEnv: string): Promise<void> {
  const made = VmBackend.create({ ...options, bootFrom: 'image' });
  if (!made.ok) return rec.fail('image-boot backend', made.error);
  const backend = made.value;
  try {
    const startedMs = Date.now();
    const booted = await backend.boot({ id: 'image-boot', ...spec });
    if (!booted.ok) return rec.fail('image-boot sandbox', booted.error);
    rec.figure('imageBootProvisionMs', Date.now() - startedMs);
    const read = await backend.exec(booted.value, { command: 'sh', args: ['-c',
      `echo "$${expectEnv}"`], timeoutMs: 10_000 });
    const seen = read.ok ? read.value.stdout.trim() : read.error.message;
    rec.check('VmBackend boot from the image (bootFrom image): the sandbox env is in place',
      read.ok && seen === spec.env[expectEnv], `read ${seen.length} chars of ${expectEnv}`);
  } finally {
    await backend.close();
  }
}

/**
 * The backend's snapshot/restore: a copy restored from a snapshot of a live sandbox has its
 * state (a marker written just before, the sandbox's env) and is a separate guest.
 */
export async function checkSnapshotRestore(rec: ScenarioRecorder, backend: VmBackend,
  handle: SandboxHandle, expectEnv: string): Promise<void> {
  const name = 'VmBackend snapshot/restore: the restored copy has the state, in a new guest';
  const marked = await backend.exec(handle, { command: 'sh', args: ['-c',
    'echo snapshot-marker > /sandbox/marker'], timeoutMs: 10_000 });
  const ref = marked.ok ? await backend.snapshot(handle) : marked;
  if (!ref.ok) return void rec.check(name, false, `${ref.error.code}: ${ref.error.message}`);
  const copy = await backend.restore(ref.value, 'snapshot-copy');
  if (!copy.ok) return void rec.check(name, false, `${copy.error.code}: ${copy.error.message}`);
  const read = await backend.exec(copy.value, { command: 'sh', args: ['-c',
    `cat /sandbox/marker; echo "\${${expectEnv}:+env-present}"`], timeoutMs: 10_000 });
  const [pidA, pidB] = [backend.pidOf(handle), backend.pidOf(copy.value)];
  const destroyed = await backend.destroy(copy.value);
  const out = read.ok ? read.value.stdout : read.error.message;
  const ok = out === 'snapshot-marker\nenv-present\n' && pidA !== null && pidA !== pidB &&
    destroyed.ok;
  rec.check(name, ok, `copy ${copy.value.id} (pid ${pidB}) of ${handle.id} (pid ${pidA}) ` +
    `read ${JSON.stringify(out)}`);
}
