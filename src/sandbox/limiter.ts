/**
 * Per-tenant concurrency limiter (US20200057680A1): a tenant's admitted requests never exceed
 * its limit; the limit moves between `floor` and `max` with demand (additive increase when a
 * request is refused at the limit, multiplicative decrease when the tenant uses less than half),
 * never below the count admitted. Each admitted request is released exactly once: `release`
 * takes the request id and refuses a second release of the same admission.
 */
export interface LimiterConfig {
  readonly floor: number;
  readonly max: number;
}
export interface TenantLimit {
  readonly limit: number;
  readonly admitted: readonly string[];
}
export interface LimiterState {
  readonly config: LimiterConfig;
  readonly tenants: Readonly<Record<string, TenantLimit>>;
}
export interface LimiterError {
  readonly code: 'not-admitted' | 'bad-limit';
  readonly message: string;
}

export function initLimiter(config: LimiterConfig, tenants: readonly string[]): LimiterState {
  if (!Number.isInteger(config.floor) || config.floor < 1 || config.max < config.floor) {
    throw new Error(`assertion: need 1 <= floor <= max, got ${config.floor}..${config.max}`);
  }
  const entries = tenants.map((t) => [t, { limit: config.floor, admitted: [] }] as const);
  return { config, tenants: Object.fromEntries(entries) };
}

export function tenantOf(s: LimiterState, tenant: string): TenantLimit {
  return s.tenants[tenant] ?? { limit: s.config.floor, admitted: [] };
}
export const inflight = (s: LimiterState, tenant: string): number =>
  tenantOf(s, tenant).admitted.length;

function withTenant(s: LimiterState, tenant: string, t: TenantLimit): LimiterState {
  return { ...s, tenants: { ...s.tenants, [tenant]: t } };
}

/** Admits `request` if the tenant runs fewer requests than its limit. */
export function admit(s: LimiterState, tenant: string, request: string):
  { state: LimiterState; admitted: boolean } {
  const t = tenantOf(s, tenant);
  if (t.admitted.includes(request)) throw new Error(`assertion: ${request} admitted twice`);
  if (t.admitted.length >= t.limit) return { state: s, admitted: false };
  return { state: withTenant(s, tenant, { ...t, admitted: [...t.admitted, request] }),
    admitted: true };
}

/** Releases the admission of `request`, exactly once. */
export function release(s: LimiterState, tenant: string, request: string):
  { ok: true; state: LimiterState } | { ok: false; error: LimiterError } {
  const t = tenantOf(s, tenant);
  if (!t.admitted.includes(request)) {
    return { ok: false, error: { code: 'not-admitted', message: `${request} holds no slot` } };
  }
  const admitted = t.admitted.filter((r) => r !== request);
  return { ok: true, state: withTenant(s, tenant, { ...t, admitted }) };
}

/** Sets the limit (the spec's AdjustLimit): within [floor, max], never below the admitted. */
export function setLimit(s: LimiterState, tenant: string, limit: number):
  { ok: true; state: LimiterState } | { ok: false; error: LimiterError } {
  const t = tenantOf(s, tenant);
  const { floor, max } = s.config;
  if (!Number.isInteger(limit) || limit < floor || limit > max || limit < t.admitted.length) {
    return { ok: false, error: { code: 'bad-limit', message: `limit ${limit} out of range` } };
  }
  return { ok: true, state: withTenant(s, tenant, { ...t, limit }) };
}

/**
 * AIMD with demand: `refusedAtLimit` since the last adjustment raises the limit by one;
 * otherwise a tenant using less than half its limit has it halved (not below floor or the
 * admitted count).
 */
export function adjust(s: LimiterState, tenant: string, refusedAtLimit: boolean): LimiterState {
  const t = tenantOf(s, tenant);
  const { floor, max } = s.config;
  const used = t.admitted.length;
  const next = refusedAtLimit ? Math.min(max, t.limit + 1)
    : used * 2 < t.limit ? Math.max(floor, used, Math.floor(t.limit / 2)) : t.limit;
  return next === t.limit ? s : withTenant(s, tenant, { ...t, limit: next });
}
