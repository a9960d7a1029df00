/**
 * Wire messages of one Paxos group, one zod schema each, discriminated on `type`. They mirror
 * the records of `msgs` in spec/consensus-txn/GroupPaxos.tla: Prepare = "1a", Promise = "1b",
 * Accept = "2a", Accepted = "2b". Preempted is the code's extra answer to a stale ballot (the
 * spec leaves a refused message unanswered); it lets a proposer retry at once.
 * Entries are opaque JSON values: the transaction layer and the KV store define their own.
 */
import { z } from 'zod';

export const NodeIdSchema = z.string().min(1).max(64);
export const SlotSchema = z.number().int().min(1);
export const RoundSchema = z.number().int().nonnegative();

/** A ballot: (round, proposer), ordered by round, then proposer id. */
export const BallotSchema = z.object({ round: RoundSchema, proposer: NodeIdSchema }).strict();
export type Ballot = z.infer<typeof BallotSchema>;

/** An opaque log entry (any JSON value). */
export const EntrySchema = z.json();
export type Entry = z.infer<typeof EntrySchema>;

/** An acceptor's vote in one slot: the ballot it last accepted there and the entry. */
export const VoteSchema = z.object({ slot: SlotSchema, ballot: BallotSchema, value: EntrySchema })
  .strict();
export type Vote = z.infer<typeof VoteSchema>;

export const PrepareMsgSchema = z.object({
  type: z.literal('Prepare'), ballot: BallotSchema, fromSlot: SlotSchema,
}).strict();
export const PromiseMsgSchema = z.object({
  type: z.literal('Promise'), from: NodeIdSchema, ballot: BallotSchema, fromSlot: SlotSchema,
  votes: z.array(VoteSchema).max(100_000),
}).strict();
export const AcceptMsgSchema = z.object({
  type: z.literal('Accept'), ballot: BallotSchema, slot: SlotSchema, value: EntrySchema,
}).strict();
export const AcceptedMsgSchema = z.object({
  type: z.literal('Accepted'), from: NodeIdSchema, ballot: BallotSchema, slot: SlotSchema,
  value: EntrySchema,
}).strict();
export const PreemptedMsgSchema = z.object({
  type: z.literal('Preempted'), from: NodeIdSchema, ballot: BallotSchema, promised: BallotSchema,
}).strict();

export const MessageSchema = z.discriminatedUnion('type', [
  PrepareMsgSchema, PromiseMsgSchema, AcceptMsgSchema, AcceptedMsgSchema, PreemptedMsgSchema,
]);
export type Message = z.infer<typeof MessageSchema>;
export type PrepareMsg = z.infer<typeof PrepareMsgSchema>;
export type PromiseMsg = z.infer<typeof PromiseMsgSchema>;
export type AcceptMsg = z.infer<typeof AcceptMsgSchema>;
export type AcceptedMsg = z.infer<typeof AcceptedMsgSchema>;
export type PreemptedMsg = z.infer<typeof PreemptedMsgSchema>;

export interface DecodeError {
  readonly code: 'bad-message';
  readonly message: string;
}

/** Validates an untrusted message; a malformed one is an error value, never a throw. */
export function decodeMessage(
  raw: unknown,
): { ok: true; msg: Message } | { ok: false; error: DecodeError } {
  const r = MessageSchema.safeParse(raw);
  if (r.success) return { ok: true, msg: r.data };
  const first = r.error.issues[0];
  const where = first === undefined ? '' : `${first.path.join('.')}: ${first.message}`;
  return { ok: false, error: { code: 'bad-message', message: `malformed message (${where})` } };
}

/** Total order on ballots: negative, zero or positive like a comparator. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  if (a.proposer === b.proposer) return 0;
  return a.proposer < b.proposer ? -1 : 1;
}

/** A ballot promised or accepted may be absent (the spec's -1): null sorts below all. */
export function ballotAtLeast(a: Ballot, b: Ballot | null): boolean {
  return b === null || compareBallots(a, b) >= 0;
}

export const ballotKey = (b: Ballot): string => `${b.round}.${b.proposer}`;

/** Majority of the target membership: the only quorum size of a group. */
export function majority(targetSize: number): number {
  if (!Number.isInteger(targetSize) || targetSize < 1) throw new Error('assertion: group size');
  return Math.floor(targetSize / 2) + 1;
}

/** Structural equality of JSON entries (key order of objects ignored). */
export function entryEqual(a: Entry, b: Entry): boolean {
  return canonicalEntry(a) === canonicalEntry(b);
}

export function canonicalEntry(e: Entry): string {
  if (e === null || typeof e !== 'object') return JSON.stringify(e);
  if (Array.isArray(e)) return `[${e.map(canonicalEntry).join(',')}]`;
  const keys = Object.keys(e).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalEntry(e[k] as Entry)}`).join(',')}}`;
}
