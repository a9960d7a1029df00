/**
 * Scoped credentials (US11546324B1): minted per request for (request, sandbox, scope, expiry),
 * an HMAC-SHA256 over exactly those fields, compared in constant time. A credential verifies
 * only for its sandbox, before its expiry (the driver gives `nowMs`) and while not revoked; the
 * frontend revokes it when the request ends (success, error or timeout). Nothing secret is logged.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';

export const ScopedCredentialSchema = z.object({
  request: z.string().min(1).max(128),
  sandbox: z.string().min(1).max(128),
  scope: z.string().min(1).max(256),
  expiresAtMs: z.number().int().nonnegative(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
}).strict();
export type ScopedCredential = z.infer<typeof ScopedCredentialSchema>;
export type CredentialGrant = Omit<ScopedCredential, 'mac'>;

export const MIN_KEY_BYTES = 32;

export type VerifyError =
  | { code: 'malformed'; message: string }
  | { code: 'bad-mac'; message: string }
  | { code: 'wrong-sandbox'; message: string }
  | { code: 'wrong-scope'; message: string }
  | { code: 'expired'; message: string }
  | { code: 'revoked'; message: string };
export type VerifyResult =
  | { ok: true; credential: ScopedCredential }
  | { ok: false; error: VerifyError };

function assertKey(key: Uint8Array): void {
  if (key.length < MIN_KEY_BYTES) throw new Error(`assertion: key shorter than ${MIN_KEY_BYTES}`);
}

function macInput(g: CredentialGrant): Uint8Array {
  // A JSON array encodes the four fields unambiguously.
  return new TextEncoder().encode(JSON.stringify([g.request, g.sandbox, g.scope, g.expiresAtMs]));
}

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0'))
  .join('');
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

/** Mints a credential for one request in one sandbox. */
export function mintCredential(key: Uint8Array, grant: CredentialGrant): ScopedCredential {
  assertKey(key);
  const { request, sandbox, scope, expiresAtMs } = grant;
  return { request, sandbox, scope, expiresAtMs, mac: toHex(hmac(sha256, key, macInput(grant))) };
}

/**
 * The revocation list: ids of revoked credentials. The id is the MAC, unique per minted
 * credential (each run of a request gets its own expiry, hence its own MAC).
 */
export type RevocationList = ReadonlySet<string>;
export const credentialId = (c: Pick<ScopedCredential, 'mac'>): string => c.mac;
export function revoke(list: RevocationList, c: Pick<ScopedCredential, 'mac'>): RevocationList {
  return new Set([...list, credentialId(c)]);
}

export interface VerifyContext {
  readonly sandbox: string;   // the sandbox presenting / checking the credential
  readonly scope: string;     // the scope the operation needs
  readonly nowMs: number;     // the driver's clock
  readonly revoked: RevocationList;
}

/** Verifies an untrusted credential in a context; every failure is a value with a code. */
export function verifyCredential(key: Uint8Array, raw: unknown, ctx: VerifyContext): VerifyResult {
  assertKey(key);
  const parsed = ScopedCredentialSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, error: { code: 'malformed', message: 'malformed credential' } };
  }
  const c = parsed.data;
  if (!constantTimeEqual(hmac(sha256, key, macInput(c)), fromHex(c.mac))) {
    return { ok: false, error: { code: 'bad-mac', message: 'credential MAC does not verify' } };
  }
  if (c.sandbox !== ctx.sandbox) {
    const message = 'credential of another sandbox';
    return { ok: false, error: { code: 'wrong-sandbox', message } };
  }
  if (c.scope !== ctx.scope) {
    return { ok: false, error: { code: 'wrong-scope', message: 'credential of another scope' } };
  }
  if (ctx.nowMs >= c.expiresAtMs) {
    return { ok: false, error: { code: 'expired', message: 'credential expired' } };
  }
  if (ctx.revoked.has(credentialId(c))) {
    return { ok: false, error: { code: 'revoked', message: 'credential revoked' } };
  }
  return { ok: true, credential: c };
}
