/**
 * What the scenario's invocations run inside the guest, and the host's reading of their output
 * (pure, unit-tested). Output lines are tagged so the audit reads them without guessing:
 *
 *   probe:  own-file: / own-env: (the tenant's own canary, a sanity read), other-file: /
 *           other-env: (the other tenant's canary paths and variable), seen: (every canary file
 *           and CANARY_ variable present), cred: (the credential the request was given)
 *   audit:  file: / proc: / env: for every residue a single-use invocation could leave
 */
import type { Kind } from '../../../src/sandbox/index.ts';

export const TENANTS = ['ta', 'tb'] as const;
export type Tenant = (typeof TENANTS)[number];

export const canaryFile = (tenant: string): string => `/sandbox/canary-${tenant}`;
export const canaryEnv = (tenant: string): string => `CANARY_${tenant.toUpperCase()}`;
export const CREDENTIAL_ENV = 'PLUMBLINE_CREDENTIAL';
/** Residue names: `residue-<request>`; the audit greps for them without matching itself. */
const RESIDUE = 'residue-';
const RESIDUE_PATTERN = 'resid[u]e-';
const RESIDUE_ENV = 'RESIDUE_ENV_';

export function otherTenant(tenant: string): string {
  return tenant === 'ta' ? 'tb' : 'ta';
}

/** The probe every invocation runs: reads its own and the other tenant's canary. */
export function probeScript(tenant: string): string {
  const other = otherTenant(tenant);
  return [
    `echo "own-file:$(cat ${canaryFile(tenant)} 2>/dev/null)"`,
    `echo "own-env:$${canaryEnv(tenant)}"`,
    `echo "other-file:$(cat ${canaryFile(other)} 2>/dev/null)"`,
    `echo "other-env:$${canaryEnv(other)}"`,
    'for f in /sandbox/canary-*; do [ -f "$f" ] && echo "seen:$f:$(cat "$f")"; done',
    'env | grep "^CANARY_" | sed "s/^/seen:/"',
    `echo "cred:$${CREDENTIAL_ENV}"`,
  ].join('\n');
}

/** Leaves files, an environment line and a process behind, then fails with exit code 3. */
export function residueScript(request: string): string {
  const name = `${RESIDUE}${request}`;
  return [
    `echo ${name} > /sandbox/${name}`,
    `echo ${name} > /tmp/${name}`,
    `echo "export ${RESIDUE_ENV}${request.replace(/[^A-Za-z0-9_]/g, '_')}=1" >> /run/sandbox/env`,
    `sh -c 'while :; do sleep 5; done' ${name} > /dev/null 2>&1 < /dev/null &`,
  ].join('\n');
}

/** Lists every residue of an earlier invocation the guest still shows. */
export function auditScript(): string {
  return [
    `for f in /sandbox/${RESIDUE_PATTERN}* /tmp/${RESIDUE_PATTERN}*; do ` +
      '[ -e "$f" ] && echo "file:$f"; done',
    `for p in $(grep -l '${RESIDUE_PATTERN}' /proc/[0-9]*/cmdline 2>/dev/null); do ` +
      `echo "proc:$p:$(tr '\\0' ' ' < $p)"; done`,
    `env | grep '^${RESIDUE_ENV.slice(0, -1)}' | sed 's/^/env:/'`,
    'true',
  ].join('\n');
}

export type ProbeReading = {
  ownFile: string;
  ownEnv: string;
  /** Every line that carries the other tenant's secret (empty when isolated). */
  leaks: string[];
  credential: string;
};

/** Reads a probe's output; `secrets` maps each tenant to its canary value. */
export function readProbe(output: string, tenant: string,
  secrets: Readonly<Record<string, string>>): ProbeReading {
  const lines = output.split('\n');
  const value = (tag: string): string =>
    lines.find((l) => l.startsWith(`${tag}:`))?.slice(tag.length + 1) ?? '';
  const otherSecret = secrets[otherTenant(tenant)] ?? '';
  const leaks = otherSecret === '' ? [] : lines.filter((l) => l.includes(otherSecret))
    .map((l) => l.replace(otherSecret, '<secret of ' + otherTenant(tenant) + '>'));
  return { ownFile: value('own-file'), ownEnv: value('own-env'), leaks,
    credential: value('cred') };
}

/** The residue lines of an audit's output (file:, proc:, env:). */
export function readAudit(output: string): string[] {
  return output.split('\n').filter((l) => /^(file|proc|env):/.test(l));
}

export const kindOf = (tenant: string): Kind => ({ fn: 'resize', version: 1, tenant });
export const kindLabel = (k: Kind): string => `${k.tenant}/${k.fn}@${k.version}`;
