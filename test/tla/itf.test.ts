import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromItf, ItfTraceSchema, toItf, writeItf } from '../../src/tla/itf.ts';
import type { TlaState, TlaValue } from '../../src/tla/value.ts';

const trace: TlaState[] = [
  { n: 0, log: [], owner: { '#model': 'h1' }, held: { '#set': [] }, rec: { a: 1, b: 'x' } },
  { n: 1, log: [0], owner: { '#model': 'h2' }, held: { '#set': [{ '#model': 'h1' }] },
    rec: { a: 2, b: 'y' } },
  { n: { '#bigint': '9007199254740993' }, log: [0, 1],
    owner: { '#map': [[{ '#model': 'h1' }, [1, 2]], ['k', { c: true }]] },
    held: { '#set': [] }, rec: { a: -3, b: 'z' } },
];

describe('toItf', () => {
  it('writes the ITF shape: vars, indexed states, sets, maps, sequences, records', () => {
    const itf = toItf(trace, { source: 'Spec.tla', loopsBackTo: 2 });
    expect(ItfTraceSchema.safeParse(itf).success).toBe(true);
    expect(itf.vars).toEqual(['n', 'log', 'owner', 'held', 'rec']);
    expect(itf.loop).toBe(1);
    expect(itf['#meta'])
      .toMatchObject({ format: 'ITF', source: 'Spec.tla', modelValues: ['h1', 'h2'] });
    expect(itf.states.map((s) => s['#meta']?.index)).toEqual([0, 1, 2]);
    expect(itf.states[1]).toEqual({ '#meta': { index: 1 }, n: 1, log: [0], owner: 'h2',
      held: { '#set': ['h1'] }, rec: { a: 2, b: 'y' } });
    expect(itf.states[2]!.n).toEqual({ '#bigint': '9007199254740993' });
    expect(itf.states[2]!.owner).toEqual({ '#map': [['h1', [1, 2]], ['k', { c: true }]] });
    expect(JSON.stringify(itf)).not.toContain('#tup');
  });

  it('writes every integer as #bigint when asked', () => {
    const itf = toItf([{ x: 5, s: [-1] }], { ints: 'bigint' });
    expect(itf.states[0]).toMatchObject({ x: { '#bigint': '5' }, s: [{ '#bigint': '-1' }] });
    expect(itf.loop).toBeUndefined();
  });
});

describe('fromItf', () => {
  it('round-trips a trace, model values and the loop', () => {
    const back = fromItf(JSON.parse(JSON.stringify(toItf(trace, { loopsBackTo: 3 }))));
    expect(back).toEqual({ ok: true, trace: { vars: ['n', 'log', 'owner', 'held', 'rec'],
      states: trace, loopsBackTo: 3 } });
  });

  it('reads #tup as a sequence and small #bigint as a number', () => {
    const r = fromItf({ vars: ['t'], states: [{ t: { '#tup': [{ '#bigint': '7' }, 'a'] } }] });
    expect(r).toEqual({ ok: true, trace: { vars: ['t'], states: [{ t: [7, 'a'] }] } });
  });

  it('refuses what is not an ITF trace, with a code', () => {
    expect(fromItf({ states: [] })).toMatchObject({ ok: false, error: { code: 'itf-invalid' } });
    expect(fromItf({ vars: ['x'], states: [{ y: 1 }] }))
      .toMatchObject({ ok: false, error: { message: expect.stringContaining('variable x') } });
    expect(fromItf({ vars: ['x'], states: [{ x: { '#unserializable': 'Nat' } }] }).ok).toBe(false);
  });

  it('round-trips random states', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
    const value: fc.Arbitrary<TlaValue> = fc.letrec<{ v: TlaValue }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' },
        fc.integer(), fc.string(), fc.boolean(),
        key.map((k) => ({ '#model': `§M${k}` })), // § never in fc.string()
        fc.bigInt({ min: 2n ** 60n }).map((b) => ({ '#bigint': b.toString() })),
        fc.array(tie('v'), { maxLength: 3 }).map((xs) => ({ '#set': xs })),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(key, tie('v'), { minKeys: 1, maxKeys: 3 }),
        fc.array(fc.tuple(tie('v'), tie('v')), { maxLength: 3 }).map((p) => ({ '#map': p }))),
    })).v;
    const states = fc.array(fc.dictionary(key, value, { minKeys: 2, maxKeys: 2 }).map((d) => {
      const [a, b] = Object.values(d);
      return { x: a!, y: b! };
    }), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(states, fc.constantFrom<'number' | 'bigint'>('number', 'bigint'),
      (ss, ints) => {
        const r = fromItf(JSON.parse(JSON.stringify(toItf(ss, { ints }))));
        expect(r.ok && r.trace.states).toEqual(ss);
      }), { numRuns: 200 });
  });
});

describe('writeItf', () => {
  it('writes a file that reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'h1-itf-'));
    try {
      const path = join(dir, 'cex.itf.json');
      expect(writeItf(path, trace, { source: 'S.tla' })).toEqual({ ok: true });
      const back = fromItf(JSON.parse(readFileSync(path, 'utf8')));
      expect(back.ok && back.trace.states).toEqual(trace);
      expect(writeItf(join(dir, 'no', 'such', 'dir.json'), trace))
        .toMatchObject({ ok: false, error: { code: 'itf-write' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
