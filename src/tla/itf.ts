/**
 * Traces in the Informal Trace Format (ITF, Apalache ADR-015), the JSON form Apalache and Quint
 * read and write:
 *
 *   { "#meta": {…}, "vars": [names], "states": [{ "#meta": { "index": i }, var: expr, … }],
 *     "loop": i? }
 *
 * Expressions: strings; integers as JSON numbers when safe, else `{ "#bigint": "…" }` (the
 * 2023-09 revision of the ADR writes every integer as #bigint: pass `ints: 'bigint'`); sets
 * `{ "#set": […] }`; functions `{ "#map": [[k, v], …] }`; sequences as arrays; records as
 * objects. ITF has no model values: they are written as strings and their names listed in
 * `#meta.modelValues`, which `fromItf` reads back. `loop` is the 0-based index of the state the
 * lasso returns to (TLC's 1-based "Back to state N" is `loop: N - 1`).
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { TlaState, TlaValue } from './value.ts';

export type ItfValue =
  | string
  | number
  | boolean
  | ItfValue[]
  | { '#bigint': string }
  | { '#tup': ItfValue[] }
  | { '#set': ItfValue[] }
  | { '#map': [ItfValue, ItfValue][] }
  | { '#unserializable': string }
  | { [field: string]: ItfValue };

export const ItfValueSchema: z.ZodType<ItfValue> = z.lazy(() =>
  z.union([
    z.string(), z.number().int(), z.boolean(), z.array(ItfValueSchema),
    z.object({ '#bigint': z.string().regex(/^-?\d+$/) }).strict(),
    z.object({ '#tup': z.array(ItfValueSchema) }).strict(),
    z.object({ '#set': z.array(ItfValueSchema) }).strict(),
    z.object({ '#map': z.array(z.tuple([ItfValueSchema, ItfValueSchema])) }).strict(),
    z.object({ '#unserializable': z.string() }).strict(),
    z.record(z.string(), ItfValueSchema),
  ]),
);

export const ItfMetaSchema = z.looseObject({
  format: z.string().optional(),
  'format-description': z.string().optional(),
  source: z.string().optional(),
  description: z.string().optional(),
  modelValues: z.array(z.string()).optional(),
});

export const ItfStateSchema = z.looseObject({
  '#meta': z.looseObject({ index: z.number().int().optional() }).optional(),
}).catchall(ItfValueSchema);

export const ItfTraceSchema = z.object({
  '#meta': ItfMetaSchema.optional(),
  params: z.array(z.string()).optional(),
  vars: z.array(z.string()),
  states: z.array(z.record(z.string(), z.unknown())),
  loop: z.number().int().min(0).optional(),
});
export type ItfTrace = {
  '#meta'?: z.infer<typeof ItfMetaSchema>;
  params?: string[];
  vars: string[];
  states: ({ '#meta'?: { index?: number } } & Record<string, unknown>)[];
  loop?: number;
};

export interface ToItfOptions {
  /** 1-based index of the state a lasso returns to (as in `TlcResult.loopsBackTo`). */
  loopsBackTo?: number;
  /** The spec the trace came from, recorded in `#meta.source`. */
  source?: string;
  /** 'number' (default): safe integers as JSON numbers; 'bigint': every integer as #bigint. */
  ints?: 'number' | 'bigint';
}

export const ITF_FORMAT_DESCRIPTION = 'https://apalache-mc.org/docs/adr/015adr-trace.html';

function isObj(v: TlaValue): v is { [k: string]: TlaValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueToItf(v: TlaValue, ints: 'number' | 'bigint', models: Set<string>): ItfValue {
  const rec = (x: TlaValue): ItfValue => valueToItf(x, ints, models);
  if (typeof v === 'number') return ints === 'bigint' ? { '#bigint': String(v) } : v;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(rec);
  if ('#bigint' in v && typeof v['#bigint'] === 'string') return { '#bigint': v['#bigint'] };
  if ('#model' in v && typeof v['#model'] === 'string') {
    models.add(v['#model']);
    return v['#model'];
  }
  if ('#set' in v && Array.isArray(v['#set'])) return { '#set': v['#set'].map(rec) };
  if ('#map' in v && Array.isArray(v['#map'])) {
    const pairs = v['#map'] as [TlaValue, TlaValue][];
    return { '#map': pairs.map(([k, x]) => [rec(k), rec(x)] as [ItfValue, ItfValue]) };
  }
  const out: Record<string, ItfValue> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) out[k] = rec(x);
  return out;
}

/** A trace (one state per step, as TLC reports it) as an ITF object. */
export function toItf(trace: TlaState[], opts: ToItfOptions = {}): ItfTrace {
  const ints = opts.ints ?? 'number';
  const models = new Set<string>();
  const vars: string[] = [];
  for (const s of trace) for (const k of Object.keys(s)) if (!vars.includes(k)) vars.push(k);
  const states = trace.map((s, index) => {
    const out: ItfTrace['states'][number] = { '#meta': { index } };
    for (const k of vars) if (Object.hasOwn(s, k)) out[k] = valueToItf(s[k]!, ints, models);
    return out;
  });
  const meta: NonNullable<ItfTrace['#meta']> = {
    format: 'ITF', 'format-description': ITF_FORMAT_DESCRIPTION,
    description: 'Created by plumbline from a TLC counterexample',
  };
  if (opts.source !== undefined) meta.source = opts.source;
  if (models.size > 0) meta.modelValues = [...models].sort();
  const itf: ItfTrace = { '#meta': meta, vars, states };
  if (opts.loopsBackTo !== undefined) itf.loop = opts.loopsBackTo - 1;
  return itf;
}

export type ItfIoResult =
  | { ok: true }
  | { ok: false; error: { code: 'itf-write'; message: string } };

/** Write `toItf(trace, opts)` as pretty JSON (conventionally `*.itf.json`). */
export function writeItf(path: string, trace: TlaState[], opts: ToItfOptions = {}): ItfIoResult {
  try {
    writeFileSync(path, `${JSON.stringify(toItf(trace, opts), null, 2)}\n`);
    return { ok: true };
  } catch (e) {
    const message = `cannot write ${path}: ${String(e)}`;
    return { ok: false, error: { code: 'itf-write', message } };
  }
}

export interface ItfDecoded { vars: string[]; states: TlaState[]; loopsBackTo?: number }
export type FromItfResult =
  | { ok: true; trace: ItfDecoded }
  | { ok: false; error: { code: 'itf-invalid'; message: string } };

function valueFromItf(v: ItfValue, models: ReadonlySet<string>): TlaValue {
  const rec = (x: ItfValue): TlaValue => valueFromItf(x, models);
  if (typeof v === 'string') return models.has(v) ? { '#model': v } : v;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(rec);
  if ('#bigint' in v && typeof v['#bigint'] === 'string') {
    const n = Number(v['#bigint']);
    return Number.isSafeInteger(n) ? n : { '#bigint': BigInt(v['#bigint']).toString() };
  }
  if ('#tup' in v && Array.isArray(v['#tup'])) return (v['#tup'] as ItfValue[]).map(rec);
  if ('#set' in v && Array.isArray(v['#set'])) {
    return { '#set': (v['#set'] as ItfValue[]).map(rec) };
  }
  if ('#map' in v && Array.isArray(v['#map'])) {
    const pairs = v['#map'] as [ItfValue, ItfValue][];
    return { '#map': pairs.map(([k, x]) => [rec(k), rec(x)] as [TlaValue, TlaValue]) };
  }
  if ('#unserializable' in v) throw new ItfUnserializable(String(v['#unserializable']));
  const out: Record<string, TlaValue> = {};
  for (const [k, x] of Object.entries(v)) out[k] = rec(x as ItfValue);
  return out;
}

class ItfUnserializable extends Error {}

/**
 * Read an ITF object (already JSON-parsed) back into states; validates it with zod. Strings
 * named in `#meta.modelValues` become model values (so a string equal to a model value's name
 * comes back as the model value).
 */
export function fromItf(input: unknown): FromItfResult {
  const parsed = ItfTraceSchema.safeParse(input);
  const bad = (message: string): FromItfResult =>
    ({ ok: false, error: { code: 'itf-invalid', message } });
  if (!parsed.success) return bad(`not an ITF trace: ${parsed.error.issues[0]?.message ?? ''}`);
  const itf = parsed.data;
  const models = new Set(itf['#meta']?.modelValues ?? []);
  const states: TlaState[] = [];
  for (const [i, raw] of itf.states.entries()) {
    const s = ItfStateSchema.safeParse(raw);
    if (!s.success) return bad(`state ${i}: ${s.error.issues[0]?.message ?? 'invalid'}`);
    const state: TlaState = {};
    for (const name of itf.vars) {
      const v = s.data[name];
      if (v === undefined) return bad(`state ${i} has no value for variable ${name}`);
      try {
        state[name] = valueFromItf(v as ItfValue, models);
      } catch (e) {
        if (e instanceof ItfUnserializable) return bad(`state ${i}, ${name}: unserializable value`);
        throw e;
      }
    }
    states.push(state);
  }
  const trace: ItfDecoded = { vars: itf.vars, states };
  if (itf.loop !== undefined) trace.loopsBackTo = itf.loop + 1;
  return { ok: true, trace };
}
