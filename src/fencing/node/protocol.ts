/**
 * What fencing's node processes say to each other, and the sled's decision rules.
 *
 * The messages and the rules follow spec/fencing/Fencing.tla one to one, for many extents at
 * once (every message names its extent): `Fence`/`FenceAck`/`Fenced`, `Write`/`WriteAck`, a
 * block version (epoch, seq) with `newer`. Every Fence and Write carries the head's credential,
 * which the sled verifies (HMAC-SHA256, constant time) before anything else.
 *
 * NOTE: this module stands in for the sans-IO cores of src/fencing/ (written in parallel); the
 * step functions below mirror the spec actions SledFence and SledWrite.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const epoch = z.number().int().nonnegative().max(0xffffffff);
const seq = z.number().int().nonnegative().max(0xffffffff);
const extent = z.number().int().nonnegative().max(0xffff);
/** A client value: short text, so a block's payload always fits. */
export const valueSchema = z.string().max(1024);

export const credentialSchema = z.object({
  volume: z.string().min(1).max(64),
  extent,
  epoch,
  holder: z.string().min(1).max(64),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Credential = z.infer<typeof credentialSchema>;

export const blockSchema = z.object({ epoch, seq, val: valueSchema.nullable() });
/** A block version and content; `val: null` is the spec's NoValue (never written). */
export type Block = z.infer<typeof blockSchema>;
export const EMPTY_BLOCK: Block = { epoch: 0, seq: 0, val: null };

/** Newer(b, c): b has a higher version (epoch, seq) than c. */
export function newer(b: Block, c: Block): boolean {
  return b.epoch > c.epoch || (b.epoch === c.epoch && b.seq > c.seq);
}

// ---------------------------------------------------------------------------------------------
// Credentials

function macInput(c: Omit<Credential, 'mac'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([c.volume, c.extent, c.epoch, c.holder]));
}

export function signCredential(key: Uint8Array, grant: Omit<Credential, 'mac'>): Credential {
  const mac = Buffer.from(hmac(sha256, key, macInput(grant))).toString('hex');
  return { ...grant, mac };
}

export function verifyCredential(key: Uint8Array, credential: Credential): boolean {
  const expected = Buffer.from(hmac(sha256, key, macInput(credential)));
  const given = Buffer.from(credential.mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Verifies credentials, remembering the expected MAC of the last grant seen per extent: a head
 * sends the same credential with every write of its epoch, so the HMAC is computed once per
 * grant and later writes cost one constant-time comparison against the remembered MAC.
 */
export class CredentialVerifier {
  private readonly expected = new Map<number, { grant: string; mac: Buffer }>();
  constructor(private readonly key: Uint8Array) {}

  verify(credential: Credential): boolean {
    const grant = JSON.stringify([credential.volume, credential.epoch, credential.holder]);
    const given = Buffer.from(credential.mac, 'hex');
    let known = this.expected.get(credential.extent);
    if (known === undefined || known.grant !== grant) {
      known = { grant, mac: Buffer.from(hmac(sha256, this.key, macInput(credential))) };
      this.expected.set(credential.extent, known);
    }
    return given.length === known.mac.length && timingSafeEqual(given, known.mac);
  }
}

// ---------------------------------------------------------------------------------------------
// Head <-> sled

export const sledRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Fence'), credential: credentialSchema }),
  z.object({ type: z.literal('Write'), credential: credentialSchema, seq, val: valueSchema }),
]);
export type SledRequest = z.infer<typeof sledRequestSchema>;

export const sledReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('FenceAck'), sled: z.string(), extent, epoch, block: blockSchema }),
  z.object({ type: z.literal('WriteAck'), sled: z.string(), extent, epoch, seq }),
  z.object({ type: z.literal('Fenced'), sled: z.string(), extent, epoch, maxEpoch: epoch }),
  z.object({ type: z.literal('BadCredential'), sled: z.string() }),
]);
export type SledReply = z.infer<typeof sledReplySchema>;

// ---------------------------------------------------------------------------------------------
// Head <-> issuer

export const issuerRequestSchema = z.object({
  type: z.literal('Grant'),
  volume: z.string().min(1).max(64),
  extent,
  holder: z.string().min(1).max(64),
});
export type IssuerRequest = z.infer<typeof issuerRequestSchema>;
export const issuerReplySchema = z.object({
  type: z.literal('Granted'),
  credential: credentialSchema,
});
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

export const phaseSchema = z.enum(['idle', 'fencing', 'repairing', 'serving', 'stepped-down']);
export type Phase = z.infer<typeof phaseSchema>;

export const headReplySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('Promoted'),
    epochs: z.record(z.string(), epoch),
    fenced: z.record(z.string(), z.array(z.string())),
  }),
  z.object({ type: z.literal('WriteAcked'), extent, epoch, seq, sleds: z.array(z.string()) }),
  z.object({ type: z.literal('ReadValue'), extent, block: blockSchema }),
  z.object({ type: z.literal('Fenced'), extent, epoch }),
  z.object({ type: z.literal('NotServing'), extent, phase: phaseSchema }),
  z.object({ type: z.literal('Failed'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('Status'), phases: z.record(z.string(), phaseSchema) }),
]);
export type HeadReply = z.infer<typeof headReplySchema>;

// ---------------------------------------------------------------------------------------------
// The sled's rules (spec actions SledFence and SledWrite), pure.

export type SledDurable = { maxEpoch: Record<string, number> };
export type SledExtentView = { maxEpoch: number; block: Block };

export type SledEffect =
  | { type: 'persist'; extent: number; maxEpoch: number }
  | { type: 'write-block'; extent: number; block: Block }
  | { type: 'reply'; reply: SledReply };

/** SledFence(s, m): accept an epoch >= maxEpoch (persist, then FenceAck with the block). */
export function sledFence(sled: string, view: SledExtentView, c: Credential): SledEffect[] {
  if (c.epoch < view.maxEpoch) {
    const reply: SledReply = { type: 'Fenced', sled, extent: c.extent, epoch: c.epoch,
      maxEpoch: view.maxEpoch };
    return [{ type: 'reply', reply }];
  }
  const effects: SledEffect[] = [];
  if (c.epoch > view.maxEpoch) {
    effects.push({ type: 'persist', extent: c.extent, maxEpoch: c.epoch });
  }
  const reply: SledReply = { type: 'FenceAck', sled, extent: c.extent, epoch: c.epoch,
    block: view.block };
  effects.push({ type: 'reply', reply });
  return effects;
}

/** SledWrite(s, m): epoch >= maxEpoch -> persist, write if newer, WriteAck; else Fenced. */
export function sledWrite(
  sled: string,
  view: SledExtentView,
  c: Credential,
  write: { seq: number; val: string },
): SledEffect[] {
  if (c.epoch < view.maxEpoch) {
    const reply: SledReply = { type: 'Fenced', sled, extent: c.extent, epoch: c.epoch,
      maxEpoch: view.maxEpoch };
    return [{ type: 'reply', reply }];
  }
  const effects: SledEffect[] = [];
  if (c.epoch > view.maxEpoch) {
    effects.push({ type: 'persist', extent: c.extent, maxEpoch: c.epoch });
  }
  const block: Block = { epoch: c.epoch, seq: write.seq, val: write.val };
  if (newer(block, view.block)) effects.push({ type: 'write-block', extent: c.extent, block });
  const reply: SledReply = { type: 'WriteAck', sled, extent: c.extent, epoch: c.epoch,
    seq: write.seq };
  effects.push({ type: 'reply', reply });
  return effects;
}
