/**
 * A group-commit write-ahead log of opaque records in a directory of segment files.
 *
 * Record framing: `[u32 BE payload bytes][u32 BE crc32(length field ++ payload)][payload]`. The
 * checksum covers the length too, so a zero-filled tail (a file extended but not written before
 * a crash) does not read as empty records. Segments are `<16-digit index>.wal`; a new one is
 * started when the current one passes `segmentBytes`, created and its directory fsynced before
 * any record in it is acknowledged.
 *
 * `append(record)` resolves only after a write and an `fdatasync` covering the record. Appends
 * that arrive while a batch is being written and synced wait and go together in the next batch
 * (group commit): one write and one fdatasync for up to `maxBatchRecords` / `maxBatchBytes`.
 * Records are written in the order `append` was called.
 *
 * Recovery (`openWal`) reads every segment; the newest one may end in a torn record (short,
 * oversized or failing its checksum), which is cut off and the cut made durable. A bad record
 * in an older segment cannot come from a crash (segments are complete before the next starts)
 * and is reported as `corrupt`. After an I/O error the log refuses further appends (its tail is
 * unknown); reopen it to recover.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fsyncDirectory } from './durable-file.ts';
import { describeError, err, ok, type Result } from './result.ts';

export type WalErrorCode = 'io-failed' | 'too-large' | 'closed' | 'corrupt' | 'failed';
export type WalError = { code: WalErrorCode; message: string };

export type WalOptions = {
  /** Start a new segment once the current one reaches this size (default 64 MiB). */
  segmentBytes?: number;
  /** Most records in one write + fdatasync (default 1024). */
  maxBatchRecords?: number;
  /** Most bytes in one write + fdatasync (default 4 MiB; one larger record goes alone). */
  maxBatchBytes?: number;
  /** Largest record accepted (default 16 MiB). */
  maxRecordBytes?: number;
};

export type WalStats = { appends: number; batches: number; fsyncs: number; bytes: number };
export type WalRecovery = { records: number; segments: number; tornTailBytes: number };

export const WAL_HEADER_BYTES = 8;
const SEGMENT_RE = /^(\d{16})\.wal$/;

type Pending = { frame: Buffer; done: (r: Result<void, WalError>) => void };

export function frameRecord(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(WAL_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, WAL_HEADER_BYTES);
  frame.writeUInt32BE(frameCrc(frame, payload.length), 4);
  return frame;
}

function frameCrc(frame: Buffer, length: number): number {
  const lengthCrc = zlib.crc32(frame.subarray(0, 4));
  return zlib.crc32(frame.subarray(WAL_HEADER_BYTES, WAL_HEADER_BYTES + length), lengthCrc);
}

/** Parse the records of one segment image; `validBytes` is where the valid prefix ends. */
export function scanSegment(image: Buffer, maxRecordBytes: number):
  { records: Buffer[]; validBytes: number } {
  const records: Buffer[] = [];
  let offset = 0;
  while (offset + WAL_HEADER_BYTES <= image.length) {
    const length = image.readUInt32BE(offset);
    const end = offset + WAL_HEADER_BYTES + length;
    if (length > maxRecordBytes || end > image.length) break;
    const frame = image.subarray(offset, end);
    if (frameCrc(frame, length) !== image.readUInt32BE(offset + 4)) break;
    records.push(Buffer.from(frame.subarray(WAL_HEADER_BYTES)));
    offset = end;
  }
  return { records, validBytes: offset };
}

const segmentName = (index: number): string => `${String(index).padStart(16, '0')}.wal`;

function listSegments(dir: string): number[] {
  return fs.readdirSync(dir).map((f) => SEGMENT_RE.exec(f)).filter((m) => m !== null)
    .map((m) => Number(m[1])).sort((a, b) => a - b);
}

type Opened = { segments: number[]; tailBytes: number; recovery: WalRecovery };

/** Read and check every segment; cut a torn tail off the newest one. */
function recover(dir: string, maxRecordBytes: number): Result<Opened, WalError> {
  const segments = listSegments(dir);
  let records = 0;
  let tornTailBytes = 0;
  let tailBytes = 0;
  for (const [i, index] of segments.entries()) {
    const file = path.join(dir, segmentName(index));
    const image = fs.readFileSync(file);
    const scan = scanSegment(image, maxRecordBytes);
    records += scan.records.length;
    const torn = image.length - scan.validBytes;
    if (torn > 0 && i < segments.length - 1) {
      return err({ code: 'corrupt', message: `${file}: bad record at byte ${scan.validBytes}` });
    }
    if (torn > 0) {
      fs.truncateSync(file, scan.validBytes);
      const fd = fs.openSync(file, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      tornTailBytes = torn;
    }
    tailBytes = scan.validBytes;
  }
  return ok({ segments, tailBytes, recovery: { records, segments: segments.length,
    tornTailBytes } });
}

/** Open (creating the directory if needed) and recover a log. */
export async function openWal(dir: string, options: WalOptions = {}):
  Promise<Result<Wal, WalError>> {
  const limits = {
    segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024,
    maxBatchRecords: options.maxBatchRecords ?? 1024,
    maxBatchBytes: options.maxBatchBytes ?? 4 * 1024 * 1024,
    maxRecordBytes: options.maxRecordBytes ?? 16 * 1024 * 1024,
  };
  if (!(limits.maxBatchRecords >= 1 && limits.segmentBytes >= 1)) {
    throw new Error('assertion failed: batch and segment limits are positive');
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
    const opened = recover(dir, limits.maxRecordBytes);
    if (!opened.ok) return opened;
    const { segments, recovery } = opened.value;
    let index = segments[segments.length - 1];
    let tailBytes = opened.value.tailBytes;
    if (index === undefined) {
      index = 0;
      tailBytes = 0;
    }
    const handle = await fsp.open(path.join(dir, segmentName(index)), 'a+');
    if (segments.length === 0) fsyncDirectory(dir);
    return ok(new Wal(dir, limits, handle, index, tailBytes, recovery));
  } catch (thrown) {
    return err({ code: 'io-failed', message: describeError(thrown) });
  }
}

export class Wal {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private failure: WalError | undefined;
  private readonly counters: WalStats = { appends: 0, batches: 0, fsyncs: 0, bytes: 0 };

  constructor(
    readonly dir: string,
    private readonly limits: Required<WalOptions>,
    private handle: fsp.FileHandle,
    private segment: number,
    private offsetBytes: number,
    readonly recovery: WalRecovery,
  ) {}

  /** Resolves once the record is written and fdatasynced (or with the error that stopped it). */
  append(record: Uint8Array): Promise<Result<void, WalError>> {
    if (this.closed) return Promise.resolve(err({ code: 'closed', message: 'log is closed' }));
    if (this.failure) return Promise.resolve(err({ ...this.failure, code: 'failed' }));
    if (record.length > this.limits.maxRecordBytes) {
      const message = `record of ${record.length} bytes exceeds ${this.limits.maxRecordBytes}`;
      return Promise.resolve(err({ code: 'too-large', message }));
    }
    const frame = frameRecord(record);
    return new Promise((done) => {
      this.queue.push({ frame, done });
      // Start after the current tick so appends issued together share the first batch.
      this.flushing ??= Promise.resolve().then(() => this.flushLoop());
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const result = await this.writeBatch(batch.map((p) => p.frame));
      if (!result.ok) {
        this.failure = result.error;
        for (const p of [...batch, ...this.queue.splice(0)]) p.done(result);
        break;
      }
      this.counters.appends += batch.length;
      for (const p of batch) p.done(result);
    }
    this.flushing = undefined;
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let count = 0;
    for (const p of this.queue) {
      if (count >= this.limits.maxBatchRecords) break;
      if (count > 0 && bytes + p.frame.length > this.limits.maxBatchBytes) break;
      bytes += p.frame.length;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async writeBatch(frames: Buffer[]): Promise<Result<void, WalError>> {
    const data = frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames);
    try {
      if (this.offsetBytes > 0 && this.offsetBytes + data.length > this.limits.segmentBytes) {
        await this.roll();
      }
      let written = 0;
      while (written < data.length) {
        const r = await this.handle.write(data, written, data.length - written);
        written += r.bytesWritten;
      }
      await this.handle.datasync();
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
    this.offsetBytes += data.length;
    this.counters.batches += 1;
    this.counters.fsyncs += 1;
    this.counters.bytes += data.length;
    return ok(undefined);
  }

  /** Start the next segment; durable (directory fsynced) before it holds a record. */
  private async roll(): Promise<void> {
    const next = this.segment + 1;
    const handle = await fsp.open(path.join(this.dir, segmentName(next)), 'wx+');
    fsyncDirectory(this.dir);
    await this.handle.close();
    this.handle = handle;
    this.segment = next;
    this.offsetBytes = 0;
  }

  /** Every record in the log, oldest first (what a restart would recover). */
  async replay(): Promise<Result<Buffer[], WalError>> {
    try {
      const out: Buffer[] = [];
      for (const index of listSegments(this.dir)) {
        const file = path.join(this.dir, segmentName(index));
        const image = await fsp.readFile(file);
        const scan = scanSegment(image, this.limits.maxRecordBytes);
        out.push(...scan.records);
        if (scan.validBytes !== image.length && index !== this.segment) {
          return err({ code: 'corrupt', message: `${file}: bad record at ${scan.validBytes}` });
        }
      }
      return ok(out);
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
  }

  stats(): WalStats {
    return { ...this.counters };
  }

  /** Wait for appends in progress, then close. Later appends fail with `closed`. */
  async close(): Promise<Result<void, WalError>> {
    if (this.closed) return ok(undefined);
    this.closed = true;
    while (this.flushing) await this.flushing;
    try {
      await this.handle.close();
      return ok(undefined);
    } catch (thrown) {
      return err({ code: 'io-failed', message: describeError(thrown) });
    }
  }
}
