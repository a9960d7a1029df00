/**
 * Length-prefixed frames: a u32 big-endian payload length, then that many bytes of UTF-8 JSON.
 *
 * The decoder is incremental (socket chunks may split or join frames anywhere) and validates
 * every payload with a caller-supplied zod schema. A frame that is not JSON or does not match
 * the schema is counted and dropped (a typed error value); the stream stays usable because the
 * length prefix still tells where the next frame starts. A length above the frame limit cannot
 * be trusted to resynchronise, so it is fatal for that stream: the caller closes the connection.
 */
import type { z } from 'zod';
import { assert, err, ok, type Result } from './result.ts';

export const FRAME_HEADER_BYTES = 4;
/** The default limit on one frame's payload (1 MiB): enough for a 4 KiB block in JSON. */
export const DEFAULT_MAX_FRAME_BYTES = 1 << 20;

export type FrameErrorCode = 'frame-json' | 'frame-schema' | 'frame-oversized';
export type FrameError = { code: FrameErrorCode; message: string };

export type DecodeEvent<T> =
  | { type: 'message'; value: T }
  | { type: 'dropped'; error: FrameError }
  | { type: 'fatal'; error: FrameError };

export type DecoderStats = {
  framesDecoded: number;
  framesDropped: number;
  bytesReceived: number;
};

/** Encode one value as a frame; refuses (as a value) a payload above the limit. */
export function encodeFrame(
  value: unknown,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): Result<Buffer, FrameError> {
  const payload = Buffer.from(JSON.stringify(value), 'utf8');
  if (payload.length > maxFrameBytes) {
    return err({
      code: 'frame-oversized',
      message: `frame payload of ${payload.length} bytes exceeds the ${maxFrameBytes}-byte limit`,
    });
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return ok(frame);
}

/** Incremental decoder over socket chunks; one per connection. */
export class FrameDecoder<T> {
  readonly stats: DecoderStats = { framesDecoded: 0, framesDropped: 0, bytesReceived: 0 };
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private failed = false;

  constructor(
    private readonly schema: z.ZodType<T>,
    private readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
  ) {
    assert(Number.isInteger(maxFrameBytes) && maxFrameBytes > 0, 'maxFrameBytes > 0');
  }

  /** True once an oversized length was seen: the stream cannot be trusted any more. */
  get isFailed(): boolean {
    return this.failed;
  }

  /** Feed one chunk; returns the events of every frame it completed, in order. */
  push(chunk: Uint8Array): DecodeEvent<T>[] {
    if (this.failed) return [];
    this.stats.bytesReceived += chunk.length;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.bufferedBytes += chunk.length;
    const events: DecodeEvent<T>[] = [];
    for (;;) {
      if (this.bufferedBytes < FRAME_HEADER_BYTES) break;
      const length = this.peekHeader();
      if (length > this.maxFrameBytes) {
        this.failed = true;
        this.chunks.length = 0;
        this.bufferedBytes = 0;
        events.push({
          type: 'fatal',
          error: {
            code: 'frame-oversized',
            message: `frame length ${length} exceeds the ${this.maxFrameBytes}-byte limit`,
          },
        });
        break;
      }
      if (this.bufferedBytes < FRAME_HEADER_BYTES + length) break;
      const frame = this.take(FRAME_HEADER_BYTES + length);
      events.push(this.decodePayload(frame.subarray(FRAME_HEADER_BYTES)));
    }
    return events;
  }

  private peekHeader(): number {
    const first = this.chunks[0];
    assert(first !== undefined, 'buffered bytes imply a chunk');
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    const joined = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    this.chunks.push(joined);
    return joined.readUInt32BE(0);
  }

  private take(bytes: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    const frame = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    if (rest.length > 0) this.chunks.push(rest);
    this.bufferedBytes -= bytes;
    return frame;
  }

  private decodePayload(payload: Buffer): DecodeEvent<T> {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.drop('frame-json', `frame of ${payload.length} bytes is not valid JSON`);
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}`;
      return this.drop('frame-schema', `message fails its schema${where}: ${issue?.message}`);
    }
    this.stats.framesDecoded += 1;
    return { type: 'message', value: parsed.data };
  }

  private drop(code: FrameErrorCode, message: string): DecodeEvent<T> {
    this.stats.framesDropped += 1;
    return { type: 'dropped', error: { code, message } };
  }
}
