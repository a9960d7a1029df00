/**
 * A recursive-descent parser for the values TLC prints in states and counterexamples:
 *
 *   42  -7  "a \"quoted\" \\ string"  TRUE  FALSE  h1 (a model value)  1..3 (an interval)
 *   {1, 2}  <<1, "a">>  [a |-> 1, b |-> {}]  (k1 :> v1 @@ k2 :> v2)
 *
 * and states as TLC prints them: `/\ x = 1` lines, or `x = 1` for a one-variable spec. Values
 * may span lines. Integers beyond 2^53 become `{ "#bigint": "…" }`; functions printed with `:>`
 * become `#map` whatever their domain (normalising to sequences or records is value-ops' job).
 */
import type { TlaState, TlaValue } from './value.ts';

export interface TlaParseErrorInfo {
  code: 'tla-parse';
  message: string;
  /** 0-based character offset, and the 1-based line and column it falls on. */
  offset: number;
  line: number;
  column: number;
}

/** Thrown by `parseTlaValue` / `parseTlaState`; the `try…` variants return it as a value. */
export class TlaParseError extends Error {
  readonly code = 'tla-parse' as const;
  constructor(readonly info: TlaParseErrorInfo) {
    super(info.message);
    this.name = 'TlaParseError';
  }
}

export type TlaParseResult<T> = { ok: true; value: T } | { ok: false; error: TlaParseErrorInfo };

/** The largest interval `a..b` expanded into a set. */
const INTERVAL_SIZE_MAX = 1_000_000;
/** Deeper nesting than this is refused rather than risking the stack. */
const NESTING_DEPTH_MAX = 500;

const C = {
  space: 32, tab: 9, nl: 10, cr: 13, quote: 34, hash: 35, lparen: 40, rparen: 41, comma: 44,
  minus: 45, dot: 46, slash: 47, zero: 48, nine: 57, colon: 58, lt: 60, eq: 61, gt: 62, at: 64,
  lbrack: 91, backslash: 92, rbrack: 93, underscore: 95, lbrace: 123, pipe: 124, rbrace: 125,
} as const;

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= C.zero && c <= C.nine) ||
    c === C.underscore;
}

function hasLetter(w: string): boolean {
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (!isDigit(c) && c !== C.underscore) return true;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= C.zero && c <= C.nine;
}

const ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', f: '\f', '"': '"', '\\': '\\',
};

/** Sets a field, also one named `__proto__`, as an own enumerable property. */
function setField(obj: Record<string, TlaValue>, key: string, v: TlaValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key,
      { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = v;
  }
}

class Parser {
  pos = 0;
  depth = 0;
  constructor(readonly text: string) {}

  fail(message: string, at: number = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === C.nl) {
        line++;
        lineStart = i + 1;
      }
    }
    const near = JSON.stringify(this.text.slice(at, at + 20));
    throw new TlaParseError({
      code: 'tla-parse', message: `${message} at line ${line}, column ${at - lineStart + 1} ` +
        `(near ${near})`, offset: at, line, column: at - lineStart + 1,
    });
  }

  skipSpace(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === C.space || c === C.nl || c === C.tab || c === C.cr) p++;
      else break;
    }
    this.pos = p;
  }

  /** Consume `s` (after blanks) if it is next. */
  eat(s: string): boolean {
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== s.charCodeAt(0)) return false;
    if (s.length === 1 || this.text.startsWith(s, this.pos)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }

  expect(s: string, what: string): void {
    if (!this.eat(s)) this.fail(`expected ${JSON.stringify(s)} ${what}`);
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  value(): TlaValue {
    this.skipSpace();
    if (++this.depth > NESTING_DEPTH_MAX) {
      this.fail(`values nested deeper than ${NESTING_DEPTH_MAX}`);
    }
    const v = this.primary();
    this.depth--;
    return v;
  }

  primary(): TlaValue {
    const c = this.text.charCodeAt(this.pos);
    if (c === C.quote) return this.string();
    if (isDigit(c) || c === C.minus) return this.integerOrInterval();
    if (c === C.lbrace) return this.setValue();
    if (c === C.lt && this.text.charCodeAt(this.pos + 1) === C.lt) return this.sequence();
    if (c === C.lbrack) return this.record();
    if (c === C.lparen) return this.parenthesised();
    if (isIdentChar(c)) return this.word();
    if (Number.isNaN(c)) this.fail('expected a value, found the end of the text');
    return this.fail('expected a value');
  }

  string(): string {
    const t = this.text;
    const start = this.pos + 1;
    let p = start;
    let out = '';
    let chunkStart = start;
    for (;;) {
      const c = t.charCodeAt(p);
      if (Number.isNaN(c)) this.fail('unterminated string', start - 1);
      if (c === C.quote) break;
      if (c === C.backslash) {
        const e = ESCAPES[t.charAt(p + 1)];
        if (e === undefined) this.fail('unknown escape in string', p);
        out += t.slice(chunkStart, p) + e;
        p += 2;
        chunkStart = p;
      } else {
        p++;
      }
    }
    this.pos = p + 1;
    return out + t.slice(chunkStart, p);
  }

  integer(): TlaValue {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === C.minus) p++;
    const digitsStart = p;
    while (isDigit(t.charCodeAt(p))) p++;
    if (p === digitsStart) this.fail('expected digits after "-"', start);
    if (isIdentChar(t.charCodeAt(p))) {
      if (digitsStart !== start) this.fail('a number runs into letters', start);
      return this.word();
    }
    this.pos = p;
    const digits = t.slice(start, p);
    if (p - start < 16) return Number(digits);
    const n = Number(digits);
    if (Number.isSafeInteger(n)) return n;
    return { '#bigint': BigInt(digits).toString() };
  }

  integerOrInterval(): TlaValue {
    const low = this.integer();
    if (!this.text.startsWith('..', this.pos)) return low;
    const at = this.pos;
    this.pos += 2;
    this.skipSpace();
    const high = this.integer();
    if (typeof low !== 'number' || typeof high !== 'number') {
      this.fail('interval bounds too large', at);
    }
    if (high - low + 1 > INTERVAL_SIZE_MAX) {
      this.fail(`interval larger than ${INTERVAL_SIZE_MAX}`, at);
    }
    const items: TlaValue[] = [];
    for (let i = low; i <= high; i++) items.push(i);
    return { '#set': items };
  }

  /** Items separated by commas up to `close`; `open` has been consumed. */
  items(close: string, what: string): TlaValue[] {
    const out: TlaValue[] = [];
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.value());
      if (this.eat(',')) continue;
      this.expect(close, `or "," in ${what}`);
      return out;
    }
  }

  setValue(): TlaValue {
    this.pos++;
    return { '#set': this.items('}', 'a set') };
  }

  sequence(): TlaValue[] {
    this.pos += 2;
    return this.items('>>', 'a sequence');
  }

  record(): TlaValue {
    this.pos++;
    const out: Record<string, TlaValue> = {};
    if (this.eat(']')) return out;
    for (;;) {
      this.skipSpace();
      const field = this.identifier('a record field name');
      this.expect('|->', 'after a record field name');
      setField(out, field, this.value());
      if (this.eat(',')) continue;
      this.expect(']', 'or "," in a record');
      return out;
    }
  }

  /** `(k :> v @@ …)` or a value in parentheses such as `(-1)`. */
  parenthesised(): TlaValue {
    this.pos++;
    const first = this.value();
    if (!this.eat(':>')) {
      this.expect(')', 'to close a parenthesised value');
      return first;
    }
    const pairs: [TlaValue, TlaValue][] = [[first, this.value()]];
    while (this.eat('@@')) {
      const k = this.value();
      this.expect(':>', 'between a key and its value in a function');
      pairs.push([k, this.value()]);
    }
    this.expect(')', 'or "@@" in a function');
    return { '#map': pairs };
  }

  identifier(what: string): string {
    const t = this.text;
    const start = this.pos;
    let p = start;
    while (isIdentChar(t.charCodeAt(p))) p++;
    if (p === start) this.fail(`expected ${what}`);
    this.pos = p;
    return t.slice(start, p);
  }

  word(): TlaValue {
    const start = this.pos;
    const w = this.identifier('a value');
    if (w === 'TRUE') return true;
    if (w === 'FALSE') return false;
    if (!hasLetter(w)) this.fail('expected a value', start);
    return { '#model': w };
  }

  /** `/\ x = v /\ y = w …` or `x = v`. */
  state(): TlaState {
    const out: TlaState = {};
    const conjoined = this.eat('/\\');
    for (;;) {
      this.skipSpace();
      const name = this.identifier('a variable name');
      this.expect('=', `after variable ${name}`);
      if (Object.hasOwn(out, name)) this.fail(`variable ${name} appears twice`);
      setField(out, name, this.value());
      if (this.atEnd()) return out;
      if (!conjoined || !this.eat('/\\')) this.fail('expected "/\\" before the next variable');
    }
  }
}

function run<T>(text: string, body: (p: Parser) => T): TlaParseResult<T> {
  const p = new Parser(text);
  try {
    const value = body(p);
    if (!p.atEnd()) p.fail('unexpected text after the value');
    return { ok: true, value };
  } catch (e) {
    if (e instanceof TlaParseError) return { ok: false, error: e.info };
    throw e;
  }
}

export function tryParseTlaValue(text: string): TlaParseResult<TlaValue> {
  return run(text, (p) => p.value());
}

export function tryParseTlaState(text: string): TlaParseResult<TlaState> {
  if (text.trim() === '') return { ok: true, value: {} };
  return run(text, (p) => p.state());
}

/** Parse one printed value; throws `TlaParseError` (code 'tla-parse') on malformed text. */
export function parseTlaValue(text: string): TlaValue {
  const r = tryParseTlaValue(text);
  if (!r.ok) throw new TlaParseError(r.error);
  return r.value;
}

/** Parse a printed state; throws `TlaParseError` (code 'tla-parse') on malformed text. */
export function parseTlaState(text: string): TlaState {
  const r = tryParseTlaState(text);
  if (!r.ok) throw new TlaParseError(r.error);
  return r.value;
}
