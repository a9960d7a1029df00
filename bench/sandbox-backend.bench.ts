/**
 * The process backend's acquisition latency: a warm hit (an idle agent runs `true`) against a
 * provision (boot a fresh sandbox from a small template, then run `true`) and a single-use
 * reset (kill, restore the directory, respawn; then run `true`), p50 and p99. Samples are
 * interleaved (warm, provision, reset, warm, …) so background load hits all three alike.
 *
 * Run: npm run bench -- sandbox-backend   (or: npx tsx bench/sandbox-backend.bench.ts)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessBackend, type BackendResult } from '../src/sandbox/backend/index.ts';
import type { BenchResult } from './types.ts';

const ROUNDS = 40;
const WARMUP = 3;

function must<T>(r: BackendResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function percentile(sortedMs: number[], p: number): number {
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)] ?? NaN;
}

async function timed(body: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await body();
  return performance.now() - t0;
}

export async function run(): Promise<BenchResult[]> {
  const template = fs.mkdtempSync(path.join(os.tmpdir(), 'sbx-bench-tpl-'));
  for (let i = 0; i < 16; i++) fs.writeFileSync(path.join(template, `f${i}.txt`), 'x'.repeat(4096));
  const uidBase = process.getuid?.() === 0 ? 80_000 : null;
  const backend = must(await ProcessBackend.create({ uidBase }));
  const samples = { warm: [] as number[], provision: [] as number[], reset: [] as number[] };
  try {
    const warm = must(await backend.boot({ id: 'warm', kind: 'A/f@1', env: {},
      templateDir: template }));
    const single = must(await backend.boot({ id: 'single', kind: 'A/f@1', env: {},
      templateDir: template }));
    const exec = { command: 'true', timeoutMs: 5000 };
    for (let i = 0; i < ROUNDS + WARMUP; i++) {
      const w = await timed(async () => void must(await backend.exec(warm, exec)));
      let id = '';
      const p = await timed(async () => {
        const h = must(await backend.boot({ id: `p${i}`, kind: 'A/f@1', env: {},
          templateDir: template }));
        id = h.id;
        must(await backend.exec(h, exec));
      });
      must(await backend.destroy({ id, kind: 'A/f@1', backend: 'process' }));
      const r = await timed(async () => {
        must(await backend.reset(single));
        must(await backend.exec(single, exec));
      });
      if (i < WARMUP) continue;
      samples.warm.push(w);
      samples.provision.push(p);
      samples.reset.push(r);
    }
  } finally {
    await backend.close();
    fs.rmSync(template, { recursive: true, force: true });
  }
  const results: BenchResult[] = [];
  for (const [name, values] of Object.entries(samples)) {
    const sorted = values.slice().sort((a, b) => a - b);
    for (const p of [50, 99]) {
      results.push({ name: `process backend ${name} acquisition+run p${p}`, unit: 'ms',
        value: percentile(sorted, p), samples: sorted.length,
        detail: { uidPerSandbox: uidBase !== null, templateFiles: 16 } });
    }
  }
  return results;
}

const invokedDirectly = process.argv[1] !== undefined
  && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  for (const r of await run()) process.stdout.write(`${r.name}: ${r.value.toFixed(1)} ${r.unit}\n`);
}
