import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/runtime/sim/index.ts';

function draws(rng: Prng, n: number): number[] {
  return Array.from({ length: n }, () => rng.u32());
}

describe('Prng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(draws(new Prng(123), 50)).toEqual(draws(new Prng(123), 50));
    expect(draws(new Prng(123), 50)).not.toEqual(draws(new Prng(124), 50));
    expect(draws(new Prng(0), 50)).not.toEqual(draws(new Prng(0xffff_ffff), 50));
  });

  it('matches the xoshiro128** reference outputs for state [1, 2, 3, 4]', () => {
    // Worked by hand from the reference C code: rotl(s1 * 5, 7) * 9, then the state update.
    expect(draws(Prng.fromState(1, 2, 3, 4), 3)).toEqual([11520, 0, 5927040]);
    // The published sequence continues 70819200, 2031721883, 1637235492.
    const tail = draws(Prng.fromState(1, 2, 3, 4), 6).slice(3);
    expect(tail).toEqual([70819200, 2031721883, 1637235492]);
  });

  it('forks streams that do not depend on the parent draws', () => {
    const p1 = new Prng(9);
    const p2 = new Prng(9);
    draws(p2, 1000);
    expect(draws(p1.fork('net'), 20)).toEqual(draws(p2.fork('net'), 20));
    expect(draws(p1.fork('net'), 20)).not.toEqual(draws(p1.fork('node:a'), 20));
    expect(draws(p1.fork('net'), 20)).not.toEqual(draws(p1, 20));
    expect(draws(p1.fork('x').fork('y'), 10)).not.toEqual(draws(p1.fork('y').fork('x'), 10));
  });

  it('int(lo, hi) covers [lo, hi] uniformly (chi-square, 10 buckets)', () => {
    const rng = new Prng(2024);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.int(-3, 6);
      if (x < -3 || x > 6 || !Number.isInteger(x)) outside++;
      else counts[x + 3] = (counts[x + 3] ?? 0) + 1;
    }
    expect(outside).toBe(0);
    const expected = n / 10;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('float() lies in [0, 1) with mean 1/2 and chance(p) hits about p', () => {
    const rng = new Prng(77);
    let sum = 0;
    let hits = 0;
    const n = 50_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const f = rng.float();
      if (!(f >= 0 && f < 1)) outside++;
      sum += f;
      if (rng.chance(0.3)) hits++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(0.01);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  it('int handles single values and spans wider than 2^32', () => {
    const rng = new Prng(5);
    expect(rng.int(7, 7)).toBe(7);
    const big = rng.int(0, 2 ** 40);
    expect(Number.isSafeInteger(big) && big >= 0 && big <= 2 ** 40).toBe(true);
  });

  it('pick and shuffle draw from the input without changing it', () => {
    const rng = new Prng(3);
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(rng.pick(items));
    expect([...seen].sort()).toEqual(items);
    const shuffled = rng.shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shuffled.slice().sort()).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });

  it('rejects bad arguments as assertion failures', () => {
    expect(() => new Prng(-1)).toThrow(/seed/);
    expect(() => new Prng(2 ** 32)).toThrow(/seed/);
    expect(() => new Prng(1.5)).toThrow(/seed/);
    const rng = new Prng(1);
    expect(() => rng.int(5, 4)).toThrow(/lo <= hi/);
    expect(() => rng.chance(1.5)).toThrow(/chance/);
    expect(() => rng.pick([])).toThrow(/empty/);
  });

  it('no simulator source uses Math.random', () => {
    const root = join(import.meta.dirname, '../../src/runtime/sim');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toMatch(/Math\.random\s*\(/);
  });
});
