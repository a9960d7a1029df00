/**
 * The on-device block layout, so a raw device can be audited after a run without trusting any
 * process. Fixed BLOCK_BYTES per block, little-endian header then payload, zero padding:
 *
 *   offset  bytes  field
 *        0      4  magic "PLBK"
 *        4      2  format version (1)
 *        6      2  flags (0)
 *        8      8  extent number
 *       16      8  epoch of the credential that wrote the block
 *       24      8  sequence number
 *       32      4  payload length in bytes
 *       36      4  reserved (0)
 *       40     32  SHA-256 over bytes 0..40 and the payload
 *       72      n  payload
 *
 * An all-zero block is a block never written. Pure functions on Uint8Array.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from './credential.ts';

export const BLOCK_BYTES = 4096;
export const HEADER_BYTES = 72;
export const PAYLOAD_BYTES_MAX = BLOCK_BYTES - HEADER_BYTES;
export const BLOCK_MAGIC = 0x4b424c50; // "PLBK" read as a little-endian u32
export const FORMAT_VERSION = 1;
const CHECKSUM_OFFSET = 40;

export interface BlockHeader {
  readonly extent: number;
  readonly epoch: number;
  readonly seq: number;
}
export interface DeviceBlock extends BlockHeader {
  readonly payload: Uint8Array;
}

export type BlockFormatErrorCode =
  | 'BAD_SIZE' | 'BAD_MAGIC' | 'BAD_VERSION' | 'BAD_LENGTH' | 'BAD_CHECKSUM' | 'BAD_FIELD';
export interface BlockFormatError {
  readonly code: BlockFormatErrorCode;
  readonly message: string;
}
export type DecodeResult =
  | { ok: true; block: DeviceBlock | null }
  | { ok: false; error: BlockFormatError };

const err = (code: BlockFormatErrorCode, message: string): DecodeResult =>
  ({ ok: false, error: { code, message } });

function checkField(name: string, n: number): BlockFormatError | null {
  if (Number.isSafeInteger(n) && n >= 0) return null;
  return { code: 'BAD_FIELD', message: `${name} must be a non-negative safe integer, got ${n}` };
}

/** Encodes a block; errors (not exceptions) for a payload too large or a bad field. */
export function encodeBlock(
  b: DeviceBlock,
): { ok: true; bytes: Uint8Array } | { ok: false; error: BlockFormatError } {
  for (const [name, n] of [['extent', b.extent], ['epoch', b.epoch], ['seq', b.seq]] as const) {
    const e = checkField(name, n);
    if (e !== null) return { ok: false, error: e };
  }
  if (b.payload.length > PAYLOAD_BYTES_MAX) {
    const message = `payload of ${b.payload.length} bytes exceeds ${PAYLOAD_BYTES_MAX}`;
    return { ok: false, error: { code: 'BAD_LENGTH', message } };
  }
  const bytes = new Uint8Array(BLOCK_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, BLOCK_MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setBigUint64(8, BigInt(b.extent), true);
  view.setBigUint64(16, BigInt(b.epoch), true);
  view.setBigUint64(24, BigInt(b.seq), true);
  view.setUint32(32, b.payload.length, true);
  view.setUint32(36, 0, true);
  bytes.set(b.payload, HEADER_BYTES);
  bytes.set(checksum(bytes, b.payload.length), CHECKSUM_OFFSET);
  return { ok: true, bytes };
}

function checksum(bytes: Uint8Array, payloadBytes: number): Uint8Array {
  const input = new Uint8Array(CHECKSUM_OFFSET + payloadBytes);
  input.set(bytes.subarray(0, CHECKSUM_OFFSET), 0);
  input.set(bytes.subarray(HEADER_BYTES, HEADER_BYTES + payloadBytes), CHECKSUM_OFFSET);
  return sha256(input);
}

const isAllZero = (bytes: Uint8Array): boolean => bytes.every((x) => x === 0);

function readU64(view: DataView, offset: number): number | null {
  const v = view.getBigUint64(offset, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
}

/** Decodes and validates a block read from a device; null block = never written. */
export function decodeBlock(bytes: Uint8Array): DecodeResult {
  if (bytes.length !== BLOCK_BYTES) {
    return err('BAD_SIZE', `block is ${bytes.length} bytes, not ${BLOCK_BYTES}`);
  }
  if (isAllZero(bytes)) return { ok: true, block: null };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== BLOCK_MAGIC) return err('BAD_MAGIC', 'bad block magic');
  if (view.getUint16(4, true) !== FORMAT_VERSION) {
    return err('BAD_VERSION', 'unknown block format version');
  }
  const payloadBytes = view.getUint32(32, true);
  if (payloadBytes > PAYLOAD_BYTES_MAX) {
    return err('BAD_LENGTH', `payload length ${payloadBytes} too large`);
  }
  const tail = bytes.subarray(HEADER_BYTES + payloadBytes);
  if (!isAllZero(tail) || view.getUint16(6, true) !== 0 || view.getUint32(36, true) !== 0) {
    return err('BAD_CHECKSUM', 'non-zero padding or reserved bytes');
  }
  const stored = bytes.subarray(CHECKSUM_OFFSET, HEADER_BYTES);
  if (!constantTimeEqual(stored, checksum(bytes, payloadBytes))) {
    return err('BAD_CHECKSUM', 'checksum mismatch');
  }
  const extent = readU64(view, 8);
  const epoch = readU64(view, 16);
  const seq = readU64(view, 24);
  if (extent === null || epoch === null || seq === null) {
    return err('BAD_FIELD', 'field beyond 2^53');
  }
  const payload = bytes.slice(HEADER_BYTES, HEADER_BYTES + payloadBytes);
  return { ok: true, block: { extent, epoch, seq, payload } };
}
