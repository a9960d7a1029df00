// token-bucket.ts under mutation: the config assertions on their boundaries, the charge on
// the token boundaries (a bucket holding exactly the cost pays), the spare-capacity boundary
// (exactly spareFraction full gets the reduced charge), waits, refusals, and wake-up times.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { throttle, type ThrottleConfig, type ThrottleState } from '../../src/fencing/index.ts';

/** The service bucket limits: 4 tokens, 2 per second; volumes hold 10 and refill fast. */
const serviceBound: ThrottleConfig = {
  service: { capacityTokens: 4, refillTokensPerSecond: 2 },
  perVolume: { capacityTokens: 10, refillTokensPerSecond: 100 },
  costTokens: 1,
  reducedCostTokens: 1,
  spareFraction: 2, // never spare
  queueLengthMax: 3,
};
/** The volume bucket limits: 2 tokens, 4 per second. */
const volumeBound: ThrottleConfig = {
  ...serviceBound,
  service: { capacityTokens: 100, refillTokensPerSecond: 1000 },
  perVolume: { capacityTokens: 2, refillTokensPerSecond: 4 },
};

function submitAll(st: ThrottleState, ids: readonly string[], volume: string, nowMs: number) {
  let state = st;
  const types: string[] = [];
  for (const id of ids) {
    const r = throttle.submit(state, { id, volume }, nowMs);
    state = r.state;
    types.push(...r.decisions.map((d) => `${d.type}:${d.id}`));
  }
  return { state, types };
}

describe('throttle: config assertions', () => {
  it('needs 0 < reducedCost <= cost, and cost within both capacities', () => {
    const ok = (c: Partial<ThrottleConfig>) => () => throttle.initThrottle({ ...serviceBound, ...c }, 0);
    expect(ok({ reducedCostTokens: 1, costTokens: 1 })).not.toThrow();
    expect(ok({ reducedCostTokens: 1.5, costTokens: 1 })).toThrow('0 < reducedCost <= cost');
    expect(ok({ reducedCostTokens: 0, costTokens: 0 })).toThrow('0 < reducedCost <= cost');
    expect(ok({ reducedCostTokens: -2, costTokens: -1 })).toThrow('0 < reducedCost <= cost');
    expect(ok({ costTokens: 4 })).not.toThrow();
    expect(ok({ costTokens: 5, reducedCostTokens: 1 })).toThrow('must fit in an empty bucket');
    expect(ok({ perVolume: { capacityTokens: 1, refillTokensPerSecond: 1 } })).not.toThrow();
    expect(ok({ perVolume: { capacityTokens: 0.5, refillTokensPerSecond: 1 } }))
      .toThrow('must fit in an empty bucket');
  });

  it('starts with a full service bucket, no volumes and an empty queue', () => {
    const st = throttle.initThrottle(serviceBound, 42);
    expect(st).toEqual({ config: serviceBound, service: { tokens: 4, lastMs: 42 }, volumes: {}, queue: [] });
    expect(throttle.nextWakeMs(st)).toBeNull();
  });
});

describe('throttle: charging', () => {
  it('a bucket holding exactly the cost pays; then the I/O waits', () => {
    const r = submitAll(throttle.initThrottle(serviceBound, 0), ['1', '2', '3', '4', '5'], 'a', 0);
    expect(r.types).toEqual(['admit:1', 'admit:2', 'admit:3', 'admit:4', 'delay:5']);
    expect(r.state.service).toEqual({ tokens: 0, lastMs: 0 });
    expect(r.state.volumes.a).toEqual({ tokens: 6, lastMs: 0 });
    const v = submitAll(throttle.initThrottle(volumeBound, 0), ['1', '2', '3'], 'a', 0);
    expect(v.types).toEqual(['admit:1', 'admit:2', 'delay:3']);
    expect(v.state.service.tokens).toBe(98);
  });

  it('charges the reduced cost from exactly spareFraction full, the full cost below', () => {
    const cfg: ThrottleConfig = {
      ...serviceBound,
      service: { capacityTokens: 10, refillTokensPerSecond: 1 },
      reducedCostTokens: 0.25,
      spareFraction: 0.5,
    };
    let st = throttle.initThrottle(cfg, 0);
    const charged: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = throttle.submit(st, { id: String(i), volume: 'a' }, 0);
      st = r.state;
      for (const d of r.decisions) if (d.type === 'admit') charged.push(d.chargedVolumeTokens);
    }
    // Service tokens before each I/O: 10, 9, 8, 7, 6, 5 (= 0.5 * 10), 4.
    expect(charged).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 1]);
    expect(st.service.tokens).toBe(3);
    expect(st.volumes.a?.tokens).toBe(10 - 6 * 0.25 - 1);
  });

  it('refills by elapsed time up to capacity, never backwards in time', () => {
    let st = submitAll(throttle.initThrottle(serviceBound, 0), ['1', '2', '3', '4'], 'a', 0).state;
    st = throttle.tick(st, 1000).state; // +2 tokens
    expect(throttle.submit(st, { id: 'x', volume: 'b' }, 1000).state.service)
      .toEqual({ tokens: 1, lastMs: 1000 });
    const late = throttle.submit(st, { id: 'y', volume: 'b' }, 500);
    expect(late.decisions.map((d) => d.type)).toEqual(['admit']);
    const full = throttle.submit(throttle.initThrottle(serviceBound, 0), { id: 'z', volume: 'a' }, 60_000);
    expect(full.state.service).toEqual({ tokens: 3, lastMs: 60_000 });
  });
});

describe('throttle: waiting and refusing', () => {
  it('admits a waiting I/O at the wake-up time, with the time it waited', () => {
    const st = submitAll(throttle.initThrottle(serviceBound, 0), ['1', '2', '3', '4', '5'], 'a', 0).state;
    expect(throttle.nextWakeMs(st)).toBe(500); // 1 token at 2 per second
    expect(throttle.tick(st, 499).decisions).toEqual([]);
    const r = throttle.tick(st, 500);
    expect(r.decisions).toEqual([
      { type: 'admit', id: '5', volume: 'a', chargedVolumeTokens: 1, waitedMs: 500 },
    ]);
    expect(r.state.queue).toEqual([]);
  });

  it('counts the wait from the moment the I/O was queued', () => {
    let st = submitAll(throttle.initThrottle(serviceBound, 0), ['1', '2', '3', '4'], 'a', 0).state;
    st = throttle.submit(st, { id: '5', volume: 'a' }, 100).state;
    expect(st.queue).toEqual([{ id: '5', volume: 'a', enqueuedMs: 100 }]);
    expect(throttle.tick(st, 600).decisions).toEqual([
      { type: 'admit', id: '5', volume: 'a', chargedVolumeTokens: 1, waitedMs: 500 },
    ]);
  });

  it('waits only for the tokens a bucket lacks', () => {
    const cost2 = { ...serviceBound, costTokens: 2, reducedCostTokens: 2,
      service: { capacityTokens: 5, refillTokensPerSecond: 2 } };
    const s = submitAll(throttle.initThrottle(cost2, 0), ['1', '2', '3'], 'a', 0);
    expect(s.types).toEqual(['admit:1', 'admit:2', 'delay:3']);
    expect(s.state.service.tokens).toBe(1);
    expect(throttle.nextWakeMs(s.state)).toBe(500); // 1 token short at 2 per second
    const vol = { ...volumeBound, costTokens: 2, reducedCostTokens: 2,
      perVolume: { capacityTokens: 3, refillTokensPerSecond: 4 } };
    const v = submitAll(throttle.initThrottle(vol, 0), ['1', '2'], 'a', 0);
    expect(v.types).toEqual(['admit:1', 'delay:2']);
    expect(throttle.nextWakeMs(v.state)).toBe(250); // 1 token short at 4 per second
  });

  it('computes the wake-up from the volume bucket when it is the one short', () => {
    const st = submitAll(throttle.initThrottle(volumeBound, 0), ['1', '2', '3'], 'a', 0).state;
    expect(throttle.nextWakeMs(st)).toBe(250);
    expect(throttle.tick(st, 249).decisions).toEqual([]);
    expect(throttle.tick(st, 250).decisions.map((d) => d.id)).toEqual(['3']);
  });

  it('a volume never charged yet waits for the service bucket only', () => {
    let st = submitAll(throttle.initThrottle(serviceBound, 0), ['1', '2', '3', '4'], 'a', 0).state;
    st = throttle.submit(st, { id: 'b1', volume: 'b' }, 0).state;
    expect(st.volumes.b).toBeUndefined();
    expect(throttle.nextWakeMs(st)).toBe(500);
  });

  it('refuses only beyond queueLengthMax, says so, and keeps the queue as it was', () => {
    const r = submitAll(throttle.initThrottle(serviceBound, 0),
      ['1', '2', '3', '4', '5', '6', '7', '8'], 'a', 0);
    expect(r.types).toEqual([
      'admit:1', 'admit:2', 'admit:3', 'admit:4', 'delay:5', 'delay:6', 'delay:7', 'refuse:8',
    ]);
    expect(r.state.queue.map((q) => q.id)).toEqual(['5', '6', '7']);
    const refused = throttle.submit(r.state, { id: '9', volume: 'a' }, 0);
    expect(refused.decisions).toEqual([{
      type: 'refuse', id: '9', volume: 'a', code: 'QUEUE_FULL', message: 'throttle queue full (3)',
    }]);
    expect(refused.state.queue.map((q) => q.id)).toEqual(['5', '6', '7']);
  });

  it('keeps FIFO per volume but lets another volume pass a blocked one', () => {
    let st = submitAll(throttle.initThrottle(volumeBound, 0), ['a1', 'a2', 'a3', 'a4'], 'a', 0).state;
    const b = throttle.submit(st, { id: 'b1', volume: 'b' }, 0);
    expect(b.decisions.map((d) => `${d.type}:${d.id}`)).toEqual(['admit:b1']);
    st = b.state;
    const r = throttle.tick(st, 500); // 2 tokens back for volume a
    expect(r.decisions.map((d) => d.id)).toEqual(['a3', 'a4']);
    expect(r.decisions.map((d) => d.type === 'admit' && d.waitedMs)).toEqual([500, 500]);
  });

  test.prop([
    fc.array(fc.record({ volume: fc.constantFrom('a', 'b'), gapMs: fc.nat({ max: 400 }) }),
      { minLength: 1, maxLength: 40 }),
  ])('a tick at nextWakeMs admits the I/O at the head of the queue', (ios) => {
    let st = throttle.initThrottle(serviceBound, 0);
    let nowMs = 0;
    ios.forEach((io, i) => {
      nowMs += io.gapMs;
      st = throttle.submit(st, { id: String(i), volume: io.volume }, nowMs).state;
    });
    const head = st.queue[0];
    if (head === undefined) {
      expect(throttle.nextWakeMs(st)).toBeNull();
      return;
    }
    const wakeMs = throttle.nextWakeMs(st);
    expect(wakeMs).not.toBeNull();
    expect(wakeMs!).toBeGreaterThan(nowMs - 1);
    const r = throttle.tick(st, wakeMs!);
    expect(r.decisions[0]).toMatchObject({ type: 'admit', id: head.id });
  });
});
