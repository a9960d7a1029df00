import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTlaState, parseTlaValue, TlaParseError, tryParseTlaState, tryParseTlaValue,
} from '../../src/tla/parse-value.ts';
import { runTlc } from '../../src/tla/runner.ts';
import type { TlaValue } from '../../src/tla/value.ts';

describe('parseTlaValue', () => {
  it('reads scalars', () => {
    expect(parseTlaValue('42')).toBe(42);
    expect(parseTlaValue('-7')).toBe(-7);
    expect(parseTlaValue('0')).toBe(0);
    expect(parseTlaValue('TRUE')).toBe(true);
    expect(parseTlaValue(' FALSE ')).toBe(false);
    expect(parseTlaValue('h1')).toEqual({ '#model': 'h1' });
    expect(parseTlaValue('n_OF_NODE')).toEqual({ '#model': 'n_OF_NODE' });
    expect(parseTlaValue('9007199254740991')).toBe(9007199254740991);
    expect(parseTlaValue('9007199254740993')).toEqual({ '#bigint': '9007199254740993' });
    expect(parseTlaValue('-123456789012345678901'))
      .toEqual({ '#bigint': '-123456789012345678901' });
  });

  it('reads strings with quotes, backslashes and escapes', () => {
    expect(parseTlaValue('"say \\"hi\\""')).toBe('say "hi"');
    expect(parseTlaValue('"a\\\\b"')).toBe('a\\b');
    expect(parseTlaValue('"line\\nnext\\ttab"')).toBe('line\nnext\ttab');
    expect(parseTlaValue('""')).toBe('');
    expect(parseTlaValue('"/\\\\ x = 1"')).toBe('/\\ x = 1');
  });

  it('reads empty collections', () => {
    expect(parseTlaValue('{}')).toEqual({ '#set': [] });
    expect(parseTlaValue('<<>>')).toEqual([]);
    expect(parseTlaValue('[]')).toEqual({});
    expect(parseTlaValue('<< >>')).toEqual([]);
  });

  it('reads nested records in sets, sequences and functions', () => {
    expect(parseTlaValue('{[id |-> 1, tags |-> {"x"}], [id |-> 2, tags |-> {}]}')).toEqual({
      '#set': [{ id: 1, tags: { '#set': ['x'] } }, { id: 2, tags: { '#set': [] } }],
    });
    expect(parseTlaValue('<<1, "two", <<>>, <<-3>>>>')).toEqual([1, 'two', [], [-3]]);
    expect(parseTlaValue('(h1 :> TRUE @@ h2 :> FALSE)')).toEqual({
      '#map': [[{ '#model': 'h1' }, true], [{ '#model': 'h2' }, false]],
    });
    // keys 1..n still give a #map: normalising is value-ops' job
    expect(parseTlaValue('(1 :> "a" @@ 2 :> "b")')).toEqual({ '#map': [[1, 'a'], [2, 'b']] });
    expect(parseTlaValue('(<<1, 2>> :> [a |-> -1])')).toEqual({ '#map': [[[1, 2], { a: -1 }]] });
    expect(parseTlaValue('(-1)')).toBe(-1);
  });

  it('reads intervals as sets', () => {
    expect(parseTlaValue('3..5')).toEqual({ '#set': [3, 4, 5] });
    expect(parseTlaValue('1..0')).toEqual({ '#set': [] });
  });

  it('reads values that span lines', () => {
    const text = '[ name |-> "r",\n  members |-> {[id |-> 1],\n    [id |-> 2]} ]';
    expect(parseTlaValue(text)).toEqual({ name: 'r', members: { '#set': [{ id: 1 }, { id: 2 }] } });
  });

  it('refuses malformed text with a code and a position', () => {
    const cases: [string, number, number][] = [
      ['{1, 2', 1, 6], ['<<1 2>>', 1, 5], ['[a |-> ]', 1, 8], ['"open', 1, 1],
      ['{1}\n}', 2, 1], ['[a = 1]', 1, 4], ['(1 :> 2 @@ 3)', 1, 13], ['"\\q"', 1, 2], ['', 1, 1],
    ];
    for (const [text, line, column] of cases) {
      const r = tryParseTlaValue(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('tla-parse');
        expect([r.error.line, r.error.column], text).toEqual([line, column]);
        expect(r.error.message).toMatch(/at line \d+, column \d+/);
      }
    }
    expect(() => parseTlaValue('{')).toThrow(TlaParseError);
    expect(() => parseTlaValue('SUBSET {1}')).toThrow(/unexpected text/);
  });
});

describe('parseTlaState', () => {
  it('reads conjunction lists and one-variable states', () => {
    expect(parseTlaState('/\\ x = 1\n/\\ y = <<"a">>\n')).toEqual({ x: 1, y: ['a'] });
    expect(parseTlaState('t = 0')).toEqual({ t: 0 });
    expect(parseTlaState('')).toEqual({});
    expect(parseTlaState('/\\ s = "/\\\\ y = 2"\n/\\ y = 3')).toEqual({ s: '/\\ y = 2', y: 3 });
  });

  it('refuses duplicates and missing conjunctions', () => {
    expect(tryParseTlaState('/\\ x = 1\n/\\ x = 2').ok).toBe(false);
    expect(tryParseTlaState('x = 1 y = 2').ok).toBe(false);
    const r = tryParseTlaState('/\\ x = 1\n/\\ y 2');
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.line, r.error.column]).toEqual([2, 6]);
  });

  it('reads a state with one value of every kind as TLC prints it', async () => {
    const spec = new URL('../fixtures/tla/Values.tla', import.meta.url).pathname;
    const r = await runTlc({ spec });
    expect(r.warnings).toBeUndefined();
    expect(r.trace?.[0]?.state).toEqual({
      int: 42, neg: -7, big: 2147483647, str: 'say "hi" \\ back\nslash', bool: false,
      mv: { '#model': 'h1' }, st: { '#set': [{ '#model': 'h1' }, { '#model': 'h2' }] },
      emptySet: { '#set': [] }, sq: [1, 'two', []], emptySeq: [],
      rec: { name: 'r', members: { '#set': [
        { id: 1, tags: { '#set': ['x'] } }, { id: 2, tags: { '#set': [] } }] } },
      fun: { '#map': [[{ '#model': 'h1' }, true], [{ '#model': 'h2' }, false]] },
      nested: { '#map': [[0, { a: -1 }], [5, { a: 2 }]] },
      range: { '#set': [3, 4, 5] },
    });
  });

});

// A local printer in TLC's syntax, for round trips (independent of the code under test).
function print(v: TlaValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') {
    return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  }
  if (Array.isArray(v)) return `<<${v.map(print).join(', ')}>>`;
  if ('#bigint' in v) return String(v['#bigint']);
  if ('#model' in v) return String(v['#model']);
  if ('#set' in v) return `{${(v['#set'] as TlaValue[]).map(print).join(',\n ')}}`;
  if ('#map' in v) {
    return `(${(v['#map'] as [TlaValue, TlaValue][]).map(([k, x]) => `${print(k)} :> ${print(x)}`)
      .join(' @@ ')})`;
  }
  const fields = Object.entries(v as Record<string, TlaValue>);
  return `[${fields.map(([k, x]) => `${k} |-> ${print(x)}`).join(', ')}]`;
}

const ident = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,6}$/);
const tlaValue: fc.Arbitrary<TlaValue> = fc.letrec<{ v: TlaValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    fc.bigInt({ min: 2n ** 60n, max: 2n ** 70n }).map((b) => ({ '#bigint': b.toString() })),
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', '"', '\\', '\n', '/', 'é') }),
    fc.boolean(),
    ident.map((name) => ({ '#model': `m_${name}` })),
    fc.array(tie('v'), { maxLength: 4 }).map((items) => ({ '#set': items })),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(ident, tie('v'), { minKeys: 1, maxKeys: 4 }),
    fc.array(fc.tuple(tie('v'), tie('v')), { minLength: 1, maxLength: 3 })
      .map((pairs) => ({ '#map': pairs })),
  ),
})).v;

describe('round trips', () => {
  it('parses back what the local printer prints', () => {
    fc.assert(fc.property(tlaValue, (v) => {
      expect(parseTlaValue(print(v))).toEqual(v);
    }), { numRuns: 300 });
  });

  it('parses back whole states', () => {
    const state = fc.dictionary(ident, tlaValue, { minKeys: 1, maxKeys: 5 });
    fc.assert(fc.property(state, (s) => {
      const text = Object.entries(s).map(([k, v]) => `/\\ ${k} = ${print(v)}`).join('\n');
      expect(parseTlaState(text)).toEqual(s);
    }), { numRuns: 200 });
  });
});
