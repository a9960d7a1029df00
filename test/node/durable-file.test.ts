import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DurableState,
  encodeRecord,
  killAllRoles,
  RoleProcess,
} from '../../src/runtime/node/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const schema = z.object({ n: z.number().int(), pad: z.string() });
afterEach(killAllRoles);

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-durable-')), 'state.log');
}

function open(file: string, maxLogBytes = 64 * 1024): DurableState<z.infer<typeof schema>> {
  const s = DurableState.open(file, schema, { n: 0, pad: '' }, { maxLogBytes });
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

describe('DurableState', () => {
  it('recovers the newest record and survives compaction', () => {
    const file = tempFile();
    const s = open(file, 1024);
    for (let n = 1; n <= 50; n++) expect(s.write({ n, pad: 'x'.repeat(40) }).ok).toBe(true);
    s.close();
    expect(fs.statSync(file).size).toBeLessThanOrEqual(1024);
    const again = open(file, 1024);
    expect(again.value.n).toBe(50);
    expect(again.recovery.tornTailBytes).toBe(0);
    again.close();
  });

  it('ignores and cuts a torn tail (half a record, or a bad checksum)', () => {
    const file = tempFile();
    const s = open(file);
    s.write({ n: 1, pad: '' });
    s.write({ n: 2, pad: '' });
    s.close();
    const third = encodeRecord({ n: 3, pad: '' });
    if (!third.ok) throw new Error('encode');
    fs.appendFileSync(file, third.value.subarray(0, third.value.length - 3));
    const recovered = open(file);
    expect(recovered.value.n).toBe(2);
    expect(recovered.recovery.tornTailBytes).toBe(third.value.length - 3);
    recovered.write({ n: 4, pad: '' });
    recovered.close();
    const corrupt = Buffer.from(third.value);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    fs.appendFileSync(file, corrupt);
    const afterFlip = open(file);
    expect(afterFlip.value.n).toBe(4);
    expect(afterFlip.recovery.records).toBe(3);
    afterFlip.close();
  });

  it('a checksummed record that fails the schema is an error, not silently ignored', () => {
    const file = tempFile();
    const rec = encodeRecord({ n: 'not a number' });
    if (!rec.ok) throw new Error('encode');
    fs.writeFileSync(file, rec.value);
    const s = DurableState.open(file, schema, { n: 0, pad: '' });
    expect(s.ok ? 'ok' : s.error.code).toBe('schema-invalid');
  });

  it('loses no acknowledged write when the writer process is SIGKILLed mid-way', async () => {
    const file = tempFile();
    const entry = path.join(here, 'fixtures', 'durable-writer.ts');
    let floor = 0;
    for (let round = 0; round < 3; round++) {
      const started = await RoleProcess.spawn({
        name: `writer-${round}`,
        entry,
        args: { path: file, maxLogBytes: 16 * 1024 },
      });
      if (!started.ok) throw new Error(started.error.message);
      const writer = started.value;
      expect(writer.ready['start']).toBeGreaterThanOrEqual(floor);
      let maxAck = 0;
      const target = floor + 150 + round * 37;
      await new Promise<void>((resolve) => {
        writer.onLine((line) => {
          const n = Number(line.startsWith('ACK ') ? line.slice(4) : NaN);
          if (n > maxAck) maxAck = n;
          if (maxAck >= target) resolve();
        });
      });
      await writer.kill();
      const recovered = open(file, 16 * 1024);
      expect(recovered.value.n).toBeGreaterThanOrEqual(maxAck);
      floor = recovered.value.n;
      recovered.close();
    }
    expect(floor).toBeGreaterThan(450);
  });
});
