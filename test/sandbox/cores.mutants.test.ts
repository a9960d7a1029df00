// lifecycle.ts, worker-manager.ts, frontend.ts, limiter.ts, failure-store.ts and placement.ts
// under mutation: each transition's guard and result, exact worker effects, capacity and
// MaxProbes on their boundaries, the limiter's floor/max and AIMD steps, the store's bound.
import { describe, expect, it } from 'vitest';
import {
  failureStore as fs, frontend as fe, lifecycle as life, limiter as lim, nextPlacementStep,
  workerManager as wm, type Kind,
} from '../../src/sandbox/index.ts';

const K: Kind = { fn: 'f', version: 1, tenant: 'ta' };
const first = () => 0;
const W = (capacity = 2, singleUse = true) => wm.initWorker({ id: 'w1', capacity, singleUse });

/** A worker whose slot 1 is Idle of kind K after one single-use run. */
function idleWorker(capacity = 2): wm.WorkerState {
  let w = wm.acquire(W(capacity), 'r0', K, 'provision', first).state;
  const ok = <T>(o: wm.WorkerOutcome<T>) => {
    if (!o.ok) throw new Error(o.error.message);
    return o.step.state;
  };
  w = ok(wm.ready(w, 'w1#1'));
  w = ok(wm.start(w, 'w1#1', 'r0'));
  w = ok(wm.release(w, 'w1#1', 'r0', 'success'));
  return ok(wm.reset(w, 'w1#1'));
}

describe('lifecycle under mutation', () => {
  const free = life.freeSandbox('w1', 3);
  it('a free sandbox is slot `worker#slot`, empty', () => {
    expect(free).toEqual({ id: 'w1#3', worker: 'w1', slot: 3, phase: 'Free', kind: null,
      request: null, used: [] });
    expect(life.SANDBOX_PHASES).toEqual(['Free', 'Provisioning', 'Idle', 'Busy', 'Resetting']);
  });

  it('walks Free, Provisioning, Busy, Resetting, Idle, Busy, Idle, Free with exact fields', () => {
    const step = (r: life.LifecycleResult) => {
      if (!r.ok) throw new Error(r.error.message);
      return r.sandbox;
    };
    const p = step(life.provision({ ...free, used: ['x'] }, K, 'r1'));
    expect(p).toEqual({ ...free, phase: 'Provisioning', kind: K, request: 'r1', used: [] });
    const b = step(life.ready(p));
    expect(b).toEqual({ ...p, phase: 'Busy' });
    const s = step(life.start(b, 'r1'));
    expect(s.used).toEqual(['r1']);
    expect(step(life.start(s, 'r1'))).toBe(s);
    const rs = step(life.release(s, 'r1', true));
    expect(rs).toEqual({ ...s, phase: 'Resetting', request: null });
    const idle = step(life.reset(rs));
    expect(idle).toEqual({ ...rs, phase: 'Idle', used: [] });
    const again = step(life.reserve(idle, 'r2'));
    expect(again).toEqual({ ...idle, phase: 'Busy', request: 'r2' });
    const kept = step(life.release(step(life.start(again, 'r2')), 'r2', false));
    expect(kept).toEqual({ ...idle, phase: 'Idle', used: ['r2'] });
    expect(step(life.reclaim(kept))).toEqual({ ...kept, phase: 'Free', kind: null, used: [] });
  });

  it('refuses every transition from the wrong phase or for another request', () => {
    const busy = { ...free, phase: 'Busy' as const, kind: K, request: 'r1' };
    const err = (r: life.LifecycleResult) => (r.ok ? 'ok' : r.error);
    expect(err(life.provision(busy, K, 'r1'))).toEqual({ code: 'bad-transition',
      message: 'provision: sandbox w1#3 is Busy' });
    expect(err(life.ready(busy))).toMatchObject({ message: 'ready: sandbox w1#3 is Busy' });
    expect(err(life.reserve(busy, 'r2'))).toEqual({ code: 'bad-transition',
      message: 'reserve: sandbox w1#3 is Busy' });
    expect(err(life.start(busy, 'r2'))).toMatchObject({
      message: 'start r2: sandbox w1#3 is Busy' });
    expect(err(life.start({ ...busy, phase: 'Idle' }, 'r1'))).toMatchObject({
      code: 'bad-transition' });
    expect(err(life.release(busy, 'r2', true))).toMatchObject({
      message: 'release r2: sandbox w1#3 is Busy' });
    expect(err(life.release({ ...busy, phase: 'Idle' }, 'r1', true))).not.toBe('ok');
    expect(err(life.reset(busy))).toMatchObject({ message: 'reset: sandbox w1#3 is Busy' });
    expect(err(life.reclaim(busy))).toMatchObject({ message: 'reclaim: sandbox w1#3 is Busy' });
  });
});

describe('worker manager under mutation', () => {
  it('has `capacity` free slots numbered from 1; capacity is a positive integer', () => {
    expect(W(3).sandboxes.map((s) => [s.id, s.phase])).toEqual([
      ['w1#1', 'Free'], ['w1#2', 'Free'], ['w1#3', 'Free'],
    ]);
    expect(() => W(0)).toThrow(/capacity/);
    expect(() => W(1.5)).toThrow(/capacity/);
    expect(W(1).sandboxes).toHaveLength(1);
  });

  it('provisions in a free slot with one provision effect; a probe on no idle one misses', () => {
    const probe = wm.acquire(W(), 'r1', K, 'probe', first);
    expect(probe).toEqual({ state: W(), result: { outcome: 'miss' }, effects: [] });
    const p = wm.acquire(W(), 'r1', K, 'provision', (n) => n - 1);
    expect(p.result).toEqual({ outcome: 'provisioning', sandbox: 'w1#2' });
    expect(p.effects).toEqual([{ type: 'provision', sandbox: 'w1#2', kind: K }]);
    expect(wm.sandboxOf(p.state, 'w1#2')).toMatchObject({ phase: 'Provisioning', request: 'r1' });
    expect(wm.freeSlots(p.state).map((s) => s.id)).toEqual(['w1#1']);
  });

  it('misses when full: no free slot and no idle sandbox of the kind', () => {
    const full = wm.acquire(W(1), 'r1', K, 'provision', first).state;
    expect(wm.acquire(full, 'r2', K, 'provision', first)).toEqual({ state: full,
      result: { outcome: 'miss' }, effects: [] });
  });

  it('takes an idle sandbox of the same kind, atomically, without effects, in either mode', () => {
    const w = idleWorker();
    for (const mode of ['probe', 'provision'] as const) {
      const r = wm.acquire(w, 'r2', K, mode, first);
      expect(r.result).toEqual({ outcome: 'acquired', sandbox: 'w1#1' });
      expect(r.effects).toEqual([]);
      expect(wm.sandboxOf(r.state, 'w1#1')).toMatchObject({ phase: 'Busy', request: 'r2' });
    }
    const other = wm.acquire(w, 'r2', { ...K, tenant: 'tb' }, 'probe', first);
    expect(other.result).toEqual({ outcome: 'miss' });
    expect(wm.idleOf(w, { ...K, version: 2 })).toEqual([]);
    expect(wm.idleOf(w, { ...K, fn: 'g' })).toEqual([]);
    expect(wm.idleOf(w, K).map((s) => s.id)).toEqual(['w1#1']);
  });

  it('matches kinds on function, version and tenant; null never matches', () => {
    expect(wm.matchesKind(K, { ...K })).toBe(true);
    expect(wm.matchesKind(null, K)).toBe(false);
    expect(wm.matchesKind(K, { ...K, tenant: 'tb' })).toBe(false);
  });

  it('asserts a pickIndex out of range', () => {
    expect(() => wm.acquire(W(), 'r1', K, 'provision', () => 2)).toThrow(/pickIndex\(2\) gave 2/);
  });

  it('sticky: takes the named idle sandbox of the kind, else misses', () => {
    const w = idleWorker();
    const hit = wm.acquireNamed(w, 'r2', K, 'w1#1');
    expect(hit.result).toEqual({ outcome: 'acquired', sandbox: 'w1#1' });
    expect(hit.effects).toEqual([]);
    expect(wm.sandboxOf(hit.state, 'w1#1')).toMatchObject({ phase: 'Busy', request: 'r2' });
    expect(wm.acquireNamed(w, 'r2', K, 'w1#2').result).toEqual({ outcome: 'miss' });
    expect(wm.acquireNamed(w, 'r2', K, 'w1#9').result).toEqual({ outcome: 'miss' });
    const provisioning = wm.acquire(W(), 'r1', K, 'provision', first).state;
    expect(wm.acquireNamed(provisioning, 'r2', K, 'w1#1').result).toEqual({ outcome: 'miss' });
    expect(wm.acquireNamed(w, 'r2', { ...K, version: 9 }, 'w1#1')).toEqual({ state: w,
      result: { outcome: 'miss' }, effects: [] });
  });

  it('answers Acquire messages with replies naming the worker', () => {
    const w = idleWorker();
    const base = { type: 'Acquire' as const, requestId: 'r2', kind: K };
    expect(wm.onAcquire(w, { ...base, mode: 'probe', sandbox: null }, first).result).toEqual({
      type: 'AcquireReply', requestId: 'r2', worker: 'w1', outcome: 'acquired', sandbox: 'w1#1' });
    expect(wm.onAcquire(w, { ...base, mode: 'named', sandbox: null }, first)).toStrictEqual({
      state: w, effects: [],
      result: { type: 'AcquireReply', requestId: 'r2', worker: 'w1', outcome: 'miss' } });
    expect(wm.onAcquire(w, { ...base, mode: 'named', sandbox: 'w1#1' }, first).result)
      .toMatchObject({ outcome: 'acquired', sandbox: 'w1#1' });
    const p = wm.onAcquire(W(), { ...base, mode: 'provision', sandbox: null }, first);
    expect(p.result).toMatchObject({ outcome: 'provisioning', sandbox: 'w1#1' });
    expect(p.effects).toEqual([{ type: 'provision', sandbox: 'w1#1', kind: K }]);
  });

  it('release: reset effect in single-use mode on every outcome; none when reused', () => {
    for (const outcome of ['success', 'error', 'timeout'] as const) {
      let w = wm.acquire(W(), 'r1', K, 'provision', first).state;
      const r = wm.ready(w, 'w1#1');
      if (!r.ok) throw new Error('ready');
      w = r.step.state;
      const rel = wm.release(w, 'w1#1', 'r1', outcome);
      expect(rel).toMatchObject({ ok: true, step: { result: null,
        effects: [{ type: 'reset', sandbox: 'w1#1' }] } });
    }
    let reuse = wm.acquire(W(2, false), 'r1', K, 'provision', first).state;
    const r = wm.ready(reuse, 'w1#1');
    if (!r.ok) throw new Error('ready');
    reuse = r.step.state;
    const rel = wm.release(reuse, 'w1#1', 'r1', 'error');
    if (!rel.ok) throw new Error('release');
    expect(rel.step.effects).toEqual([]);
    expect(wm.sandboxOf(rel.step.state, 'w1#1')?.phase).toBe('Idle');
  });

  it('reclaim destroys; unknown sandboxes and bad transitions are errors', () => {
    const rc = wm.reclaim(idleWorker(), 'w1#1');
    expect(rc).toMatchObject({ ok: true, step: { effects: [{ type: 'destroy',
      sandbox: 'w1#1' }] } });
    expect(wm.reclaim(W(), 'w1#9')).toEqual({ ok: false, error: { code: 'unknown-sandbox',
      message: 'no sandbox w1#9' } });
    expect(wm.reset(W(), 'w1#1')).toMatchObject({ ok: false, error: { code: 'bad-transition' } });
    expect(wm.start(W(), 'w1#1', 'r1')).toMatchObject({ ok: false });
    const ready = wm.ready(wm.acquire(W(), 'r1', K, 'provision', first).state, 'w1#1');
    expect(ready).toMatchObject({ ok: true, step: { result: null, effects: [] } });
  });
});

describe('placement under mutation', () => {
  const view = (asked: string[], maxProbes: number) =>
    ({ workers: ['a', 'b', 'c'], asked, maxProbes });
  it('probes while asked < maxProbes, provisions from maxProbes on, then throttles', () => {
    expect(nextPlacementStep(view([], 2), first)).toEqual({ kind: 'probe', worker: 'a' });
    expect(nextPlacementStep(view(['a'], 2), first)).toEqual({ kind: 'probe', worker: 'b' });
    expect(nextPlacementStep(view(['a', 'b'], 2), first)).toEqual({ kind: 'provision',
      worker: 'c' });
    expect(nextPlacementStep(view([], 0), (n) => n - 1)).toEqual({ kind: 'provision',
      worker: 'c' });
    expect(nextPlacementStep(view(['a', 'b', 'c'], 1), first)).toEqual({ kind: 'throttle' });
  });

  it('draws among the workers not yet asked only', () => {
    const seen: number[] = [];
    const step = nextPlacementStep(view(['b'], 5), (n) => {
      seen.push(n);
      return 1;
    });
    expect(seen).toEqual([2]);
    expect(step).toEqual({ kind: 'probe', worker: 'c' });
  });

  it('refuses a bad maxProbes or a random index out of [0, n)', () => {
    expect(() => nextPlacementStep(view([], -1), first)).toThrow(/maxProbes/);
    expect(() => nextPlacementStep(view([], 0.5), first)).toThrow(/maxProbes/);
    expect(() => nextPlacementStep(view([], 1), () => 3)).toThrow(/randomIndex\(3\) returned 3/);
    expect(() => nextPlacementStep(view([], 1), () => -1)).toThrow(/randomIndex/);
    expect(() => nextPlacementStep(view([], 1), () => 0.5)).toThrow(/randomIndex/);
    expect(nextPlacementStep(view([], 1), () => 2)).toEqual({ kind: 'probe', worker: 'c' });
  });
});

describe('frontend under mutation', () => {
  const cfg = { workers: ['w1', 'w2'], maxProbes: 1, maxRetries: 1 };
  const placing = fe.accept(fe.newRequest('r1'), K, null, true);
  it('a new request is empty; accept decides placing or throttled', () => {
    expect(fe.newRequest('r1')).toEqual({ id: 'r1', phase: 'new', kind: null, sticky: null,
      asked: [], probes: 0, sandbox: null, tries: 0, redrives: 0, lastError: null });
    expect(placing).toMatchObject({ phase: 'placing', kind: K, sticky: null });
    expect(fe.accept(fe.newRequest('r1'), K, 'w2#1', false)).toMatchObject({
      phase: 'throttled', sticky: 'w2#1' });
    expect(() => fe.accept(placing, K, null, true)).toThrow(/accept of r1 in placing/);
    expect(fe.REQUEST_PHASES).toHaveLength(7);
    expect(fe.ACTIVE_PHASES).toEqual(['placing', 'acquired', 'running']);
    expect(fe.END_PHASES).toEqual(['completed', 'throttled', 'failed']);
  });

  it('asks the named sandbox first, only before any placement ask', () => {
    const sticky = { ...placing, sticky: 'w2#3' };
    expect(fe.nextAsk(sticky, cfg, first)).toEqual({ type: 'acquireNamed', worker: 'w2',
      sandbox: 'w2#3' });
    expect(fe.nextAsk({ ...sticky, asked: ['w1'] }, cfg, first)).toEqual({ type: 'acquire',
      worker: 'w2', mode: 'provision' });
    expect(fe.nextAsk({ ...sticky, probes: 1 }, cfg, first)).toMatchObject({ type: 'acquire' });
    expect(fe.nextAsk(fe.stickyMissed(sticky), cfg, first)).toEqual({ type: 'acquire',
      worker: 'w1', mode: 'probe' });
    expect(fe.nextAsk({ ...placing, asked: ['w1', 'w2'] }, cfg, first)).toEqual({
      type: 'throttle' });
    expect(() => fe.nextAsk(fe.newRequest('r1'), cfg, first)).toThrow(/nextAsk/);
  });

  it('names the worker of a sandbox id by its last #', () => {
    expect(fe.workerOfSandbox('w2#3')).toBe('w2');
    expect(fe.workerOfSandbox('a#b#1')).toBe('a#b');
    expect(fe.workerOfSandbox('plain')).toBe('plain');
    expect(fe.workerOfSandbox('#1')).toBe('#1');
  });

  it('counts probes and asked workers once; a hit acquires the sandbox', () => {
    const m = fe.onAcquireAnswer(placing, 'w1', 'probe', { outcome: 'miss' });
    expect(m).toMatchObject({ phase: 'placing', asked: ['w1'], probes: 1 });
    const again = fe.onAcquireAnswer(m, 'w1', 'provision', { outcome: 'miss' });
    expect(again).toMatchObject({ asked: ['w1'], probes: 1 });
    const hit = fe.onAcquireAnswer(m, 'w2', 'provision', { outcome: 'provisioning',
      sandbox: 'w2#1' });
    expect(hit).toMatchObject({ phase: 'acquired', sandbox: 'w2#1', asked: ['w1', 'w2'],
      probes: 1 });
    expect(fe.onAcquireAnswer(placing, 'w2', 'probe', { outcome: 'acquired', sandbox: 'w2#1' }))
      .toMatchObject({ phase: 'acquired', probes: 1 });
    expect(fe.onNamedAcquired(placing, 'w1#1')).toMatchObject({ phase: 'acquired',
      sandbox: 'w1#1', asked: [], probes: 0 });
    expect(() => fe.onAcquireAnswer(hit, 'w1', 'probe', { outcome: 'miss' })).toThrow();
  });

  it('runs, completes, fails with retries up to maxRetries, and is re-driven', () => {
    const acq = fe.onNamedAcquired({ ...placing, sticky: 'w1#1' }, 'w1#1');
    expect(() => fe.completed(acq)).toThrow(/complete/);
    const run = fe.started(acq);
    expect(run.phase).toBe('running');
    expect(fe.completed(run)).toMatchObject({ phase: 'completed', sandbox: null });
    const f1 = fe.attemptFailed(run, 'timeout', 1);
    expect(f1).toEqual({ retry: true, state: { ...run, phase: 'placing', sandbox: null,
      tries: 1, asked: [], probes: 0, sticky: null, lastError: 'timeout' } });
    const f2 = fe.attemptFailed({ ...run, tries: 1 }, 'error', 1);
    expect(f2).toEqual({ retry: false, state: { ...run, tries: 1, phase: 'failed',
      sandbox: null, lastError: 'error' } });
    expect(fe.attemptFailed(run, 'error', 0).retry).toBe(false);
    const back = fe.redriven({ ...f2.state, asked: ['w1'], probes: 1 });
    expect(back).toMatchObject({ phase: 'placing', tries: 0, asked: [], probes: 0,
      sticky: null, redrives: 1 });
    expect(() => fe.redriven(run)).toThrow(/redrive/);
    expect(fe.throttled(placing).phase).toBe('throttled');
    expect(() => fe.throttled(run)).toThrow(/throttle/);
    expect(() => fe.started(run)).toThrow(/start/);
    expect(() => fe.stickyMissed(run)).toThrow(/stickyMissed/);
    expect(() => fe.onNamedAcquired(run, 'w1#1')).toThrow(/onNamedAcquired/);
    expect(() => fe.attemptFailed(acq, 'error', 1)).toThrow(/attemptFailed/);
  });
});

function setLimitOk(s: lim.LimiterState, tenant: string, limit: number): lim.LimiterState {
  const r = lim.setLimit(s, tenant, limit);
  if (!r.ok) throw new Error(r.error.message);
  return r.state;
}

describe('limiter under mutation', () => {
  const cfg = { floor: 1, max: 3 };
  it('asserts 1 <= floor <= max, integers; starts tenants at the floor', () => {
    expect(() => lim.initLimiter({ floor: 0, max: 3 }, [])).toThrow(/floor/);
    expect(() => lim.initLimiter({ floor: 2, max: 1 }, [])).toThrow(/floor/);
    expect(() => lim.initLimiter({ floor: 1.5, max: 3 }, [])).toThrow(/floor/);
    expect(lim.initLimiter({ floor: 2, max: 2 }, ['ta']).tenants).toEqual({
      ta: { limit: 2, admitted: [] } });
    expect(lim.tenantOf(lim.initLimiter(cfg, []), 'zz')).toEqual({ limit: 1, admitted: [] });
  });

  it('admits below the limit, refuses at it; refuses a double admission', () => {
    let s = setLimitOk(lim.initLimiter(cfg, ['ta']), 'ta', 2);
    const a = lim.admit(s, 'ta', 'r1');
    expect(a.admitted).toBe(true);
    s = a.state;
    s = lim.admit(s, 'ta', 'r2').state;
    expect(lim.inflight(s, 'ta')).toBe(2);
    const no = lim.admit(s, 'ta', 'r3');
    expect(no).toEqual({ state: s, admitted: false });
    expect(() => lim.admit(s, 'ta', 'r1')).toThrow(/admitted twice/);
  });

  it('releases an admission exactly once', () => {
    const s = lim.admit(lim.initLimiter(cfg, ['ta']), 'ta', 'r1').state;
    const r = lim.release(s, 'ta', 'r1');
    if (!r.ok) throw new Error('release');
    expect(lim.inflight(r.state, 'ta')).toBe(0);
    expect(lim.release(r.state, 'ta', 'r1')).toEqual({ ok: false, error: {
      code: 'not-admitted', message: 'r1 holds no slot' } });
  });

  it('sets limits within [floor, max], not below the admitted count', () => {
    const s = lim.admit(lim.admit(setLimitOk(lim.initLimiter(cfg, ['ta']), 'ta', 3), 'ta',
      'r1').state, 'ta', 'r2').state;
    expect(lim.setLimit(s, 'ta', 2).ok).toBe(true);
    expect(lim.setLimit(s, 'ta', 3).ok).toBe(true);
    expect(lim.setLimit(s, 'ta', 1)).toEqual({ ok: false, error: { code: 'bad-limit',
      message: 'limit 1 out of range' } });
    expect(lim.setLimit(s, 'ta', 4).ok).toBe(false);
    expect(lim.setLimit(s, 'ta', 2.5).ok).toBe(false);
    const raised = setLimitOk(lim.initLimiter(cfg, ['ta']), 'ta', 3);
    expect(lim.setLimit(raised, 'ta', 1).ok).toBe(true);
    expect(lim.setLimit(lim.initLimiter({ floor: 2, max: 3 }, ['ta']), 'ta', 1).ok).toBe(false);
  });

  it('AIMD: +1 when refused (capped at max), halves under half use (floored), else keeps', () => {
    const at = (limit: number, admitted: string[], c = cfg) =>
      ({ config: c, tenants: { ta: { limit, admitted } } });
    expect(lim.adjust(at(2, []), 'ta', true).tenants['ta']?.limit).toBe(3);
    const capped = at(3, []);
    expect(lim.adjust(capped, 'ta', true)).toBe(capped);
    const big = { floor: 1, max: 16 };
    expect(lim.adjust(at(8, ['a'], big), 'ta', false).tenants['ta']?.limit).toBe(4);
    expect(lim.adjust(at(8, ['a', 'b', 'c'], big), 'ta', false).tenants['ta']?.limit).toBe(4);
    const half = at(8, ['a', 'b', 'c', 'd'], big);
    expect(lim.adjust(half, 'ta', false)).toBe(half);
    expect(lim.adjust(at(7, ['a', 'b', 'c'], big), 'ta', false).tenants['ta']?.limit).toBe(3);
    expect(lim.adjust(at(2, [], { floor: 2, max: 4 }), 'ta', false).tenants['ta']?.limit)
      .toBe(2);
    expect(lim.adjust(at(9, [], { floor: 2, max: 16 }), 'ta', false).tenants['ta']?.limit)
      .toBe(4);
  });
});

describe('failure store under mutation', () => {
  const f = (request: string) => ({ request, kind: K, error: 'timeout', attempts: 2 });
  it('asserts a positive integer bound', () => {
    expect(() => fs.initFailureStore(0)).toThrow(/maxEntries/);
    expect(() => fs.initFailureStore(1.5)).toThrow(/maxEntries/);
    expect(fs.initFailureStore(1)).toEqual({ maxEntries: 1, entries: [] });
  });

  it('stores in order up to maxEntries, each request once, and re-drives by id', () => {
    let s = fs.initFailureStore(2);
    const put = (x: string) => {
      const r = fs.storeFailure(s, f(x));
      if (r.ok) s = r.state;
      return r;
    };
    expect(put('a')).toMatchObject({ ok: true, value: null });
    expect(put('a')).toEqual({ ok: false, error: { code: 'already-stored',
      message: 'a already stored' } });
    put('b');
    expect(s.entries.map((e) => e.request)).toEqual(['a', 'b']);
    expect(put('c')).toEqual({ ok: false, error: { code: 'store-full',
      message: 'failure store full' } });
    expect(fs.isStored(s, 'b')).toBe(true);
    expect(fs.isStored(s, 'c')).toBe(false);
    const r = fs.redrive(s, 'a');
    expect(r).toEqual({ ok: true, value: f('a'), state: { maxEntries: 2, entries: [f('b')] } });
    expect(fs.redrive(s, 'zz')).toEqual({ ok: false, error: { code: 'not-stored',
      message: 'zz is not stored' } });
  });
});
