/**
 * runTlc against the real TLC jar on small specs under test/fixtures/tla/. Each run is one JVM
 * (about 1-2 s); the expected numbers are worked out by hand in the comments.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTlcResult } from '../../src/tla/format.ts';
import { TlcResultSchema, type TlcProgress, type TlcResult } from '../../src/tla/result.ts';
import { runTlc, type TlcRunOptions } from '../../src/tla/runner.ts';

const DIR = new URL('../fixtures/tla/', import.meta.url).pathname;
const fixture = (name: string): string => join(DIR, name);

async function run(spec: string, extra: Partial<TlcRunOptions> = {}): Promise<TlcResult> {
  const r = await runTlc({ spec: fixture(`${spec}.tla`), ...extra });
  expect(TlcResultSchema.safeParse(r).success).toBe(true);
  expect(r.ok).toBe(r.outcome === 'ok');
  return r;
}

/** Line `n` (1-based) of a fixture, to check reported locations against the source. */
function lineOf(file: string, n: number): string {
  return readFileSync(fixture(file), 'utf8').split('\n')[n - 1] ?? '';
}

/** Runs `fn` with a private TMPDIR and returns what it left there (other test files run TLC in
 *  parallel, each with its own temporary metadir, so /tmp itself cannot be compared). */
async function leftInPrivateTmp<T>(fn: () => Promise<T>): Promise<{ value: T; left: string[] }> {
  const saved = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'runner-test-'));
  process.env.TMPDIR = dir;
  try {
    const value = await fn();
    return { value, left: readdirSync(dir) };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('runTlc: complete runs', () => {
  it('counts the states of a spec without errors, and streams progress', async () => {
    const progress: TlcProgress[] = [];
    const { value: r, left } = await leftInPrivateTmp(() =>
      run('Counter', { onProgress: (p) => progress.push(p) }));
    // x in 0..2 and y in 0..3: 12 states. Transitions: IncX from the 8 states with x < 2, IncY
    // from the 9 with y < 3, Reset from 1; plus 1 initial state: 19 generated. The longest
    // shortest path starts at (0,0) and ends at (2,3): 5 steps, 6 states.
    expect(r).toMatchObject({ ok: true, outcome: 'ok', exitCode: 0, distinctStates: 12,
      generatedStates: 19, depth: 6 });
    expect(r.trace).toBeUndefined();
    expect(r.errors).toBeUndefined();
    expect(r.seconds).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ kind: 'init', distinctStates: 1 });
    expect(progress.at(-1)).toMatchObject({ kind: 'final', distinctStates: 12, generatedStates: 19,
      queueSize: 0 });
    expect(progress.some((p) => p.kind === 'progress' && p.depth === 6)).toBe(true);
    // the temporary metadir is gone
    expect(left).toEqual([]);
  });

  it('reports an invariant violation with its trace, actions and locations', async () => {
    const r = await run('Inv');
    expect(r).toMatchObject({ ok: false, outcome: 'invariant', exitCode: 12, violated: 'Small' });
    const trace = r.trace ?? [];
    expect(trace.map((s) => s.index)).toEqual([1, 2, 3, 4]);
    expect(trace.map((s) => s.action)).toEqual([null, 'Step', 'Step', 'Step']);
    expect(trace[0]!.location).toBeUndefined();
    const stepLine = lineOf('Inv.tla', 5);
    expect(trace[1]!.location).toEqual({ module: 'Inv', line: 5, column: stepLine.indexOf("n'") + 1,
      endLine: 5, endColumn: stepLine.length });
    expect(trace[3]!.state).toEqual({
      n: 3, log: [0, 1, 2], rec: { a: { '#set': [0, 1, 2] }, b: 's' },
    });
    expect(trace[0]!.state).toEqual({ n: 0, log: [], rec: { a: { '#set': [] }, b: 's' } });
  });

  it('reads an initial state that violates an invariant from the message itself', async () => {
    const r = await run('InitBad');
    expect(r).toMatchObject({ outcome: 'invariant', violated: 'Pos', exitCode: 12 });
    expect(r.trace).toEqual([{ index: 1, action: null, state: { t: 5 } }]);
  });

  it('reports a temporal property violated on a lasso', async () => {
    const r = await run('Lasso');
    expect(r).toMatchObject({ outcome: 'property', exitCode: 13, loopsBackTo: 2 });
    expect(r.trace?.map((s) => s.state.t)).toEqual([0, 1, 2]);
    expect(r.trace?.map((s) => s.action)).toEqual([null, 'Go', 'Go']);
    expect(r.stutters).toBeUndefined();
    expect(formatTlcResult(r)).toContain('back to state 2');
  });

  it('reports a temporal property violated by stuttering', async () => {
    const r = await run('Stutter');
    expect(r).toMatchObject({ outcome: 'property', exitCode: 13, stutters: true });
    expect(r.loopsBackTo).toBeUndefined();
    expect(r.trace?.map((s) => s.state.t)).toEqual([0, 1]);
  });

  it('names a violated action property', async () => {
    const r = await run('Multi', { config: fixture('MultiAction.cfg') });
    expect(r).toMatchObject({ outcome: 'property', violated: 'NoDecrease', exitCode: 13 });
    // the first step changes a but not b, which NoDecrease forbids
    expect(r.trace?.map((s) => s.state)).toEqual([{ a: 0, b: 0 }, { a: 1, b: 0 }]);
  });

  it('reports a deadlock', async () => {
    const r = await run('Deadlock');
    expect(r).toMatchObject({ outcome: 'deadlock', exitCode: 11, distinctStates: 3 });
    expect(r.trace?.map((s) => s.state.t)).toEqual([0, 1, 2]);
  });

  it('reports no deadlock with checkDeadlock false', async () => {
    const off = await run('Deadlock', { checkDeadlock: false });
    expect(off).toMatchObject({ ok: true, outcome: 'ok', distinctStates: 3, depth: 3 });
  });

  it('reports a failed Assert with its message and place', async () => {
    const r = await run('Assert');
    expect(r).toMatchObject({ outcome: 'assert', exitCode: 14 });
    expect(r.trace?.map((s) => s.state.t)).toEqual([0, 1, 2]);
    const e = r.errors?.[0];
    expect(e?.message).toContain('t reached two');
    expect(e).toMatchObject({ code: 2132, file: fixture('Assert.tla'), line: 5 });
    expect(e?.column).toBe(lineOf('Assert.tla', 5).indexOf('Assert(') + 1);
  });

  it('collects every violation under -continue', async () => {
    const r = await run('Multi', { continueAfterViolation: true });
    // Bound (a + b < 3) fails in (2,1), (1,2) and (2,2); TLC keeps going and exits 0.
    expect(r).toMatchObject({ ok: false, outcome: 'invariant', violated: 'Bound', exitCode: 0,
      distinctStates: 9 });
    const ends = (r.violations ?? []).map((v) => v.trace.at(-1)!.state);
    expect(ends).toHaveLength(3);
    expect(ends).toEqual(expect.arrayContaining([{ a: 2, b: 1 }, { a: 1, b: 2 }, { a: 2, b: 2 }]));
    expect(r.trace).toEqual(r.violations?.[0]?.trace);
  });

  it('writes the state graph with -dump dot,actionlabels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'h1-dump-'));
    try {
      const r = await run('Counter', { dump: { path: join(dir, 'graph'), dot: true } });
      expect(r.ok).toBe(true);
      expect(r.dumpFile).toBe(join(dir, 'graph.dot'));
      const dot = readFileSync(r.dumpFile!, 'utf8');
      expect(dot.startsWith('strict digraph DiskGraph')).toBe(true);
      const edges = dot.split('\n').filter((l) => / -> /.test(l));
      // 18 transitions (19 generated minus the initial state), none parallel
      expect(edges).toHaveLength(18);
      const labels = edges.map((l) => /label="(\w+)"/.exec(l)?.[1]);
      expect(labels.filter((l) => l === 'Reset')).toHaveLength(1);
      expect(labels.filter((l) => l === 'IncX')).toHaveLength(8);
      expect(labels.filter((l) => l === 'IncY')).toHaveLength(9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runTlc: errors', () => {
  it('gives file, line and column for a parse error', async () => {
    const r = await run('ParseError');
    expect(r).toMatchObject({ outcome: 'parse-error', exitCode: 150 });
    // `Init == t = = 0`: SANY stops at the 0 in column 15
    expect(r.errors?.[0]).toMatchObject({ file: fixture('ParseError.tla'), line: 4, column: 15 });
  });

  it('gives file, line and column for an undefined identifier', async () => {
    const r = await run('Undefined');
    expect(r.outcome).toBe('parse-error');
    const e = r.errors?.[0];
    expect(e).toMatchObject({ file: fixture('Undefined.tla'), line: 5 });
    expect(e?.column).toBe(lineOf('Undefined.tla', 5).indexOf('missing') + 1);
    expect(e?.message).toContain('missing');
  });

  it('reports a constant the config leaves unassigned', async () => {
    const r = await run('NeedsConst');
    expect(r).toMatchObject({ outcome: 'config-error', exitCode: 151 });
    expect(r.errors?.[0]?.message).toMatch(/constant parameter N is not assigned/);
  });

  it('reports a missing config file without starting TLC', async () => {
    const r = await run('Counter', { config: fixture('NoSuch.cfg') });
    expect(r).toMatchObject({ outcome: 'config-error', exitCode: -1 });
    expect(r.errors?.[0]?.message).toContain('NoSuch.cfg');
  });

  it('reports an evaluation error with the behaviour that led to it', async () => {
    const r = await run('InitBad', { config: fixture('EvalErr.cfg') });
    expect(r).toMatchObject({ outcome: 'error', exitCode: 255 });
    expect(r.errors?.[0]).toMatchObject({ code: 2179, file: fixture('InitBad.tla'), line: 7 });
    expect(r.trace?.length).toBe(1);
  });

  it('kills TLC on timeout', async () => {
    const t0 = performance.now();
    const { value: r, left } = await leftInPrivateTmp(() => run('Slow', { timeoutMs: 1500 }));
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(r).toMatchObject({ ok: false, outcome: 'error', exitCode: -1 });
    expect(r.errors?.[0]?.message).toMatch(/timed out after 1500 ms/);
    expect(left).toEqual([]);
  });

  it('kills TLC on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1200);
    const r = await run('Slow', { signal: ac.signal });
    expect(r).toMatchObject({ outcome: 'error', exitCode: -1 });
    expect(r.errors?.[0]?.message).toMatch(/aborted/);
  });
});

describe('formatTlcResult', () => {
  it('summarises a violation with the changed variables per step', async () => {
    const r = await run('Multi', { config: fixture('Multi.cfg') });
    const text = formatTlcResult(r);
    expect(text).toContain('invariant violated: Bound');
    expect(text).toContain('2. IncA');
    // step 2 changes a only: b is not repeated
    const step2 = text.split('\n').slice(text.split('\n').findIndex((l) => l.includes('2. IncA')));
    expect(step2[1]).toContain('a = 1');
    expect(step2[2]).not.toContain('b = ');
    expect(text).not.toContain('\x1b[');
    expect(formatTlcResult(r, { color: true })).toContain('\x1b[');
    expect(existsSync(fixture('Multi.tla'))).toBe(true);
  });
});
