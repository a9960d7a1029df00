/**
 * Wire messages of the fencing protocol, one zod schema each, discriminated on `type`.
 * They mirror the records of `msgs` in spec/fencing/Fencing.tla; Fence and Write carry the
 * MAC'd credential (the spec's `head` and `epoch` fields are the credential's holder and
 * epoch). Grant carries a credential from the issuer to a head (atomic in the spec).
 */
import { z } from 'zod';
import { CredentialSchema } from './credential.ts';

const NodeId = z.string().min(1).max(64);
const Epoch = z.number().int().nonnegative();
const Seq = z.number().int().nonnegative();
/** A client value; null is the spec's NoValue (a block never written). */
export const ValueSchema = z.string().max(4096).nullable();

/** The version and content of the block a sled stores for an extent. */
export const BlockSchema = z.object({ epoch: Epoch, seq: Seq, val: ValueSchema }).strict();
export type Block = z.infer<typeof BlockSchema>;

export const EMPTY_BLOCK: Block = Object.freeze({ epoch: 0, seq: 0, val: null });

export const GrantMsgSchema = z.object({ type: z.literal('Grant'), credential: CredentialSchema });
export const FenceMsgSchema = z.object({ type: z.literal('Fence'), credential: CredentialSchema });
export const FenceAckMsgSchema = z.object({
  type: z.literal('FenceAck'),
  sled: NodeId,
  head: NodeId,
  epoch: Epoch,
  block: BlockSchema,
});
export const WriteMsgSchema = z.object({
  type: z.literal('Write'),
  credential: CredentialSchema,
  seq: Seq,
  val: ValueSchema,
});
export const WriteAckMsgSchema = z.object({
  type: z.literal('WriteAck'),
  sled: NodeId,
  head: NodeId,
  epoch: Epoch,
  seq: Seq,
});
export const FencedMsgSchema = z.object({
  type: z.literal('Fenced'),
  sled: NodeId,
  head: NodeId,
  epoch: Epoch,
});

export const MessageSchema = z.discriminatedUnion('type', [
  GrantMsgSchema,
  FenceMsgSchema,
  FenceAckMsgSchema,
  WriteMsgSchema,
  WriteAckMsgSchema,
  FencedMsgSchema,
]);

export type Message = z.infer<typeof MessageSchema>;
export type GrantMsg = z.infer<typeof GrantMsgSchema>;
export type FenceMsg = z.infer<typeof FenceMsgSchema>;
export type FenceAckMsg = z.infer<typeof FenceAckMsgSchema>;
export type WriteMsg = z.infer<typeof WriteMsgSchema>;
export type WriteAckMsg = z.infer<typeof WriteAckMsgSchema>;
export type FencedMsg = z.infer<typeof FencedMsgSchema>;

/** Messages a sled handles, and those a head handles. */
export type SledInbound = FenceMsg | WriteMsg;
export type HeadInbound = FenceAckMsg | WriteAckMsg | FencedMsg;

/** The error value of a message that failed validation. */
export interface MessageError {
  code: 'BAD_MESSAGE';
  message: string;
}

/** Validates an untrusted message (e.g. a decoded frame). Never throws. */
export function parseMessage(
  raw: unknown,
): { ok: true; msg: Message } | { ok: false; error: MessageError } {
  const r = MessageSchema.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const first = r.error.issues[0];
  const where = first ? `${first.path.join('.') || '<root>'}: ${first.message}` : 'invalid';
  return { ok: false, error: { code: 'BAD_MESSAGE', message: `bad message (${where})` } };
}

/** Block b has a higher version (epoch, seq) than block c (the spec's Newer). */
export function newer(b: Pick<Block, 'epoch' | 'seq'>, c: Pick<Block, 'epoch' | 'seq'>): boolean {
  return b.epoch > c.epoch || (b.epoch === c.epoch && b.seq > c.seq);
}

/** The newer of two blocks, b on a tie (the spec's Max). */
export function maxBlock(b: Block, c: Block): Block {
  return newer(c, b) ? c : b;
}
