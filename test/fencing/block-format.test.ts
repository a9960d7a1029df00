import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  BLOCK_BYTES, HEADER_BYTES, PAYLOAD_BYTES_MAX, decodeBlock, encodeBlock, type DeviceBlock,
} from '../../src/fencing/index.ts';

const blockArb = fc.record({
  extent: fc.nat(),
  epoch: fc.nat(),
  seq: fc.maxSafeNat(),
  payload: fc.uint8Array({ maxLength: PAYLOAD_BYTES_MAX }),
});

function encoded(b: DeviceBlock): Uint8Array {
  const r = encodeBlock(b);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
}

describe('block format', () => {
  test.prop([blockArb])('round-trips', (b) => {
    const bytes = encoded(b);
    expect(bytes.length).toBe(BLOCK_BYTES);
    expect(decodeBlock(bytes)).toEqual({ ok: true, block: b });
  });

  test.prop([blockArb, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'detects any corrupted byte',
    (b, where, flip) => {
      const bytes = encoded(b);
      const i = where % BLOCK_BYTES;
      bytes[i] = (bytes[i] ?? 0) ^ flip;
      const r = decodeBlock(bytes);
      // Flipping a block to all zeros would read as "never written": impossible, magic is set.
      expect(r.ok).toBe(false);
    },
  );

  it('reads an all-zero block as never written and refuses a wrong size', () => {
    expect(decodeBlock(new Uint8Array(BLOCK_BYTES))).toEqual({ ok: true, block: null });
    const r = decodeBlock(new Uint8Array(BLOCK_BYTES - 1));
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_SIZE' } });
  });

  it('refuses a payload that does not fit and a negative field', () => {
    const payload = new Uint8Array(PAYLOAD_BYTES_MAX + 1);
    const big = encodeBlock({ extent: 0, epoch: 1, seq: 1, payload });
    expect(big).toMatchObject({ ok: false, error: { code: 'BAD_LENGTH' } });
    const neg = encodeBlock({ extent: 0, epoch: -1, seq: 1, payload: new Uint8Array(0) });
    expect(neg).toMatchObject({ ok: false, error: { code: 'BAD_FIELD' } });
    expect(HEADER_BYTES + PAYLOAD_BYTES_MAX).toBe(BLOCK_BYTES);
  });
});
