import { describe, expect, it } from 'vitest';
import {
  failureStore as fs, frontend as fe, lifecycle as life, limiter as lim, parseMessage,
  workerManager as wm, type Kind,
} from '../../src/sandbox/index.ts';

const kA: Kind = { fn: 'f', version: 1, tenant: 'ta' };
const kB: Kind = { fn: 'f', version: 1, tenant: 'tb' };
const kA2: Kind = { fn: 'f', version: 2, tenant: 'ta' };
const first = () => 0;

function ok<T>(o: { ok: true; step: { state: T } } | { ok: false; error: { message: string } }): T {
  if (!o.ok) throw new Error(o.error.message);
  return o.step.state;
}

describe('lifecycle', () => {
  it('follows Free -> Provisioning -> Busy -> Resetting -> Idle -> Busy -> Idle -> Free', () => {
    let sb = life.freeSandbox('w1', 1);
    const step = (r: life.LifecycleResult) => {
      if (!r.ok) throw new Error(r.error.message);
      return r.sandbox;
    };
    sb = step(life.provision(sb, kA, 'r1'));
    sb = step(life.ready(sb));
    sb = step(life.start(sb, 'r1'));
    expect(sb.used).toEqual(['r1']);
    sb = step(life.release(sb, 'r1', true));
    expect(sb.phase).toBe('Resetting');
    expect(life.reserve(sb, 'r2').ok).toBe(false); // nothing runs before the reset
    sb = step(life.reset(sb));
    expect(sb.used).toEqual([]);
    sb = step(life.reserve(sb, 'r2'));
    expect(life.reserve(sb, 'r3').ok).toBe(false);
    expect(life.start(sb, 'r3').ok).toBe(false);
    sb = step(life.release(sb, 'r2', false));
    expect(sb.phase).toBe('Idle');
    sb = step(life.reclaim(sb));
    expect(sb).toMatchObject({ phase: 'Free', kind: null });
    expect(life.ready(sb).ok).toBe(false);
  });
});

describe('worker manager', () => {
  const init = (singleUse = true) => wm.initWorker({ id: 'w1', capacity: 2, singleUse });

  it('probes miss on an empty worker; provision fills free slots up to capacity', () => {
    let w = init();
    expect(wm.acquire(w, 'r1', kA, 'probe', first).result).toEqual({ outcome: 'miss' });
    const p1 = wm.acquire(w, 'r1', kA, 'provision', first);
    expect(p1.result).toEqual({ outcome: 'provisioning', sandbox: 'w1#1' });
    expect(p1.effects).toEqual([{ type: 'provision', sandbox: 'w1#1', kind: kA }]);
    w = wm.acquire(p1.state, 'r2', kA, 'provision', first).state;
    expect(wm.acquire(w, 'r3', kA, 'provision', first).result).toEqual({ outcome: 'miss' });
    expect(w.sandboxes.filter((s) => s.phase !== 'Free')).toHaveLength(2);
  });

  it('acquire is atomic: an idle sandbox is taken once; other kinds never match', () => {
    let w = init(false);
    w = wm.acquire(w, 'r1', kA, 'provision', first).state;
    w = ok(wm.ready(w, 'w1#1'));
    w = ok(wm.start(w, 'w1#1', 'r1'));
    w = ok(wm.release(w, 'w1#1', 'r1', 'success'));
    expect(wm.acquire(w, 'r2', kB, 'probe', first).result.outcome).toBe('miss');
    expect(wm.acquire(w, 'r2', kA2, 'probe', first).result.outcome).toBe('miss');
    const a = wm.acquire(w, 'r2', kA, 'probe', first);
    expect(a.result).toEqual({ outcome: 'acquired', sandbox: 'w1#1' });
    expect(wm.acquire(a.state, 'r3', kA, 'probe', first).result.outcome).toBe('miss');
    expect(wm.acquireNamed(a.state, 'r3', kA, 'w1#1').result.outcome).toBe('miss');
  });

  it('answers Acquire wire messages (probe, provision, named)', () => {
    const msg = { type: 'Acquire' as const, requestId: 'r1', kind: kA, mode: 'probe' as const,
      sandbox: null };
    const w = init();
    expect(wm.onAcquire(w, msg, first).result)
      .toEqual({ type: 'AcquireReply', requestId: 'r1', worker: 'w1', outcome: 'miss' });
    const p = wm.onAcquire(w, { ...msg, mode: 'provision' }, first);
    expect(p.result).toMatchObject({ outcome: 'provisioning', sandbox: 'w1#1' });
    expect(parseMessage(p.result).ok).toBe(true);
    const named = wm.onAcquire(p.state, { ...msg, mode: 'named', sandbox: 'w1#1' }, first);
    expect(named.result.outcome).toBe('miss'); // provisioning, not idle
  });

  it('single-use: every outcome resets before reuse; reclaim destroys', () => {
    for (const outcome of ['success', 'error', 'timeout'] as const) {
      let w = wm.acquire(init(), 'r1', kA, 'provision', first).state;
      w = ok(wm.ready(w, 'w1#1'));
      w = ok(wm.start(w, 'w1#1', 'r1'));
      const rel = wm.release(w, 'w1#1', 'r1', outcome);
      if (!rel.ok) throw new Error(rel.error.message);
      expect(rel.step.effects).toEqual([{ type: 'reset', sandbox: 'w1#1' }]);
      expect(wm.acquire(rel.step.state, 'r2', kA, 'probe', first).result.outcome).toBe('miss');
      w = ok(wm.reset(rel.step.state, 'w1#1'));
      expect(wm.acquireNamed(w, 'r2', kA, 'w1#1').result.outcome).toBe('acquired');
      const rc = wm.reclaim(w, 'w1#1');
      if (!rc.ok) throw new Error(rc.error.message);
      expect(rc.step.effects).toEqual([{ type: 'destroy', sandbox: 'w1#1' }]);
    }
    const bad = wm.reset(init(), 'w1#9');
    expect(bad.ok ? 'ok' : bad.error.code).toBe('unknown-sandbox');
  });
});

describe('limiter', () => {
  it('admits up to the limit, releases each admission exactly once', () => {
    let l = lim.initLimiter({ floor: 1, max: 3 }, ['ta']);
    const a1 = lim.admit(l, 'ta', 'r1');
    expect(a1.admitted).toBe(true);
    expect(lim.admit(a1.state, 'ta', 'r2').admitted).toBe(false);
    const r1 = lim.release(a1.state, 'ta', 'r1');
    if (!r1.ok) throw new Error(r1.error.message);
    const again = lim.release(r1.state, 'ta', 'r1');
    expect(again.ok ? 'ok' : again.error.code).toBe('not-admitted');
    l = r1.state;
    expect(lim.inflight(l, 'ta')).toBe(0);
  });

  it('moves the limit between floor and max with demand, never below the admitted', () => {
    let l = lim.initLimiter({ floor: 1, max: 3 }, ['ta']);
    for (let i = 0; i < 5; i++) l = lim.adjust(l, 'ta', true);
    expect(lim.tenantOf(l, 'ta').limit).toBe(3);
    l = lim.admit(l, 'ta', 'r1').state;
    l = lim.admit(l, 'ta', 'r2').state;
    expect(lim.setLimit(l, 'ta', 1).ok).toBe(false);
    expect(lim.setLimit(l, 'ta', 4).ok).toBe(false);
    l = lim.adjust(l, 'ta', false); // 2 of 3 used: kept
    expect(lim.tenantOf(l, 'ta').limit).toBe(3);
    const r = lim.release(l, 'ta', 'r1');
    const r2 = r.ok ? lim.release(r.state, 'ta', 'r2') : r;
    if (!r2.ok) throw new Error('release');
    l = lim.adjust(r2.state, 'ta', false); // idle: halved, not below floor
    expect(lim.tenantOf(l, 'ta').limit).toBe(1);
  });
});

describe('failure store and frontend', () => {
  it('stores once, re-drives once', () => {
    let s = fs.initFailureStore(2);
    const f = { request: 'r1', kind: kA, error: 'boom', attempts: 2 };
    const put = fs.storeFailure(s, f);
    if (!put.ok) throw new Error('store');
    s = put.state;
    const dup = fs.storeFailure(s, f);
    expect(dup.ok ? 'ok' : dup.error.code).toBe('already-stored');
    const got = fs.redrive(s, 'r1');
    expect(got.ok && got.value).toEqual(f);
    const none = fs.redrive(got.ok ? got.state : s, 'r1');
    expect(none.ok ? 'ok' : none.error.code).toBe('not-stored');
  });

  it('sticky first, then probes, provision, retries, then failed', () => {
    const cfg = { workers: ['w1', 'w2', 'w3'], maxProbes: 1, maxRetries: 1 };
    let r = fe.accept(fe.newRequest('r1'), kA, 'w2#1', true);
    expect(fe.nextAsk(r, cfg, first))
      .toEqual({ type: 'acquireNamed', worker: 'w2', sandbox: 'w2#1' });
    r = fe.stickyMissed(r);
    expect(fe.nextAsk(r, cfg, first)).toEqual({ type: 'acquire', worker: 'w1', mode: 'probe' });
    r = fe.onAcquireAnswer(r, 'w1', 'probe', { outcome: 'miss' });
    expect(fe.nextAsk(r, cfg, first)).toEqual({ type: 'acquire', worker: 'w2', mode: 'provision' });
    r = fe.onAcquireAnswer(r, 'w2', 'provision', { outcome: 'provisioning', sandbox: 'w2#1' });
    r = fe.started(r);
    const f1 = fe.attemptFailed(r, 'timeout', cfg.maxRetries);
    expect(f1.retry).toBe(true);
    expect(f1.state).toMatchObject({ phase: 'placing', asked: [], probes: 0, tries: 1 });
    r = fe.onAcquireAnswer(f1.state, 'w3', 'probe', { outcome: 'acquired', sandbox: 'w3#1' });
    const f2 = fe.attemptFailed(fe.started(r), 'error', cfg.maxRetries);
    expect(f2).toMatchObject({ retry: false, state: { phase: 'failed', lastError: 'error' } });
    expect(fe.redriven(f2.state)).toMatchObject({ phase: 'placing', tries: 0, redrives: 1 });
    expect(() => fe.completed(f2.state)).toThrow();
    expect(fe.accept(fe.newRequest('r2'), kA, null, false).phase).toBe('throttled');
  });

  it('parses wire messages with zod and drops malformed ones as values', () => {
    const acq = { type: 'Acquire', requestId: 'r1', kind: kA, mode: 'probe', sandbox: null };
    const m = parseMessage(acq);
    expect(m.ok).toBe(true);
    const bad = parseMessage({ ...acq, requestId: '', mode: 'x' });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('bad-message');
    expect(parseMessage(42).ok).toBe(false);
  });
});
