/**
 * Judges what the phases observed against the spec's properties, each check named after the
 * property it audits, with the numbers and ids a person needs to act on a failure.
 */
import {
  allSandboxes, invariants, verifyCredential, type InvariantName,
} from '../../../src/sandbox/index.ts';
import type { ScenarioRecorder } from '../recorder.ts';
import { readProbe } from './invocations.ts';
import type { Invocation, Observations } from './phases.ts';

const ran = (i: Invocation): boolean => i.path === 'acquired' || i.path === 'provisioned';

export function auditTenantIsolation(rec: ScenarioRecorder, obs: Observations,
  secrets: Readonly<Record<string, string>>): void {
  const probed = obs.invocations.filter((i) => ran(i) && i.probed);
  const problems: string[] = [];
  const vms = new Set<string>();
  for (const inv of probed) {
    const out = inv.run?.result?.stdout ?? '';
    const reading = readProbe(out, inv.tenant, secrets);
    vms.add(inv.sandbox ?? '?');
    for (const leak of reading.leaks) {
      problems.push(`${inv.request} of ${inv.tenant} in ${inv.sandbox} read "${leak}"`);
    }
    if (reading.ownFile !== secrets[inv.tenant] || reading.ownEnv !== secrets[inv.tenant]) {
      problems.push(`${inv.request} could not read its own canary (probe blind)`);
    }
  }
  const tenants = (t: string): number => probed.filter((i) => i.tenant === t).length;
  const ok = problems.length === 0 && tenants('ta') > 0 && tenants('tb') > 0;
  rec.check('TenantIsolation: no invocation reads the other tenant\'s canary (guest)', ok,
    ok ? `${probed.length} invocations (ta ${tenants('ta')}, tb ${tenants('tb')}) in ` +
      `${vms.size} VM slots tried /sandbox/canary-<other> and CANARY_<OTHER>: none leaked; ` +
      'each read its own canary'
      : problems.length > 0 ? problems.slice(0, 6).join('; ')
        : `too few probes (ta ${tenants('ta')}, tb ${tenants('tb')})`);
}

export function auditSingleUseReset(rec: ScenarioRecorder, obs: Observations): void {
  const problems: string[] = [];
  for (const [i, r] of obs.residue.entries()) {
    if (r.ownAudit.length < 3) {
      problems.push(`cycle ${i + 1}: the failing run's own audit saw ${r.ownAudit.length} of 3 ` +
        'residues (audit blind)');
    }
    if (!r.sameSlot) problems.push(`cycle ${i + 1}: the next run was not in the same slot`);
    if (r.afterReset.length > 0) {
      problems.push(`cycle ${i + 1}: after the failed run, the next run still saw ` +
        r.afterReset.slice(0, 4).join(', '));
    }
    if (r.pidBefore === null || r.pidBefore === r.pidAfter) {
      problems.push(`cycle ${i + 1}: no new QEMU process (pid ${r.pidBefore} -> ${r.pidAfter})`);
    }
  }
  const ok = problems.length === 0 && obs.residue.length > 0;
  rec.check('SingleUseReset: a reset sandbox shows no file, env or process of the last run ' +
    '(guest)', ok,
    ok ? `${obs.residue.length} cycle(s): the failed run left a file, an env line and a ` +
      'process (its own audit saw them); the next run in the same slot, in a QEMU process ' +
      `restored from the clean snapshot (pid ${obs.residue[0]?.pidBefore} -> ` +
      `${obs.residue[0]?.pidAfter}), saw none`
      : problems.slice(0, 4).join('; ') || 'no single-use cycle ran');
}

type VerifyCase = { name: string; sandbox: string; nowMs: number; revoked: ReadonlySet<string>;
  raw: unknown; want: string };

/** Every credential: verifies in its run, refused for another sandbox, after the end, expiry. */
export function auditCredentialScope(rec: ScenarioRecorder, obs: Observations): void {
  const problems: string[] = [];
  let cases = 0;
  for (const inv of obs.invocations.filter(ran)) {
    const run = inv.run;
    if (run === null || inv.sandbox === null) continue;
    const c = inv.driver.cluster;
    const cred = run.credential;
    const other = allSandboxes(c).map((s) => s.id).find((id) => id !== inv.sandbox) ?? 'none';
    const seen = readProbe(run.result?.stdout ?? '', inv.tenant, {}).credential;
    if (inv.probed && seen !== JSON.stringify(cred)) {
      problems.push(`${inv.request}: the guest saw another credential than the one minted`);
    }
    const list: VerifyCase[] = [
      { name: 'in its run', sandbox: inv.sandbox, nowMs: run.clockMs, revoked: run.revokedAtRun,
        raw: cred, want: 'ok' },
      { name: `for ${other}`, sandbox: other, nowMs: run.clockMs, revoked: run.revokedAtRun,
        raw: cred, want: 'wrong-sandbox' },
      { name: 'after its end', sandbox: inv.sandbox, nowMs: run.clockMs + 1, revoked: c.revoked,
        raw: cred, want: 'revoked' },
      { name: 'at expiry', sandbox: inv.sandbox, nowMs: cred.expiresAtMs, revoked: new Set(),
        raw: cred, want: 'expired' },
      { name: 'tampered', sandbox: inv.sandbox, nowMs: run.clockMs, revoked: new Set(),
        raw: { ...cred, request: `${cred.request}x` }, want: 'bad-mac' },
    ];
    for (const k of list) {
      cases += 1;
      const v = verifyCredential(c.config.key, k.raw, { sandbox: k.sandbox,
        scope: c.config.scope, nowMs: k.nowMs, revoked: k.revoked });
      const got = v.ok ? 'ok' : v.error.code;
      if (got !== k.want) problems.push(`${inv.request} (${inv.tenant}) ${k.name}: ${got}, ` +
        `want ${k.want}`);
    }
  }
  const ok = problems.length === 0 && cases > 0;
  rec.check('CredentialScope: the credential a guest got verifies only for its run ' +
    '(verifier)', ok,
    ok ? `${cases / 5} credentials x 5 cases (own run ok; other sandbox, after the end ` +
      '(revoked), at expiry and tampered refused); the guest saw the minted credential'
      : problems.slice(0, 6).join('; ') || 'no credential to check');
}

export function auditConcurrentAcquire(rec: ScenarioRecorder, obs: Observations): void {
  const held = obs.concurrent.filter((s): s is string => s !== null);
  const ok = obs.concurrent.length === 2 && new Set(held).size === held.length && held.length > 0;
  rec.check('NoDoubleBooking: two concurrent acquires of one tenant get different sandboxes', ok,
    `r5 -> ${obs.concurrent[0] ?? 'throttled'}, r6 -> ${obs.concurrent[1] ?? 'throttled'}`);
}

/** Every invariant of the spec on the cores' state after every step of both clusters. */
export function auditInvariants(rec: ScenarioRecorder, obs: Observations): void {
  const steps = obs.drivers.reduce((n, d) => n + d.steps, 0);
  for (const name of Object.keys(invariants) as InvariantName[]) {
    const where = obs.drivers.map((d, i) => {
      const v = d.firstViolation.get(name);
      return v === undefined ? null : `${i === 0 ? 'warm' : 'single-use'} cluster ${v}`;
    }).filter((v): v is string => v !== null);
    rec.check(`${name}: holds on the cores' state after every step`, where.length === 0 &&
      steps > 0, where.length === 0 ? `${steps} steps (warm and single-use clusters)`
      : `violated ${where.join('; ')}`);
  }
}

export function auditCoverage(rec: ScenarioRecorder, obs: Observations): void {
  const count = (p: (i: Invocation) => boolean): number => obs.invocations.filter(p).length;
  const provisions = count((i) => i.path === 'provisioned');
  const warm = count((i) => i.path === 'acquired');
  const timeouts = count((i) => i.run?.result?.timedOut === true);
  const problems = obs.invocations.filter((i) => i.problem !== null)
    .map((i) => `${i.request}: ${i.problem}`);
  const ok = provisions >= 2 && warm >= 2 && obs.resetMs.length >= 1 && timeouts >= 1 &&
    problems.length === 0;
  rec.check('Invocations: provisions, warm hits, resets and a timeout ran on the VMs', ok,
    `${obs.invocations.length} invocations: ${provisions} provisions, ${warm} warm hits, ` +
    `${obs.resetMs.length} resets, ${timeouts} timed out` +
    (problems.length > 0 ? `; problems: ${problems.slice(0, 4).join('; ')}` : ''));
}
