/**
 * Conformance of the fencing cores to spec/fencing/Fencing.tla, in small: TLC validates 20
 * simulator traces; a trace corrupted at step k is rejected at step k; the state graph of
 * Replay.cfg is replayed on the cores with full edge and action coverage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateTraces } from '../../src/tla/index.ts';
import type { ImplTrace } from '../../src/tla/index.ts';
import {
  generateTrace, rejectionsOf, replayFencing, SPEC_ACTION_NAMES, traceValidationSpec, validateFencingTraces,
} from '../../src/fencing/conformance/index.ts';

/** The same trace with the issuer's epoch at step k (1-based) set to a value no action gives. */
function corruptAt(trace: ImplTrace, k: number): ImplTrace {
  const steps = trace.steps.map((s, i) =>
    i + 1 === k ? { ...s, state: { ...s.state, issuerEpoch: 99 } } : s);
  return { init: trace.init, steps };
}

describe('fencing conformance', () => {
  it('TLC accepts 20 simulator traces as behaviours of the spec', async () => {
    const { generated, validation } = await validateFencingTraces({ runs: 20, seed: 9000 });
    expect(validation.errors).toEqual([]);
    expect(validation.rejected).toBe(0);
    expect(validation.accepted).toBe(20);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    const steps = generated.reduce((n, g) => n + g.trace.steps.length, 0);
    expect(steps).toBeGreaterThan(200);
    const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
    for (const a of ['Grant', 'SledFence', 'HeadFenced', 'Repair', 'SledWrite', 'HeadAck',
      'ClientWrite']) {
      expect(seen.has(a)).toBe(true);
    }
  }, 240_000);

  it('a trace corrupted at step k is rejected at step k, the intact one accepted', async () => {
    const g = generateTrace(4242);
    expect(g.trace.steps.length).toBeGreaterThan(12);
    const k = Math.floor(g.trace.steps.length / 2);
    const r = await validateTraces(traceValidationSpec(), [g.trace, corruptAt(g.trace, k)]);
    expect(r.errors).toEqual([]);
    expect(r.results[0]!.status).toBe('accepted');
    const bad = r.results[1]!;
    expect(bad.status).toBe('rejected');
    if (bad.status !== 'rejected') return;
    expect(bad.firstRejectedStep).toBe(k);
    expect(bad.action).toBe(g.trace.steps[k - 1]!.action);
    expect(bad.changed.some((d) => d.variable === 'issuerEpoch')).toBe(true);
    // The conform report names the rejected step and an ITF file holding the trace.
    const [rejection] = rejectionsOf(r, [g, { ...g, trace: corruptAt(g.trace, k) }]);
    expect(rejection).toMatchObject({ trace: 1, seed: 4242, firstRejectedStep: k });
    const itf = /ITF (\S+\.itf\.json)/.exec(rejection?.detail ?? '')?.[1];
    expect(itf !== undefined && existsSync(itf)).toBe(true);
    const states = JSON.parse(readFileSync(itf!, 'utf8')).states as unknown[];
    expect(states.length).toBe(g.trace.steps.length + 1);
  }, 240_000);

  it('the Replay.cfg state graph replays on the cores with every edge and action covered',
    async () => {
      const r = await replayFencing();
      expect(r.error).toBeUndefined();
      expect(r.mismatches).toEqual([]);
      expect(r.distinctStates).toBeGreaterThan(1_000);
      expect(r.edgesTotal).toBeGreaterThan(10_000);
      expect(r.edgesCovered).toBe(r.edgesTotal);
      expect(r.actionsTotal).toBe(SPEC_ACTION_NAMES.length);
      expect(r.actionsUncovered).toEqual([]);
      expect(r.actionsCovered).toBe(SPEC_ACTION_NAMES.length);
    }, 300_000);
});

describe('simulator traces as ITF', () => {
  it('writes every trace as ITF JSON that reads back state for state', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { generateTrace, writeTracesAsItf } = await import('../../src/fencing/conformance/index.ts');
    const { fromItf, tlaEqual } = await import('../../src/tla/index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'itf-traces-'));
    try {
      const generated = [generateTrace(11), generateTrace(12)];
      const files = writeTracesAsItf(dir, generated);
      expect(files.map((f) => f.slice(dir.length + 1)))
        .toEqual(['fencing-seed-11.itf.json', 'fencing-seed-12.itf.json']);
      for (const [i, file] of files.entries()) {
        const decoded = fromItf(JSON.parse(readFileSync(file, 'utf8')));
        if (!decoded.ok) throw new Error(decoded.error.message);
        const g = generated[i]!;
        const states = [g.trace.init, ...g.trace.steps.map((s) => s.state)];
        expect(decoded.trace.states).toHaveLength(states.length);
        expect(states.length).toBeGreaterThan(1);
        decoded.trace.states.forEach((st, k) => {
          for (const v of Object.keys(states[k]!)) expect(tlaEqual(st[v]!, states[k]![v]!)).toBe(true);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
