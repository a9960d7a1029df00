// credential.ts and messages.ts under mutation: the MAC is HMAC-SHA256 (node:crypto, an
// independent implementation) over exactly [request, sandbox, scope, expiresAtMs]; each check
// of the verifier answers with its own code in its order; expiry is exclusive (nowMs ==
// expiresAtMs is expired); the key bound is 32 bytes; every byte of the MAC is compared. The
// messages module loads inside a test (a schema broken at load fails a test) and each schema
// bound is checked on its edge.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MIN_KEY_BYTES, constantTimeEqual, credentialId, mintCredential, revoke, verifyCredential,
} from '../../src/sandbox/index.ts';
import { KEY } from './helpers.ts';

const grant = { request: 'r1', sandbox: 'w1#1', scope: 'invoke', expiresAtMs: 100 };
const ctx = { sandbox: 'w1#1', scope: 'invoke', nowMs: 99, revoked: new Set<string>() };
const code = (r: ReturnType<typeof verifyCredential>) => (r.ok ? 'ok' : r.error.code);

describe('scoped credentials under mutation', () => {
  it('is HMAC-SHA256 over the JSON array of the four fields, lower-case hex', () => {
    const mac = createHmac('sha256', KEY).update(JSON.stringify(['r1', 'w1#1', 'invoke', 100]))
      .digest('hex');
    expect(mintCredential(KEY, { ...grant, extra: 1 } as typeof grant)).toEqual({ ...grant, mac });
  });

  it('verifies before expiry and is expired at exactly expiresAtMs', () => {
    const c = mintCredential(KEY, grant);
    expect(verifyCredential(KEY, c, ctx)).toEqual({ ok: true, credential: c });
    expect(verifyCredential(KEY, c, { ...ctx, nowMs: 100 })).toEqual({ ok: false,
      error: { code: 'expired', message: 'credential expired' } });
  });

  it('answers each failure with its own code, in the order MAC, sandbox, scope, expiry, revoked',
    () => {
      const c = mintCredential(KEY, grant);
      const all = { sandbox: 'w2#1', scope: 'admin', nowMs: 500, revoked: revoke(new Set(), c) };
      expect(verifyCredential(KEY, { ...c, expiresAtMs: 101 }, all)).toEqual({ ok: false,
        error: { code: 'bad-mac', message: 'credential MAC does not verify' } });
      expect(verifyCredential(KEY, c, all)).toEqual({ ok: false,
        error: { code: 'wrong-sandbox', message: 'credential of another sandbox' } });
      expect(verifyCredential(KEY, c, { ...all, sandbox: 'w1#1' })).toEqual({ ok: false,
        error: { code: 'wrong-scope', message: 'credential of another scope' } });
      expect(code(verifyCredential(KEY, c, { ...all, sandbox: 'w1#1', scope: 'invoke' })))
        .toBe('expired');
      expect(verifyCredential(KEY, c, { ...ctx, revoked: all.revoked })).toEqual({ ok: false,
        error: { code: 'revoked', message: 'credential revoked' } });
      expect(verifyCredential(KEY, { ...c, mac: 'xyz' }, ctx)).toEqual({ ok: false,
        error: { code: 'malformed', message: 'malformed credential' } });
    });

  it('covers every field in the MAC and every byte of it', () => {
    const c = mintCredential(KEY, grant);
    for (const f of ['request', 'sandbox', 'scope'] as const) {
      const at = { ...ctx, sandbox: f === 'sandbox' ? 'w1#1x' : 'w1#1',
        scope: f === 'scope' ? 'invokex' : 'invoke' };
      expect(code(verifyCredential(KEY, { ...c, [f]: `${c[f]}x` }, at))).toBe('bad-mac');
    }
    for (const i of [0, 1, 31, 62, 63]) {
      const flipped = c.mac[i] === '0' ? '1' : '0';
      const mac = c.mac.slice(0, i) + flipped + c.mac.slice(i + 1);
      expect(code(verifyCredential(KEY, { ...c, mac }, ctx))).toBe('bad-mac');
    }
    const other = new Uint8Array(32).fill(9);
    expect(code(verifyCredential(other, c, ctx))).toBe('bad-mac');
  });

  it('needs a key of at least 32 bytes, to mint and to verify', () => {
    expect(MIN_KEY_BYTES).toBe(32);
    expect(() => mintCredential(new Uint8Array(31), grant)).toThrow(/32/);
    expect(() => verifyCredential(new Uint8Array(31), {}, ctx)).toThrow(/32/);
    expect(mintCredential(new Uint8Array(32), grant).mac).toMatch(/^[0-9a-f]{64}$/);
  });

  it('parses credentials strictly: field lengths, a non-negative integer expiry, 64 hex', () => {
    const c = mintCredential(KEY, grant);
    const malformed = (x: unknown) => code(verifyCredential(KEY, x, ctx)) === 'malformed';
    expect(malformed({ ...c, extra: 1 })).toBe(true);
    expect(malformed({ ...c, request: '' })).toBe(true);
    expect(malformed({ ...c, request: 'r'.repeat(129) })).toBe(true);
    expect(malformed({ ...c, sandbox: '' })).toBe(true);
    expect(malformed({ ...c, sandbox: 's'.repeat(129) })).toBe(true);
    expect(malformed({ ...c, scope: '' })).toBe(true);
    expect(malformed({ ...c, scope: 's'.repeat(257) })).toBe(true);
    expect(malformed({ ...c, expiresAtMs: -1 })).toBe(true);
    expect(malformed({ ...c, expiresAtMs: 1.5 })).toBe(true);
    expect(malformed({ ...c, mac: c.mac.toUpperCase() })).toBe(true);
    expect(malformed({ ...c, mac: c.mac.slice(1) })).toBe(true);
    expect(malformed({ ...c, mac: `${c.mac}0` })).toBe(true);
    expect(malformed({ ...c, mac: `g${c.mac.slice(1)}` })).toBe(true);
    const long = mintCredential(KEY, { request: 'r'.repeat(128), sandbox: 's'.repeat(128),
      scope: 'c'.repeat(256), expiresAtMs: 0 });
    expect(code(verifyCredential(KEY, long, { ...ctx, sandbox: long.sandbox, scope: long.scope,
      nowMs: -1 }))).toBe('ok');
  });

  it('compares in full: lengths first, then every byte', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0, 2]), new Uint8Array([1, 2]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
  });

  it('revokes by MAC, keeping earlier revocations', () => {
    const a = mintCredential(KEY, grant);
    const b = mintCredential(KEY, { ...grant, expiresAtMs: 200 });
    expect(credentialId(a)).toBe(a.mac);
    const list = revoke(revoke(new Set(), a), b);
    expect([...list]).toEqual([a.mac, b.mac]);
    expect(code(verifyCredential(KEY, a, { ...ctx, revoked: revoke(new Set(), b) }))).toBe('ok');
  });
});

describe('sandbox-reuse messages under mutation', () => {
  const K = { fn: 'f', version: 0, tenant: 't' };
  it('load, and each message kind parses', async () => {
    const m = await import('../../src/sandbox/messages.ts');
    const msgs = [
      { type: 'Invoke', requestId: 'r', kind: K, sandbox: null, payload: '' },
      { type: 'Acquire', requestId: 'r', kind: K, mode: 'named', sandbox: 'w#1' },
      { type: 'AcquireReply', requestId: 'r', outcome: 'acquired', worker: 'w', sandbox: 'w#1' },
      { type: 'AcquireReply', requestId: 'r', outcome: 'provisioning', worker: 'w',
        sandbox: 'w#1' },
      { type: 'AcquireReply', requestId: 'r', outcome: 'miss', worker: 'w' },
      { type: 'Release', requestId: 'r', sandbox: 'w#1', outcome: 'timeout' },
      { type: 'InvokeReply', requestId: 'r', outcome: 'failed', result: null, error: 'e' },
    ];
    for (const x of msgs) expect(m.parseMessage(x)).toEqual({ ok: true, msg: x });
    expect(m.OutcomeSchema.options).toEqual(['success', 'error', 'timeout']);
  });

  it('bounds ids, versions and payloads on their edges and names where it failed', async () => {
    const m = await import('../../src/sandbox/messages.ts');
    const inv = (over: object) => m.parseMessage({ type: 'Invoke', requestId: 'r', kind: K,
      sandbox: null, payload: '', ...over });
    expect(inv({ requestId: 'x'.repeat(128) }).ok).toBe(true);
    expect(inv({ requestId: 'x'.repeat(129) }).ok).toBe(false);
    expect(inv({ requestId: '' }).ok).toBe(false);
    expect(inv({ kind: { ...K, version: -1 } }).ok).toBe(false);
    expect(inv({ kind: { ...K, version: 1.5 } }).ok).toBe(false);
    expect(inv({ kind: { ...K, fn: '' } }).ok).toBe(false);
    expect(inv({ kind: { ...K, tenant: '' } }).ok).toBe(false);
    expect(inv({ kind: { ...K, extra: 1 } }).ok).toBe(false);
    expect(inv({ payload: 'p'.repeat(1 << 20) }).ok).toBe(true);
    expect(inv({ payload: 'p'.repeat((1 << 20) + 1) }).ok).toBe(false);
    expect(inv({ sandbox: 'w#1' }).ok).toBe(true);
    expect(inv({ extra: 1 }).ok).toBe(false);
    const acq = (mode: string) => m.parseMessage({ type: 'Acquire', requestId: 'r', kind: K,
      mode, sandbox: null }).ok;
    expect([acq('probe'), acq('provision'), acq('named'), acq('other')])
      .toEqual([true, true, true, false]);
    expect(m.parseMessage({ type: 'AcquireReply', requestId: 'r', outcome: 'miss', worker: 'w',
      sandbox: 'w#1' }).ok).toBe(false);
    const rep = (over: object) => m.parseMessage({ type: 'InvokeReply', requestId: 'r',
      outcome: 'completed', result: null, error: null, ...over }).ok;
    expect(rep({ error: 'e'.repeat(4096) })).toBe(true);
    expect(rep({ error: 'e'.repeat(4097) })).toBe(false);
    expect(rep({ result: 'x'.repeat((1 << 20) + 1) })).toBe(false);
    expect(rep({ outcome: 'throttled' })).toBe(true);
    expect(rep({ outcome: 'lost' })).toBe(false);
    expect(m.parseMessage({ type: 'Release', requestId: 'r', sandbox: 'w#1', outcome: 'x' }).ok)
      .toBe(false);
    const bad = m.parseMessage({ type: 'Invoke', requestId: 'r', kind: { ...K, version: -1 },
      sandbox: null, payload: '' });
    if (bad.ok) throw new Error('accepted');
    expect(bad.error.code).toBe('bad-message');
    expect(bad.error.message).toMatch(/^malformed message at \S/);
    const root = m.parseMessage(7);
    expect(root).toEqual({ ok: false, error: { code: 'bad-message',
      message: 'malformed message at (root)' } });
  });

  it('sameKind compares function, version and tenant', async () => {
    const m = await import('../../src/sandbox/messages.ts');
    expect(m.sameKind(K, { ...K })).toBe(true);
    expect(m.sameKind(K, { ...K, fn: 'g' })).toBe(false);
    expect(m.sameKind(K, { ...K, version: 1 })).toBe(false);
    expect(m.sameKind(K, { ...K, tenant: 'u' })).toBe(false);
  });
});
