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

describe('verifyCredential memo', () => {
  it('never lets a credential borrow another one\'s verdict', async () => {
    const { signCredential, verifyCredential } = await import('../../src/fencing/index.ts');
    const key = new Uint8Array(32).fill(9);
    const good = signCredential(key, { volume: 'a\nb', extent: 'c', epoch: 1, holder: 'h' });
    expect(verifyCredential(key, good)).toBe(true);
    expect(verifyCredential(key, good)).toBe(true);
    // Same characters, split differently between fields, same MAC: must be refused.
    expect(verifyCredential(key, { ...good, volume: 'a', extent: 'b\nc' })).toBe(false);
    // A bad MAC stays bad when asked again (and is counted again by the sled).
    const forged = { ...good, epoch: 2 };
    expect(verifyCredential(key, forged)).toBe(false);
    expect(verifyCredential(key, forged)).toBe(false);
    // Another key does not see this key's verdicts.
    expect(verifyCredential(new Uint8Array(32).fill(8), good)).toBe(false);
  });

  it('stays bounded and correct past its capacity', async () => {
    const { signCredential, verifyCredential, VERIFIED_CACHE_MAX } = await import('../../src/fencing/credential.ts');
    const key = new Uint8Array(32).fill(5);
    const creds = Array.from({ length: VERIFIED_CACHE_MAX + 10 }, (_, i) =>
      signCredential(key, { volume: 'v', extent: 'e', epoch: i, holder: 'h' }));
    for (const c of creds) expect(verifyCredential(key, c)).toBe(true);
    expect(verifyCredential(key, creds[0]!)).toBe(true);
    expect(verifyCredential(key, { ...creds[0]!, mac: creds[1]!.mac })).toBe(false);
  });
});
