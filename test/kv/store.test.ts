import { describe, expect, it } from 'vitest';
import {
  KvCommandSchema,
  applyCommand,
  applyEntry,
  emptyKvState,
  initKvClient,
  kvClientSteps,
  rmwOnResult,
  rmwStart,
  type KvCommand,
  type KvResult,
} from '../../src/consensus/kv/index.ts';

const put = (key: string, value: string, expectedVersion: number): KvCommand =>
  ({ type: 'put', key, value, expectedVersion });

describe('store state machine', () => {
  it('conditional put: version 0 creates, the read version updates, others conflict', () => {
    let data = applyCommand({}, put('k', 'v1', 0));
    expect(data.result).toEqual({ type: 'written', version: 1 });
    expect(applyCommand(data.data, put('k', 'x', 0)).result)
      .toEqual({ type: 'conflict', currentVersion: 1 });
    data = applyCommand(data.data, put('k', 'v2', 1));
    expect(data.result).toEqual({ type: 'written', version: 2 });
    expect(applyCommand(data.data, { type: 'get', key: 'k' }).result)
      .toEqual({ type: 'value', value: 'v2', version: 2 });
  });

  it('delete is conditional; absent reads as version 0; versions never repeat', () => {
    let s = applyCommand({}, put('k', 'a', 0)).data;
    expect(applyCommand(s, { type: 'delete', key: 'k', expectedVersion: 0 }).result.type)
      .toBe('conflict');
    const del = applyCommand(s, { type: 'delete', key: 'k', expectedVersion: 1 });
    expect(del.result).toEqual({ type: 'deleted' });
    s = del.data;
    expect(applyCommand(s, { type: 'get', key: 'k' }).result)
      .toEqual({ type: 'value', value: null, version: 0 });
    expect(applyCommand(s, { type: 'delete', key: 'k', expectedVersion: 0 }).result)
      .toEqual({ type: 'conflict', currentVersion: 0 });
    // A re-create continues the count: a reader of version 1 cannot overwrite it.
    const again = applyCommand(s, put('k', 'b', 0));
    expect(again.result).toEqual({ type: 'written', version: 3 });
    expect(applyCommand(again.data, put('k', 'c', 1)).result.type).toBe('conflict');
  });

  it('does not mutate its input state', () => {
    const s0 = emptyKvState();
    const frozen = JSON.stringify(s0);
    applyEntry(s0, { clientId: 'c', seq: 1, command: put('k', 'v', 0) });
    expect(JSON.stringify(s0)).toBe(frozen);
  });

  it('applies a duplicated entry once and answers it the same', () => {
    const e = { clientId: 'c', seq: 1, command: put('k', 'v', 0) };
    const first = applyEntry(emptyKvState(), e);
    const second = applyEntry(first.state, e);
    expect(second.result).toEqual(first.result);
    expect(second.state.data).toEqual(first.state.data);
    expect(second.state.applied).toBe(2);
    const newer = applyEntry(second.state, { ...e, seq: 2, command: put('k', 'w', 1) });
    expect(newer.result).toEqual({ type: 'written', version: 2 });
    // A stale retry of seq 1 after seq 2: ignored, no answer.
    const stale = applyEntry(newer.state, e);
    expect(stale.result).toBeUndefined();
    expect(stale.state.data).toEqual(newer.state.data);
  });

  it('validates commands at the boundary', () => {
    expect(KvCommandSchema.safeParse({ type: 'put', key: '', value: 'v', expectedVersion: 0 })
      .success).toBe(false);
    expect(KvCommandSchema.safeParse({ type: 'put', key: 'k', value: 'v', expectedVersion: -1 })
      .success).toBe(false);
    expect(KvCommandSchema.safeParse({ type: 'get', key: 'k' }).success).toBe(true);
  });
});

describe('client core', () => {
  const cfg = { retryMs: 10, maxAttempts: 3 };
  it('proposes, retries with the same seq, resolves once, gives up after maxAttempts', () => {
    const s0 = initKvClient('c1');
    const started = kvClientSteps.submit(cfg, s0, { type: 'get', key: 'k' });
    if (!started.ok) throw new Error('submit failed');
    const s1 = started.value.state;
    expect(started.value.effects[0]).toEqual({ type: 'propose',
      entry: { clientId: 'c1', seq: 1, command: { type: 'get', key: 'k' } } });
    expect(kvClientSteps.submit(cfg, s1, { type: 'get', key: 'k' }).ok).toBe(false);
    const retry = kvClientSteps.onRetry(cfg, s1);
    expect(retry.effects[0]).toMatchObject({ type: 'propose', entry: { seq: 1 } });
    const result: KvResult = { type: 'value', value: null, version: 0 };
    expect(kvClientSteps.onReply(retry.state, { clientId: 'c1', seq: 9, result }).effects)
      .toEqual([]);
    const done = kvClientSteps.onReply(retry.state, { clientId: 'c1', seq: 1, result });
    expect(done.state.pending).toBeUndefined();
    expect(done.effects).toContainEqual(expect.objectContaining({ type: 'resolved', result }));
    let s = retry.state;
    s = kvClientSteps.onRetry(cfg, s).state;
    const gaveUp = kvClientSteps.onRetry(cfg, s);
    expect(gaveUp.effects).toEqual([expect.objectContaining({ type: 'resolved',
      result: undefined })]);
    expect(gaveUp.state.seq).toBe(1);
  });
});

describe('read-modify-write', () => {
  const append = (v: string | null) => ({ type: 'put' as const, value: `${v ?? ''}+` });
  it('retries a conflict from a fresh read, bounded by maxAttempts', () => {
    let step = rmwStart('k', append, 2);
    if (step.type !== 'next') throw new Error('expected a command');
    expect(step.command).toEqual({ type: 'get', key: 'k' });
    step = rmwOnResult(step.state, { type: 'value', value: 'a', version: 3 });
    if (step.type !== 'next') throw new Error('expected a command');
    expect(step.command).toEqual({ type: 'put', key: 'k', value: 'a+', expectedVersion: 3 });
    step = rmwOnResult(step.state, { type: 'conflict', currentVersion: 4 });
    if (step.type !== 'next') throw new Error('expected a command');
    expect(step.command.type).toBe('get');
    step = rmwOnResult(step.state, { type: 'value', value: 'b', version: 4 });
    if (step.type !== 'next') throw new Error('expected a command');
    const last = rmwOnResult(step.state, { type: 'conflict', currentVersion: 5 });
    expect(last).toEqual({ type: 'done', outcome: { type: 'gave-up', attempts: 2 } });
  });

  it('finishes with the written version, or unchanged on keep', () => {
    let step = rmwStart('k', append, 3);
    if (step.type !== 'next') throw new Error('expected a command');
    step = rmwOnResult(step.state, { type: 'value', value: null, version: 0 });
    if (step.type !== 'next') throw new Error('expected a command');
    expect(rmwOnResult(step.state, { type: 'written', version: 1 }))
      .toEqual({ type: 'done', outcome: { type: 'updated', version: 1, attempts: 1 } });
    const keep = rmwStart('k', () => ({ type: 'keep' }), 3);
    if (keep.type !== 'next') throw new Error('expected a command');
    expect(rmwOnResult(keep.state, { type: 'value', value: 'a', version: 7 }))
      .toEqual({ type: 'done', outcome: { type: 'unchanged', version: 7, attempts: 1 } });
  });
});
