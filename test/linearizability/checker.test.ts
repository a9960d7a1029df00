import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  casModel,
  checkLinearizability,
  partitionBy,
  registerModel,
  type CasInput,
  type CasOutput,
  type History,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type SequentialModel,
} from '../../src/runtime/linearizability/index.ts';
import { bruteForce, runScript, scriptArb } from './gen.ts';

type RegOp = Operation<RegisterInput, RegisterOutput>;
const w = (c: string, v: number, callAt: number, returnAt: number): RegOp =>
  ({ clientId: c, input: { type: 'write', value: v }, callAt, returnAt,
    output: { type: 'written' } });
const r = (c: string, v: number, callAt: number, returnAt: number): RegOp =>
  ({ clientId: c, input: { type: 'read' }, callAt, returnAt, output: { type: 'read', value: v } });
const pendingWrite = (c: string, v: number, callAt: number): RegOp =>
  ({ clientId: c, input: { type: 'write', value: v }, callAt, returnAt: undefined,
    output: undefined });

describe('register histories by hand', () => {
  it('accepts a sequential history', () => {
    const h = [w('a', 1, 0, 1), r('b', 1, 2, 3), w('a', 2, 4, 5), r('b', 2, 6, 7)];
    expect(checkLinearizability(registerModel, h).kind).toBe('linearizable');
  });

  it('accepts a read overlapping a write seeing either value', () => {
    for (const v of [0, 1]) {
      const h = [w('a', 1, 0, 10), r('b', v, 2, 3)];
      expect(checkLinearizability(registerModel, h).kind).toBe('linearizable');
    }
  });

  it('rejects a stale read after the write returned, and explains it', () => {
    const h = [w('a', 1, 0, 1), r('b', 0, 2, 3)];
    const res = checkLinearizability(registerModel, h);
    expect(res.kind).toBe('not-linearizable');
    if (res.kind !== 'not-linearizable') return;
    expect(res.longestPrefix).toEqual([h[0]]);
    expect(res.description).toContain('1 of 2 operations');
    expect(res.description).toContain('[b 2..3]');
  });

  it('rejects two readers seeing the writes in opposite orders', () => {
    const h = [w('a', 1, 0, 10), w('b', 2, 0, 10), r('c', 1, 1, 2), r('c', 2, 3, 4),
      r('d', 2, 1, 2), r('d', 1, 3, 4)];
    expect(checkLinearizability(registerModel, h).kind).toBe('not-linearizable');
    const ok = [...h.slice(0, 5), r('d', 2, 3, 4)];
    expect(checkLinearizability(registerModel, ok).kind).toBe('linearizable');
  });

  it('lets a pending write take effect or not', () => {
    expect(checkLinearizability(registerModel, [pendingWrite('a', 5, 0), r('b', 5, 3, 4)]).kind)
      .toBe('linearizable');
    expect(checkLinearizability(registerModel, [pendingWrite('a', 5, 0), r('b', 0, 3, 4)]).kind)
      .toBe('linearizable');
    // Once observed it has taken effect: reading the old value later is not allowed.
    const h = [pendingWrite('a', 5, 0), r('b', 5, 3, 4), r('c', 0, 5, 6)];
    expect(checkLinearizability(registerModel, h).kind).toBe('not-linearizable');
  });

  it('treats touching operations as concurrent (call before return at equal times)', () => {
    expect(checkLinearizability(registerModel, [w('a', 1, 0, 5), r('b', 0, 5, 6)]).kind)
      .toBe('linearizable');
    expect(checkLinearizability(registerModel, [w('a', 1, 0, 5), r('b', 0, 6, 7)]).kind)
      .toBe('not-linearizable');
  });
});

type CasOp = Operation<CasInput, CasOutput>;
const cas = (c: string, e: number, v: number, swapped: boolean, t0: number, t1: number): CasOp =>
  ({ clientId: c, input: { type: 'cas', expected: e, value: v }, callAt: t0, returnAt: t1,
    output: { type: 'cas', swapped } });

describe('CAS histories by hand', () => {
  it('two concurrent CAS from the same value: exactly one may win', () => {
    const one = [cas('a', 0, 1, true, 0, 5), cas('b', 0, 2, false, 1, 6)];
    expect(checkLinearizability(casModel, one).kind).toBe('linearizable');
    const both = [cas('a', 0, 1, true, 0, 5), cas('b', 0, 2, true, 1, 6)];
    expect(checkLinearizability(casModel, both).kind).toBe('not-linearizable');
  });

  it('a lost update: both increments succeed, final read shows one', () => {
    const h: CasOp[] = [cas('a', 0, 1, true, 0, 5), cas('b', 1, 2, true, 1, 6),
      { clientId: 'c', input: { type: 'read' }, callAt: 7, returnAt: 8,
        output: { type: 'read', value: 1 } }];
    expect(checkLinearizability(casModel, h).kind).toBe('not-linearizable');
  });
});

describe('partitions and budget', () => {
  type KInput = { key: string; op: RegisterInput };
  const keyed: SequentialModel<Record<string, number>, KInput, RegisterOutput> = {
    init: () => ({}),
    step: (s, input, output) => {
      const res = registerModel.step(s[input.key] ?? 0, input.op, output);
      return { ok: res.ok, state: { ...s, [input.key]: res.state } };
    },
    partition: (h) => partitionBy(h, (o) => o.input.key),
  };
  const kop = (key: string, o: RegOp): Operation<KInput, RegisterOutput> =>
    ({ ...o, input: { key, op: o.input } });

  it('names the failing partition', () => {
    const h = [kop('x', w('a', 1, 0, 1)), kop('x', r('b', 1, 2, 3)),
      kop('y', w('a', 1, 4, 5)), kop('y', r('b', 0, 6, 7))];
    const res = checkLinearizability(keyed, h);
    expect(res.kind).toBe('not-linearizable');
    if (res.kind === 'not-linearizable') {
      expect(res.partition.index).toBe(1);
      expect(res.partition.operations.every((o) => o.input.key === 'y')).toBe(true);
    }
  });

  it('reports unknown when the step budget runs out', () => {
    const h: RegOp[] = [];
    for (let i = 0; i < 12; i++) h.push(w(`c${i}`, i, 0, 100));
    h.push(r('z', 999, 101, 102));
    expect(checkLinearizability(registerModel, h, { maxSteps: 50 }).kind).toBe('unknown');
    // Exhausting every order of 12 concurrent writes fits a larger budget.
    expect(checkLinearizability(registerModel, h, { timeoutMs: 20_000 }).kind)
      .toBe('not-linearizable');
  });
});

describe('randomised', () => {
  it('histories of a correct CAS register are linearizable', () => {
    fc.assert(fc.property(scriptArb(120, 60), (script) => {
      const h = runScript(script, 'none');
      expect(checkLinearizability(casModel, h).kind).toBe('linearizable');
    }), { numRuns: 300 });
  });

  it('agrees with a brute-force oracle on small histories of correct and broken objects', () => {
    let rejected = 0;
    fc.assert(fc.property(scriptArb(18), fc.constantFrom('none', 'stale-read', 'lost-write'),
      (script, flaw) => {
        const h = runScript(script, flaw as 'none');
        const got = checkLinearizability(casModel, h).kind;
        const want = bruteForce(casModel, h) ? 'linearizable' : 'not-linearizable';
        if (want !== 'linearizable') rejected += 1;
        expect(got).toBe(want);
      }), { numRuns: 1500, seed: 7 });
    expect(rejected).toBeGreaterThan(20);
  });

  it('catches stale reads and lost writes in most long histories', () => {
    for (const flaw of ['stale-read', 'lost-write'] as const) {
      const caught = fc.sample(scriptArb(200, 150), { numRuns: 100, seed: 11 })
        .map((s) => checkLinearizability(casModel, runScript(s, flaw)).kind)
        .filter((k) => k === 'not-linearizable').length;
      expect(caught).toBeGreaterThan(40);
    }
  });
});

export type { History };
