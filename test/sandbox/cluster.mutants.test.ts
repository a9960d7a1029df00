// cluster.ts, invariants.ts and spec-state.ts under mutation, fast: the exact actions the spec
// enables along one invocation's journey (placement, provision, retry, sticky reuse, failure,
// re-drive, throttling), the effects of each on the limiter, store, credentials and clock, the
// spec variables of a known state, and each invariant biting on its boundary.
// (cluster.test.ts checks the full state graph of Replay.cfg against TLC's count.)
import { describe, expect, it } from 'vitest';
import {
  SPEC_VARIABLES, allSandboxes, applyAction, describeKind, enabledActions, initCluster,
  invariants, kindsOf, releaseOnce, specKind, specSlot, specState, validCredentials,
  violatedInvariants, limiter as lim, type Cluster, type ClusterAction,
} from '../../src/sandbox/index.ts';
import { MC_CONFIG, REPLAY_CONFIG } from './helpers.ts';

const labels = (c: Cluster): string[] => enabledActions(c).map((a) => a.label).sort();
function find(c: Cluster, label: string): ClusterAction {
  const a = enabledActions(c).find((x) => x.label === label);
  if (a === undefined) throw new Error(`${label} not enabled: ${labels(c).join(' ')}`);
  return a;
}
const run = (c: Cluster, steps: readonly string[]): Cluster =>
  steps.reduce((acc, l) => applyAction(acc, find(acc, l)), c);
const noAdjust = (c: Cluster) => labels(c).filter((l) => !l.startsWith('AdjustLimit'));
const TA = 'Accept(r1, f/1/ta)';
/** r1 accepted, probed w1 (miss), provisioned in w2#1, ready and started. */
const RUNNING = [TA, 'Probe(r1, w1, miss)', 'Provision(r1, w2, w2#1)', 'Ready(w2#1)', 'Start(r1)'];

describe('sandbox cluster: enabled actions along a journey', () => {
  it('starts with Accept for every kind and AdjustLimit to every other allowed limit', () => {
    const c = initCluster({ ...REPLAY_CONFIG, versions: [1, 2], limitMax: 3 });
    expect(labels(c)).toEqual([
      'Accept(r1, f/1/ta)', 'Accept(r1, f/1/tb)', 'Accept(r1, f/2/ta)', 'Accept(r1, f/2/tb)',
      'AdjustLimit(ta, 2)', 'AdjustLimit(ta, 3)', 'AdjustLimit(tb, 2)', 'AdjustLimit(tb, 3)',
    ]);
    expect(kindsOf(MC_CONFIG)).toEqual([{ fn: 'f', version: 1, tenant: 'ta' },
      { fn: 'f', version: 1, tenant: 'tb' }]);
    expect(describeKind({ fn: 'f', version: 2, tenant: 'x' })).toBe('f/2/x');
  });

  it('places: probe any worker first, then provision at the other; Ready, Start', () => {
    let c = run(initCluster(REPLAY_CONFIG), [TA]);
    expect(c.limiter.tenants['ta']?.admitted).toEqual(['r1']);
    expect(labels(c)).toEqual(['AdjustLimit(ta, 2)', 'AdjustLimit(tb, 2)',
      'Probe(r1, w1, miss)', 'Probe(r1, w2, miss)']);
    c = run(c, ['Probe(r1, w1, miss)']);
    expect(noAdjust(c)).toEqual(['Provision(r1, w2, w2#1)']);
    c = run(c, ['Provision(r1, w2, w2#1)']);
    expect(noAdjust(c)).toEqual(['Ready(w2#1)']);
    c = run(c, ['Ready(w2#1)']);
    expect(noAdjust(c)).toEqual(['Start(r1)']);
    c = run(c, ['Start(r1)']);
    expect(noAdjust(c)).toEqual(['Complete(r1)', 'Fail(r1)', 'Timeout(r1)']);
    expect(c.clockMs).toBe(5);
    expect(c.minted).toHaveLength(1);
    expect(c.minted[0]).toMatchObject({ request: 'r1', sandbox: 'w2#1', scope: 'invoke',
      expiresAtMs: 4 + REPLAY_CONFIG.timeoutMs });
    expect(validCredentials(c)).toEqual(c.minted);
  });

  it('completes once: sandbox reset, credential revoked, admission released', () => {
    const c = run(initCluster(REPLAY_CONFIG), [...RUNNING, 'Complete(r1)']);
    expect(c.completions['r1']).toBe(1);
    expect(c.requests['r1']).toMatchObject({ phase: 'completed', sandbox: null });
    expect(validCredentials(c)).toEqual([]);
    expect(c.limiter.tenants['ta']?.admitted).toEqual([]);
    expect(noAdjust(c)).toEqual(['Reset(w2#1)']);
    const idle = run(c, ['Reset(w2#1)']);
    expect(noAdjust(idle)).toEqual(['Reclaim(w2#1)']);
    const freed = run(idle, ['Reclaim(w2#1)']);
    expect(allSandboxes(freed).map((s) => s.phase)).toEqual(['Free', 'Free']);
  });

  it('a timeout retries keeping the admission; the reset sandbox is then sticky-reusable', () => {
    let c = run(initCluster(REPLAY_CONFIG), [...RUNNING, 'Timeout(r1)']);
    expect(c.requests['r1']).toMatchObject({ phase: 'placing', tries: 1, asked: [],
      lastError: 'timeout' });
    expect(c.limiter.tenants['ta']?.admitted).toEqual(['r1']);
    expect(validCredentials(c)).toEqual([]);
    expect(c.store.entries).toEqual([]);
    c = run(c, ['Reset(w2#1)']);
    expect(noAdjust(c)).toEqual(['Probe(r1, w1, miss)', 'Probe(r1, w2, w2#1)', 'Reclaim(w2#1)',
      'Sticky(r1, w2#1)']);
    const probed = run(c, ['Probe(r1, w1, miss)']);
    expect(noAdjust(probed)).not.toContain('Sticky(r1, w2#1)');
    c = run(c, ['Sticky(r1, w2#1)']);
    expect(c.requests['r1']).toMatchObject({ phase: 'acquired', sandbox: 'w2#1', sticky: 'w2#1' });
    c = run(c, ['Start(r1)', 'Fail(r1)']);
    expect(c.requests['r1']).toMatchObject({ phase: 'failed', lastError: 'error' });
    expect(c.store.entries).toEqual([{ request: 'r1', kind: { fn: 'f', version: 1,
      tenant: 'ta' }, error: 'error', attempts: 2 }]);
    expect(c.limiter.tenants['ta']?.admitted).toEqual([]);
    expect(noAdjust(c)).toEqual(['Redrive(r1)', 'Reset(w2#1)']);
    const back = run(c, ['Redrive(r1)']);
    expect(back.requests['r1']).toMatchObject({ phase: 'placing', redrives: 1, tries: 0 });
    expect(back.store.entries).toEqual([]);
    expect(back.limiter.tenants['ta']?.admitted).toEqual(['r1']);
    expect(violatedInvariants(back)).toEqual([]);
  });

  it('re-drives only while redrives < MaxRedrives and the tenant is under its limit', () => {
    const cfg = { ...REPLAY_CONFIG, maxRetries: 0 };
    const failed = run(initCluster(cfg), [...RUNNING, 'Fail(r1)']);
    expect(noAdjust(failed)).toContain('Redrive(r1)');
    expect(noAdjust(run(initCluster({ ...cfg, maxRedrives: 0 }), [...RUNNING, 'Fail(r1)'])))
      .not.toContain('Redrive(r1)');
    const full = { ...failed, limiter: { ...failed.limiter, tenants: { ...failed.limiter.tenants,
      ta: { limit: 1, admitted: ['zz'] } } } };
    expect(noAdjust(full)).not.toContain('Redrive(r1)');
    const twice = run(failed, ['Redrive(r1)', 'Probe(r1, w1, miss)', 'Provision(r1, w2, miss)']);
    expect(noAdjust(twice)).toEqual(['Reset(w2#1)', 'Throttle(r1)']);
  });

  it('throttles when every worker was asked, releasing the admission', () => {
    let c = run(initCluster(MC_CONFIG), [TA, 'Accept(r2, f/1/ta)', 'AdjustLimit(ta, 2)']);
    expect(c.requests['r2']?.phase).toBe('throttled');
    c = run(initCluster(MC_CONFIG), ['AdjustLimit(ta, 2)', TA, 'Accept(r2, f/1/ta)',
      'Probe(r1, w1, miss)', 'Provision(r1, w2, w2#1)', 'Probe(r2, w1, miss)',
      'Provision(r2, w2, miss)']);
    expect(c.limiter.tenants['ta']?.admitted).toEqual(['r1', 'r2']);
    expect(labels(c)).toContain('Throttle(r2)');
    c = run(c, ['Throttle(r2)']);
    expect(c.requests['r2']?.phase).toBe('throttled');
    expect(c.limiter.tenants['ta']?.admitted).toEqual(['r1']);
    expect(labels(c).filter((l) => l.includes('r2'))).toEqual([]);
  });

  it('AdjustLimit never goes below the admitted count', () => {
    const c = run(initCluster(MC_CONFIG), ['AdjustLimit(ta, 2)', TA, 'Accept(r2, f/1/ta)']);
    expect(labels(c).filter((l) => l.startsWith('AdjustLimit(ta'))).toEqual([]);
    expect(c.limiter.tenants['ta']?.limit).toBe(2);
  });

  it('refuses actions that are not enabled, and releaseOnce saturates', () => {
    const c = initCluster(REPLAY_CONFIG);
    expect(() => applyAction(c, { action: 'Start', params: { r: 'r1' }, label: 'Start(r1)' }))
      .toThrow(/not enabled/);
    const l = lim.initLimiter({ floor: 1, max: 2 }, ['ta']);
    expect(releaseOnce(l, 'ta', 'r1')).toBe(l);
  });
});

describe('sandbox spec state', () => {
  it('maps a running request onto the spec variables', () => {
    const c = run(initCluster(REPLAY_CONFIG), RUNNING);
    const s = specState(c);
    expect(Object.keys(s)).toEqual([...SPEC_VARIABLES]);
    const w1 = [{ '#model': 'w1' }, 1];
    const w2 = [{ '#model': 'w2' }, 1];
    const r1 = { '#model': 'r1' };
    const kind = { fn: { '#model': 'f' }, ver: 1, tenant: { '#model': 'ta' } };
    const none = { '#model': 'None' };
    expect(s['sbState']).toEqual({ '#map': [[w1, 'Free'], [w2, 'Busy']] });
    expect(s['sbKind']).toEqual({ '#map': [[w1, none], [w2, kind]] });
    expect(s['sbReq']).toEqual({ '#map': [[w1, none], [w2, r1]] });
    expect(s['used']).toEqual({ '#map': [[w1, { '#set': [] }], [w2, { '#set': [r1] }]] });
    expect(s['rState']).toEqual({ '#map': [[r1, 'running']] });
    expect(s['kind']).toEqual({ '#map': [[r1, kind]] });
    expect(s['asked']).toEqual({ '#map': [[r1, [{ '#model': 'w1' }, { '#model': 'w2' }]]] });
    expect(s['probes']).toEqual({ '#map': [[r1, 1]] });
    expect(s['sb']).toEqual({ '#map': [[r1, w2]] });
    expect(s['tries']).toEqual({ '#map': [[r1, 0]] });
    expect(s['redrives']).toEqual({ '#map': [[r1, 0]] });
    expect(s['store']).toEqual({ '#set': [] });
    expect(s['creds']).toEqual({ '#set': [{ req: r1, sb: w2 }] });
    expect(s['limit']).toEqual({ '#map': [[{ '#model': 'ta' }, 1], [{ '#model': 'tb' }, 1]] });
    expect(s['inflight']).toEqual({ '#map': [[{ '#model': 'ta' }, 1], [{ '#model': 'tb' }, 0]] });
    expect(s['completions']).toEqual({ '#map': [[r1, 0]] });
    const failed = specState(run(initCluster({ ...REPLAY_CONFIG, maxRetries: 0 }),
      [...RUNNING, 'Fail(r1)']));
    expect(failed['store']).toEqual({ '#set': [r1] });
    expect(failed['sb']).toEqual({ '#map': [[r1, none]] });
    expect(failed['creds']).toEqual({ '#set': [] });
    expect(specKind(null)).toEqual(none);
    expect(specSlot(c, 'w2#1')).toEqual(w2);
    expect(() => specSlot(c, 'w2#7')).toThrow(/unknown sandbox/);
  });
});

describe('sandbox invariants bite on their boundaries', () => {
  const base = run(initCluster(REPLAY_CONFIG), RUNNING);
  const r1 = base.requests['r1']!;
  const withReq = (over: Partial<typeof r1>, c = base): Cluster =>
    ({ ...c, requests: { ...c.requests, r1: { ...r1, ...over } } });
  const w2 = base.workers['w2']!;
  const withSb = (over: object, c = base): Cluster => ({ ...c, workers: { ...c.workers,
    w2: { ...w2, sandboxes: [{ ...w2.sandboxes[0]!, ...over }] } } });

  it('hold on a reachable state', () => {
    expect(violatedInvariants(base)).toEqual([]);
  });

  it('TypeOK: phases, ids, retries, redrives, completions and limits in range', () => {
    expect(invariants.TypeOK(withSb({ phase: 'Gone' }))).toBe(false);
    expect(invariants.TypeOK(withSb({ request: 'r9' }))).toBe(false);
    expect(invariants.TypeOK(withSb({ request: null }))).toBe(true);
    expect(invariants.TypeOK(withSb({ used: ['r9'] }))).toBe(false);
    expect(invariants.TypeOK(withReq({ phase: 'lost' as 'new' }))).toBe(false);
    expect(invariants.TypeOK(withReq({ asked: ['w9'] }))).toBe(false);
    expect(invariants.TypeOK(withReq({ asked: ['w1', 'w2', 'w1'] }))).toBe(false);
    expect(invariants.TypeOK(withReq({ probes: -1 }))).toBe(false);
    expect(invariants.TypeOK(withReq({ probes: 0.5 }))).toBe(false);
    expect(invariants.TypeOK(withReq({ tries: 1 }))).toBe(true);
    expect(invariants.TypeOK(withReq({ tries: 2 }))).toBe(false);
    expect(invariants.TypeOK(withReq({ redrives: 1 }))).toBe(true);
    expect(invariants.TypeOK(withReq({ redrives: 2 }))).toBe(false);
    expect(invariants.TypeOK({ ...base, completions: { r1: 2 } })).toBe(true);
    expect(invariants.TypeOK({ ...base, completions: { r1: 3 } })).toBe(false);
    const lt = (limit: number, admitted: string[]) => ({ ...base, limiter: { ...base.limiter,
      tenants: { ...base.limiter.tenants, tb: { limit, admitted } } } });
    expect(invariants.TypeOK(lt(2, ['a', 'b']))).toBe(true);
    expect(invariants.TypeOK(lt(0, []))).toBe(false);
    expect(invariants.TypeOK(lt(3, []))).toBe(false);
    expect(invariants.TypeOK(lt(2, ['a', 'b', 'c']))).toBe(false);
  });

  it('NoDoubleBooking and TenantIsolation', () => {
    const two = run(initCluster(MC_CONFIG), ['AdjustLimit(ta, 2)', TA, 'Accept(r2, f/1/ta)',
      'Probe(r1, w1, miss)', 'Provision(r1, w2, w2#1)']);
    expect(invariants.NoDoubleBooking(two)).toBe(true);
    const dup = { ...two, requests: { ...two.requests, r2: { ...two.requests['r2']!,
      phase: 'running' as const, sandbox: 'w2#1' } } };
    expect(invariants.NoDoubleBooking(dup)).toBe(false);
    expect(invariants.NoDoubleBooking({ ...dup, requests: { ...dup.requests,
      r2: { ...dup.requests['r2']!, phase: 'completed' as const } } })).toBe(true);
    expect(invariants.TenantIsolation(base)).toBe(true);
    expect(invariants.TenantIsolation(withSb({ kind: { fn: 'f', version: 1, tenant: 'tb' } })))
      .toBe(false);
    expect(invariants.TenantIsolation(withSb({ kind: null }))).toBe(false);
    expect(invariants.TenantIsolation(withReq({ kind: null }))).toBe(false);
    expect(invariants.TenantIsolation(withReq({ phase: 'completed' }, withSb({ kind: null }))))
      .toBe(true);
  });

  it('SingleUseReset: a running request is the only one its sandbox ran since reset', () => {
    expect(invariants.SingleUseReset(withSb({ used: ['r1', 'r1'] }))).toBe(false);
    expect(invariants.SingleUseReset(withSb({ used: [] }))).toBe(false);
    expect(invariants.SingleUseReset(withSb({ used: ['r0'] }))).toBe(false);
    const reuse = { ...base, config: { ...base.config, singleUse: false } };
    expect(invariants.SingleUseReset(withSb({ used: ['r0', 'r1'] }, reuse))).toBe(true);
    expect(invariants.SingleUseReset(withReq({ phase: 'acquired' }, withSb({ used: [] }))))
      .toBe(true);
  });

  it('CredentialScope: a valid credential belongs to a running request in its sandbox', () => {
    expect(invariants.CredentialScope(withReq({ phase: 'completed' }))).toBe(false);
    expect(invariants.CredentialScope(withReq({ sandbox: 'w1#1' }))).toBe(false);
    const revoked = { ...base, revoked: new Set([base.minted[0]!.mac]) };
    expect(invariants.CredentialScope(withReq({ phase: 'completed' }, revoked))).toBe(true);
    const expired = { ...base, clockMs: base.minted[0]!.expiresAtMs };
    expect(invariants.CredentialScope(withReq({ phase: 'completed' }, expired))).toBe(true);
  });

  it('BoundedProbes at exactly MaxProbes', () => {
    expect(invariants.BoundedProbes(withReq({ probes: 1 }))).toBe(true);
    expect(invariants.BoundedProbes(withReq({ probes: 2 }))).toBe(false);
  });

  it('WithinLimits: executing requests within the tenant limit, slots within capacity', () => {
    expect(invariants.WithinLimits(withReq({ phase: 'placing' }))).toBe(true);
    const low = { ...base, limiter: { ...base.limiter, tenants: { ...base.limiter.tenants,
      ta: { limit: 0, admitted: [] } } } };
    expect(invariants.WithinLimits(low)).toBe(false);
    expect(invariants.WithinLimits(withReq({ phase: 'completed' }, low))).toBe(true);
    expect(invariants.WithinLimits(withReq({ phase: 'new' }, low))).toBe(true);
    const crowded = { ...base, workers: { ...base.workers, w2: { ...w2,
      sandboxes: [w2.sandboxes[0]!, { ...w2.sandboxes[0]!, id: 'w2#2', slot: 2 }] } } };
    expect(invariants.WithinLimits(crowded)).toBe(false);
    const spare = { ...crowded, workers: { ...crowded.workers, w2: { ...w2, sandboxes: [
      w2.sandboxes[0]!, { ...w2.sandboxes[0]!, id: 'w2#2', slot: 2, phase: 'Free' as const }] } } };
    expect(invariants.WithinLimits(spare)).toBe(true);
  });

  it('NoLostRequest: failed iff stored, completed iff completed once', () => {
    expect(invariants.NoLostRequest(withReq({ phase: 'failed' }))).toBe(false);
    expect(invariants.NoLostRequest({ ...base, completions: { r1: 1 } })).toBe(false);
    expect(invariants.NoLostRequest(withReq({ phase: 'completed' }))).toBe(false);
    expect(invariants.NoLostRequest({ ...withReq({ phase: 'completed' }),
      completions: { r1: 1 } })).toBe(true);
    expect(invariants.NoLostRequest({ ...withReq({ phase: 'completed' }),
      completions: { r1: 2 } })).toBe(false);
    const stored = { ...base, store: { ...base.store, entries: [{ request: 'r1',
      kind: r1.kind!, error: 'e', attempts: 1 }] } };
    expect(invariants.NoLostRequest(stored)).toBe(false);
    expect(invariants.NoLostRequest(withReq({ phase: 'failed' }, stored))).toBe(true);
  });
});
