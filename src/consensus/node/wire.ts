/**
 * Wire formats of the consensus-txn node driver (zod, validated on every boundary):
 * - member requests: Paxos messages from a proposer (a batch of Prepare/Accept, answered by a
 *   batch of Promise/Accepted/Preempted), Chosen notifications (phase 3), and a long-poll read
 *   of the chosen log (observers and catch-up);
 * - proposer requests: Begin (answered with the outcome once told), Await (recover a
 *   transaction and answer its decision), Drain (finish every known transaction), Stats;
 * - the member's WAL records: the acceptor's records and the chosen entries it learned.
 * `lc` is a Lamport clock carried for counting message delays (bench); 0 when unused.
 */
import { z } from 'zod';
import {
  AcceptMsgSchema, AcceptedMsgSchema, BallotSchema, EntrySchema as PaxosEntrySchema,
  NodeIdSchema, PrepareMsgSchema, PreemptedMsgSchema, PromiseMsgSchema, SlotSchema,
} from '../messages.ts';
import { OutcomeSchema } from '../../txn/messages.ts';
import { TxnIdSchema, TxnSpecSchema } from '../../txn/entries.ts';

const ClockSchema = z.number().int().nonnegative();
export const MAX_BATCH_MSGS = 4096;

export const ChosenItemSchema = z.object({ slot: SlotSchema, value: PaxosEntrySchema }).strict();
export type ChosenItem = z.infer<typeof ChosenItemSchema>;

export const MemberRequestSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('Paxos'), from: NodeIdSchema, lc: ClockSchema,
    msgs: z.array(z.union([PrepareMsgSchema, AcceptMsgSchema])).min(1).max(MAX_BATCH_MSGS),
  }).strict(),
  z.object({
    type: z.literal('Chosen'), lc: ClockSchema,
    items: z.array(ChosenItemSchema).min(1).max(MAX_BATCH_MSGS),
  }).strict(),
  z.object({
    type: z.literal('Log'), fromSlot: SlotSchema, waitMs: z.number().int().min(0).max(5_000),
    max: z.number().int().min(1).max(MAX_BATCH_MSGS),
  }).strict(),
]);
export type MemberRequest = z.infer<typeof MemberRequestSchema>;

export const MemberReplySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('Paxos'), lc: ClockSchema,
    msgs: z.array(z.union([PromiseMsgSchema, AcceptedMsgSchema, PreemptedMsgSchema]))
      .max(MAX_BATCH_MSGS),
  }).strict(),
  z.object({ type: z.literal('Ack'), lc: ClockSchema }).strict(),
  z.object({ type: z.literal('Log'), items: z.array(ChosenItemSchema).max(MAX_BATCH_MSGS) })
    .strict(),
  z.object({ type: z.literal('Refused'), code: z.string().max(64), message: z.string().max(512) })
    .strict(),
]);
export type MemberReply = z.infer<typeof MemberReplySchema>;

/** One record of a member's WAL: an acceptor record, or a chosen entry it learned. */
export const MemberWalRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('promise'), ballot: BallotSchema }).strict(),
  z.object({
    kind: z.literal('accept'), slot: SlotSchema, ballot: BallotSchema, value: PaxosEntrySchema,
  }).strict(),
  z.object({ kind: z.literal('chosen'), slot: SlotSchema, value: PaxosEntrySchema }).strict(),
]);
export type MemberWalRecord = z.infer<typeof MemberWalRecordSchema>;

export const ProposerRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Begin'), txn: TxnSpecSchema, waitMs: z.number().int().min(1)
    .max(600_000), lc: ClockSchema }).strict(),
  z.object({ type: z.literal('Await'), txnId: TxnIdSchema, waitMs: z.number().int().min(1)
    .max(600_000) }).strict(),
  z.object({ type: z.literal('Drain'), waitMs: z.number().int().min(1).max(600_000) }).strict(),
  z.object({ type: z.literal('Stats') }).strict(),
]);
export type ProposerRequest = z.infer<typeof ProposerRequestSchema>;

export const ProposerStatsSchema = z.object({
  txnsKnown: z.number().int(), undecided: z.number().int(),
  leading: z.record(z.string(), z.boolean()),
  appliedSlots: z.record(z.string(), z.number().int()),
  msgsSent: z.number().int(), framesSent: z.number().int(),
}).strict();
export type ProposerStats = z.infer<typeof ProposerStatsSchema>;

export const ProposerReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Outcome'), txnId: TxnIdSchema, outcome: OutcomeSchema,
    lc: ClockSchema }).strict(),
  /** No outcome within waitMs (or the proposer cannot decide it yet). */
  z.object({ type: z.literal('Pending'), txnId: TxnIdSchema }).strict(),
  z.object({ type: z.literal('Drained'), undecided: z.array(TxnIdSchema).max(100_000) }).strict(),
  z.object({ type: z.literal('Stats'), stats: ProposerStatsSchema }).strict(),
  z.object({ type: z.literal('Refused'), code: z.string().max(64), message: z.string().max(512) })
    .strict(),
]);
export type ProposerReply = z.infer<typeof ProposerReplySchema>;

/** Where a member listens. */
export const EndpointSchema = z.object({
  id: NodeIdSchema, host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535),
}).strict();
export type Endpoint = z.infer<typeof EndpointSchema>;

/** The membership of every group: group id -> its members. */
export const GroupsSchema = z.record(z.string().min(1).max(128), z.array(EndpointSchema).min(1)
  .max(9));
export type Groups = z.infer<typeof GroupsSchema>;

export { TxnSpecSchema, TxnIdSchema };
