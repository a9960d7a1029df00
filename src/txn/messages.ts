/**
 * The inputs and effects of the proposer and client cores (zod), for drivers that carry them
 * over a wire or a queue. Entries and apply results are in entries.ts.
 */
import { z } from 'zod';
import {
  ApplyResultSchema, EntrySchema, GroupIdSchema, TxnIdSchema, TxnSpecSchema,
} from './entries.ts';

const TimeMsSchema = z.number().int().nonnegative().safe();

export const ProposerInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('begin'), txn: TxnSpecSchema, nowMs: TimeMsSchema }).strict(),
  z.object({
    type: z.literal('applied'), group: GroupIdSchema, slot: z.number().int().nonnegative(),
    entry: EntrySchema, result: ApplyResultSchema, nowMs: TimeMsSchema,
  }).strict(),
  z.object({ type: z.literal('tick'), nowMs: TimeMsSchema }).strict(),
  z.object({ type: z.literal('recover'), txnId: TxnIdSchema, nowMs: TimeMsSchema }).strict(),
]);
export type ProposerInput = z.infer<typeof ProposerInputSchema>;

export const OutcomeSchema = z.enum(['committed', 'aborted']);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const ProposerEffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('propose'), group: GroupIdSchema, entry: EntrySchema }).strict(),
  z.object({ type: z.literal('outcome'), txnId: TxnIdSchema, outcome: OutcomeSchema }).strict(),
]);
export type ProposerEffect = z.infer<typeof ProposerEffectSchema>;
