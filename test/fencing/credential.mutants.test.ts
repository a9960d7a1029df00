// credential.ts under mutation: the MAC is HMAC-SHA256 over exactly the four granted fields
// (checked against node:crypto, an independent implementation), hex in lower case, the key
// length bound is 16 bytes, and the comparison looks at every byte.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual, extentKey, signCredential, verifyCredential,
} from '../../src/fencing/index.ts';
import { KEY } from './helpers.ts';

const grant = { volume: 'vol', extent: 'e7', epoch: 12, holder: 'h1' };

describe('credential MAC', () => {
  it('is HMAC-SHA256 of the JSON array [volume, extent, epoch, holder], lower-case hex', () => {
    const input = JSON.stringify(['vol', 'e7', 12, 'h1']);
    const expected = createHmac('sha256', KEY).update(input).digest('hex');
    expect(signCredential(KEY, grant)).toEqual({ ...grant, mac: expected });
  });

  it('keeps only the granted fields', () => {
    const c = signCredential(KEY, { ...grant, extra: 'no' } as typeof grant);
    expect(Object.keys(c).sort()).toEqual(['epoch', 'extent', 'holder', 'mac', 'volume']);
  });

  it('verifies every byte of the MAC: a change in the first, a middle or the last fails', () => {
    const c = signCredential(KEY, grant);
    expect(verifyCredential(KEY, c)).toBe(true);
    for (const i of [0, 1, 31, 62, 63]) {
      const flipped = c.mac[i] === '0' ? '1' : '0';
      const mac = c.mac.slice(0, i) + flipped + c.mac.slice(i + 1);
      expect(verifyCredential(KEY, { ...c, mac })).toBe(false);
    }
  });

  it('refuses a MAC that is not 64 lower-case hex digits', () => {
    const c = signCredential(KEY, grant);
    expect(c.mac).toMatch(/[a-f]/);
    expect(verifyCredential(KEY, { ...c, mac: c.mac.toUpperCase() })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: c.mac.slice(0, 62) })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: `${c.mac}00` })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: `${c.mac}0` })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: `0${c.mac}` })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: `x${c.mac.slice(1)}` })).toBe(false);
    expect(verifyCredential(KEY, { ...c, mac: ` ${c.mac.slice(1)}` })).toBe(false);
  });

  it('needs a key of at least 16 bytes, to sign and to verify', () => {
    const c = signCredential(new Uint8Array(16).fill(7), grant);
    expect(verifyCredential(new Uint8Array(16).fill(7), c)).toBe(true);
    expect(() => signCredential(new Uint8Array(15), grant)).toThrow('credential key shorter than 16');
    expect(() => verifyCredential(new Uint8Array(15), c)).toThrow('credential key shorter than 16');
  });

  it('names an extent volume/extent', () => {
    expect(extentKey({ volume: 'v1', extent: '3' })).toBe('v1/3');
  });
});

describe('constantTimeEqual', () => {
  it('is true only for equal lengths and equal bytes, wherever they differ', () => {
    const a = new Uint8Array([9, 8, 7, 6]);
    expect(constantTimeEqual(a, new Uint8Array([9, 8, 7, 6]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    for (let i = 0; i < a.length; i++) {
      const b = a.slice();
      b[i] = (b[i] ?? 0) ^ 0x80;
      expect(constantTimeEqual(a, b)).toBe(false);
    }
    // Bytes whose AND or OR would hide a difference.
    expect(constantTimeEqual(new Uint8Array([0xff]), new Uint8Array([0x0f]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0x00]), new Uint8Array([0x01]))).toBe(false);
    expect(constantTimeEqual(a, a.subarray(0, 3))).toBe(false);
    expect(constantTimeEqual(a.subarray(0, 3), a)).toBe(false);
  });
});
