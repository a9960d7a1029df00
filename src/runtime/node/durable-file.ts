/**
 * Durable small state (an epoch counter, a sled's per-extent maxEpoch) as a write-ahead log of
 * whole snapshots.
 *
 * File layout: a sequence of records `[u32 BE payload bytes][u32 BE crc32(payload)][JSON]`.
 * `write(next)` appends one record and fdatasyncs before it returns, so a caller that answers
 * only after `write` succeeded never acknowledges anything a crash can lose. Recovery reads
 * records from the start and stops at the first one that is short, oversized, fails its
 * checksum or is not JSON: that is a torn tail from a crash mid-append, ignored and cut off.
 * The newest valid record is the state. A record that passes its checksum but fails the schema
 * is not a torn write; it is reported as `schema-invalid`.
 *
 * When the log grows past `maxLogBytes` it is compacted by atomic replace: the current state is
 * written to `<path>.tmp`, fsynced, renamed over the log, and the directory is fsynced.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { z } from 'zod';
import { describeError, err, ok, type Result } from './result.ts';

export type DurableErrorCode = 'io-failed' | 'schema-invalid' | 'too-large';
export type DurableError = { code: DurableErrorCode; message: string };

const RECORD_HEADER_BYTES = 8;
/** A limit on one record: small state only. */
export const MAX_RECORD_BYTES = 1 << 20;

export type RecoveryReport = { records: number; tornTailBytes: number };

export type DurableStateOptions = { maxLogBytes?: number };

export function encodeRecord(value: unknown): Result<Buffer, DurableError> {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  if (payload.length > MAX_RECORD_BYTES) {
    return err({ code: 'too-large', message: `record of ${payload.length} bytes is too large` });
  }
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(zlib.crc32(payload), 4);
  payload.copy(record, RECORD_HEADER_BYTES);
  return ok(record);
}

type Scan = { last: unknown; hasLast: boolean; records: number; validBytes: number };

/** Walk the records of a log image; stops at the first torn or corrupt one. */
export function scanRecords(image: Buffer): Scan {
  const scan: Scan = { last: undefined, hasLast: false, records: 0, validBytes: 0 };
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= image.length) {
    const length = image.readUInt32BE(offset);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES || end > image.length) break;
    const payload = image.subarray(offset + RECORD_HEADER_BYTES, end);
    if (zlib.crc32(payload) !== image.readUInt32BE(offset + 4)) break;
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch {
      break;
    }
    scan.last = value;
    scan.hasLast = true;
    scan.records += 1;
    offset = end;
    scan.validBytes = offset;
  }
  return scan;
}

/** fsync a directory so a create or rename in it is durable. */
export function fsyncDirectory(dirPath: string): void {
  const fd = fs.openSync(dirPath, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace a file's contents atomically and durably (tmp + fsync + rename + dir fsync). */
export function atomicReplaceFile(filePath: string, bytes: Uint8Array): Result<void, DurableError> {
  const tmpPath = `${filePath}.tmp`;
  try {
    const fd = fs.openSync(tmpPath, 'w');
    try {
      fs.writeSync(fd, bytes, 0, bytes.length, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmpPath, filePath);
    fsyncDirectory(path.dirname(filePath));
    return ok(undefined);
  } catch (thrown) {
    return err({ code: 'io-failed', message: describeError(thrown) });
  }
}

export class DurableState<T> {
  private constructor(
    readonly filePath: string,
    private readonly schema: z.ZodType<T>,
    private fd: number,
    private sizeBytes: number,
    private current: T,
    readonly recovery: RecoveryReport,
    private readonly maxLogBytes: number,
  ) {}

  /** Open (or create with `initial`) and recover the newest valid state. */
  static open<T>(
    filePath: string,
    schema: z.ZodType<T>,
    initial: T,
    options: DurableStateOptions = {},
  ): Result<DurableState<T>, DurableError> {
    const maxLogBytes = options.maxLogBytes ?? 64 * 1024;
    try {
      const existed = fs.existsSync(filePath);
      const fd = fs.openSync(filePath, existed ? 'r+' : 'w+');
      if (!existed) fsyncDirectory(path.dirname(filePath));
      const image = fs.readFileSync(fd);
      const scan = scanRecords(image);
      const tornTailBytes = image.length - scan.validBytes;
      if (tornTailBytes > 0) {
        fs.ftruncateSync(fd, scan.validBytes);
        fs.fsyncSync(fd);
      }
      let value = initial;
      if (scan.hasLast) {
        const parsed = schema.safeParse(scan.last);
        if (!parsed.success) {
          fs.closeSync(fd);
          const message = `${filePath}: newest record fails its schema`;
          return err({ code: 'schema-invalid', message });
        }
        value = parsed.data;
      }
      const report = { records: scan.records, tornTailBytes };
      const size = scan.validBytes;
      return ok(new DurableState(filePath, schema, fd, size, value, report, maxLogBytes));
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
  }

  get value(): T {
    return this.current;
  }

  /** Make `next` durable (append + fdatasync) before returning; compacts a long log. */
  write(next: T): Result<void, DurableError> {
    const checked = this.schema.safeParse(next);
    if (!checked.success) {
      return err({ code: 'schema-invalid', message: 'state to write fails its schema' });
    }
    const record = encodeRecord(next);
    if (!record.ok) return record;
    if (this.sizeBytes + record.value.length > this.maxLogBytes) return this.compact(next);
    try {
      fs.writeSync(this.fd, record.value, 0, record.value.length, this.sizeBytes);
      fs.fdatasyncSync(this.fd);
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
    this.sizeBytes += record.value.length;
    this.current = next;
    return ok(undefined);
  }

  private compact(next: T): Result<void, DurableError> {
    const record = encodeRecord(next);
    if (!record.ok) return record;
    const replaced = atomicReplaceFile(this.filePath, record.value);
    if (!replaced.ok) return replaced;
    try {
      fs.closeSync(this.fd);
      this.fd = fs.openSync(this.filePath, 'r+');
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
    this.sizeBytes = record.value.length;
    this.current = next;
    return ok(undefined);
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}
