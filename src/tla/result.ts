/**
 * The structured result of one TLC run: zod schemas (the `--json` contract of `plumbline tlc`)
 * and the types inferred from them.
 */
import { z } from 'zod';
import { TlaValueSchema } from './value.ts';

/** What a run found. `ok` only when TLC finished and found nothing. */
export const TlcOutcomeSchema = z.enum([
  'ok', 'invariant', 'property', 'deadlock', 'assert', 'parse-error', 'config-error', 'error',
]);
export type TlcOutcome = z.infer<typeof TlcOutcomeSchema>;

export const TlaStateSchema = z.record(z.string(), TlaValueSchema);

/** Where in the spec an action (or an error) is: TLC's "line L, col C to line L2, col C2". */
export const TlcLocationSchema = z.object({
  module: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  endLine: z.number().int(),
  endColumn: z.number().int(),
});
export type TlcLocation = z.infer<typeof TlcLocationSchema>;

/** One state of a counterexample; `action` is null for the initial state. */
export const TlcTraceStepSchema = z.object({
  index: z.number().int().min(1),
  action: z.string().nullable(),
  location: TlcLocationSchema.optional(),
  state: TlaStateSchema,
});
export type TlcTraceStep = z.infer<typeof TlcTraceStepSchema>;

/**
 * One violation with its counterexample. A lasso (liveness) ends by returning to state
 * `loopsBackTo` (1-based); `stutters` means the behaviour stops changing after the last state.
 */
export const TlcViolationSchema = z.object({
  outcome: TlcOutcomeSchema,
  violated: z.string().optional(),
  trace: z.array(TlcTraceStepSchema),
  loopsBackTo: z.number().int().min(1).optional(),
  stutters: z.boolean().optional(),
});
export type TlcViolation = z.infer<typeof TlcViolationSchema>;

/** An error TLC or SANY reported; `code` is TLC's message code when there is one. */
export const TlcErrorSchema = z.object({
  code: z.number().int().optional(),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});
export type TlcError = z.infer<typeof TlcErrorSchema>;

export const TlcResultSchema = z.object({
  ok: z.boolean(),
  outcome: TlcOutcomeSchema,
  /** TLC's exit code; -1 when the JVM was killed (timeout, abort) or never started. */
  exitCode: z.number().int(),
  distinctStates: z.number().int(),
  generatedStates: z.number().int(),
  depth: z.number().int(),
  seconds: z.number(),
  violated: z.string().optional(),
  trace: z.array(TlcTraceStepSchema).optional(),
  loopsBackTo: z.number().int().min(1).optional(),
  stutters: z.boolean().optional(),
  /** Every violation (several under -continue); the first is also in the fields above. */
  violations: z.array(TlcViolationSchema).optional(),
  errors: z.array(TlcErrorSchema).optional(),
  warnings: z.array(z.string()).optional(),
  /** The state-graph file written by `dump` (TLC appends `.dot` to dot dumps). */
  dumpFile: z.string().optional(),
});
export type TlcResult = z.infer<typeof TlcResultSchema>;

/**
 * Streamed while TLC runs: 'init' when the initial states are computed (2190), 'progress' for
 * TLC's periodic reports (2200, 2209 in simulation), 'final' for the closing statistics (2199).
 * Per-minute rates are present only when TLC prints them.
 */
export const TlcProgressSchema = z.object({
  kind: z.enum(['init', 'progress', 'final']),
  depth: z.number().int().optional(),
  generatedStates: z.number().int(),
  distinctStates: z.number().int(),
  queueSize: z.number().int().optional(),
  statesPerMinute: z.number().optional(),
  distinctStatesPerMinute: z.number().optional(),
});
export type TlcProgress = z.infer<typeof TlcProgressSchema>;
