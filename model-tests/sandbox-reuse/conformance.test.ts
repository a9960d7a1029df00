/**
 * Conformance of the sandbox-reuse cores to spec/sandbox-reuse/SandboxReuse.tla, in small: TLC
 * validates 20 simulator traces; a trace corrupted at step k is rejected at step k; the state
 * graph of Replay.cfg is replayed on the cores with full edge and action coverage; the same in
 * warm mode (SingleUse = FALSE: warm traces, ReplayWarm.cfg), where the Release step is taken.
 */
import { describe, expect, it } from 'vitest';
import {
  rejectionsOf, traceValidationSpecOf, validateBindingTraces,
} from '../../src/conform/index.ts';
import { validateTraces } from '../../src/tla/index.ts';
import type { ImplTrace } from '../../src/tla/index.ts';
import {
  generateTrace, replaySandbox, SANDBOX_BINDING, SANDBOX_WARM_BINDING, SPEC_ACTION_NAMES,
} from '../../src/sandbox/conformance/index.ts';

/** The same trace with every tenant's limit at step k (1-based) set to a value no action gives. */
function corruptAt(trace: ImplTrace, k: number): ImplTrace {
  const steps = trace.steps.map((s, i) => (i + 1 === k
    ? { ...s, state: { ...s.state, limit: { '#map': [[{ '#model': 'ta' }, 7],
      [{ '#model': 'tb' }, 7]] } } } : s));
  return { init: trace.init, steps };
}

describe('sandbox-reuse conformance', () => {
  it('TLC accepts 20 simulator traces as behaviours of the spec', async () => {
    const { generated, validation } = await validateBindingTraces(SANDBOX_BINDING,
      { runs: 20, seed: 9000 });
    expect(validation.errors).toEqual([]);
    expect(validation.rejected).toBe(0);
    expect(validation.accepted).toBe(20);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    const steps = generated.reduce((n, g) => n + g.trace.steps.length, 0);
    expect(steps).toBeGreaterThan(200);
    const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
    for (const a of ['Accept', 'Probe', 'Provision', 'Ready', 'Start', 'Complete', 'Reset']) {
      expect(seen.has(a)).toBe(true);
    }
  }, 300_000);

  it('a trace corrupted at step k is rejected at step k, the intact one accepted', async () => {
    const g = generateTrace(4242);
    expect(g.trace.steps.length).toBeGreaterThan(12);
    const k = Math.floor(g.trace.steps.length / 2);
    const bad = { ...g, trace: corruptAt(g.trace, k) };
    const r = await validateTraces(traceValidationSpecOf(SANDBOX_BINDING.spec),
      [g.trace, bad.trace]);
    expect(r.errors).toEqual([]);
    expect(r.results[0]!.status).toBe('accepted');
    const verdict = r.results[1]!;
    expect(verdict.status).toBe('rejected');
    if (verdict.status !== 'rejected') return;
    expect(verdict.firstRejectedStep).toBe(k);
    expect(verdict.action).toBe(g.trace.steps[k - 1]!.action);
    expect(verdict.changed.some((d) => d.variable === 'limit')).toBe(true);
    const [rejection] = rejectionsOf(SANDBOX_BINDING.spec, r, [g, bad]);
    expect(rejection).toMatchObject({ trace: 1, seed: 4242, firstRejectedStep: k });
  }, 300_000);

  it('the Replay.cfg state graph replays on the cores with every edge and action covered',
    async () => {
      const r = await replaySandbox();
      expect(r.error).toBeUndefined();
      expect(r.mismatches).toEqual([]);
      expect(r.distinctStates).toBeGreaterThan(3_000);
      expect(r.edgesTotal).toBeGreaterThan(10_000);
      expect(r.edgesCovered).toBe(r.edgesTotal);
      expect(r.actionsTotal).toBe(SPEC_ACTION_NAMES.length - 1); // all but Release
      expect(r.actionsUncovered).toEqual([]);
    }, 400_000);

  it('warm mode: TLC accepts 20 warm simulator traces, Release steps included', async () => {
    const { generated, validation } = await validateBindingTraces(SANDBOX_WARM_BINDING,
      { runs: 20, seed: 9100 });
    expect(validation.errors).toEqual([]);
    expect(validation.rejected).toBe(0);
    expect(validation.accepted).toBe(20);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
    for (const a of ['Accept', 'Probe', 'Complete', 'Release']) expect(seen.has(a)).toBe(true);
    expect(seen.has('Reset')).toBe(false);
  }, 300_000);

  it('warm mode: the ReplayWarm.cfg graph replays with every edge and action covered',
    async () => {
      const r = await replaySandbox({ warm: true });
      expect(r.error).toBeUndefined();
      expect(r.mismatches).toEqual([]);
      expect(r.distinctStates).toBe(3_884);
      expect(r.edgesCovered).toBe(r.edgesTotal);
      expect(r.actionsTotal).toBe(SPEC_ACTION_NAMES.length - 1); // all but Reset
      expect(r.actionsUncovered).toEqual([]);
    }, 400_000);
});
