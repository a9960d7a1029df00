import { describe, expect, it } from 'vitest';
import {
  mintCredential, revoke, verifyCredential, constantTimeEqual, type ScopedCredential,
} from '../../src/sandbox/index.ts';
import { KEY } from './helpers.ts';

const grant = { request: 'r1', sandbox: 'w1#1', scope: 'invoke', expiresAtMs: 5_000 };
const ctx = { sandbox: 'w1#1', scope: 'invoke', nowMs: 1_000, revoked: new Set<string>() };

describe('scoped credentials', () => {
  const cred = mintCredential(KEY, grant);

  it('verifies in its sandbox, scope and lifetime', () => {
    expect(cred.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyCredential(KEY, cred, ctx)).toEqual({ ok: true, credential: cred });
  });

  it('rejects any tampered field or MAC', () => {
    const tampered: ScopedCredential[] = [
      { ...cred, request: 'r2' }, { ...cred, sandbox: 'w1#2' }, { ...cred, scope: 'admin' },
      { ...cred, expiresAtMs: 9_999_999 },
      { ...cred, mac: (cred.mac[0] === '0' ? '1' : '0') + cred.mac.slice(1) },
    ];
    for (const t of tampered) {
      const ctxFor = { ...ctx, sandbox: t.sandbox, scope: t.scope };
      const r = verifyCredential(KEY, t, ctxFor);
      expect(r.ok ? 'ok' : r.error.code).toBe('bad-mac');
    }
    const otherKey = new Uint8Array(32).fill(9);
    const r = verifyCredential(otherKey, cred, ctx);
    expect(r.ok ? 'ok' : r.error.code).toBe('bad-mac');
  });

  it('rejects another sandbox, another scope, expiry and revocation', () => {
    const code = (r: ReturnType<typeof verifyCredential>) => (r.ok ? 'ok' : r.error.code);
    expect(code(verifyCredential(KEY, cred, { ...ctx, sandbox: 'w2#1' }))).toBe('wrong-sandbox');
    expect(code(verifyCredential(KEY, cred, { ...ctx, scope: 'admin' }))).toBe('wrong-scope');
    expect(code(verifyCredential(KEY, cred, { ...ctx, nowMs: 4_999 }))).toBe('ok');
    expect(code(verifyCredential(KEY, cred, { ...ctx, nowMs: 5_000 }))).toBe('expired');
    const revoked = revoke(ctx.revoked, cred);
    expect(code(verifyCredential(KEY, cred, { ...ctx, revoked }))).toBe('revoked');
    const next = mintCredential(KEY, { ...grant, expiresAtMs: 6_000 }); // a later run
    expect(code(verifyCredential(KEY, next, { ...ctx, revoked }))).toBe('ok');
  });

  it('rejects malformed input as a value, and a short key as a bug', () => {
    const r = verifyCredential(KEY, { request: 'r1' }, ctx);
    expect(r.ok ? 'ok' : r.error.code).toBe('malformed');
    expect(verifyCredential(KEY, 'nonsense', ctx).ok).toBe(false);
    expect(() => mintCredential(new Uint8Array(8), grant)).toThrow();
  });

  it('compares in constant time over equal lengths', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
  });
});
