/**
 * The sled's device layout: an append-only log of 4096-byte blocks, so the raw device records
 * the order in which the sled performed writes and accepted fences, and an audit can check it
 * without trusting any process.
 *
 * Block header (big-endian, 40 bytes), then the payload (UTF-8 value), zero-padded:
 *   0  u32 magic 'PLBK'        4  u8 version (1)     5  u8 kind (1 data, 2 fence marker)
 *   6  u16 reserved            8  u32 extent        12  u32 epoch
 *   16 u32 seq                20  u32 payload bytes 24  u32 crc32(header[0..24) ++ payload)
 *   28 12 bytes reserved (zero)
 * A fence marker records that the sled accepted `epoch` as its new maxEpoch for `extent`.
 * Blocks are appended in order; the first block that is all zeros or fails its checksum ends
 * the log (a torn append from a crash is overwritten by the next append).
 */
import zlib from 'node:zlib';
import { z } from 'zod';
import { BlockDevice, err, ok, type Result } from '../../runtime/node/index.ts';
import type { Block } from './protocol.ts';

export const BLOCK_BYTES = 4096;
const HEADER_BYTES = 40;
const MAGIC = 0x504c424b; // 'PLBK'
const VERSION = 1;
export const MAX_PAYLOAD_BYTES = BLOCK_BYTES - HEADER_BYTES;

export const logEntrySchema = z.object({
  kind: z.enum(['data', 'fence']),
  extent: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  val: z.string().nullable(),
});
export type LogEntry = z.infer<typeof logEntrySchema>;

export type BlockDecodeError = { code: 'empty' | 'bad-magic' | 'bad-header' | 'bad-checksum';
  message: string };

export function encodeLogBlock(entry: LogEntry): Buffer {
  const payload = Buffer.from(entry.val ?? '', 'utf8');
  if (payload.length > MAX_PAYLOAD_BYTES) throw new Error('assertion failed: payload fits');
  const block = Buffer.alloc(BLOCK_BYTES);
  block.writeUInt32BE(MAGIC, 0);
  block.writeUInt8(VERSION, 4);
  block.writeUInt8(entry.kind === 'data' ? 1 : 2, 5);
  block.writeUInt32BE(entry.extent, 8);
  block.writeUInt32BE(entry.epoch, 12);
  block.writeUInt32BE(entry.seq, 16);
  block.writeUInt32BE(payload.length, 20);
  payload.copy(block, HEADER_BYTES);
  block.writeUInt32BE(checksum(block, payload.length), 24);
  return block;
}

function checksum(block: Buffer, payloadBytes: number): number {
  const head = zlib.crc32(block.subarray(0, 24));
  return zlib.crc32(block.subarray(HEADER_BYTES, HEADER_BYTES + payloadBytes), head);
}

export function decodeLogBlock(block: Buffer): Result<LogEntry, BlockDecodeError> {
  if (block.every((b) => b === 0)) return err({ code: 'empty', message: 'never written' });
  if (block.length !== BLOCK_BYTES || block.readUInt32BE(0) !== MAGIC) {
    return err({ code: 'bad-magic', message: 'not a plumbline block' });
  }
  const kind = block.readUInt8(5);
  const payloadBytes = block.readUInt32BE(20);
  if (block.readUInt8(4) !== VERSION || (kind !== 1 && kind !== 2)
    || payloadBytes > MAX_PAYLOAD_BYTES) {
    return err({ code: 'bad-header', message: 'unknown version, kind or payload length' });
  }
  if (checksum(block, payloadBytes) !== block.readUInt32BE(24)) {
    return err({ code: 'bad-checksum', message: 'checksum mismatch' });
  }
  return ok({
    kind: kind === 1 ? 'data' : 'fence',
    extent: block.readUInt32BE(8),
    epoch: block.readUInt32BE(12),
    seq: block.readUInt32BE(16),
    val: kind === 1 ? block.subarray(HEADER_BYTES, HEADER_BYTES + payloadBytes).toString('utf8')
      : null,
  });
}

export type ScannedLog = {
  entries: LogEntry[];
  /** Index of the first block after the log (where the next append goes). */
  nextIndex: number;
  /** Why the scan stopped (`empty` at a clean end). */
  stop: BlockDecodeError['code'] | 'end-of-device';
};

/** Read the log from block 0 until the first empty or invalid block. */
export function scanLog(
  device: BlockDevice,
  maxBlocks: number,
): Result<ScannedLog, BlockDecodeError> {
  const entries: LogEntry[] = [];
  for (let index = 0; index < maxBlocks; index++) {
    const raw = device.readBlock(index);
    if (!raw.ok) return err({ code: 'bad-header', message: raw.error.message });
    const decoded = decodeLogBlock(raw.value);
    if (!decoded.ok) return ok({ entries, nextIndex: index, stop: decoded.error.code });
    entries.push(decoded.value);
  }
  return ok({ entries, nextIndex: maxBlocks, stop: 'end-of-device' });
}

/** The latest data block per extent in log order (what the sled serves). */
export function latestBlocks(entries: LogEntry[]): Map<number, Block> {
  const latest = new Map<number, Block>();
  for (const e of entries) {
    if (e.kind === 'data') latest.set(e.extent, { epoch: e.epoch, seq: e.seq, val: e.val });
  }
  return latest;
}
