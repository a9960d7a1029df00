// The KV cores under mutation (commands, store, model, group machine, client, rmw): the
// conditional-write versions (absent reads as 0, versions never reused after a delete),
// exactly-once sessions, the client's retry bound, the rmw loop, and the schema edges.
import { describe, expect, it } from 'vitest';
import {
  KV_NOOP, KvCommandSchema, KvEntrySchema, KvReplySchema, KvResultSchema, MAX_KEY_BYTES,
  MAX_VALUE_BYTES, applyCommand, applyEntry, commandKey, emptyKvState, initKvClient,
  kvClientSteps, kvGroupMachine, kvModel, kvStateMachine, onReply, onRetry, resultsEqual,
  rmwOnResult, rmwStart, submit, visibleVersion, type KvCommand, type KvResult, type RmwStep,
} from '../../src/consensus/kv/index.ts';

const put = (key: string, value: string, expectedVersion: number): KvCommand =>
  ({ type: 'put', key, value, expectedVersion });
const del = (key: string, expectedVersion: number): KvCommand =>
  ({ type: 'delete', key, expectedVersion });
const get = (key: string): KvCommand => ({ type: 'get', key });

describe('schemas', () => {
  it('bounds keys, values, versions and sequence numbers', () => {
    const ok = (c: unknown) => KvCommandSchema.safeParse(c).success;
    expect(MAX_KEY_BYTES).toBe(256);
    expect(MAX_VALUE_BYTES).toBe(65_536);
    expect(ok(get(''))).toBe(false);
    expect(ok(get('k'.repeat(256)))).toBe(true);
    expect(ok(get('k'.repeat(257)))).toBe(false);
    expect(ok(put('k', 'v'.repeat(65_536), 0))).toBe(true);
    expect(ok(put('k', 'v'.repeat(65_537), 0))).toBe(false);
    expect(ok(put('k', '', 0))).toBe(true);
    expect(ok(put('k', 'v', -1))).toBe(false);
    expect(ok(put('k', 'v', 1.5))).toBe(false);
    expect(ok(del('k', 3))).toBe(true);
    expect(ok(del('k', -1))).toBe(false);
    expect(ok({ type: 'delete', key: 'k' })).toBe(false);
    const entry = (clientId: string, seq: number) =>
      KvEntrySchema.safeParse({ clientId, seq, command: get('k') }).success;
    expect([entry('c', 1), entry('', 1), entry('c'.repeat(128), 1), entry('c'.repeat(129), 1),
      entry('c', 0), entry('c', 1.5)]).toEqual([true, false, true, false, false, false]);
    const reply = (seq: number, result: unknown) =>
      KvReplySchema.safeParse({ clientId: 'c', seq, result }).success;
    expect(reply(1, { type: 'deleted' })).toBe(true);
    expect(reply(0, { type: 'deleted' })).toBe(false);
    expect(reply(1.5, { type: 'deleted' })).toBe(false);
    const res = (r: unknown) => KvResultSchema.safeParse(r).success;
    expect(res({ type: 'value', value: null, version: 0 })).toBe(true);
    expect(res({ type: 'value', value: 'x', version: -1 })).toBe(false);
    expect(res({ type: 'written', version: 1 })).toBe(true);
    expect(res({ type: 'written', version: -1 })).toBe(false);
    expect(res({ type: 'conflict', currentVersion: 2 })).toBe(true);
    expect(res({ type: 'conflict', currentVersion: -2 })).toBe(false);
    expect(commandKey(del('kk', 1))).toBe('kk');
  });
});

describe('store semantics', () => {
  it('absent reads as version 0; put creates, versions count writes and deletes', () => {
    expect(visibleVersion(undefined)).toBe(0);
    expect(visibleVersion({ value: null, version: 4 })).toBe(0);
    expect(visibleVersion({ value: 'x', version: 4 })).toBe(4);
    let d = applyCommand({}, get('k'));
    expect(d.result).toEqual({ type: 'value', value: null, version: 0 });
    expect(applyCommand({}, put('k', 'a', 1)).result).toEqual(
      { type: 'conflict', currentVersion: 0 });
    d = applyCommand({}, put('k', 'a', 0));
    expect(d.result).toEqual({ type: 'written', version: 1 });
    d = applyCommand(d.data, put('k', 'b', 1));
    expect(d.result).toEqual({ type: 'written', version: 2 });
    expect(applyCommand(d.data, get('k')).result).toEqual(
      { type: 'value', value: 'b', version: 2 });
    expect(applyCommand(d.data, del('k', 1)).result).toEqual(
      { type: 'conflict', currentVersion: 2 });
    d = applyCommand(d.data, del('k', 2));
    expect(d.result).toEqual({ type: 'deleted' });
    expect(d.data['k']).toEqual({ value: null, version: 3 });
    expect(applyCommand(d.data, del('k', 0)).result).toEqual(
      { type: 'conflict', currentVersion: 0 });
    expect(applyCommand({}, del('k', 0)).result).toEqual({ type: 'conflict', currentVersion: 0 });
    d = applyCommand(d.data, put('k', 'c', 0));
    expect(d.result).toEqual({ type: 'written', version: 4 });
    expect(() => applyCommand({}, { type: 'x', key: 'k' } as never)).toThrow('assertion');
  });
  it('sessions: a duplicate of the newest entry answers its result, an older one nothing', () => {
    const s0 = emptyKvState();
    expect(s0).toEqual({ data: {}, sessions: {}, applied: 0 });
    const e1 = { clientId: 'c', seq: 1, command: put('k', 'a', 0) };
    const a = applyEntry(s0, e1);
    expect(a.result).toEqual({ type: 'written', version: 1 });
    expect(a.state.sessions).toEqual({ c: { seq: 1, result: { type: 'written', version: 1 } } });
    const dup = applyEntry(a.state, e1);
    expect(dup.result).toEqual({ type: 'written', version: 1 });
    expect(dup.state).toEqual({ ...a.state, applied: 2 });
    const e3 = { clientId: 'c', seq: 3, command: put('k', 'b', 1) };
    const b = applyEntry(dup.state, e3);
    expect(b.state.data['k']).toEqual({ value: 'b', version: 2 });
    const old = applyEntry(b.state, { clientId: 'c', seq: 2, command: put('k', 'z', 2) });
    expect(old.result).toBeUndefined();
    expect(old.state.data).toBe(b.state.data);
    expect(old.state.applied).toBe(4);
    const other = applyEntry(b.state, { clientId: 'd', seq: 1, command: get('k') });
    expect(other.result).toEqual({ type: 'value', value: 'b', version: 2 });
    expect(kvStateMachine.init()).toEqual(s0);
    expect(kvStateMachine.apply).toBe(applyEntry);
  });
  it('the group machine applies valid entries and skips the no-op and malformed ones', () => {
    const s0 = emptyKvState();
    const n = kvGroupMachine.apply(s0, KV_NOOP);
    expect(n).toEqual({ state: { ...s0, applied: 1 }, result: undefined });
    expect(KV_NOOP).toEqual({ noop: true });
    const bad = kvGroupMachine.apply(s0, { clientId: 'c', seq: 0, command: get('k') });
    expect(bad.result).toBeUndefined();
    const ok = kvGroupMachine.apply(s0, { clientId: 'c', seq: 1, command: put('k', 'v', 0) });
    expect(ok.result).toEqual({ type: 'written', version: 1 });
    expect(ok.state.applied).toBe(1);
  });
});

describe('sequential model', () => {
  it('compares results field by field', () => {
    const rs: KvResult[] = [
      { type: 'value', value: 'a', version: 1 }, { type: 'value', value: 'b', version: 1 },
      { type: 'value', value: 'a', version: 2 }, { type: 'written', version: 1 },
      { type: 'written', version: 2 }, { type: 'deleted' },
      { type: 'conflict', currentVersion: 1 }, { type: 'conflict', currentVersion: 2 },
    ];
    for (const [i, a] of rs.entries()) {
      for (const [j, b] of rs.entries()) expect(resultsEqual(a, b)).toBe(i === j);
    }
    expect(() => resultsEqual({ type: 'x' } as never, rs[0]!)).toThrow('assertion');
  });
  it('steps like applyCommand, accepts a pending output, and names operations', () => {
    const s = kvModel.init();
    expect(s).toEqual({});
    const w = kvModel.step(s, put('k', 'v', 0), { type: 'written', version: 1 });
    expect(w).toEqual({ ok: true, state: { k: { value: 'v', version: 1 } } });
    expect(kvModel.step(s, put('k', 'v', 0), { type: 'written', version: 2 }).ok).toBe(false);
    expect(kvModel.step(s, get('k'), undefined).ok).toBe(true);
    expect(kvModel.stateKey!(w.state)).toBe('{"k":{"value":"v","version":1}}');
    expect(kvModel.describeOperation!(get('k'), undefined))
      .toBe('{"type":"get","key":"k"} -> (pending)');
    expect(kvModel.describeOperation!(get('k'), { type: 'deleted' }))
      .toBe('{"type":"get","key":"k"} -> {"type":"deleted"}');
    const op = (key: string, callAt: number) => ({ clientId: 'c', input: get(key), callAt,
      returnAt: callAt + 1, output: { type: 'deleted' as const } });
    const parts = kvModel.partition!([op('a', 0), op('b', 1), op('a', 2)]);
    expect(parts.map((h) => h.map((o) => o.callAt))).toEqual([[0, 2], [1]]);
  });
});

describe('client core', () => {
  const cfg = { retryMs: 50, maxAttempts: 2 };
  it('one command at a time, fresh sequence numbers, propose then arm the timer', () => {
    const c0 = initKvClient('c', 4);
    expect(c0).toEqual({ clientId: 'c', seq: 4, pending: undefined });
    expect(initKvClient('d').seq).toBe(0);
    const r = submit(cfg, c0, get('k'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.effects).toEqual([
      { type: 'propose', entry: { clientId: 'c', seq: 5, command: get('k') } },
      { type: 'setTimer', name: 'retry', afterMs: 50 }]);
    expect(r.value.state.pending).toEqual({ seq: 5, command: get('k'), attempts: 1 });
    expect(submit(cfg, r.value.state, get('j'))).toEqual({ ok: false,
      error: { code: 'busy', message: 'command 5 pending' } });
    expect(kvClientSteps).toEqual({ submit, onReply, onRetry });
  });
  it('takes only its own reply for the pending seq; retries up to maxAttempts, then gives up',
    () => {
      const r = submit(cfg, initKvClient('c'), get('k'));
      if (!r.ok) throw new Error(r.error.message);
      const st = r.value.state;
      const res: KvResult = { type: 'value', value: null, version: 0 };
      const unchanged = { state: st, effects: [] };
      expect(onReply(st, { clientId: 'x', seq: 1, result: res })).toEqual(unchanged);
      expect(onReply(st, { clientId: 'c', seq: 2, result: res })).toEqual(unchanged);
      const done = onReply(st, { clientId: 'c', seq: 1, result: res });
      expect(done.effects).toEqual([{ type: 'cancelTimer', name: 'retry' },
        { type: 'resolved', seq: 1, command: get('k'), result: res }]);
      expect(done.state).toEqual({ clientId: 'c', seq: 1, pending: undefined });
      expect(onReply(done.state, { clientId: 'c', seq: 1, result: res }).effects).toEqual([]);
      expect(onRetry(cfg, done.state)).toEqual({ state: done.state, effects: [] });
      const again = onRetry(cfg, st);
      expect(again.effects).toEqual([
        { type: 'propose', entry: { clientId: 'c', seq: 1, command: get('k') } },
        { type: 'setTimer', name: 'retry', afterMs: 50 }]);
      expect(again.state.pending?.attempts).toBe(2);
      const gone = onRetry(cfg, again.state);
      expect(gone.effects).toEqual([
        { type: 'resolved', seq: 1, command: get('k'), result: undefined }]);
      expect(gone.state).toEqual({ clientId: 'c', seq: 1, pending: undefined });
    });
});

describe('read-modify-write', () => {
  const next = (s: RmwStep) => {
    if (s.type !== 'next') throw new Error(`done: ${JSON.stringify(s.outcome)}`);
    return s;
  };
  it('reads, writes conditionally on the version read, retries a conflict up to the bound', () => {
    expect(() => rmwStart('k', () => ({ type: 'keep' }), 0)).toThrow('maxAttempts');
    expect(() => rmwStart('k', () => ({ type: 'keep' }), Number.NaN)).toThrow('maxAttempts');
    const inc = (v: string | null) => ({ type: 'put' as const, value: String(Number(v ?? 0) + 1) });
    let s = next(rmwStart('k', inc, 2));
    expect(s.command).toEqual(get('k'));
    expect(s.state).toMatchObject({ attempts: 1, maxAttempts: 2, phase: 'read' });
    s = next(rmwOnResult(s.state, { type: 'value', value: '4', version: 7 }));
    expect(s.command).toEqual(put('k', '5', 7));
    s = next(rmwOnResult(s.state, { type: 'conflict', currentVersion: 8 }));
    expect(s.command).toEqual(get('k'));
    expect(s.state).toMatchObject({ attempts: 2, phase: 'read' });
    const w = next(rmwOnResult(s.state, { type: 'value', value: null, version: 0 }));
    expect(w.command).toEqual(put('k', '1', 0));
    expect(rmwOnResult(w.state, { type: 'written', version: 9 })).toEqual(
      { type: 'done', outcome: { type: 'updated', version: 9, attempts: 2 } });
    expect(rmwOnResult(w.state, { type: 'conflict', currentVersion: 1 })).toEqual(
      { type: 'done', outcome: { type: 'gave-up', attempts: 2 } });
    expect(rmwOnResult(w.state, undefined)).toEqual(
      { type: 'done', outcome: { type: 'unavailable', attempts: 2 } });
    expect(() => rmwOnResult(w.state, { type: 'value', value: null, version: 0 }))
      .toThrow('a write answered with a value');
    expect(() => rmwOnResult(s.state, { type: 'written', version: 1 })).toThrow('read got written');
  });
  it('keep and delete: unchanged when absent, conditional delete otherwise', () => {
    const keep = next(rmwStart('k', () => ({ type: 'keep' }), 1));
    expect(rmwOnResult(keep.state, { type: 'value', value: 'x', version: 3 })).toEqual(
      { type: 'done', outcome: { type: 'unchanged', version: 3, attempts: 1 } });
    const drop = next(rmwStart('k', () => ({ type: 'delete' }), 1));
    expect(rmwOnResult(drop.state, { type: 'value', value: null, version: 0 })).toEqual(
      { type: 'done', outcome: { type: 'unchanged', version: 0, attempts: 1 } });
    const d = next(rmwOnResult(drop.state, { type: 'value', value: 'x', version: 3 }));
    expect(d.command).toEqual(del('k', 3));
    expect(d.state.phase).toBe('write');
    expect(rmwOnResult(d.state, { type: 'deleted' })).toEqual(
      { type: 'done', outcome: { type: 'deleted', attempts: 1 } });
  });
});
