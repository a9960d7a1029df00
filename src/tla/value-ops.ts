/**
 * Operations on the JSON form of TLA+ values (see `value.ts`): a canonical normal form, equality
 * and a total order as TLC sees them, printing as TLA+ source text, state diffs.
 *
 * Canonical form (what `canonical` returns):
 *   - integers are numbers when they are safe integers, `{ '#bigint' }` (normalised digits) else;
 *   - every function is written in exactly one way: the empty function (empty sequence, empty
 *     record, empty map: TLC has `<<>> = [x \in {} |-> 0]`) is `[]`; a function whose domain is
 *     1..n is an array; one whose domain is a non-empty set of strings is a record with sorted
 *     keys; any other function is `{ '#map' }` with pairs sorted by key, keys unique;
 *   - sets are sorted by `compareTla` and free of duplicates.
 * Two values are equal for TLC exactly when their canonical forms are identical.
 */
import type { TlaState, TlaValue } from './value.ts';

/** The shape of a value, told apart once so that every operation can switch on it. */
type View =
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'string'; value: string }
  | { kind: 'model'; name: string }
  | { kind: 'set'; items: TlaValue[] }
  | { kind: 'map'; pairs: [TlaValue, TlaValue][] }
  | { kind: 'seq'; items: TlaValue[] }
  | { kind: 'record'; fields: Record<string, TlaValue> };

const TAGS = new Set(['#bigint', '#model', '#set', '#map']);

function view(v: TlaValue): View {
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`TLA+ value: not an integer: ${v}`);
    return { kind: 'int', value: BigInt(v) };
  }
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'seq', items: v };
  const keys = Object.keys(v);
  const tag = keys.length === 1 ? keys[0] : undefined;
  if (tag !== undefined && TAGS.has(tag)) {
    const o = v as Record<string, unknown>;
    if (tag === '#bigint') return { kind: 'int', value: BigInt(o[tag] as string) };
    if (tag === '#model') return { kind: 'model', name: o[tag] as string };
    if (tag === '#set') return { kind: 'set', items: o[tag] as TlaValue[] };
    return { kind: 'map', pairs: o[tag] as [TlaValue, TlaValue][] };
  }
  return { kind: 'record', fields: v as Record<string, TlaValue> };
}

function intValue(n: bigint): TlaValue {
  const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
  return safe ? Number(n) : { '#bigint': n.toString() };
}

/** Kind ranks for the total order; canonical values of different kinds are never equal. */
const RANK = { bool: 0, int: 1, string: 2, model: 3, seq: 4, record: 5, map: 6, set: 7 } as const;

/** The canonical form of `v` (see the module comment). Idempotent. */
export function canonical(v: TlaValue): TlaValue {
  const w = view(v);
  switch (w.kind) {
    case 'bool':
    case 'string':
      return v;
    case 'int':
      return intValue(w.value);
    case 'model':
      return { '#model': w.name };
    case 'set':
      return { '#set': sortUnique(w.items.map(canonical)) };
    case 'seq':
      return w.items.map(canonical);
    case 'record':
      return canonicalFunction(Object.entries(w.fields).map(([k, x]) => [k, canonical(x)]));
    case 'map':
      return canonicalFunction(w.pairs.map(([k, x]) => [canonical(k), canonical(x)]));
    default:
      return assertNever(w);
  }
}

function sortUnique(items: TlaValue[]): TlaValue[] {
  const sorted = [...items].sort(compareCanonical);
  return sorted.filter((x, i) => i === 0 || compareCanonical(sorted[i - 1]!, x) !== 0);
}

/** Pairs with canonical keys and values -> the one canonical way to write that function. */
function canonicalFunction(pairs: [TlaValue, TlaValue][]): TlaValue {
  const sorted = [...pairs].sort((a, b) => compareCanonical(a[0], b[0]));
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1]!, sorted[i]!];
    if (compareCanonical(prev[0], cur[0]) === 0 && compareCanonical(prev[1], cur[1]) !== 0) {
      throw new Error(`TLA+ value: function maps one key to two values: ${printTla(cur[0])}`);
    }
  }
  const unique = sorted.filter((p, i) => i === 0 || compareCanonical(sorted[i - 1]![0], p[0]));
  if (unique.length === 0) return [];
  if (unique.every(([k]) => typeof k === 'string')) {
    return Object.fromEntries(unique) as Record<string, TlaValue>;
  }
  if (unique.every(([k], i) => k === i + 1)) return unique.map(([, x]) => x);
  return { '#map': unique };
}

function compareArrays(a: TlaValue[], b: TlaValue[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCanonical(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function comparePairs(a: [TlaValue, TlaValue][], b: [TlaValue, TlaValue][]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCanonical(a[i]![0], b[i]![0]) || compareCanonical(a[i]![1], b[i]![1]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Total order on canonical values (both arguments must already be canonical). */
function compareCanonical(a: TlaValue, b: TlaValue): number {
  const [x, y] = [view(a), view(b)];
  if (x.kind !== y.kind) return RANK[x.kind] - RANK[y.kind];
  switch (x.kind) {
    case 'bool':
      return Number(x.value) - Number((y as typeof x).value);
    case 'int': {
      const d = x.value - (y as typeof x).value;
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    }
    case 'string':
      return compareStrings(x.value, (y as typeof x).value);
    case 'model':
      return compareStrings(x.name, (y as typeof x).name);
    case 'set':
      return compareArrays(x.items, (y as typeof x).items);
    case 'seq':
      return compareArrays(x.items, (y as typeof x).items);
    case 'map':
      return comparePairs(x.pairs, (y as typeof x).pairs);
    case 'record': {
      // Integer-like keys come first in JS objects whatever the insertion order: sort here.
      const pairs = (r: Record<string, TlaValue>): [TlaValue, TlaValue][] =>
        Object.entries(r).sort((p, q) => compareStrings(p[0], q[0]));
      return comparePairs(pairs(x.fields), pairs((y as typeof x).fields));
    }
    default:
      return assertNever(x);
  }
}

/** A total order on TLA+ values, consistent with `tlaEqual` (0 exactly when equal). */
export function compareTla(a: TlaValue, b: TlaValue): number {
  return compareCanonical(canonical(a), canonical(b));
}

/** Whether TLC considers `a` and `b` equal. */
export function tlaEqual(a: TlaValue, b: TlaValue): boolean {
  return compareTla(a, b) === 0;
}

const RESERVED = new Set(
  ('ASSUME ASSUMPTION AXIOM BOOLEAN CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED EXCEPT ' +
    'EXTENDS FALSE IF IN INSTANCE LET LOCAL MODULE OTHER SF_ STRING SUBSET THEN THEOREM TRUE ' +
    'UNCHANGED UNION VARIABLE VARIABLES WF_ WITH LAMBDA ACTION PROOF BY OBVIOUS OMITTED QED ' +
    'USE HIDE DEFINE DEF HAVE TAKE WITNESS PICK SUFFICES NEW STATE TEMPORAL PROVE LEMMA ' +
    'PROPOSITION COROLLARY RECURSIVE').split(' '),
);

/** Whether `name` can stand as a TLA+ identifier (record field, model value, constant). */
export function isTlaIdentifier(name: string): boolean {
  return /^[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name);
}

/** A TLA+ string literal. SANY knows the escapes \" \\ \n \t \r \f. */
export function printString(s: string): string {
  const escaped = s.replace(/[\\"\n\t\r\f]/g, (c) => {
    const map: Record<string, string> = { '\n': 'n', '\t': 't', '\r': 'r', '\f': 'f' };
    return '\\' + (map[c] ?? c);
  });
  return `"${escaped}"`;
}

/**
 * `v` as TLA+ source text that TLC evaluates to a value equal to `v`. Maps print with `:>` and
 * `@@`, so the module must EXTEND TLC; negative integers print as `(-n)` and need Integers.
 * Record fields that are not identifiers print in map form.
 */
export function printTla(v: TlaValue): string {
  const w = view(v);
  switch (w.kind) {
    case 'bool':
      return w.value ? 'TRUE' : 'FALSE';
    case 'int':
      return w.value < 0n ? `(${w.value})` : `${w.value}`;
    case 'string':
      return printString(w.value);
    case 'model':
      return w.name;
    case 'set':
      return `{${w.items.map(printTla).join(', ')}}`;
    case 'seq':
      return `<<${w.items.map(printTla).join(', ')}>>`;
    case 'record': {
      const entries = Object.entries(w.fields);
      if (entries.length === 0) return '<<>>';
      if (!entries.every(([k]) => isTlaIdentifier(k))) return printMap(entries);
      return `[${entries.map(([k, x]) => `${k} |-> ${printTla(x)}`).join(', ')}]`;
    }
    case 'map':
      return printMap(w.pairs);
    default:
      return assertNever(w);
  }
}

function printMap(pairs: [TlaValue, TlaValue][]): string {
  if (pairs.length === 0) return '<<>>';
  return `(${pairs.map(([k, x]) => `${printTla(k)} :> ${printTla(x)}`).join(' @@ ')})`;
}

/** One variable on which two states differ; a side is missing when the state lacks it. */
export interface StateDiff {
  variable: string;
  expected?: TlaValue;
  actual?: TlaValue;
}

/** The variables on which `expected` and `actual` differ (as TLC compares), by name. */
export function diffStates(expected: TlaState, actual: TlaState): StateDiff[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const diffs: StateDiff[] = [];
  for (const variable of names) {
    const [e, a] = [expected[variable], actual[variable]];
    if (e !== undefined && a !== undefined && tlaEqual(e, a)) continue;
    const diff: StateDiff = { variable };
    if (e !== undefined) diff.expected = e;
    if (a !== undefined) diff.actual = a;
    diffs.push(diff);
  }
  return diffs;
}

/** A one-line description of state differences, for error messages. */
export function describeDiffs(diffs: StateDiff[]): string {
  const side = (x: TlaValue | undefined): string => (x === undefined ? '(absent)' : printTla(x));
  return diffs.map((d) => `${d.variable}: ${side(d.expected)} vs ${side(d.actual)}`).join('; ');
}

/** The names of the model values that occur in `v`, sorted and without repeats. */
export function modelValuesIn(v: TlaValue): string[] {
  const names = new Set<string>();
  const walk = (x: TlaValue): void => {
    const w = view(x);
    switch (w.kind) {
      case 'model':
        names.add(w.name);
        return;
      case 'set':
      case 'seq':
        w.items.forEach(walk);
        return;
      case 'map':
        for (const [k, y] of w.pairs) (walk(k), walk(y));
        return;
      case 'record':
        Object.values(w.fields).forEach(walk);
        return;
      case 'bool':
      case 'int':
      case 'string':
        return;
      default:
        assertNever(w);
    }
  };
  walk(v);
  return [...names].sort();
}

function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

/** Which standard modules the text `printTla(v)` prints needs beyond Naturals. */
export interface PrintNeeds {
  /** A negative integer: unary minus comes from Integers. */
  integers: boolean;
  /** A function printed with `:>` and `@@`: those come from the TLC module. */
  tlc: boolean;
}

/** The standard modules that `printTla(v)` needs, accumulated into `needs`. */
export function printNeeds(
  v: TlaValue,
  needs: PrintNeeds = { integers: false, tlc: false },
): PrintNeeds {
  const w = view(v);
  switch (w.kind) {
    case 'int':
      if (w.value < 0n) needs.integers = true;
      break;
    case 'set':
    case 'seq':
      for (const x of w.items) printNeeds(x, needs);
      break;
    case 'map':
      if (w.pairs.length > 0) needs.tlc = true;
      for (const [k, x] of w.pairs) (printNeeds(k, needs), printNeeds(x, needs));
      break;
    case 'record': {
      const keys = Object.keys(w.fields);
      if (!keys.every(isTlaIdentifier)) needs.tlc = true;
      for (const x of Object.values(w.fields)) printNeeds(x, needs);
      break;
    }
    case 'bool':
    case 'string':
    case 'model':
      break;
    default:
      assertNever(w);
  }
  return needs;
}
