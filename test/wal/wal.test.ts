import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { frameRecord, openWal, type Wal } from '../../src/runtime/node/wal.ts';
import { payload } from './payload.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dir: string, opts = {}): Promise<Wal> {
  const r = await openWal(dir, opts);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function records(dir: string): Promise<string[]> {
  const wal = await open(dir);
  const r = await wal.replay();
  await wal.close();
  if (!r.ok) throw new Error(r.error.message);
  return r.value.map((b) => b.toString('utf8'));
}

const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

describe('wal', () => {
  it('replays what was appended, across reopen and segments', async () => {
    const dir = tmp();
    const wal = await open(dir, { segmentBytes: 100 });
    for (let i = 0; i < 20; i++) {
      expect((await wal.append(text(`r${i}-${'y'.repeat(i)}`))).ok).toBe(true);
    }
    await wal.close();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).length).toBeGreaterThan(3);
    const again = await open(dir, { segmentBytes: 100 });
    expect(again.recovery).toMatchObject({ records: 20, tornTailBytes: 0 });
    expect((await again.append(text('last'))).ok).toBe(true);
    await again.close();
    const got = await records(dir);
    expect(got.length).toBe(21);
    expect(got[0]).toBe('r0-');
    expect(got[19]).toBe(`r19-${'y'.repeat(19)}`);
    expect(got[20]).toBe('last');
  });

  it('groups concurrent appends into one write + fdatasync (maxBatchRecords)', async () => {
    const wal = await open(tmp(), { maxBatchRecords: 16 });
    const appends = Array.from({ length: 64 }, (_, i) => wal.append(text(`${i}`)));
    const results = await Promise.all(appends);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(wal.stats()).toMatchObject({ appends: 64, fsyncs: 4, batches: 4 });
    const replayed = await wal.replay();
    expect(replayed.ok && replayed.value.map((b) => b.toString())).toEqual(
      Array.from({ length: 64 }, (_, i) => `${i}`));
    await wal.close();
  });

  it('drops a torn tail (short record, bad checksum, zero fill) and keeps the prefix', async () => {
    for (const damage of ['cut', 'flip', 'zeros'] as const) {
      const dir = tmp();
      const wal = await open(dir);
      for (const s of ['a', 'bb', 'ccc']) await wal.append(text(s));
      await wal.close();
      const file = path.join(dir, fs.readdirSync(dir)[0] as string);
      const image = fs.readFileSync(file);
      if (damage === 'cut') fs.writeFileSync(file, image.subarray(0, image.length - 2));
      if (damage === 'flip') {
        image[image.length - 1] = (image[image.length - 1] as number) ^ 0x40;
        fs.writeFileSync(file, image);
      }
      if (damage === 'zeros') fs.appendFileSync(file, Buffer.alloc(64));
      const reopened = await open(dir);
      expect(reopened.recovery.tornTailBytes).toBeGreaterThan(0);
      await reopened.close();
      const want = damage === 'zeros' ? ['a', 'bb', 'ccc'] : ['a', 'bb'];
      expect(await records(dir)).toEqual(want);
      // The cut is durable: the file now ends at the valid prefix.
      expect((await open(dir)).recovery.tornTailBytes).toBe(0);
    }
  });

  it('reports a bad record in an older segment as corrupt', async () => {
    const dir = tmp();
    const wal = await open(dir, { segmentBytes: 20 });
    for (let i = 0; i < 6; i++) await wal.append(text(`record-${i}`));
    await wal.close();
    const first = path.join(dir, fs.readdirSync(dir).sort()[0] as string);
    const image = fs.readFileSync(first);
    image[10] = (image[10] as number) ^ 1;
    fs.writeFileSync(first, image);
    const r = await openWal(dir, { segmentBytes: 20 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('corrupt');
  });

  it('errors are values: too-large and closed', async () => {
    const wal = await open(tmp(), { maxRecordBytes: 8 });
    const big = await wal.append(new Uint8Array(9));
    expect(!big.ok && big.error.code).toBe('too-large');
    expect(frameRecord(new Uint8Array(8)).length).toBe(16);
    await wal.close();
    const late = await wal.append(new Uint8Array(1));
    expect(!late.ok && late.error.code).toBe('closed');
  });

  it('SIGKILL mid-append: reopening gives a prefix holding every acked record', async () => {
    for (const [round, concurrency] of [[0, 1], [1, 8], [2, 64]] as const) {
      const dir = tmp();
      const acked = await runAndKill(dir, concurrency, 150 + round * 100);
      const got = await records(dir);
      expect(acked.length).toBeGreaterThan(100);
      const maxAcked = Math.max(...acked);
      expect(got.length).toBeGreaterThan(maxAcked);
      got.forEach((r, i) => expect(r).toBe(Buffer.from(payload(i)).toString('utf8')));
    }
  });
});

/** Run the child until it has acknowledged `ackedTarget` appends, then SIGKILL it. */
function runAndKill(dir: string, concurrency: number, ackedTarget: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(here, 'child.ts'), dir,
      String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ok (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
      }
      if (acked.length >= ackedTarget && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}
