/**
 * The entries a consensus group chooses in its log for cross-group transactions, and the
 * transaction description they carry (spec/consensus-txn/CrossGroupTxn.tla, `Entry`). Entries
 * are JSON; every entry that reaches a participant or a proposer from outside is validated here.
 */
import { z } from 'zod';

export const TxnIdSchema = z.string().min(1).max(128);
export const GroupIdSchema = z.string().min(1).max(128);
export const KeySchema = z.string().min(1).max(256);

/** One operation of a transfer: add `delta` to account `key`, stored by group `group`. */
export const OpSchema = z.object({
  group: GroupIdSchema,
  key: KeySchema,
  delta: z.number().int().safe(),
}).strict();
export type Op = z.infer<typeof OpSchema>;

/** A transaction: its id and its operations (at most one per key; deltas sum to 0). */
export const TxnSpecSchema = z.object({
  id: TxnIdSchema,
  ops: z.array(OpSchema).min(1).max(64),
}).strict().refine((t) => new Set(t.ops.map((o) => o.key)).size === t.ops.length, {
  message: 'a key appears twice',
}).refine((t) => t.ops.every((o) => t.ops.filter((p) => p.key === o.key)
  .every((p) => p.group === o.group)), { message: 'a key is in two groups' });
export type TxnSpec = z.infer<typeof TxnSpecSchema>;

export const EntrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Prepare'), txn: TxnSpecSchema }).strict(),
  z.object({ type: z.literal('AbortVote'), txnId: TxnIdSchema }).strict(),
  z.object({ type: z.literal('Commit'), txnId: TxnIdSchema }).strict(),
  z.object({ type: z.literal('Abort'), txnId: TxnIdSchema }).strict(),
]);
export type Entry = z.infer<typeof EntrySchema>;
export type EntryType = Entry['type'];

export type Vote = 'prepared' | 'aborted';
export type Decision = 'commit' | 'abort';

/** What applying an entry tells the proposers: the group's vote or decision for the txn NOW. */
export const ApplyResultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('vote'), txnId: TxnIdSchema, vote: z.enum(['prepared', 'aborted']),
  }).strict(),
  z.object({
    kind: z.literal('decision'), txnId: TxnIdSchema, decision: z.enum(['commit', 'abort']),
  }).strict(),
]);
export type ApplyResult = z.infer<typeof ApplyResultSchema>;

export function entryTxnId(e: Entry): string {
  return e.type === 'Prepare' ? e.txn.id : e.txnId;
}

/** The groups a transaction touches, sorted. */
export function groupsOf(t: TxnSpec): string[] {
  return [...new Set(t.ops.map((o) => o.group))].sort();
}

/** The keys of t that group g stores (the spec's Keys(t, g)). */
export function keysIn(t: TxnSpec, group: string): string[] {
  return t.ops.filter((o) => o.group === group).map((o) => o.key);
}

export interface EntryError {
  readonly code: 'bad-entry';
  readonly message: string;
}

/** Validates an entry from outside (a log, the wire). */
export function parseEntry(
  raw: unknown,
): { ok: true; entry: Entry } | { ok: false; error: EntryError } {
  const r = EntrySchema.safeParse(raw);
  if (r.success) return { ok: true, entry: r.data };
  const first = r.error.issues[0];
  const message = `bad entry: ${first?.path.join('.') ?? ''} ${first?.message ?? ''}`.trim();
  return { ok: false, error: { code: 'bad-entry', message } };
}

/** A short label: Prepare(t1), Commit(t2), … (the spec's E(type, t)). */
export function describeEntry(e: Entry): string {
  return `${e.type}(${entryTxnId(e)})`;
}
