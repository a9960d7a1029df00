/**
 * How a sled lays the cores' blocks (src/fencing/block-format.ts) on its file or device, and
 * where its maxEpoch lives.
 *
 * Data: an append-only log of BLOCK_BYTES blocks from offset 0; every block the core tells the
 * sled to write (`writeBlock`) is appended with pwrite + fdatasync, so the raw device records
 * the order in which the sled performed writes. The header carries (extent, epoch, seq) and a
 * SHA-256 checksum; the payload is the UTF-8 JSON of the value (`null` is the spec's NoValue,
 * a repair of a never-written extent). The first block that is all zeros or fails to decode
 * ends the log (a torn append from a crash is overwritten by the next append).
 *
 * maxEpoch: a DurableState file of `{ maxEpoch: {<volume/extent>: epoch}, logBlocks }`, where
 * `logBlocks` is the length of the data log when the record was written, so an audit can place
 * each fence in the log's order. A block of epoch e on the device also proves that the sled
 * accepted e (it writes nothing of an epoch it has not accepted), so the durable maxEpoch of an
 * extent is the larger of the file's value and the epoch of its newest block.
 */
import { z } from 'zod';
import {
  BLOCK_BYTES,
  decodeBlock,
  encodeBlock,
  type Block,
  type BlockFormatError,
} from '../index.ts';
import { BlockDevice, err, ok, type Result } from '../../runtime/node/index.ts';

export { BLOCK_BYTES };

export const sledStateSchema = z.object({
  maxEpoch: z.record(z.string(), z.number().int().nonnegative()),
  logBlocks: z.number().int().nonnegative(),
});
export type SledStateFile = z.infer<typeof sledStateSchema>;

/** One decoded data block: the extent number and the core's Block. */
export type LogEntry = { extent: number; block: Block };

export type LogDecodeError = { code: BlockFormatError['code'] | 'BAD_PAYLOAD'; message: string };

const payloadSchema = z.string().nullable();

export function encodeLogBlock(entry: LogEntry): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify(entry.block.val));
  const encoded = encodeBlock({ extent: entry.extent, epoch: entry.block.epoch,
    seq: entry.block.seq, payload });
  if (!encoded.ok) throw new Error(`assertion failed: block encodes (${encoded.error.message})`);
  return encoded.bytes;
}

/** Decode one raw block: null for a block never written (all zeros). */
export function decodeLogBlock(bytes: Uint8Array): Result<LogEntry | null, LogDecodeError> {
  const decoded = decodeBlock(bytes);
  if (!decoded.ok) return err(decoded.error);
  if (decoded.block === null) return ok(null);
  const { extent, epoch, seq, payload } = decoded.block;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return err({ code: 'BAD_PAYLOAD', message: 'payload is not JSON' });
  }
  const val = payloadSchema.safeParse(json);
  if (!val.success) return err({ code: 'BAD_PAYLOAD', message: 'payload is not a value' });
  return ok({ extent, block: { epoch, seq, val: val.data } });
}

export type ScannedLog = {
  entries: LogEntry[];
  /** Index of the first block after the log (where the next append goes). */
  nextIndex: number;
};

/** Read the log from block 0 until the first empty or invalid block. */
export function scanLog(
  device: BlockDevice,
  maxBlocks: number,
): Result<ScannedLog, LogDecodeError> {
  const entries: LogEntry[] = [];
  for (let index = 0; index < maxBlocks; index++) {
    const raw = device.readBlock(index);
    if (!raw.ok) return err({ code: 'BAD_SIZE', message: raw.error.message });
    const decoded = decodeLogBlock(raw.value);
    if (!decoded.ok || decoded.value === null) return ok({ entries, nextIndex: index });
    entries.push(decoded.value);
  }
  return ok({ entries, nextIndex: maxBlocks });
}

/** The extent key the cores use (`volume/extent`) and back. */
export function extentKeyOf(volume: string, extent: number): string {
  return `${volume}/${extent}`;
}

export function extentNumberOf(volume: string, key: string): number | null {
  const prefix = `${volume}/`;
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  if (!/^(0|[1-9][0-9]{0,4})$/.test(rest)) return null;
  const n = Number(rest);
  return n <= 0xffff ? n : null;
}
