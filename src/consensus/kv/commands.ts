/**
 * The versioned control-plane store's commands and results (seed US09910881B1: every write is
 * conditional on the version it read). Zod schemas are the wire form; types come from them.
 *
 * Versions are per key and count the key's writes, deletes included, so a version is never
 * reused for a key. A key that was never written or was deleted is absent and reads as
 * version 0; `Put` with `expectedVersion: 0` creates it, and its new version continues the
 * key's count (a reader of an older incarnation cannot overwrite the new one).
 */
import { z } from 'zod';

/** Bounds on what one command may carry (the log and the wire stay small). */
export const MAX_KEY_BYTES = 256;
export const MAX_VALUE_BYTES = 64 * 1024;

export const KeySchema = z.string().min(1).max(MAX_KEY_BYTES);
export const ValueSchema = z.string().max(MAX_VALUE_BYTES);
export const VersionSchema = z.number().int().min(0);

export const KvCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('get'), key: KeySchema }),
  z.object({ type: z.literal('put'), key: KeySchema, value: ValueSchema,
    expectedVersion: VersionSchema }),
  z.object({ type: z.literal('delete'), key: KeySchema, expectedVersion: VersionSchema }),
]);
export type KvCommand = z.infer<typeof KvCommandSchema>;

export const KvResultSchema = z.discriminatedUnion('type', [
  /** A read: `value` null and `version` 0 when absent. */
  z.object({ type: z.literal('value'), value: ValueSchema.nullable(), version: VersionSchema }),
  z.object({ type: z.literal('written'), version: VersionSchema }),
  z.object({ type: z.literal('deleted') }),
  /** A conditional write lost: the key's version is not the expected one. */
  z.object({ type: z.literal('conflict'), currentVersion: VersionSchema }),
]);
export type KvResult = z.infer<typeof KvResultSchema>;

/**
 * What goes into the group's log: a command tagged with its client session and sequence
 * number, so a command proposed twice (a retry after a lost answer) is applied once.
 */
export const KvEntrySchema = z.object({
  clientId: z.string().min(1).max(128),
  seq: z.number().int().min(1),
  command: KvCommandSchema,
});
export type KvEntry = z.infer<typeof KvEntrySchema>;

/** The store's answer to one entry, as it travels back to the client. */
export const KvReplySchema = z.object({
  clientId: z.string(),
  seq: z.number().int().min(1),
  result: KvResultSchema,
});
export type KvReply = z.infer<typeof KvReplySchema>;

export function commandKey(command: KvCommand): string {
  return command.key;
}
