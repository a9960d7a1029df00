import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { throttle, type ThrottleConfig, type ThrottleDecision } from '../../src/fencing/index.ts';

const config: ThrottleConfig = {
  service: { capacityTokens: 20, refillTokensPerSecond: 100 },
  perVolume: { capacityTokens: 10, refillTokensPerSecond: 50 },
  costTokens: 1,
  reducedCostTokens: 0.5,
  spareFraction: 0.5,
  queueLengthMax: 8,
};

describe('token buckets', () => {
  test.prop([
    fc.array(fc.record({ volume: fc.constantFrom('a', 'b', 'c'), gapMs: fc.nat({ max: 30 }) }), {
      maxLength: 200,
    }),
  ])('never lose an I/O: each gets one final decision, admitted ones in FIFO per volume', (ios) => {
    let st = throttle.initThrottle(config, 0);
    let nowMs = 0;
    const decisions: ThrottleDecision[] = [];
    ios.forEach((io, i) => {
      nowMs += io.gapMs;
      const r = throttle.submit(st, { id: String(i), volume: io.volume }, nowMs);
      st = r.state;
      decisions.push(...r.decisions);
    });
    for (let guard = 0; st.queue.length > 0 && guard < 1000; guard++) {
      nowMs = Math.max(nowMs + 1, throttle.nextWakeMs(st) ?? nowMs);
      const r = throttle.tick(st, nowMs);
      st = r.state;
      decisions.push(...r.decisions);
    }
    const final = decisions.filter((d) => d.type !== 'delay');
    expect(final.map((d) => Number(d.id)).sort((x, y) => x - y)).toEqual(ios.map((_, i) => i));
    for (const v of ['a', 'b', 'c']) {
      const admits = final.filter((d) => d.type === 'admit' && d.volume === v);
      const order = admits.map((d) => Number(d.id));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
  });

  /** Admissions over durationMs with the queue kept non-empty (sustained demand). */
  function admittedUnderLoad(cfg: ThrottleConfig, durationMs: number): number {
    let st = throttle.initThrottle(cfg, 0);
    let admitted = 0;
    for (let t = 0; t <= durationMs; t += 1) {
      const r = st.queue.length < 4
        ? throttle.submit(st, { id: `io${t}`, volume: 'a' }, t)
        : throttle.tick(st, t);
      st = r.state;
      admitted += r.decisions.filter((d) => d.type === 'admit').length;
    }
    return admitted;
  }

  it('admits at the volume rate when the reduced charge never applies', () => {
    const admitted = admittedUnderLoad({ ...config, spareFraction: 2 }, 10_000);
    const expected = 10 + (50 * 10_000) / 1000; // burst capacity + volume refill
    expect(Math.abs(admitted - expected) / expected).toBeLessThan(0.01);
  });

  it('lets one volume burst on spare service capacity, up to the service rate', () => {
    // The service bucket settles at the spare level; the volume pays the reduced cost, so
    // 50 volume tokens/s buy 100 I/Os/s: the service rate (100 tokens/s) sets the pace.
    const admitted = admittedUnderLoad(config, 10_000);
    const expected = 20 + (100 * 10_000) / 1000;
    expect(Math.abs(admitted - expected) / expected).toBeLessThan(0.02);
  });

  it('charges the reduced cost while the service bucket has spare capacity', () => {
    const st = throttle.initThrottle(config, 0);
    const r = throttle.submit(st, { id: 'x', volume: 'a' }, 0);
    const admit = expect.objectContaining({ type: 'admit', chargedVolumeTokens: 0.5 });
    expect(r.decisions).toEqual([admit]);
  });

  it('refuses, and says so, only when the queue is full', () => {
    let st = throttle.initThrottle({ ...config, queueLengthMax: 2 }, 0);
    const types: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = throttle.submit(st, { id: String(i), volume: 'a' }, 0);
      st = r.state;
      types.push(...r.decisions.map((d) => d.type));
    }
    expect(types.filter((t) => t === 'delay')).toHaveLength(2);
    expect(types.filter((t) => t === 'refuse').length).toBeGreaterThan(0);
    const count = (type: string) => types.filter((t) => t === type).length;
    expect(count('admit') + count('delay') + count('refuse')).toBe(40);
  });
});
