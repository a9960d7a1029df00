import { describe, expect, it } from 'vitest';
import { connections as conn, instance as inst, retry, tracing } from '../../src/snapshot/index.ts';

describe('connections', () => {
  it('terminates both ends, then a restore forgets the instance side', () => {
    const o = conn.openConnection({}, 'c1', 'vm1');
    if (!o.ok) throw new Error(o.message);
    const o2 = conn.openConnection(o.table, 'c2', 'vm2');
    if (!o2.ok) throw new Error(o2.message);
    const t = conn.terminateConnections(o2.table, 'vm1', ['instance', 'peer']);
    expect(t['c1']).toEqual({ instance: 'vm1', instEnd: 'closed', peerEnd: 'closed' });
    expect(t['c2']?.instEnd).toBe('open');
    const r = conn.forgetInstanceSide(t, 'vm1');
    expect(conn.halfOpen(r, 'vm1')).toEqual([]);
    expect(conn.openConnection(o.table, 'c1', 'vm1')).toMatchObject({ ok: false,
      code: 'CONNECTION_OPEN' });
  });

  it('leaves a half-open connection when a restore skips termination', () => {
    const o = conn.openConnection({}, 'c1', 'vm1');
    if (!o.ok) throw new Error(o.message);
    const r = conn.forgetInstanceSide(conn.terminateConnections(o.table, 'vm1', []), 'vm1');
    expect(conn.halfOpen(r, 'vm1')).toEqual(['c1']);
    expect(conn.openConnections(r, 'vm1')).toEqual(['c1']);
  });
});

describe('retry runner', () => {
  const cfg = { txId: 't1', maxAttempts: 3 };
  it('retries with one idempotency key: the service applies the effect once', () => {
    let s = retry.initTx(cfg);
    let svc = retry.initExternal();
    const keys: (string | null)[] = [];
    s = retry.txBegin(s).state;
    for (let n = 0; n < 3; n += 1) {
      const sent = retry.txSend(s, 'pay 5');
      const e = sent.effects[0];
      if (e?.type !== 'send-external') throw new Error('no send');
      keys.push(e.key);
      svc = retry.applyExternal(svc, e.key).service;
      s = retry.txJudge(sent.state, n === 2 ? 'ok' : 'conflict', (o) => o === 'ok').state;
      if (n < 2) s = retry.txRetry(s).state;
    }
    expect(new Set(keys).size).toBe(1);
    expect(svc.applied).toBe(1);
    expect(s).toMatchObject({ phase: 'done', succeeded: true, attempt: 3 });
  });

  it('gives up after maxAttempts failed attempts', () => {
    let s = retry.txBegin(retry.initTx(cfg)).state;
    for (let n = 1; n <= 3; n += 1) {
      s = retry.txJudge(s, false, (o: boolean) => o).state;
      if (n < 3) {
        expect(retry.txRetry(s).effects.map((e) => e.type))
          .toEqual(['restore-before-retry', 'run-attempt']);
        s = retry.txRetry(s).state;
      }
    }
    expect(retry.canRetry(s)).toBe(false);
    expect(() => retry.txRetry(s)).toThrow();
    expect(retry.txGiveUp(s).state).toMatchObject({ phase: 'done', succeeded: false });
  });

  it('applies keyless effects every time', () => {
    const a = retry.applyExternal(retry.initExternal(), null).service;
    expect(retry.applyExternal(a, null).service.applied).toBe(2);
  });
});

describe('tracing store', () => {
  it('carries tracing data to the next instance of the function, bounded', () => {
    let store = tracing.initTracingStore(2, 1);
    for (let n = 0; n < 3; n += 1) {
      const r = tracing.recordTrace(store, 'f', { site: 'loop', count: 10 });
      if (!r.ok) throw new Error(r.message);
      store = r.store;
    }
    expect(tracing.carryTo(store, 'f')).toEqual({ samples: 2, profile: { loop: 20 } });
    expect(tracing.carryTo(store, 'g').samples).toBe(0);
    expect(tracing.recordTrace(store, 'g', { site: 'x', count: 1 })).toMatchObject({ ok: false,
      code: 'TOO_MANY_FUNCTIONS' });
  });
});

describe('instance model', () => {
  const S = { name: 'S', preserved: '00', entropy: '00'.repeat(16) };
  it('restores S but for the identity the host hands in', () => {
    let vm = inst.launchInstance('vm1', S, 1, '11'.repeat(16));
    vm = inst.startExecution(vm, 'a');
    vm = inst.finishExecution(vm, 'a', 7, '05');
    expect(vm).toMatchObject({ garbageBytes: 7, preserved: '05', heap: 'dirty', running: [] });
    const r = inst.restoreInstance(vm, S, 2, '22'.repeat(16));
    expect(r).toMatchObject({ garbageBytes: 0, preserved: '00', heap: 'S', generation: 2 });
    expect(inst.writePreserved(r, inst.readPreserved(vm)).preserved).toBe('05');
    expect(() => inst.finishExecution(r, 'a', 1, null)).toThrow();
  });
});
