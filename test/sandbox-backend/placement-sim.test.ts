/**
 * The placement benchmark's simulator and policies (bench/sandbox/): deterministic, its fast
 * seed mirror decides exactly as src/sandbox/placement.ts's core, and its figures obey the
 * laws they must (capacity is asserted inside the simulator on every provision).
 */
import { describe, expect, it } from 'vitest';
import { makePolicy, POLICY_NAMES } from '../../bench/sandbox/policies.ts';
import { runCell, zipfSampler, type SimParams } from '../../bench/sandbox/sim.ts';

function params(workers: number, load: number, over: Partial<SimParams> = {}): SimParams {
  return { workers, capacity: 4, functions: 4 * workers, zipfS: 1, load, execMeanMs: 100,
    keepAliveMs: 500, probeMs: 1, provisionMs: 20, maxProbes: 2, warmupMs: 1000,
    measureMs: 3000, seed: 7, ...over };
}

describe('placement simulator', () => {
  it('replays a seed exactly and changes with the seed', () => {
    const a = runCell(params(20, 0.5), makePolicy('best-of-two', 20, 2));
    const b = runCell(params(20, 0.5), makePolicy('best-of-two', 20, 2));
    const c = runCell(params(20, 0.5, { seed: 8 }), makePolicy('best-of-two', 20, 2));
    const strip = (m: typeof a) => ({ ...m, wallMs: 0, cpuMs: 0 });
    expect(strip(a)).toEqual(strip(b));
    expect(strip(c)).not.toEqual(strip(a));
    expect(a.invocations).toBeGreaterThan(1000);
  });

  it('the fast seed mirror makes the same decisions as nextPlacementStep', () => {
    for (const [workers, load] of [[5, 0.3], [5, 0.95], [30, 0.8]] as const) {
      const fast = runCell(params(workers, load), makePolicy('seed', workers, 2));
      const core = runCell(params(workers, load), makePolicy('seed-core', workers, 2));
      expect({ ...fast, wallMs: 0, cpuMs: 0 }).toEqual({ ...core, wallMs: 0, cpuMs: 0 });
    }
  });

  it('offers the load it is asked for, and the seed asks at most MaxProbes+1 when not full',
    () => {
      for (const policy of POLICY_NAMES) {
        const m = runCell(params(10, 0.3), makePolicy(policy, 10, 2));
        // one-shot random throttles when its single worker is full of busy sandboxes
        expect(m.throttled / m.invocations).toBeLessThan(policy === 'random' ? 0.1 : 0.02);
        // busy share = load × (1 + provision share × provision/exec), never below the load
        expect(m.utilisation).toBeGreaterThan(0.27);
        expect(m.utilisation).toBeLessThan(0.3 * 1.25);
      }
      const seed = runCell(params(10, 0.1), makePolicy('seed', 10, 2));
      expect(seed.asksMax).toBeLessThanOrEqual(3);
      const random = runCell(params(10, 0.1), makePolicy('random', 10, 2));
      expect(random.asksTotal).toBe(random.invocations);
    });

  it('sticky routing finds warm sandboxes more often than one random probe', () => {
    const sticky = runCell(params(50, 0.3), makePolicy('sticky', 50, 2));
    const random = runCell(params(50, 0.3), makePolicy('random', 50, 2));
    expect(sticky.warm / sticky.invocations).toBeGreaterThan(random.warm / random.invocations);
    expect(sticky.p50Ms).toBeLessThanOrEqual(random.p50Ms + 1);
  });

  it('samples Zipf ranks: rank 0 most often, every rank reachable', () => {
    const sample = zipfSampler(5, 1);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[sample((i + 0.5) / 1000)]! += 1;
    expect(counts[0]).toBeGreaterThan(counts[1]!);
    expect(counts[1]).toBeGreaterThan(counts[4]!);
    expect(counts.every((n) => n > 0)).toBe(true);
  });
});
