/**
 * Every ```ts block of README.md runs: each is written to a temp file inside the repo (so the
 * package's own `plumbline/...` exports resolve) and run with tsx; it must exit 0. Examples
 * assert what they claim with node:assert, so a README that drifts from the code fails here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(root, '.readme-examples-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });
  blocks.forEach((code, i) => {
    const title = code.split('\n').find((l) => l.trim().length > 0)?.slice(0, 60) ?? '';
    it(`example ${i + 1} runs: ${title}`, async () => {
      const file = join(dir, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      const tsx = join(root, 'node_modules', '.bin', 'tsx');
      const r = await run(tsx, [file], { cwd: root, timeout: 90_000 }).catch((e: unknown) => e);
      const failed = r instanceof Error ? r : undefined;
      expect(failed?.message ?? '', `example ${i + 1}:\n${code}`).toBe('');
    });
  });
});
