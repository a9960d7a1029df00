import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FaultPlanSchema, faultPlanArb, inputsArb, parseFaultPlan, simSeedArb, validatePlan,
} from '../../src/runtime/sim/index.ts';

const nodes = ['n1', 'n2', 'n3'];

describe('fault plans', () => {
  it('faultPlanArb yields valid, time-sorted plans over the given nodes, within bounds', () => {
    fc.assert(
      fc.property(faultPlanArb({ nodes, horizonMs: 500, maxFaults: 6, permanentCrashes: true }),
        (plan) => {
          expect(FaultPlanSchema.safeParse(plan).success).toBe(true);
          expect(validatePlan({ faults: plan }, nodes)).toBeUndefined();
          expect(plan.length).toBeLessThanOrEqual(12);
          for (let i = 1; i < plan.length; i++) {
            expect(plan[i]!.atMs).toBeGreaterThanOrEqual(plan[i - 1]!.atMs);
          }
          for (const e of plan) expect(e.atMs).toBeLessThanOrEqual(500 + 250);
        }),
      { numRuns: 200, seed: 1 },
    );
  });

  it('every episode kind is generated, and each non-permanent fault is undone later', () => {
    const kinds = new Set<string>();
    fc.assert(
      fc.property(faultPlanArb({ nodes, horizonMs: 100, maxFaults: 3 }), (plan) => {
        for (const e of plan) kinds.add(e.fault.type);
        const crashes = plan.filter((e) => e.fault.type === 'crash').length;
        const restarts = plan.filter((e) => e.fault.type === 'restart').length;
        expect(restarts).toBe(crashes);
      }),
      { numRuns: 300, seed: 2 },
    );
    for (const k of ['crash', 'restart', 'pause', 'resume', 'partition', 'heal', 'isolate',
      'rejoin', 'network']) {
      expect(kinds.has(k)).toBe(true);
    }
  });

  it('simSeedArb covers the 32-bit range', () => {
    const seeds = fc.sample(simSeedArb, { numRuns: 2000, seed: 3 });
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffff_ffff)).toBe(true);
    expect(seeds.some((s) => s > 0x7fff_ffff)).toBe(true);
  });

  it('inputsArb sorts inputs by time', () => {
    const arb = inputsArb(nodes, fc.nat(9), { horizonMs: 50, maxInputs: 8 });
    for (const xs of fc.sample(arb, { numRuns: 100, seed: 4 })) {
      expect(xs.map((x) => x.atMs)).toEqual([...xs].map((x) => x.atMs).sort((a, b) => a - b));
    }
  });

  it('parseFaultPlan accepts a JSON round trip and rejects bad input with a code', () => {
    const plan = fc.sample(faultPlanArb({ nodes, horizonMs: 100, maxFaults: 4 }),
      { numRuns: 1, seed: 9 })[0];
    const parsed = parseFaultPlan(JSON.parse(JSON.stringify(plan)));
    expect(parsed).toEqual({ ok: true, plan });
    const bad = parseFaultPlan([{ atMs: -1, fault: { type: 'crash', node: 'n1' } }]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('bad-plan');
      expect(bad.error.message).toMatch(/0\.atMs/);
    }
    expect(parseFaultPlan([{ atMs: 1, fault: { type: 'explode' } }]).ok).toBe(false);
    expect(parseFaultPlan({}).ok).toBe(false);
  });

  it('validatePlan rejects duplicate or empty node sets', () => {
    expect(validatePlan({ faults: [] }, ['a', 'a'])?.message).toMatch(/duplicate/);
    expect(validatePlan({ faults: [] }, [])?.code).toBe('bad-plan');
  });
});
