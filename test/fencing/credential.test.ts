import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  constantTimeEqual, signCredential, verifyCredential, type Credential,
} from '../../src/fencing/index.ts';
import { KEY, OTHER_KEY } from './helpers.ts';

const grantArb = fc.record({
  volume: fc.string({ minLength: 1, maxLength: 20 }),
  extent: fc.string({ minLength: 1, maxLength: 20 }),
  epoch: fc.nat({ max: 1_000_000 }),
  holder: fc.string({ minLength: 1, maxLength: 20 }),
});

describe('credential', () => {
  test.prop([grantArb])('a signed credential verifies', (g) => {
    expect(verifyCredential(KEY, signCredential(KEY, g))).toBe(true);
  });

  test.prop([grantArb])('another key does not verify it', (g) => {
    expect(verifyCredential(OTHER_KEY, signCredential(KEY, g))).toBe(false);
  });

  test.prop([grantArb, fc.constantFrom('volume', 'extent', 'epoch', 'holder')])(
    'changing any granted field breaks the MAC',
    (g, field) => {
      const c = signCredential(KEY, g);
      const forged: Credential =
        field === 'epoch' ? { ...c, epoch: c.epoch + 1 } : { ...c, [field]: `${c[field]}x` };
      expect(verifyCredential(KEY, forged)).toBe(false);
    },
  );

  it('refuses a malformed MAC and a short key', () => {
    const c = signCredential(KEY, { volume: 'v', extent: 'e', epoch: 1, holder: 'h' });
    expect(verifyCredential(KEY, { ...c, mac: 'zz' })).toBe(false);
    expect(() => signCredential(new Uint8Array(4), c)).toThrow(/key/);
  });

  it('compares bytes exactly', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
  });
});
