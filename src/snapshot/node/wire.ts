/**
 * The GC host's client API over TCP (length-prefixed frames, src/runtime/node/tcp.ts): submit
 * an execution, ask for the host's status and its record of every GC.
 */
import { z } from 'zod';
import { executionResultSchema } from '../backend/index.ts';

export const submitSchema = z.object({
  type: z.literal('execute'),
  executionId: z.string().min(1).max(128),
  garbageBytes: z.number().int().nonnegative().max(64 * 1024 * 1024),
  preservedWrites: z.record(z.string().max(128), z.string().max(4096)).default({}),
  durationMs: z.number().int().nonnegative().max(10_000).default(0),
  /** After the execution, the instance keeps a connection to the host-side peer open. */
  openConnection: z.boolean().default(false),
});
export type Submit = z.input<typeof submitSchema>;

export const hostRequestSchema = z.discriminatedUnion('type', [
  submitSchema,
  z.object({ type: z.literal('status') }),
]);
export type HostRequest = z.input<typeof hostRequestSchema>;

/** What the host checked around one GC (the sheet's properties, observed on the real system). */
export const gcRecordSchema = z.object({
  gc: z.number().int().positive(),
  generation: z.number().int().positive(),
  entropyHex: z.string(),
  /** Garbage the instance held when the GC began to restore (after the drain). */
  garbageBeforeBytes: z.number().int().nonnegative(),
  /** Right after the restore: garbage and non-preserved state equal the snapshot's. */
  garbageAfterBytes: z.number().int().nonnegative(),
  cleanAfterRestore: z.boolean(),
  /** Preserved state right before the restore and after the write-back. */
  preservedBefore: z.string(),
  preservedAfter: z.string(),
  preservedIntact: z.boolean(),
  /** Connections of the old incarnation that were open at either end after the resume. */
  halfOpenAfterResume: z.number().int().nonnegative(),
  connectionsClosed: z.number().int().nonnegative(),
  /** A random value drawn from the new incarnation before it was admitted. */
  firstRandomHex: z.string(),
  /** Wall-clock pause, stop-admitting to admit. */
  pauseMs: z.number().nonnegative(),
  restoreMs: z.number().nonnegative(),
});
export type GcRecord = z.infer<typeof gcRecordSchema>;

export const hostReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('executed'), result: executionResultSchema,
    waitedMs: z.number().nonnegative() }),
  z.object({ type: z.literal('failed'), code: z.string(), message: z.string() }),
  z.object({
    type: z.literal('status'),
    phase: z.string(),
    generation: z.number().int().nonnegative(),
    garbageBytes: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    waiting: z.number().int().nonnegative(),
    gcs: z.array(gcRecordSchema),
    inputsRejected: z.number().int().nonnegative(),
    faults: z.array(z.string()),
  }),
]);
export type HostReply = z.infer<typeof hostReplySchema>;
