/**
 * What fencing's node processes put inside the frames. Protocol messages are the cores' own zod
 * schemas (src/fencing/messages.ts): a head sends Fence / Write to a sled and gets FenceAck /
 * WriteAck / Fenced back; the issuer answers with a Grant. The rest is driver plumbing that the
 * spec does not model: how a head asks the issuer for a grant, a sled's refusal of a bad MAC
 * (the core's `refused` effect), counters for tests and benchmarks, and the client API of a head.
 */
import { z } from 'zod';
import {
  FenceAckMsgSchema,
  FencedMsgSchema,
  FenceMsgSchema,
  GrantMsgSchema,
  WriteAckMsgSchema,
  WriteMsgSchema,
} from '../index.ts';

const extent = z.number().int().nonnegative().max(0xffff);
const epoch = z.number().int().nonnegative();
const seq = z.number().int().nonnegative();
/** A client value: short text, so a block's payload always fits. */
export const valueSchema = z.string().max(1024);

// ---------------------------------------------------------------------------------------------
// Head <-> sled

export const sledStatsSchema = z.object({
  type: z.literal('SledStats'),
  badMacCount: z.number().int().nonnegative(),
  blocksWritten: z.number().int().nonnegative(),
  blockSyncs: z.number().int().nonnegative(),
  statePersists: z.number().int().nonnegative(),
  persistsCovered: z.number().int().nonnegative(),
  requests: z.number().int().nonnegative(),
});
export type SledStats = z.infer<typeof sledStatsSchema>;

export const sledRequestSchema = z.discriminatedUnion('type', [
  FenceMsgSchema,
  WriteMsgSchema,
  z.object({ type: z.literal('GetStats') }),
]);
export type SledRequest = z.infer<typeof sledRequestSchema>;

export const refusedSchema = z.object({
  type: z.literal('Refused'),
  sled: z.string(),
  code: z.enum(['BAD_MAC', 'BAD_EXTENT']),
  message: z.string().max(512),
});
export const sledReplySchema = z.discriminatedUnion('type', [
  FenceAckMsgSchema,
  WriteAckMsgSchema,
  FencedMsgSchema,
  refusedSchema,
  sledStatsSchema,
]);
export type SledReply = z.infer<typeof sledReplySchema>;

// ---------------------------------------------------------------------------------------------
// Head <-> issuer (the request is plumbing; the answer is the core's Grant message)

export const issuerRequestSchema = z.object({
  type: z.literal('RequestGrant'),
  volume: z.string().min(1).max(64),
  extent: z.string().min(1).max(16),
  holder: z.string().min(1).max(64),
});
export type IssuerRequest = z.infer<typeof issuerRequestSchema>;
export const issuerReplySchema = GrantMsgSchema;
export type IssuerReply = z.infer<typeof issuerReplySchema>;

// ---------------------------------------------------------------------------------------------
// Client <-> head

export const headRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Promote') }),
  z.object({ type: z.literal('ClientWrite'), extent, val: valueSchema }),
  z.object({ type: z.literal('ClientRead'), extent }),
  z.object({ type: z.literal('Status') }),
]);
export type HeadRequest = z.infer<typeof headRequestSchema>;

export const phaseSchema = z.enum(['idle', 'fencing', 'repairing', 'serving', 'paused',
  'stepped-down']);

export const headReplySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('Promoted'),
    epochs: z.record(z.string(), epoch),
    fenced: z.record(z.string(), z.array(z.string())),
    /** Per extent: from the Grant's arrival to serving (fence + repair), head clock. */
    grantToServingMs: z.record(z.string(), z.number().nonnegative()),
  }),
  z.object({ type: z.literal('WriteAcked'), extent, epoch, seq, sleds: z.array(z.string()) }),
  z.object({ type: z.literal('ReadValue'), extent, block: z.object({ epoch, seq,
    val: valueSchema.nullable() }) }),
  z.object({ type: z.literal('Fenced'), extent, epoch }),
  z.object({ type: z.literal('NotServing'), extent, phase: phaseSchema }),
  z.object({ type: z.literal('Failed'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('Status'), phases: z.record(z.string(), phaseSchema) }),
]);
export type HeadReply = z.infer<typeof headReplySchema>;
