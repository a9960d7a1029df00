// connections.ts, tracing-store.ts, retry-runner.ts and instance.ts under mutation: each end
// of a connection on its own, the table bound MAX_CONNECTIONS, the tracing bounds (maxSamples
// saturating, maxFunctions refusing), the retry runner's attempt limit on its boundary with
// exact effects, the external service's key window, and the instance model's restore.
import { describe, expect, it } from 'vitest';
import {
  connections as conn, instance as inst, retry, tracing, type ConnTable,
} from '../../src/snapshot/index.ts';

const opened = (t: ConnTable, id: string, instance: string): ConnTable => {
  const r = conn.openConnection(t, id, instance);
  if (!r.ok) throw new Error(r.message);
  return r.table;
};

describe('connections under mutation', () => {
  it('opens both ends; refuses to reopen while either end is open; reopens once closed', () => {
    const t = opened({}, 'c1', 'vm1');
    expect(t).toEqual({ c1: { instance: 'vm1', instEnd: 'open', peerEnd: 'open' } });
    expect(conn.openConnection(t, 'c1', 'vm1')).toEqual({ ok: false, code: 'CONNECTION_OPEN',
      message: 'c1 is open' });
    const inOnly: ConnTable = { c1: { instance: 'vm1', instEnd: 'open', peerEnd: 'closed' } };
    expect(conn.openConnection(inOnly, 'c1', 'vm1').ok).toBe(false);
    const peerOnly: ConnTable = { c1: { instance: 'vm1', instEnd: 'none', peerEnd: 'open' } };
    expect(conn.openConnection(peerOnly, 'c1', 'vm1').ok).toBe(false);
    const closed = conn.closeConnection(t, 'c1');
    expect(closed['c1']).toEqual({ instance: 'vm1', instEnd: 'closed', peerEnd: 'closed' });
    expect(conn.openConnection(closed, 'c1', 'vm1')).toEqual({ ok: true, table: t });
    expect(conn.closeConnection(t, 'nope')).toBe(t);
  });

  it('tracks at most MAX_CONNECTIONS, but a known id may be reopened at the bound', () => {
    expect(conn.MAX_CONNECTIONS).toBe(4096);
    const full: Record<string, conn.Connection> = {};
    for (let n = 0; n < conn.MAX_CONNECTIONS - 1; n += 1) {
      full[`c${n}`] = { instance: 'vm1', instEnd: 'closed', peerEnd: 'closed' };
    }
    expect(conn.openConnection(full, 'new', 'vm1').ok).toBe(true);
    full['last'] = { instance: 'vm1', instEnd: 'closed', peerEnd: 'closed' };
    expect(conn.openConnection(full, 'new', 'vm1')).toEqual({ ok: false,
      code: 'TOO_MANY_CONNECTIONS', message: '4096 tracked' });
    expect(conn.openConnection(full, 'c0', 'vm1').ok).toBe(true);
  });

  it('terminates the ends asked for, of the instance only, closing only open ends', () => {
    let t = opened(opened({}, 'a', 'vm1'), 'b', 'vm2');
    t = { ...t, n: { instance: 'vm1', instEnd: 'none', peerEnd: 'open' } };
    const onlyInst = conn.terminateConnections(t, 'vm1', ['instance']);
    expect(onlyInst['a']).toEqual({ instance: 'vm1', instEnd: 'closed', peerEnd: 'open' });
    expect(onlyInst['n']).toEqual({ instance: 'vm1', instEnd: 'none', peerEnd: 'open' });
    const onlyPeer = conn.terminateConnections(t, 'vm1', ['peer']);
    expect(onlyPeer['a']).toEqual({ instance: 'vm1', instEnd: 'open', peerEnd: 'closed' });
    expect(onlyPeer['n']).toEqual({ instance: 'vm1', instEnd: 'none', peerEnd: 'closed' });
    expect(onlyPeer['b']).toBe(t['b']);
    expect(conn.halfOpen(onlyInst, 'vm1')).toEqual(['a', 'n']);
    expect(conn.halfOpen(onlyInst, 'vm2')).toEqual([]);
  });

  it('forgets the instance side of its own connections only', () => {
    const t = opened(opened({}, 'a', 'vm1'), 'b', 'vm2');
    const f = conn.forgetInstanceSide(t, 'vm1');
    expect(f).toEqual({
      a: { instance: 'vm1', instEnd: 'none', peerEnd: 'open' },
      b: { instance: 'vm2', instEnd: 'open', peerEnd: 'open' },
    });
    expect(conn.halfOpen(f, 'vm1')).toEqual(['a']);
  });

  it('lists open connections: open at either end, of that instance', () => {
    const t: ConnTable = {
      both: { instance: 'vm1', instEnd: 'open', peerEnd: 'open' },
      inst: { instance: 'vm1', instEnd: 'open', peerEnd: 'closed' },
      peer: { instance: 'vm1', instEnd: 'none', peerEnd: 'open' },
      shut: { instance: 'vm1', instEnd: 'closed', peerEnd: 'closed' },
      other: { instance: 'vm2', instEnd: 'open', peerEnd: 'open' },
    };
    expect(conn.openConnections(t, 'vm1')).toEqual(['both', 'inst', 'peer']);
    expect(conn.halfOpen(t, 'vm1')).toEqual(['inst', 'peer']);
  });
});

describe('tracing store under mutation', () => {
  it('defaults to 1024 samples and 1024 functions; asserts its bounds', () => {
    expect(tracing.initTracingStore()).toEqual({ maxSamples: 1024, maxFunctions: 1024,
      byFunction: {} });
    expect(tracing.initTracingStore(0, 1).maxSamples).toBe(0);
    expect(() => tracing.initTracingStore(-1, 1)).toThrow(/tracing bounds/);
    expect(() => tracing.initTracingStore(1, 0)).toThrow(/tracing bounds/);
    expect(tracing.EMPTY_TRACE).toEqual({ samples: 0, profile: {} });
    expect(Object.isFrozen(tracing.EMPTY_TRACE)).toBe(true);
  });

  it('accumulates per site and saturates at exactly maxSamples', () => {
    let s = tracing.initTracingStore(2, 2);
    const rec = (fn: string, site: string, count: number) => {
      const r = tracing.recordTrace(s, fn, { site, count });
      if (!r.ok) throw new Error(r.message);
      s = r.store;
      return r.store;
    };
    rec('f', 'a', 3);
    expect(tracing.carryTo(s, 'f')).toEqual({ samples: 1, profile: { a: 3 } });
    rec('f', 'b', 4);
    expect(tracing.carryTo(s, 'f')).toEqual({ samples: 2, profile: { a: 3, b: 4 } });
    const before = s;
    expect(rec('f', 'a', 9)).toBe(before);
    rec('g', 'a', 1);
    expect(tracing.carryTo(s, 'g')).toEqual({ samples: 1, profile: { a: 1 } });
    expect(tracing.recordTrace(s, 'h', { site: 'a', count: 1 })).toEqual({ ok: false,
      code: 'TOO_MANY_FUNCTIONS', message: '2 tracked' });
    expect(tracing.recordTrace(s, 'g', { site: 'a', count: 1 }).ok).toBe(true);
  });

  it('records nothing with maxSamples 0 and carries the empty trace for unknown functions', () => {
    const s = tracing.initTracingStore(0, 1);
    const r = tracing.recordTrace(s, 'f', { site: 'a', count: 1 });
    expect(r).toEqual({ ok: true, store: s });
    expect(tracing.carryTo(s, 'f')).toBe(tracing.EMPTY_TRACE);
  });
});

describe('retry runner under mutation', () => {
  const cfg = { txId: 't1', maxAttempts: 2 };
  it('asserts at least one attempt and begins with a snapshot, then attempt 1', () => {
    expect(() => retry.initTx({ txId: 't', maxAttempts: 0 })).toThrow(/maxAttempts/);
    const s = retry.initTx({ txId: 't', maxAttempts: 1 });
    expect(s).toEqual({ config: { txId: 't', maxAttempts: 1 }, phase: 'idle', attempt: 0,
      succeeded: false });
    const b = retry.txBegin(s);
    expect(b.effects).toEqual([
      { type: 'snapshot-before-attempt', txId: 't' },
      { type: 'run-attempt', txId: 't', attempt: 1 },
    ]);
    expect(b.state).toMatchObject({ phase: 'running', attempt: 1 });
    expect(() => retry.txBegin(b.state)).toThrow(/TxBegin/);
  });

  it('sends under the transaction key, only while running', () => {
    const s = retry.txBegin(retry.initTx(cfg)).state;
    expect(retry.effectKey(s)).toBe('tx:t1');
    const r = retry.txSend(s, 'pay');
    expect(r.effects).toEqual([
      { type: 'send-external', txId: 't1', attempt: 1, key: 'tx:t1', payload: 'pay' },
    ]);
    expect(r.state.phase).toBe('sent');
    expect(() => retry.txSend(r.state, 'pay')).toThrow(/TxSend/);
  });

  it('judges from running or sent; success finishes with the attempt count', () => {
    const s = retry.txBegin(retry.initTx(cfg)).state;
    expect(() => retry.txJudge(retry.initTx(cfg), 1, () => true)).toThrow(/TxJudge/);
    const ok = retry.txJudge(s, 7, (o) => o === 7);
    expect(ok.effects).toEqual([{ type: 'tx-finished', txId: 't1', succeeded: true,
      attempts: 1 }]);
    expect(ok.state).toMatchObject({ phase: 'done', succeeded: true });
    const sent = retry.txSend(s, 'p').state;
    const bad = retry.txJudge(sent, 7, (o) => o === 8);
    expect(bad).toEqual({ state: { ...sent, phase: 'failed' }, effects: [] });
  });

  it('retries while attempt < maxAttempts and gives up at exactly maxAttempts', () => {
    const f1 = retry.txJudge(retry.txBegin(retry.initTx(cfg)).state, 0, () => false).state;
    expect(retry.canRetry(f1)).toBe(true);
    expect(retry.mustGiveUp(f1)).toBe(false);
    expect(() => retry.txGiveUp(f1)).toThrow(/TxGiveUp/);
    const r = retry.txRetry(f1);
    expect(r.effects).toEqual([
      { type: 'restore-before-retry', txId: 't1', attempt: 2 },
      { type: 'run-attempt', txId: 't1', attempt: 2 },
    ]);
    expect(r.state).toMatchObject({ phase: 'running', attempt: 2 });
    expect(retry.canRetry(r.state)).toBe(false);
    expect(retry.mustGiveUp(r.state)).toBe(false);
    const f2 = retry.txJudge(r.state, 0, () => false).state;
    expect(retry.canRetry(f2)).toBe(false);
    expect(retry.mustGiveUp(f2)).toBe(true);
    expect(() => retry.txRetry(f2)).toThrow(/TxRetry/);
    expect(retry.txGiveUp(f2)).toEqual({
      state: { ...f2, phase: 'done', succeeded: false },
      effects: [{ type: 'tx-finished', txId: 't1', succeeded: false, attempts: 2 }],
    });
  });

  it('the service applies a key once, keyless effects always, and remembers maxKeys keys', () => {
    expect(retry.initExternal()).toEqual({ keys: [], applied: 0, maxKeys: 10_000 });
    let svc = retry.initExternal(2);
    const apply = (key: string | null) => {
      const r = retry.applyExternal(svc, key);
      svc = r.service;
      return r.appliedNow;
    };
    expect(apply('a')).toBe(true);
    expect(apply('a')).toBe(false);
    expect(apply(null)).toBe(true);
    expect(svc).toEqual({ keys: ['a'], applied: 2, maxKeys: 2 });
    expect(apply('b')).toBe(true);
    expect(apply('c')).toBe(true);
    expect(svc.keys).toEqual(['b', 'c']);
    expect(apply('a')).toBe(true);
    expect(svc.applied).toBe(5);
  });
});

describe('instance model under mutation', () => {
  const S = { name: 'S', preserved: '00', entropy: '00'.repeat(16) };
  const E1 = '11'.repeat(16);
  it('launches from S with the given identity; asserts a positive generation', () => {
    expect(inst.launchInstance('vm1', S, 1, E1)).toEqual({
      id: 'vm1', snapshot: 'S', generation: 1, entropy: E1, garbageBytes: 0, preserved: '00',
      heap: 'S', running: [],
    });
    expect(() => inst.launchInstance('vm1', S, 0, E1)).toThrow(/generation/);
  });

  it('runs executions on a dirty heap; finish keeps the preserved state without a write', () => {
    let vm = inst.startExecution(inst.launchInstance('vm1', S, 1, E1), 'a');
    expect(vm).toMatchObject({ running: ['a'], heap: 'dirty' });
    expect(() => inst.startExecution(vm, 'a')).toThrow(/already runs/);
    vm = inst.startExecution(vm, 'b');
    vm = inst.finishExecution(vm, 'b', 0, null);
    expect(vm).toMatchObject({ running: ['a'], garbageBytes: 0, preserved: '00' });
    expect(() => inst.finishExecution(vm, 'a', -1, null)).toThrow(/garbage only grows/);
    expect(() => inst.finishExecution(vm, 'zz', 0, null)).toThrow(/zz not running/);
    vm = inst.finishExecution(vm, 'a', 4, '07');
    expect(vm).toMatchObject({ running: [], garbageBytes: 4, preserved: '07' });
  });

  it('restores only from its own S, keeping running executions listed', () => {
    const vm = inst.startExecution(inst.launchInstance('vm1', S, 1, E1), 'a');
    expect(() => inst.restoreInstance(vm, { ...S, name: 'T' }, 2, E1)).toThrow(/own S/);
    const r = inst.restoreInstance(inst.writePreserved(vm, '09'), S, 3, '22'.repeat(16));
    expect(r).toEqual({ id: 'vm1', snapshot: 'S', generation: 3, entropy: '22'.repeat(16),
      garbageBytes: 0, preserved: '00', heap: 'S', running: ['a'] });
  });
});
