/**
 * The GC manager's inputs (what the driver reports) and effects (what it asks the driver to
 * do), one zod schema each, discriminated on `type`. Every input names its instance; the
 * manager of another instance rejects it. Byte strings (preserved state, entropy) are hex so
 * that inputs and effects stay JSON.
 */
import { z } from 'zod';

export const InstanceIdSchema = z.string().min(1).max(64);
export const ExecIdSchema = z.string().min(1).max(128);
/** Lower-case hex, even length: bytes as JSON. */
export const HexSchema = z.string().max(1 << 20).regex(/^(?:[0-9a-f]{2})*$/);
/** Fresh entropy handed to a restored instance: at least 16 bytes. */
export const EntropyHexSchema = HexSchema.min(32);
const Bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const inst = { instance: InstanceIdSchema };
export const ConnEndSchema = z.enum(['instance', 'peer']);
export type ConnEnd = z.infer<typeof ConnEndSchema>;

export const GcInputSchema = z.discriminatedUnion('type', [
  /** An execution asks to start; answered by run-execution or reject-execution. */
  z.object({ type: z.literal('execution-started'), ...inst, execId: ExecIdSchema }).strict(),
  /** An execution ended: the garbage it left and how many preserved-state writes it made. */
  z.object({
    type: z.literal('execution-finished'), ...inst, execId: ExecIdSchema,
    garbageDelta: Bytes, preservedWrites: z.number().int().nonnegative().max(1_000_000),
  }).strict(),
  /** A measurement of the instance's garbage (bytes), e.g. guest used memory above S. */
  z.object({ type: z.literal('garbage-reading'), ...inst, bytes: Bytes }).strict(),
  /** The driver confirms no execution runs in the instance. */
  z.object({ type: z.literal('drained'), ...inst }).strict(),
  /** Answer to save-preserved: the preserved state read from the instance. */
  z.object({ type: z.literal('preserved-saved'), ...inst, value: HexSchema }).strict(),
  /** Answer to terminate-connections: both ends closed. Carries the fresh entropy (drawn by
   *  the driver) that the following restore hands to the instance. */
  z.object({ type: z.literal('connections-closed'), ...inst, entropy: EntropyHexSchema }).strict(),
  /** Answer to restore: the instance runs from S with the new generation and entropy. */
  z.object({ type: z.literal('restored'), ...inst }).strict(),
  /** Answer to write-back-preserved. */
  z.object({ type: z.literal('written-back'), ...inst }).strict(),
  /** The driver's clock. The core reads no clock of its own. */
  z.object({ type: z.literal('tick'), ...inst, nowMs: z.number().int().nonnegative() }).strict(),
]);
export type GcInput = z.infer<typeof GcInputSchema>;
export type GcInputType = GcInput['type'];

export const GcErrorCodeSchema = z.enum([
  'WRONG_INSTANCE', 'UNEXPECTED_INPUT', 'UNKNOWN_EXECUTION', 'DUPLICATE_EXECUTION',
  'NOT_DRAINED', 'REUSED_ENTROPY',
]);
export type GcErrorCode = z.infer<typeof GcErrorCodeSchema>;
export const RejectCodeSchema = z.enum(['NOT_ADMITTING', 'OVER_THRESHOLD', 'AT_CAPACITY']);
export type RejectCode = z.infer<typeof RejectCodeSchema>;

export const GcEffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run-execution'), ...inst, execId: ExecIdSchema }).strict(),
  z.object({
    type: z.literal('reject-execution'), ...inst, execId: ExecIdSchema, code: RejectCodeSchema,
  }).strict(),
  z.object({ type: z.literal('read-garbage'), ...inst }).strict(),
  z.object({ type: z.literal('stop-admitting'), ...inst }).strict(),
  z.object({ type: z.literal('save-preserved'), ...inst }).strict(),
  /** Send termination to the given ends of every open connection of the instance (both
   *  by default), each formatted as if from the other party; answered by connections-closed. */
  z.object({
    type: z.literal('terminate-connections'), ...inst, ends: z.array(ConnEndSchema).max(2),
  }).strict(),
  z.object({
    type: z.literal('restore'), ...inst, snapshot: z.string().min(1),
    generation: z.number().int().positive(), entropy: EntropyHexSchema,
  }).strict(),
  z.object({ type: z.literal('write-back-preserved'), ...inst, value: HexSchema }).strict(),
  z.object({ type: z.literal('admit'), ...inst }).strict(),
  /** A report: one GC finished; pauseMs from stop-admitting to admit by the driver's ticks. */
  z.object({
    type: z.literal('gc-finished'), ...inst, generation: z.number().int().positive(),
    pauseMs: z.number().int().nonnegative(),
  }).strict(),
  /** An input the manager could not take (errors are values); the state is unchanged. */
  z.object({
    type: z.literal('input-rejected'), ...inst, input: z.string(), code: GcErrorCodeSchema,
    message: z.string(),
  }).strict(),
]);
export type GcEffect = z.infer<typeof GcEffectSchema>;
export type GcEffectType = GcEffect['type'];

/** Parses an untrusted input; an error value on failure. */
export function parseGcInput(raw: unknown):
  | { ok: true; input: GcInput }
  | { ok: false; code: 'BAD_INPUT'; message: string } {
  const r = GcInputSchema.safeParse(raw);
  if (r.success) return { ok: true, input: r.data };
  const first = r.error.issues[0];
  return { ok: false, code: 'BAD_INPUT', message: first ? first.message : 'invalid input' };
}
