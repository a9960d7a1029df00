/**
 * The `sandbox-reuse` harness scenario: worker managers (the src/sandbox cores, in-process)
 * whose sandboxes are QEMU guests of the VM backend (vm-backend.ts). Two tenants, each with a
 * canary secret in its sandboxes (file and env); warm hits, provisions, a timeout and
 * single-use resets; audited for TenantIsolation, SingleUseReset, CredentialScope,
 * NoDoubleBooking and every spec invariant on the cores' state after every step.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureGuestImage } from '../../image/index.ts';
import { ScenarioRecorder } from '../recorder.ts';
import type { Scenario, ScenarioContext } from '../types.ts';
import type { ScenarioReport } from '../../report.ts';
import {
  auditConcurrentAcquire, auditCoverage, auditCredentialScope, auditInvariants,
  auditSingleUseReset, auditTenantIsolation,
} from './audit.ts';
import { findBug, SANDBOX_BUGS, type SandboxBug } from './bugs.ts';
import { canaryEnv, kindOf, TENANTS } from './invocations.ts';
import { singleUsePhase, warmPhase, type Observations, type PhaseContext } from './phases.ts';
import { VmBackend } from './vm-backend.ts';
import {
  checkExecContract, checkSnapshotRestore, compareImageBoot, recordFigures,
} from './report-parts.ts';

export { VmBackend, type VmBackendOptions, type TemplateInfo, type VmTimings } from
  './vm-backend.ts';
export {
  execCommand, installCommand, parseExecAnswer, envFileText, timeoutSeconds,
} from './guest-command.ts';
export { SANDBOX_BUGS, type SandboxBug } from './bugs.ts';
export { ClusterDriver, choosePlacement } from './driver.ts';

export const scenario: Scenario = {
  name: 'sandbox-reuse',
  summary: 'worker managers over QEMU sandboxes: tenant canaries, warm hits, provisions, ' +
    'single-use snapshot resets, scoped credentials',
  bugs: SANDBOX_BUGS.map(({ name, property, description }) => ({ name, property, description })),
  run,
};

async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const rec = new ScenarioRecorder('sandbox-reuse');
  const found = findBug(ctx.inject);
  if ('error' in found) {
    rec.check('inject: the bug is one of this scenario\'s', false, found.error);
    return rec.report();
  }
  try {
    await runPhases(ctx, rec, found.bug);
  } catch (thrown) {
    rec.fail('sandbox-reuse scenario', thrown);
  }
  return rec.report();
}

/** Per tenant: a canary secret and a template directory holding its canary file. */
function tenantSetup(workDir: string): { secrets: Record<string, string>;
  dirs: Record<string, string> } {
  const secrets: Record<string, string> = {};
  const dirs: Record<string, string> = {};
  for (const tenant of TENANTS) {
    secrets[tenant] = `canary-${tenant}-${randomBytes(12).toString('hex')}`;
    dirs[tenant] = path.join(workDir, `template-${tenant}`);
    fs.mkdirSync(dirs[tenant], { recursive: true });
    fs.writeFileSync(path.join(dirs[tenant], `canary-${tenant}`), secrets[tenant]);
  }
  return { secrets, dirs };
}

async function runPhases(ctx: ScenarioContext, rec: ScenarioRecorder, bug: SandboxBug | null):
  Promise<void> {
  ctx.progress('sandbox-reuse: guest image');
  const image = await ensureGuestImage();
  if (!image.ok) return rec.fail('guest image', image.error);
  const vmDir = path.join(ctx.workDir, 'vm');
  fs.mkdirSync(vmDir, { recursive: true });
  const options = { accel: ctx.accel, kernelPath: image.value.kernelPath,
    initrdPath: image.value.initrdPath, workDir: vmDir };
  const created = VmBackend.create(options);
  if (!created.ok) return rec.fail('VM backend', created.error);
  const backend = created.value;
  ctx.teardown.add('sandbox-reuse VM backend', () => backend.close());
  rec.real(`qemu-${ctx.accel} vm (one guest per sandbox, reset = snapshot restore)`);
  rec.real('src/sandbox cores in-process: placement, worker manager, limiter, credentials');
  rec.emulated('frontends and worker managers run in this process (the cluster composition), ' +
    'not as src/sandbox/node TCP processes: their worker-main is built on the process backend');
  rec.emulated('credential clock: the cluster\'s logical clock (1 ms per protocol step)');
  ctx.progress(`sandbox-reuse: booting the template guest (${ctx.accel})`);
  const template = await backend.prepareTemplate();
  if (!template.ok) return rec.fail('template boot and snapshot', template.error);
  const { secrets, dirs } = tenantSetup(ctx.workDir);
  const obs: Observations = { invocations: [], residue: [], concurrent: [], drivers: [],
    resetMs: [] };
  const pc: PhaseContext = { backend, steps: bug?.steps ?? {}, long: ctx.long, obs,
    progress: (line) => ctx.progress(line),
    setup: (kind) => ({ env: { [canaryEnv(kind.tenant)]: secrets[kind.tenant] ?? '',
      TENANT: kind.tenant }, templateDir: dirs[kind.tenant] }) };
  await warmPhase(pc, async (handle) => {
    await checkExecContract(rec, backend, handle);
    await checkSnapshotRestore(rec, backend, handle, canaryEnv('ta'));
  });
  await singleUsePhase(pc);
  ctx.progress('sandbox-reuse: audit');
  auditTenantIsolation(rec, obs, secrets);
  auditSingleUseReset(rec, obs);
  auditCredentialScope(rec, obs);
  auditConcurrentAcquire(rec, obs);
  auditInvariants(rec, obs);
  auditCoverage(rec, obs);
  recordFigures(rec, obs, template.value, backend);
  if (ctx.long) {
    ctx.progress('sandbox-reuse: a sandbox booted from the image, for comparison');
    await compareImageBoot(rec, options, { kind: 'ta/resize@1', ...pc.setup(kindOf('ta')) },
      canaryEnv('ta'));
  }
}
