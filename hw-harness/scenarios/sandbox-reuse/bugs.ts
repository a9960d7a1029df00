/**
 * Bugs of the sandbox-reuse sheet (spec/sandbox-reuse/bugs/manifest.json) the scenario can
 * inject. Injection is on the harness side only: each replaces one core step through the
 * cluster composition's `steps` record (the src/ cores stay correct and take no flags).
 */
import {
  realSteps, workerManager as wm, type Steps,
} from '../../../src/sandbox/index.ts';
import type { InjectableBug } from '../types.ts';

/** Bug 2: reuse matches the function name only (not version or tenant). */
const functionNameMatch: Steps['match'] = (have, want) => have !== null && have.fn === want.fn;

/** Bug 3: on the error path the sandbox is released Idle without a reset. */
const noResetOnError: Steps['release'] = (w, id, request, outcome) => {
  if (outcome !== 'error') return wm.release(w, id, request, outcome);
  const warm = { ...w, config: { ...w.config, singleUse: false } };
  const out = wm.release(warm, id, request, outcome);
  if (!out.ok) return out;
  return { ok: true, step: { ...out.step, state: { ...out.step.state, config: w.config } } };
};

/** Bug 4: a timed-out request's credential is not revoked. */
const timeoutKeepsCredential: Steps['revokeOnEnd'] = (revoked, creds, outcome) =>
  (outcome === 'timeout' ? revoked : realSteps.revokeOnEnd(revoked, creds, outcome));

export type SandboxBug = InjectableBug & { readonly steps: Partial<Steps> };

export const SANDBOX_BUGS: readonly SandboxBug[] = [
  { name: 'FunctionNameMatch', property: 'TenantIsolation',
    description: 'worker-manager match (cluster steps.match) ignores tenant and version: a ' +
      'request is placed in an idle VM built for the other tenant',
    steps: { match: functionNameMatch } },
  { name: 'NoResetOnError', property: 'SingleUseReset',
    description: 'worker-manager release (cluster steps.release) returns a failed single-use ' +
      'sandbox Idle: no VM snapshot restore before the next request',
    steps: { release: noResetOnError } },
  { name: 'TimeoutKeepsCredential', property: 'CredentialScope',
    description: 'credential revocation at the end of a run (cluster steps.revokeOnEnd) skips ' +
      'timed-out requests: their credential still verifies',
    steps: { revokeOnEnd: timeoutKeepsCredential } },
];

/** The bug named by `--inject`, or an error line for an unknown name. */
export function findBug(name: string | undefined): { bug: SandboxBug | null } | { error: string } {
  if (name === undefined) return { bug: null };
  const bug = SANDBOX_BUGS.find((b) => b.name === name);
  if (bug !== undefined) return { bug };
  return { error: `unknown bug ${name}; known: ${SANDBOX_BUGS.map((b) => b.name).join(', ')}` };
}
