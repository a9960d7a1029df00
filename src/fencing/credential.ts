/**
 * Credentials (volume, extent, epoch, holder) MAC'd with HMAC-SHA256 by the issuer and checked
 * by sled controllers in constant time (US10484015B2: a sled performs a write only with a valid
 * credential). The key never leaves issuer and sleds; nothing here logs it.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

export const CredentialSchema = z
  .object({
    volume: z.string().min(1).max(128),
    extent: z.string().min(1).max(128),
    epoch: z.number().int().nonnegative(),
    holder: z.string().min(1).max(64),
    mac: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type Credential = z.infer<typeof CredentialSchema>;
export type Grant = Omit<Credential, 'mac'>;

const MIN_KEY_BYTES = 16;

function macInput(g: Grant): Uint8Array {
  // A JSON array is an unambiguous encoding of the four fields.
  return new TextEncoder().encode(JSON.stringify([g.volume, g.extent, g.epoch, g.holder]));
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function assertKey(key: Uint8Array): void {
  if (key.length < MIN_KEY_BYTES) throw new Error(`credential key shorter than ${MIN_KEY_BYTES}`);
}

/** Signs a grant (issuer side). */
export function signCredential(key: Uint8Array, grant: Grant): Credential {
  assertKey(key);
  const mac = toHex(hmac(sha256, key, macInput(grant)));
  const { volume, extent, epoch, holder } = grant;
  return { volume, extent, epoch, holder, mac };
}

/** How many verified credentials are remembered per key (oldest forgotten first). */
export const VERIFIED_CACHE_MAX = 1024;
const verdicts = new WeakMap<Uint8Array, Map<string, boolean>>();

/**
 * True when the credential's MAC is the one the key gives (sled side). A head sends the same
 * credential with every write, so each verdict is memoised per key (keys are never mutated in
 * place): the HMAC runs once per credential, not once per write. The memo changes no result,
 * only its cost; it holds no secret (the MAC is in every message) and is bounded.
 */
export function verifyCredential(key: Uint8Array, cred: Credential): boolean {
  assertKey(key);
  // Unambiguous (JSON), so no two different credentials share a memo entry.
  const id = JSON.stringify([cred.volume, cred.extent, cred.epoch, cred.holder, cred.mac]);
  let memo = verdicts.get(key);
  if (memo === undefined) {
    memo = new Map();
    verdicts.set(key, memo);
  }
  const known = memo.get(id);
  if (known !== undefined) return known;
  const ok = /^[0-9a-f]{64}$/.test(cred.mac) &&
    constantTimeEqual(hmac(sha256, key, macInput(cred)), fromHex(cred.mac));
  if (memo.size >= VERIFIED_CACHE_MAX) memo.delete(memo.keys().next().value as string);
  memo.set(id, ok);
  return ok;
}

/** The per-extent key used by sleds and issuer: `volume/extent`. */
export function extentKey(c: Pick<Credential, 'volume' | 'extent'>): string {
  return `${c.volume}/${c.extent}`;
}
