/**
 * The six bugs of the sheet (spec/sandbox-reuse/bugs/manifest.json), each injected FROM THE
 * TEST SIDE by replacing one of the cores' `steps` (the cores themselves stay correct).
 */
import {
  realSteps, releaseOnce, workerManager as wm,
} from '../../src/sandbox/index.ts';
import type { InvariantName, Steps } from '../../src/sandbox/index.ts';

/** Bug 1: acquire is not atomic: a sandbox seen idle is taken although it became Busy. */
export const nonAtomicAcquire: Steps['acquire'] = (w, request, kind, mode, pickIndex,
  match = wm.matchesKind) => {
  const seen = w.sandboxes.filter((s) =>
    (s.phase === 'Idle' || s.phase === 'Busy') && match(s.kind, kind));
  if (seen.length === 0) return wm.acquire(w, request, kind, mode, pickIndex, match);
  const sb = seen[pickIndex(seen.length)]!;
  const taken = { ...sb, phase: 'Busy' as const, request };
  const sandboxes = w.sandboxes.map((s) => (s.id === sb.id ? taken : s));
  return { state: { ...w, sandboxes }, result: { outcome: 'acquired', sandbox: sb.id },
    effects: [] };
};

/** Bug 3: the error path releases the sandbox as Idle, without a reset. */
export const noResetOnError: Steps['release'] = (w, id, r, outcome) => {
  if (outcome !== 'error') return wm.release(w, id, r, outcome);
  const out = wm.release({ ...w, config: { ...w.config, singleUse: false } }, id, r, outcome);
  return out.ok ? { ok: true, step: { ...out.step, state: { ...out.step.state,
    config: w.config } } } : out;
};

export interface Bug {
  n: number;
  name: string;
  expected: InvariantName;
  steps: Partial<Steps>;
}

export const BUGS: Bug[] = [
  { n: 1, name: 'acquire is not atomic', expected: 'NoDoubleBooking',
    steps: { acquire: nonAtomicAcquire } },
  { n: 2, name: 'reuse matches the function name only', expected: 'TenantIsolation',
    steps: { match: (have, want) => have !== null && have.fn === want.fn } },
  { n: 3, name: 'no reset on the error path', expected: 'SingleUseReset',
    steps: { release: noResetOnError } },
  { n: 4, name: 'credential not revoked on timeout', expected: 'CredentialScope',
    steps: { revokeOnEnd: (revoked, creds, outcome) =>
      (outcome === 'timeout' ? revoked : realSteps.revokeOnEnd(revoked, creds, outcome)) } },
  { n: 5, name: 'probing has no threshold', expected: 'BoundedProbes',
    steps: { place: (view, randomIndex) => {
      const left = view.workers.filter((w) => !view.asked.includes(w));
      const pool = left.length > 0 ? left : view.workers;
      return { kind: 'probe', worker: pool[randomIndex(pool.length)]! };
    } } },
  { n: 6, name: 'count released on a retried failure', expected: 'WithinLimits',
    steps: { onAttemptFailed: (l, t, r) => releaseOnce(l, t, r) } },
];
