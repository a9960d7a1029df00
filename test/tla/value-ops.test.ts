import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runTlc } from '../../src/tla/runner.ts';
import {
  canonical, compareTla, describeDiffs, diffStates, modelValuesIn, printNeeds, printTla, tlaEqual,
} from '../../src/tla/value-ops.ts';
import { fn, model, set } from '../../src/tla/value.ts';
import type { TlaValue } from '../../src/tla/value.ts';

const MODELS = ['m1', 'm2', 'm3'];
const char = fc.constantFrom('a', 'b', 'Z', ' ', '"', '\\', '\n', '\t');
const str = fc.string({ unit: char, maxLength: 4 });
const field = fc.constantFrom('a', 'b', 'c', 'x1', 'ELSE', 'my-key', '10', '2');

/** Any value, types mixed freely (for the pure properties). */
const anyValue: fc.Arbitrary<TlaValue> = fc.letrec<{ v: TlaValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -5, max: 5 }),
    str,
    fc.boolean(),
    fc.constantFrom(...MODELS).map(model),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => ({ '#bigint': n.toString() })),
    fc.array(tie('v'), { maxLength: 3 }).map(set),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(field, tie('v'), { maxKeys: 3 }),
    fc.uniqueArray(fc.tuple(tie('v'), tie('v')), {
      maxLength: 3, selector: ([k]) => JSON.stringify(canonical(k)),
    }).map(fn),
  ),
})).v;

/** Rewrites a value into another JSON form of the same TLA+ value. */
function reshape(v: TlaValue, flip: boolean): TlaValue {
  if (Array.isArray(v)) {
    const items = v.map((x) => reshape(x, !flip));
    return flip ? fn(items.map((x, i) => [i + 1, x] as [TlaValue, TlaValue]).reverse()) : items;
  }
  if (typeof v !== 'object') return typeof v === 'number' && flip ? { '#bigint': `${v}` } : v;
  if ('#set' in v) {
    const items = (v['#set'] as TlaValue[]).map((x) => reshape(x, !flip)).reverse();
    return set(flip ? [...items, ...items] : items);
  }
  if ('#map' in v) {
    const pairs = v['#map'] as [TlaValue, TlaValue][];
    return fn(pairs.map(([k, x]) => [reshape(k, flip), reshape(x, !flip)]));
  }
  if ('#model' in v || '#bigint' in v) return v;
  const entries = Object.entries(v).map(([k, x]) => [k, reshape(x, !flip)] as [TlaValue, TlaValue]);
  return flip ? fn(entries.reverse()) : Object.fromEntries(entries.reverse());
}

describe('canonical, tlaEqual, compareTla (properties)', () => {
  it('canonical is idempotent', () => {
    fc.assert(fc.property(anyValue, (v) => {
      const c = canonical(v);
      expect(canonical(c)).toStrictEqual(c);
    }));
  });

  it('tlaEqual is reflexive and symmetric; compareTla is antisymmetric and transitive', () => {
    fc.assert(fc.property(anyValue, anyValue, anyValue, (a, b, c) => {
      expect(tlaEqual(a, a)).toBe(true);
      expect(tlaEqual(a, b)).toBe(tlaEqual(b, a));
      expect(Math.sign(compareTla(a, b))).toBe(0 - Math.sign(compareTla(b, a)) + 0);
      if (compareTla(a, b) <= 0 && compareTla(b, c) <= 0) {
        expect(compareTla(a, c)).toBeLessThanOrEqual(0);
      }
      expect(tlaEqual(a, b)).toBe(JSON.stringify(canonical(a)) === JSON.stringify(canonical(b)));
    }));
  });

  it('a value equals every other JSON form of itself (records/maps, sequences, set order)', () => {
    fc.assert(fc.property(anyValue, fc.boolean(), (v, flip) => {
      expect(tlaEqual(v, reshape(v, flip))).toBe(true);
      expect(canonical(reshape(v, flip))).toStrictEqual(canonical(v));
    }));
  });

  it('knows the forms TLC identifies, and keeps apart what TLC keeps apart', () => {
    expect(tlaEqual({ a: 1, b: 2 }, fn([['b', 2], ['a', 1]]))).toBe(true);
    expect(tlaEqual(['x', 'y'], fn([[2, 'y'], [1, 'x']]))).toBe(true);
    expect(tlaEqual([], {})).toBe(true);
    expect(tlaEqual([], fn([]))).toBe(true);
    expect(tlaEqual(set([1, 2, 2]), set([2, 1]))).toBe(true);
    expect(tlaEqual({ '#bigint': '7' }, 7)).toBe(true);
    expect(tlaEqual(fn([[2, 'y']]), ['y'])).toBe(false);
    expect(tlaEqual({ 1: 'x' }, ['x'])).toBe(false);
    expect(tlaEqual(model('a'), 'a')).toBe(false);
    expect(tlaEqual(set([]), [])).toBe(false);
    expect(canonical(fn([[1, 'x'], [2, 'y']]))).toStrictEqual(['x', 'y']);
  });
});

describe('printTla, diffStates, modelValuesIn', () => {
  it('prints TLA+ source', () => {
    expect(printTla({ b: [1, -2], a: set(['q"\\\n']) }))
      .toBe('[b |-> <<1, (-2)>>, a |-> {"q\\"\\\\\\n"}]');
    expect(printTla(fn([[model('h1'), true], [2, false]]))).toBe('(h1 :> TRUE @@ 2 :> FALSE)');
    expect(printTla(fn([]))).toBe('<<>>');
    expect(printTla({ 'my-key': 1 })).toBe('("my-key" :> 1)');
    expect(printNeeds({ 'my-key': -1 })).toEqual({ integers: true, tlc: true });
    expect(printNeeds([{ a: 1 }, set([1])])).toEqual({ integers: false, tlc: false });
  });

  it('diffs states as TLC compares them and names model values', () => {
    const d = diffStates(
      { x: { a: 1 }, y: set([1, 2]), z: 3 },
      { x: fn([['a', 1]]), y: set([2]), w: 0 },
    );
    expect(d.map((x) => x.variable)).toEqual(['w', 'y', 'z']);
    expect(describeDiffs(d)).toBe('w: (absent) vs 0; y: {1, 2} vs {2}; z: 3 vs (absent)');
    expect(modelValuesIn({ a: [model('b'), set([model('a')])], c: fn([[model('b'), 1]]) }))
      .toEqual(['a', 'b']);
  });
});

/** Values whose sets hold one type only, so that TLC can order them. */
type Ty = 'int' | 'str' | 'bool' | 'model' | { set: Ty } | { seq: Ty } | { rec: [string, Ty][] } |
  { map: ['int' | 'str' | 'model', Ty] };
const tyArb: fc.Arbitrary<Ty> = fc.letrec<{ t: Ty }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<Ty>('int', 'str', 'bool', 'model'),
    tie('t').map((t) => ({ set: t })),
    tie('t').map((t) => ({ seq: t })),
    fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c'), tie('t')), {
      minLength: 1, maxLength: 3, selector: ([k]) => k,
    }).map((rec) => ({ rec })),
    fc.tuple(fc.constantFrom<'int' | 'str' | 'model'>('int', 'str', 'model'), tie('t'))
      .map((map) => ({ map })),
  ),
})).t;

function valueOf(t: Ty): fc.Arbitrary<TlaValue> {
  if (t === 'int') return fc.integer({ min: -20, max: 20 });
  if (t === 'str') return str;
  if (t === 'bool') return fc.boolean();
  if (t === 'model') return fc.constantFrom(...MODELS).map(model);
  if ('set' in t) return fc.array(valueOf(t.set), { maxLength: 3 }).map(set);
  if ('seq' in t) return fc.array(valueOf(t.seq), { maxLength: 3 });
  if ('rec' in t) return fc.record(Object.fromEntries(t.rec.map(([k, u]) => [k, valueOf(u)])));
  return fc.uniqueArray(fc.tuple(valueOf(t.map[0]), valueOf(t.map[1])), {
    maxLength: 3, selector: ([k]) => JSON.stringify(canonical(k)),
  }).map(fn);
}

describe('printTla round trip through TLC', () => {
  it('TLC reads printed values back equal, and agrees with tlaEqual on pairs', async () => {
    const pairArb = tyArb.chain((t) => fc.tuple(valueOf(t), valueOf(t), fc.boolean()));
    const pairs = fc.sample(pairArb, { numRuns: 60, seed: 42 })
      .map(([a, b, same]) => [a, same ? reshape(a, true) : b] as const);
    const dir = await mkdtemp(join(tmpdir(), 'plumbline-value-ops-'));
    try {
      const spec = [
        '---- MODULE RoundTrip ----', 'EXTENDS Integers, TLC', `CONSTANTS ${MODELS.join(', ')}`,
        'VARIABLES vs, eq',
        `Init == vs = <<${pairs.map(([a]) => printTla(a)).join(',\n  ')}>>`,
        `  /\\ eq = <<${pairs.map(([a, b]) => `${printTla(a)} = ${printTla(b)}`).join(',\n  ')}>>`,
        'Next == UNCHANGED <<vs, eq>>', 'Never == ~(vs = vs)', '====', '',
      ].join('\n');
      const bindings = MODELS.map((m) => `${m} = ${m}`).join(' ');
      const cfg = `CONSTANTS ${bindings}\nINIT Init\nNEXT Next\nINVARIANT Never\n`;
      await writeFile(join(dir, 'RoundTrip.tla'), spec);
      await writeFile(join(dir, 'RoundTrip.cfg'), cfg);
      const [specFile, config] = [join(dir, 'RoundTrip.tla'), join(dir, 'RoundTrip.cfg')];
      const r = await runTlc({ spec: specFile, config, workers: 1 });
      expect(r.outcome, JSON.stringify(r.errors)).toBe('invariant');
      const state = r.trace?.[0]?.state;
      const seen = canonical(state?.vs ?? 0) as TlaValue[];
      const eq = canonical(state?.eq ?? 0) as boolean[];
      expect(seen).toHaveLength(pairs.length);
      pairs.forEach(([a, b], i) => {
        const back = seen[i]!;
        expect(tlaEqual(back, a), `${printTla(a)} came back as ${printTla(back)}`).toBe(true);
        expect(eq[i], `${printTla(a)} = ${printTla(b)}`).toBe(tlaEqual(a, b));
      });
      expect(eq.filter((x) => !x).length).toBeGreaterThan(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
