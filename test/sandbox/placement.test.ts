import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { nextPlacementStep } from '../../src/sandbox/index.ts';

const workers = ['w1', 'w2', 'w3', 'w4'];

describe('nextPlacementStep (the seed policy)', () => {
  it('probes below the threshold, provisions at it, throttles when all were asked', () => {
    const first = () => 0;
    expect(nextPlacementStep({ workers, asked: [], maxProbes: 2 }, first))
      .toEqual({ kind: 'probe', worker: 'w1' });
    expect(nextPlacementStep({ workers, asked: ['w1'], maxProbes: 2 }, first))
      .toEqual({ kind: 'probe', worker: 'w2' });
    expect(nextPlacementStep({ workers, asked: ['w1', 'w3'], maxProbes: 2 }, first))
      .toEqual({ kind: 'provision', worker: 'w2' });
    expect(nextPlacementStep({ workers, asked: ['w4', 'w3', 'w1', 'w2'], maxProbes: 2 }, first))
      .toEqual({ kind: 'throttle' });
  });

  it('draws among the workers not yet asked, through the driver randomness', () => {
    const seen: number[] = [];
    const step = nextPlacementStep({ workers, asked: ['w2'], maxProbes: 0 }, (n) => {
      seen.push(n);
      return 2;
    });
    expect(seen).toEqual([3]);
    expect(step).toEqual({ kind: 'provision', worker: 'w4' });
  });

  it('rejects a randomIndex out of range and a bad threshold (bugs, thrown)', () => {
    expect(() => nextPlacementStep({ workers, asked: [], maxProbes: 1 }, () => 4)).toThrow();
    expect(() => nextPlacementStep({ workers, asked: [], maxProbes: -1 }, () => 0)).toThrow();
  });

  test.prop([fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 9 }),
    fc.array(fc.nat(), { minLength: 9, maxLength: 9 })])(
    'a full placement asks each worker once, probes at most maxProbes, then throttles',
    (n, maxProbes, draws) => {
      const ws = Array.from({ length: n }, (_, i) => `w${i}`);
      const asked: string[] = [];
      let probes = 0;
      for (let i = 0; ; i++) {
        const step = nextPlacementStep({ workers: ws, asked, maxProbes },
          (m) => (draws[i % draws.length] ?? 0) % m);
        if (step.kind === 'throttle') break;
        expect(asked).not.toContain(step.worker);
        if (step.kind === 'probe') probes++;
        else expect(asked.length).toBeGreaterThanOrEqual(maxProbes);
        asked.push(step.worker);
      }
      expect(new Set(asked).size).toBe(n);
      expect(probes).toBe(Math.min(n, maxProbes));
    });
});
