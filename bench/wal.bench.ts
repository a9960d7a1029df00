/**
 * Group-commit WAL: appends per second, fdatasyncs per record, and append latency (p50/p99)
 * with 1, 8 and 64 concurrent appenders, 128-byte records, on the temp directory's disk.
 * With one appender every record pays its own fdatasync; with many, records that arrive while
 * a sync runs share the next one, so fsyncs/record falls and appends/s rises.
 *
 * Run: npm run bench -- wal
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openWal } from '../src/runtime/node/wal.ts';
import type { BenchResult } from './types.ts';

const RECORD_BYTES = 128;
const DURATION_MS = Number(process.env.WAL_BENCH_MS ?? 2_000);
const CONCURRENCY = [1, 8, 64] as const;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function measure(concurrency: number): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-bench-'));
  try {
    const opened = await openWal(dir);
    if (!opened.ok) throw new Error(opened.error.message);
    const wal = opened.value;
    const record = new Uint8Array(RECORD_BYTES).fill(7);
    const latenciesMs: number[] = [];
    const startMs = performance.now();
    const endMs = startMs + DURATION_MS;
    const writer = async (): Promise<void> => {
      while (performance.now() < endMs) {
        const t0 = performance.now();
        const r = await wal.append(record);
        if (!r.ok) throw new Error(r.error.message);
        latenciesMs.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, writer));
    const elapsedS = (performance.now() - startMs) / 1000;
    const stats = wal.stats();
    await wal.close();
    latenciesMs.sort((a, b) => a - b);
    const tag = `c=${concurrency}`;
    const detail = { concurrency, recordBytes: RECORD_BYTES, durationMs: DURATION_MS, ...stats,
      tmpdir: os.tmpdir() };
    return [
      { name: `wal appends/s ${tag}`, unit: 'appends/s', value: stats.appends / elapsedS,
        samples: stats.appends, detail },
      { name: `wal fsyncs per record ${tag}`, unit: 'fsync/record',
        value: stats.fsyncs / stats.appends, samples: stats.appends },
      { name: `wal append p50 ${tag}`, unit: 'ms', value: percentile(latenciesMs, 0.5),
        samples: latenciesMs.length },
      { name: `wal append p99 ${tag}`, unit: 'ms', value: percentile(latenciesMs, 0.99),
        samples: latenciesMs.length },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const c of CONCURRENCY) out.push(...(await measure(c)));
  return out;
}
