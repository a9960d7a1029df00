// block-format.ts under mutation: every header field at its documented offset, the checksum
// (recomputed here with node:crypto) covering bytes 0..40 and the payload, and each validation
// step answering with its own error code, on the boundaries (payload of PAYLOAD_BYTES_MAX,
// fields of 2^53 - 1 and 2^53).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_BYTES, BLOCK_MAGIC, FORMAT_VERSION, HEADER_BYTES, PAYLOAD_BYTES_MAX, decodeBlock,
  encodeBlock, type DeviceBlock,
} from '../../src/fencing/index.ts';

const payload = new TextEncoder().encode('hello, sled');
const block: DeviceBlock = { extent: 3, epoch: 7, seq: 11, payload };

function encoded(b: DeviceBlock): Uint8Array {
  const r = encodeBlock(b);
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
}
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** SHA-256 over bytes 0..40 and the payload (length at offset 32), by node:crypto. */
function sha(bytes: Uint8Array): Uint8Array {
  const length = view(bytes).getUint32(32, true);
  const h = createHash('sha256');
  h.update(bytes.subarray(0, 40));
  h.update(bytes.subarray(HEADER_BYTES, HEADER_BYTES + length));
  return new Uint8Array(h.digest());
}
/** Writes a valid checksum for whatever the header and payload now say. */
function reseal(bytes: Uint8Array): Uint8Array {
  bytes.set(sha(bytes), 40);
  return bytes;
}
const code = (bytes: Uint8Array) => {
  const r = decodeBlock(bytes);
  return r.ok ? 'ok' : r.error.code;
};

describe('block format: layout', () => {
  it('writes each header field little-endian at its offset, then the payload', () => {
    const bytes = encoded(block);
    const v = view(bytes);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('PLBK');
    expect(v.getUint32(0, true)).toBe(BLOCK_MAGIC);
    expect(v.getUint16(4, true)).toBe(FORMAT_VERSION);
    expect(FORMAT_VERSION).toBe(1);
    expect(v.getUint16(6, true)).toBe(0);
    expect(v.getBigUint64(8, true)).toBe(3n);
    expect(v.getBigUint64(16, true)).toBe(7n);
    expect(v.getBigUint64(24, true)).toBe(11n);
    expect(v.getUint32(32, true)).toBe(payload.length);
    expect(v.getUint32(36, true)).toBe(0);
    expect(bytes.subarray(40, 72)).toEqual(sha(bytes));
    expect(bytes.subarray(HEADER_BYTES, HEADER_BYTES + payload.length)).toEqual(payload);
    expect(bytes.subarray(HEADER_BYTES + payload.length).every((x) => x === 0)).toBe(true);
  });

  it('the checksum covers every payload byte and every byte of 0..40', () => {
    const bytes = encoded(block);
    for (const i of [0, 5, 8, 16, 24, 32, 39, HEADER_BYTES, HEADER_BYTES + payload.length - 1]) {
      const copy = bytes.slice();
      copy[i] = (copy[i] ?? 0) ^ 0x01;
      expect(code(copy)).not.toBe('ok');
    }
    const copy = bytes.slice();
    copy[HEADER_BYTES + 4] = (copy[HEADER_BYTES + 4] ?? 0) ^ 0x40;
    expect(decodeBlock(copy)).toEqual({
      ok: false, error: { code: 'BAD_CHECKSUM', message: 'checksum mismatch' },
    });
  });

  it('takes a payload of exactly PAYLOAD_BYTES_MAX and refuses one byte more', () => {
    const full = new Uint8Array(PAYLOAD_BYTES_MAX).fill(0xab);
    const bytes = encoded({ ...block, payload: full });
    expect(decodeBlock(bytes)).toEqual({ ok: true, block: { ...block, payload: full } });
    const over = encodeBlock({ ...block, payload: new Uint8Array(PAYLOAD_BYTES_MAX + 1) });
    expect(over).toEqual({ ok: false, error: {
      code: 'BAD_LENGTH', message: `payload of ${PAYLOAD_BYTES_MAX + 1} bytes exceeds 4024`,
    } });
  });

  it('takes fields up to 2^53 - 1 and refuses unsafe or negative ones, naming the field', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const big = { extent: max, epoch: max, seq: max, payload };
    expect(decodeBlock(encoded(big))).toEqual({ ok: true, block: big });
    for (const field of ['extent', 'epoch', 'seq'] as const) {
      for (const bad of [-1, max + 1, 1.5]) {
        expect(encodeBlock({ ...block, [field]: bad })).toEqual({ ok: false, error: {
          code: 'BAD_FIELD', message: `${field} must be a non-negative safe integer, got ${bad}`,
        } });
      }
    }
  });
});

describe('block format: decoding answers each fault with its own code', () => {
  it('a block of the wrong size', () => {
    expect(decodeBlock(new Uint8Array(BLOCK_BYTES + 1))).toEqual({ ok: false, error: {
      code: 'BAD_SIZE', message: `block is ${BLOCK_BYTES + 1} bytes, not ${BLOCK_BYTES}`,
    } });
  });

  it('a wrong magic or version, even with a valid checksum', () => {
    const magic = encoded(block);
    view(magic).setUint32(0, BLOCK_MAGIC + 1, true);
    expect(decodeBlock(reseal(magic))).toEqual({
      ok: false, error: { code: 'BAD_MAGIC', message: 'bad block magic' },
    });
    const version = encoded(block);
    view(version).setUint16(4, FORMAT_VERSION + 1, true);
    expect(decodeBlock(reseal(version))).toEqual({
      ok: false, error: { code: 'BAD_VERSION', message: 'unknown block format version' },
    });
  });

  it('a payload length beyond the block', () => {
    const bytes = encoded(block);
    view(bytes).setUint32(32, PAYLOAD_BYTES_MAX + 1, true);
    expect(decodeBlock(bytes)).toEqual({ ok: false, error: {
      code: 'BAD_LENGTH', message: `payload length ${PAYLOAD_BYTES_MAX + 1} too large`,
    } });
  });

  it('non-zero padding, flags or reserved bytes, even with a valid checksum', () => {
    const error = { code: 'BAD_CHECKSUM', message: 'non-zero padding or reserved bytes' };
    const padding = encoded(block);
    padding[BLOCK_BYTES - 1] = 1; // the checksum does not cover padding: the zero check must
    expect(decodeBlock(padding)).toEqual({ ok: false, error });
    const justAfter = encoded(block);
    justAfter[HEADER_BYTES + payload.length] = 1;
    expect(decodeBlock(justAfter)).toEqual({ ok: false, error });
    const flags = encoded(block);
    view(flags).setUint16(6, 1, true);
    expect(decodeBlock(reseal(flags))).toEqual({ ok: false, error });
    const reserved = encoded(block);
    view(reserved).setUint32(36, 1, true);
    expect(decodeBlock(reseal(reserved))).toEqual({ ok: false, error });
  });

  it('any one field of 2^53, sealed with a valid checksum', () => {
    for (const offset of [8, 16, 24]) {
      const bytes = encoded(block);
      view(bytes).setBigUint64(offset, 2n ** 53n, true);
      expect(decodeBlock(reseal(bytes))).toEqual({
        ok: false, error: { code: 'BAD_FIELD', message: 'field beyond 2^53' },
      });
      view(bytes).setBigUint64(offset, 2n ** 53n - 1n, true);
      expect(decodeBlock(reseal(bytes)).ok).toBe(true);
    }
  });

  it('an empty payload round-trips, and only an all-zero block is "never written"', () => {
    const empty = { ...block, payload: new Uint8Array(0) };
    expect(decodeBlock(encoded(empty))).toEqual({ ok: true, block: empty });
    const zeros = new Uint8Array(BLOCK_BYTES);
    expect(decodeBlock(zeros)).toEqual({ ok: true, block: null });
    zeros[BLOCK_BYTES - 1] = 1;
    expect(code(zeros)).toBe('BAD_MAGIC');
  });
});
