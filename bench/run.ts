/**
 * `npm run bench [-- name…]`: runs every `bench/<name>.bench.ts` (or the named ones), prints a
 * table and writes `bench/results/<name>.json` plus `bench/results/latest.json`. Each result says
 * what was measured, in what unit, and whether it met its target; nothing is asserted here
 * (speed targets live in benchmarks, never in unit tests).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');

function meets(r: BenchResult): boolean | null {
  if (!r.target) return null;
  return r.target.op === '>=' ? r.value >= r.target.value : r.value <= r.target.value;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => wanted.length === 0 || wanted.includes(basename(f, '.bench.ts')));
  if (files.length === 0) {
    process.stderr.write(`bench: nothing matches ${wanted.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memBytes: totalmem(),
    node: process.version };
  const all: Record<string, BenchResult[]> = {};
  for (const f of files) {
    const name = basename(f, '.bench.ts');
    process.stderr.write(`bench: ${name} …\n`);
    const mod = (await import(join(here, f))) as { run: () => Promise<BenchResult[]> };
    const startedAt = new Date().toISOString();
    const results = await mod.run();
    all[name] = results;
    const doc = { bench: name, startedAt, machine, results: results.map((r) => ({ ...r, met: meets(r) })) };
    writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
    for (const r of results) {
      const m = meets(r);
      const t = r.target ? ` (target ${r.target.op} ${r.target.value}: ${m ? 'met' : 'NOT met'})` : '';
      process.stdout.write(`${name.padEnd(10)} ${r.name.padEnd(48)} ${fmt(r.value).padStart(14)} ${r.unit}${t}\n`);
    }
  }
  writeFileSync(join(resultsDir, 'latest.json'),
    `${JSON.stringify({ at: new Date().toISOString(), machine, results: all }, null, 2)}\n`);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(4);
}

await main();
