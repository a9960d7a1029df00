/**
 * The JSON form of TLA+ values shared by `specState` functions, the TLC output parser, the
 * trace-module writer and the ITF writer.
 *
 *   integer          -> number (safe integers) or { "#bigint": "123…" } beyond 2^53
 *   string           -> string
 *   boolean          -> boolean
 *   model value      -> { "#model": "h1" }          (a CONSTANT's model value from a .cfg)
 *   set              -> { "#set": [v, …] }          (order carries no meaning)
 *   sequence / tuple -> [v, …]                      (a function with domain 1..n)
 *   record           -> { field: v, … }             (a function with a domain of strings)
 *   other function   -> { "#map": [[k, v], …] }     (order carries no meaning)
 *
 * Two values that TLC considers equal may have different JSON forms (a record and a function
 * over strings, a sequence and a function over 1..n, sets in another order): compare with
 * `tlaEqual` or compare `canonical(v)` forms, never with JSON text.
 */
import { z } from 'zod';

export type TlaValue =
  | number
  | string
  | boolean
  | { '#bigint': string }
  | { '#model': string }
  | { '#set': TlaValue[] }
  | { '#map': [TlaValue, TlaValue][] }
  | TlaValue[]
  | { [field: string]: TlaValue };

export const TlaValueSchema: z.ZodType<TlaValue> = z.lazy(() =>
  z.union([
    z.number().int(),
    z.string(),
    z.boolean(),
    z.object({ '#bigint': z.string().regex(/^-?\d+$/) }).strict(),
    z.object({ '#model': z.string() }).strict(),
    z.object({ '#set': z.array(TlaValueSchema) }).strict(),
    z.object({ '#map': z.array(z.tuple([TlaValueSchema, TlaValueSchema])) }).strict(),
    z.array(TlaValueSchema),
    z.record(z.string(), TlaValueSchema),
  ]),
);

/** A state of a spec: variable name -> value. */
export type TlaState = Record<string, TlaValue>;

export const model = (name: string): TlaValue => ({ '#model': name });
export const set = (items: Iterable<TlaValue>): TlaValue => ({ '#set': [...items] });
export const fn = (pairs: Iterable<[TlaValue, TlaValue]>): TlaValue => ({ '#map': [...pairs] });
