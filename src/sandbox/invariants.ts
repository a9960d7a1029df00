/**
 * The spec's invariants as TS predicates over a cluster, named exactly as in
 * spec/sandbox-reuse/SandboxReuse.tla. Each states the same formula on the code's own fields;
 * CredentialScope runs the real verifier on every credential not revoked.
 */
import {
  allSandboxes, get, reqOf, sandboxOf, validCredentials, workerOf, type Cluster,
} from './cluster.ts';
import { verifyCredential } from './credential.ts';
import { ACTIVE_PHASES, REQUEST_PHASES, type RequestState } from './frontend.ts';
import { SANDBOX_PHASES } from './lifecycle.ts';
import * as lim from './limiter.ts';
import { isStored } from './failure-store.ts';
import { sameKind } from './messages.ts';

const isNat = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max;
const holds = (r: RequestState): boolean => r.phase === 'acquired' || r.phase === 'running';
const reqs = (c: Cluster): RequestState[] => c.config.requests.map((r) => reqOf(c, r));

function typeOK(c: Cluster): boolean {
  const { maxRetries, maxRedrives, workers, requests, limitFloor, limitMax } = c.config;
  const sbOk = allSandboxes(c).every((s) => SANDBOX_PHASES.includes(s.phase) &&
    (s.request === null || requests.includes(s.request)) &&
    s.used.every((r) => requests.includes(r)));
  // A Release in flight (warm mode only) is for a sandbox its worker still holds for the request.
  const relOk = Object.entries(c.releasing).every(([id, p]) => !c.config.singleUse &&
    allSandboxes(c).some((s) => s.id === id && s.phase === 'Busy' && s.request === p.request));
  const rOk = reqs(c).every((r) => REQUEST_PHASES.includes(r.phase) &&
    r.asked.every((w) => workers.includes(w)) && r.asked.length <= workers.length &&
    isNat(r.probes, Number.MAX_SAFE_INTEGER) && isNat(r.tries, maxRetries) &&
    isNat(r.redrives, maxRedrives) && isNat(get(c.completions, r.id), 2));
  const lOk = c.config.tenants.every((t) => {
    const lt = lim.tenantOf(c.limiter, t);
    return lt.limit >= limitFloor && lt.limit <= limitMax && isNat(lt.admitted.length, limitMax);
  });
  return sbOk && relOk && rOk && lOk;
}

function noDoubleBooking(c: Cluster): boolean {
  const held = reqs(c).filter(holds).map((r) => r.sandbox);
  return new Set(held).size === held.length;
}

function tenantIsolation(c: Cluster): boolean {
  return reqs(c).filter(holds).every((r) => {
    const kind = sandboxOf(c, r.sandbox!).kind;
    return kind !== null && r.kind !== null && sameKind(kind, r.kind);
  });
}

function singleUseReset(c: Cluster): boolean {
  if (!c.config.singleUse) return true;
  return reqs(c).filter((r) => r.phase === 'running').every((r) => {
    const used = sandboxOf(c, r.sandbox!).used;
    return used.length === 1 && used[0] === r.id;
  });
}

function credentialScope(c: Cluster): boolean {
  return validCredentials(c).every((m) => {
    const v = verifyCredential(c.config.key, m, { sandbox: m.sandbox, scope: c.config.scope,
      nowMs: c.clockMs, revoked: c.revoked });
    const r = reqOf(c, m.request);
    return !v.ok || (r.phase === 'running' && r.sandbox === m.sandbox);
  });
}

function boundedProbes(c: Cluster): boolean {
  return reqs(c).every((r) => r.probes <= c.config.maxProbes);
}

function withinLimits(c: Cluster): boolean {
  const tenantsOk = c.config.tenants.every((t) => {
    const executing = reqs(c).filter((r) => ACTIVE_PHASES.includes(r.phase) &&
      r.kind?.tenant === t).length;
    return executing <= lim.tenantOf(c.limiter, t).limit;
  });
  const workersOk = c.config.workers.every((w) =>
    workerOf(c, w).sandboxes.filter((s) => s.phase !== 'Free').length <= c.config.capacity);
  return tenantsOk && workersOk;
}

function noLostRequest(c: Cluster): boolean {
  return reqs(c).every((r) => {
    const n = get(c.completions, r.id);
    return isStored(c.store, r.id) === (r.phase === 'failed') && n <= 1 &&
      (r.phase === 'completed') === (n === 1);
  });
}

export const invariants = {
  TypeOK: typeOK,
  NoDoubleBooking: noDoubleBooking,
  TenantIsolation: tenantIsolation,
  SingleUseReset: singleUseReset,
  CredentialScope: credentialScope,
  BoundedProbes: boundedProbes,
  WithinLimits: withinLimits,
  NoLostRequest: noLostRequest,
} as const satisfies Record<string, (c: Cluster) => boolean>;

export type InvariantName = keyof typeof invariants;

/** The names of the invariants that fail in this state (empty when all hold). */
export function violatedInvariants(c: Cluster): InvariantName[] {
  return (Object.keys(invariants) as InvariantName[]).filter((n) => !invariants[n](c));
}
