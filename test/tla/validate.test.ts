import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { constantsBlockOf, writeTraceModule } from '../../src/tla/trace-module.ts';
import { validateTraces } from '../../src/tla/validate.ts';
import type { ImplTrace, TraceValidationSpec } from '../../src/tla/validate.ts';
import { model } from '../../src/tla/value.ts';
import type { TlaState } from '../../src/tla/value.ts';

const FIXTURES = new URL('../fixtures/tla-trace/', import.meta.url).pathname;
const MAX = 6;

async function counterSpec(): Promise<TraceValidationSpec> {
  const cfg = await readFile(`${FIXTURES}MC.cfg`, 'utf8');
  return {
    specPath: `${FIXTURES}Counter.tla`,
    constants: constantsBlockOf(cfg),
    variables: ['count', 'flag', 'holder'],
    actions: {
      Inc: '\\E n \\in 1..2 : Inc(n)',
      Toggle: 'Toggle',
      Grab: '\\E h \\in Holders : Grab(h)',
    },
  };
}

type S = { count: number; flag: boolean; holder: string };
const st = (s: S): TlaState => ({ count: s.count, flag: s.flag, holder: model(s.holder) });
const INIT: S = { count: 0, flag: false, holder: 'Nobody' };

/** Builds a trace from actions applied to plain states, as an implementation would record. */
function trace(init: S, steps: [string, Partial<S>][]): ImplTrace {
  let cur = init;
  return {
    init: st(init),
    steps: steps.map(([action, change]) => {
      cur = { ...cur, ...change };
      return { action, state: st(cur) };
    }),
  };
}

/** A deterministic pseudo-random walk of the Counter spec, `length` steps long. */
function randomWalk(seed: number, length: number): ImplTrace {
  let x = seed >>> 0 || 1;
  const rand = (n: number): number => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
  const steps: [string, Partial<S>][] = [];
  let s = INIT;
  while (steps.length < length) {
    const options: [string, S][] = [['Toggle', { ...s, flag: !s.flag }]];
    for (const n of [1, 2]) {
      if (s.count + n <= MAX) options.push(['Inc', { ...s, count: s.count + n }]);
    }
    for (const h of ['h1', 'h2']) {
      if (s.flag && s.holder !== h) options.push(['Grab', { ...s, holder: h }]);
    }
    const [action, next] = options[rand(options.length)]!;
    steps.push([action, next]);
    s = next;
  }
  return trace(INIT, steps);
}

/** The same trace with the count of step k (1-based) and every later step off by 5. */
function corrupt(tr: ImplTrace, k: number): ImplTrace {
  const steps = tr.steps.map((step, i) => {
    const count = (step.state.count as number) + 5;
    return i + 1 < k ? step : { ...step, state: { ...step.state, count } };
  });
  return { init: tr.init, steps };
}

describe('trace module', () => {
  it('declares model values the constants block does not assign, and binds them', async () => {
    const spec = await counterSpec();
    const tr = trace(INIT, [['Toggle', { flag: true }], ['Grab', { holder: 'h2' }]]);
    const takenNames = new Set<string>();
    const m = writeTraceModule({ spec, specModule: 'Counter', traces: [tr], takenNames });
    if ('code' in m) throw new Error(m.message);
    expect(m.declaredModelValues).toEqual(['h2']);
    expect(m.moduleText).toContain('CONSTANTS h2');
    expect(m.cfgText).toMatch(/^\s*h2 = h2$/m);
    expect(m.cfgText).not.toMatch(/Nobody = Nobody[\s\S]*Nobody = Nobody/);
  });

  it('moves its variables aside when the spec uses t or l', async () => {
    const spec = await counterSpec();
    const taken = new Set(['t', 'l', 'tvTrace']);
    const m = writeTraceModule({ spec, specModule: 'Counter', traces: [], takenNames: taken });
    if ('code' in m) throw new Error(m.message);
    expect(m.names.trace).toBe('tvTrace1');
    expect(m.names.cursor).toBe('tvCursor');
  });

  it('refuses a trace whose states miss a variable', async () => {
    const spec = await counterSpec();
    const bad: ImplTrace = { init: st(INIT), steps: [{ action: 'Toggle', state: { flag: true } }] };
    const takenNames = new Set<string>();
    const m = writeTraceModule({ spec, specModule: 'Counter', traces: [bad], takenNames });
    expect('code' in m && m.code).toBe('trace-shape');
  });
});

describe('validateTraces on the Counter spec (TLC)', () => {
  it('accepts a correct trace and pins each kind of rejection to its step', async () => {
    const spec = await counterSpec();
    const good = trace(INIT, [
      ['Inc', { count: 2 }], ['Toggle', { flag: true }], ['Grab', { holder: 'h1' }],
      ['Inc', { count: 3 }], ['Grab', { holder: 'h2' }],
    ]);
    const wrongState = trace(INIT, [
      ['Inc', { count: 1 }], ['Toggle', { flag: true }], ['Grab', { holder: 'h1', count: 3 }],
    ]);
    const notAllowed = trace(INIT, [['Inc', { count: 1 }], ['Grab', { holder: 'h1' }]]);
    const unknown = trace(INIT, [['Inc', { count: 1 }], ['Jump', { count: 2 }]]);
    const badInit = trace({ ...INIT, count: 1 }, [['Inc', { count: 2 }]]);
    const overMax = trace(INIT, [['Inc', { count: 2 }], ['Inc', { count: 4 }],
      ['Inc', { count: 6 }], ['Inc', { count: 7 }]]);
    const strangeHolder = trace(INIT, [['Toggle', { flag: true }], ['Grab', { holder: 'h3' }]]);
    const empty = trace(INIT, []);
    const r = await validateTraces(spec, [
      good, wrongState, notAllowed, unknown, badInit, overMax, strangeHolder, empty,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.batches).toBe(1);
    const verdicts = r.results.map((v) =>
      v.status === 'rejected'
        ? [v.trace, v.reason, v.firstRejectedStep, v.action]
        : [v.trace, v.status],
    );
    expect(verdicts).toEqual([
      [0, 'accepted'],
      [1, 'step', 3, 'Grab'],
      [2, 'step', 2, 'Grab'],
      [3, 'unknown-action', 2, 'Jump'],
      [4, 'init', 0, null],
      [5, 'step', 4, 'Inc'],
      [6, 'step', 2, 'Grab'],
      [7, 'accepted'],
    ]);
    const wrong = r.results[1]!;
    if (wrong.status !== 'rejected') throw new Error('expected a rejection');
    expect(wrong.expectedState).toEqual(wrongState.steps[2]!.state);
    expect(wrong.changed.map((d) => d.variable)).toEqual(['count', 'holder']);
    expect([r.ok, r.accepted, r.rejected]).toEqual([false, 2, 6]);
  });

  it('gives each trace of a mixed batch its verdict in one TLC run, and in batches', async () => {
    const spec = await counterSpec();
    const traces: ImplTrace[] = [];
    const expected: (number | 'accepted')[] = [];
    for (let i = 0; i < 30; i++) {
      const walk = randomWalk(1000 + i, 8 + (i % 5));
      const k = i % 3 === 0 ? 1 + (i % walk.steps.length) : 0;
      traces.push(k > 0 ? corrupt(walk, k) : walk);
      expected.push(k > 0 ? k : 'accepted');
    }
    const verdict = (v: (typeof r.results)[number]): number | 'accepted' | 'error' =>
      v.status === 'rejected' ? v.firstRejectedStep : v.status;
    const r = await validateTraces(spec, traces);
    expect(r.batches).toBe(1);
    expect(r.results.map(verdict)).toEqual(expected);
    // 20 traces make a module over 12 kB, split in two; the last 10 make one batch.
    const batched = await validateTraces(spec, traces, { batchSize: 20, moduleBytesMax: 12_000 });
    expect(batched.batches).toBe(3);
    expect(batched.results.map(verdict)).toEqual(expected);
  });

  it('reports TLC failing (a formula that does not parse) as an error per trace', async () => {
    const spec = { ...(await counterSpec()), actions: { Inc: 'Inc(' } };
    const r = await validateTraces(spec, [trace(INIT, [['Inc', { count: 1 }]])]);
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.code).toBe('tlc-failed');
    expect(r.results[0]?.status).toBe('error');
  });

  it('refuses bad input without running TLC', async () => {
    const spec = { ...(await counterSpec()), variables: ['count', 'not an identifier'] };
    const r = await validateTraces(spec, [trace(INIT, [])]);
    expect(r.errors[0]?.code).toBe('bad-input');
    expect(r.tlcSeconds).toBe(0);
  });

  it('validates 200 traces of 50 steps in one run in reasonable time', async () => {
    const spec = await counterSpec();
    const traces = Array.from({ length: 200 }, (_, i) =>
      i % 4 === 0 ? corrupt(randomWalk(i, 50), 25 + (i % 20)) : randomWalk(i, 50),
    );
    const started = performance.now();
    const r = await validateTraces(spec, traces);
    const wallSeconds = (performance.now() - started) / 1000;
    console.log(
      `200 traces x 50 steps: ${wallSeconds.toFixed(1)} s wall, ${r.tlcSeconds.toFixed(1)} s TLC,` +
        ` ${r.distinctStates} distinct states`,
    );
    expect(r.errors).toEqual([]);
    expect([r.accepted, r.rejected]).toEqual([150, 50]);
    expect(wallSeconds).toBeLessThan(60);
  });
});
