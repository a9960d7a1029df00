/**
 * Conformance of the snapshot-gc cores to spec/snapshot-gc/SnapshotGC.tla, in small: TLC
 * validates 20 simulator traces; a trace corrupted at step k is rejected at step k; the state
 * graph of Replay.cfg is replayed on cluster.ts with full edge and action coverage.
 */
import { describe, expect, it } from 'vitest';
import {
  replayBinding, traceValidationSpecOf, validateBindingTraces,
} from '../../src/conform/index.ts';
import { fn, model } from '../../src/tla/value.ts';
import { validateTraces } from '../../src/tla/index.ts';
import type { ImplTrace } from '../../src/tla/index.ts';
import {
  SNAPSHOT_GC_BINDING, SPEC_ACTION_NAMES, generateTrace,
} from '../../src/snapshot/conformance/index.ts';

/** The same trace with i1's garbage at step k (1-based) set to a value no action gives. */
function corruptAt(trace: ImplTrace, k: number): ImplTrace {
  const garbage = fn([[model('i1'), 77], [model('i2'), 0]]);
  const steps = trace.steps.map((s, i) =>
    (i + 1 === k ? { ...s, state: { ...s.state, garbage } } : s));
  return { init: trace.init, steps };
}

describe('snapshot-gc conformance', () => {
  it('TLC accepts 20 simulator traces as behaviours of the spec', async () => {
    const { generated, validation } =
      await validateBindingTraces(SNAPSHOT_GC_BINDING, { runs: 20, seed: 7000 });
    expect(validation.errors).toEqual([]);
    expect(validation.rejected).toBe(0);
    expect(validation.accepted).toBe(20);
    expect(generated.every((g) => g.failure === undefined)).toBe(true);
    const steps = generated.reduce((n, g) => n + g.trace.steps.length, 0);
    expect(steps).toBeGreaterThan(200);
    const seen = new Set(generated.flatMap((g) => g.trace.steps.map((s) => s.action)));
    for (const a of ['Launch', 'Start', 'Finish', 'StopAdmitting', 'SavePreserved', 'Terminate',
      'Restore', 'WriteBack', 'Admit', 'Connect', 'TxBegin', 'TxSend', 'TxJudge']) {
      expect(seen.has(a), a).toBe(true);
    }
  }, 240_000);

  it('a trace corrupted at step k is rejected at step k, the intact one accepted', async () => {
    const g = generateTrace(4245);
    expect(g.trace.steps.length).toBeGreaterThan(12);
    const k = Math.floor(g.trace.steps.length / 2);
    const spec = traceValidationSpecOf(SNAPSHOT_GC_BINDING.spec);
    const r = await validateTraces(spec, [g.trace, corruptAt(g.trace, k)]);
    expect(r.errors).toEqual([]);
    expect(r.results[0]!.status).toBe('accepted');
    const bad = r.results[1]!;
    expect(bad.status).toBe('rejected');
    if (bad.status !== 'rejected') return;
    expect(bad.firstRejectedStep).toBe(k);
    expect(bad.action).toBe(g.trace.steps[k - 1]!.action);
  }, 240_000);

  it('the Replay.cfg state graph replays on cluster.ts with every edge and action covered',
    async () => {
      const r = await replayBinding(SNAPSHOT_GC_BINDING);
      expect(r.error).toBeUndefined();
      expect(r.mismatches).toEqual([]);
      expect(r.distinctStates).toBe(4_480);
      expect(r.edgesCovered).toBe(r.edgesTotal);
      expect(r.edgesTotal).toBeGreaterThan(10_000);
      expect(r.actionsTotal).toBe(SPEC_ACTION_NAMES.length);
      expect(r.actionsUncovered).toEqual([]);
    }, 300_000);
});
