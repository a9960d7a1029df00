import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeFrame, FrameDecoder, type DecodeEvent } from '../../src/runtime/node/index.ts';

const msg = z.object({ type: z.literal('ping'), n: z.number().int() });
type Msg = z.infer<typeof msg>;

function frame(value: unknown): Buffer {
  const encoded = encodeFrame(value);
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

function rawFrame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

function messages(events: DecodeEvent<Msg>[]): number[] {
  return events.flatMap((e) => (e.type === 'message' ? [e.value.n] : []));
}

describe('framing', () => {
  it('decodes frames split and joined at every possible point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        (ns, cuts) => {
          const stream = Buffer.concat(ns.map((n) => frame({ type: 'ping', n })));
          const decoder = new FrameDecoder(msg);
          const seen: number[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            seen.push(...messages(decoder.push(stream.subarray(offset, offset + size))));
            offset += size;
          }
          expect(seen).toEqual(ns);
          expect(decoder.stats.framesDecoded).toBe(ns.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts and drops garbage JSON and schema failures, then keeps decoding', () => {
    const decoder = new FrameDecoder(msg);
    const stream = Buffer.concat([
      frame({ type: 'ping', n: 1 }),
      rawFrame(Buffer.from('{not json')),
      frame({ type: 'pong', n: 2 }),
      frame({ type: 'ping', n: 'three' }),
      frame({ type: 'ping', n: 4 }),
    ]);
    const events = decoder.push(stream);
    expect(messages(events)).toEqual([1, 4]);
    const codes = events.flatMap((e) => (e.type === 'dropped' ? [e.error.code] : []));
    expect(codes).toEqual(['frame-json', 'frame-schema', 'frame-schema']);
    expect(decoder.stats.framesDropped).toBe(3);
    expect(decoder.isFailed).toBe(false);
  });

  it('an oversized length is fatal for the stream, and nothing after it is decoded', () => {
    const decoder = new FrameDecoder(msg, 64);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(65, 0);
    const events = decoder.push(Buffer.concat([frame({ type: 'ping', n: 1 }), header]));
    expect(events.map((e) => e.type)).toEqual(['message', 'fatal']);
    expect(decoder.isFailed).toBe(true);
    expect(decoder.push(frame({ type: 'ping', n: 2 }))).toEqual([]);
  });

  it('the encoder refuses a payload above the limit', () => {
    const encoded = encodeFrame({ type: 'ping', n: 1, pad: 'x'.repeat(100) }, 64);
    expect(encoded.ok).toBe(false);
    if (!encoded.ok) expect(encoded.error.code).toBe('frame-oversized');
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoder = new FrameDecoder(msg, 128);
        const events = decoder.push(bytes);
        for (const e of events) expect(['message', 'dropped', 'fatal']).toContain(e.type);
      }),
    );
  });
});
