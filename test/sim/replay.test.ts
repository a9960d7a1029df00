import { describe, expect, it } from 'vitest';
import {
  LogHasher, Prng, Simulation, describeFailure, invariantsFrom, replay, runSim,
} from '../../src/runtime/sim/index.ts';
import type { FaultPlan, SimOptions } from '../../src/runtime/sim/index.ts';
import { ticketService } from '../../src/runtime/sim/examples/ticket.ts';
import type {
  TicketDurable, TicketMsg, TicketVolatile,
} from '../../src/runtime/sim/examples/ticket.ts';
import { at, options, send } from './harness.ts';

type TicketOptions = SimOptions<TicketMsg, TicketDurable, TicketVolatile, never>;

function ticketOptions(variant: 'reserve-ahead' | 'persist-behind'): TicketOptions {
  const t = ticketService({ clients: 3, variant, maxRequests: 30, recordTickets: true });
  return {
    ...t,
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 15 }, lossRate: 0.05, dupRate: 0.05 },
    maxSteps: 5_000,
  };
}

/** A plan with random faults, built from a seed (so the test covers many plans). */
function randomPlan(seed: number): FaultPlan {
  const rng = new Prng(seed).fork('plan');
  const plan: FaultPlan = [];
  let t = 0;
  for (let i = 0; i < 4; i++) {
    t += rng.int(10, 200);
    const node = rng.pick(['server', 'c1', 'c2', 'c3']);
    const kind = rng.pick(['crash', 'pause'] as const);
    plan.push({ atMs: t, fault: { type: kind, node } });
    plan.push({ atMs: t + rng.int(1, 80), fault: { type: kind === 'crash' ? 'restart' : 'resume',
      node } });
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

describe('determinism and replay', () => {
  it('the same seed and plan give the same event log, byte for byte, over many seeds', () => {
    const all = new LogHasher();
    const again = new LogHasher();
    const hashes = new Set<string>();
    for (let seed = 0; seed < 150; seed++) {
      const plan = { faults: randomPlan(seed) };
      const r1 = runSim(ticketOptions('reserve-ahead'), seed, plan);
      const r2 = runSim(ticketOptions('reserve-ahead'), seed, plan);
      expect(r1.ok).toBe(true);
      expect(r2.logHash).toBe(r1.logHash);
      expect(r2.steps).toBe(r1.steps);
      all.addText(r1.logHash);
      again.addText(r2.logHash);
      hashes.add(r1.logHash);
    }
    expect(again.digest()).toBe(all.digest());
    expect(hashes.size).toBe(150); // different seeds give different runs
  });

  it('the hash covers the full event text (onStep JSON gives the same log twice)', () => {
    const record = (): string[] => {
      const lines: string[] = [];
      const opts = { ...ticketOptions('reserve-ahead'),
        onStep: (e: unknown) => void lines.push(JSON.stringify(e)) };
      runSim(opts, 99, { faults: randomPlan(99) });
      return lines;
    };
    const a = record();
    expect(a.length).toBeGreaterThan(100);
    expect(record()).toEqual(a);
  });

  it('an invariant violation stops the run; the seed and plan replay the same failure', () => {
    let found = 0;
    for (let seed = 0; seed < 40 && found < 5; seed++) {
      const plan = { faults: randomPlan(seed) };
      const r = runSim(ticketOptions('persist-behind'), seed, plan);
      if (r.ok) continue;
      found++;
      const f = r.failure;
      expect(f.code).toBe('invariant');
      expect(f.seed).toBe(seed);
      expect(f.plan).toEqual(plan);
      expect(f.violated.length).toBeGreaterThan(0);
      expect(f.lastEvents.at(-1)?.step).toBe(f.step);
      expect(r.steps).toBe(f.step); // nothing ran after the failing step
      const again = replay(ticketOptions('persist-behind'), f.seed, f.plan);
      expect(again.ok).toBe(false);
      if (!again.ok) {
        expect(again.failure.step).toBe(f.step);
        expect(again.failure.violations).toEqual(f.violations);
        expect(again.failure.logHash).toBe(f.logHash);
        expect(again.failure.lastEvents).toEqual(f.lastEvents);
      }
      expect(describeFailure(f)).toContain(`seed=${seed}`);
    }
    expect(found).toBeGreaterThan(0);
  });

  it('the event log in a failure is bounded', () => {
    const opts = { ...ticketOptions('persist-behind'), eventLogSize: 7 };
    const r = runSim(opts, 3, { faults: [
      { atMs: 150, fault: { type: 'crash', node: 'server' } },
      { atMs: 160, fault: { type: 'restart', node: 'server' } }] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.lastEvents.length).toBe(7);
      expect(r.failure.lastEvents.map((e) => e.step)).toEqual(
        Array.from({ length: 7 }, (_, i) => r.failure.step - 6 + i));
    }
  });

  it('step() returns events with consecutive numbers and non-decreasing time', () => {
    const seen: number[] = [];
    const sim = new Simulation({ ...ticketOptions('reserve-ahead'),
      onStep: (e) => void seen.push(e.step) }, 5, { faults: randomPlan(5) });
    let last = 0;
    let lastMs = 0;
    for (let e = sim.step(); e !== undefined; e = sim.step()) {
      expect(e.step).toBe(last + 1);
      expect(e.atMs).toBeGreaterThanOrEqual(lastMs);
      last = e.step;
      lastMs = e.atMs;
    }
    expect(seen.length).toBe(last);
    expect(sim.stopped).toBe('quiescent');
    expect(sim.step()).toBeUndefined();
  });

  it('stops at maxSteps and maxTimeMs', () => {
    const bySteps = runSim({ ...ticketOptions('reserve-ahead'), maxSteps: 17 }, 1);
    expect(bySteps.ok && bySteps.stop).toBe('max-steps');
    expect(bySteps.steps).toBe(17);
    const byTime = runSim({ ...ticketOptions('reserve-ahead'), maxTimeMs: 100 }, 1);
    expect(byTime.ok && byTime.stop).toBe('max-time');
    expect(byTime.nowMs).toBeLessThanOrEqual(100);
  });

  it('start() runs init once and onInit sees the initial world (a trace first state)', () => {
    let initial: unknown;
    const sim = new Simulation({ ...ticketOptions('reserve-ahead'),
      onInit: (w) => { initial = w.node('server').durable; } }, 1, { faults: [] });
    expect(sim.start()).toBe(true);
    expect(initial).toEqual({ role: 'server', reserved: 0 });
    expect(sim.stepCount).toBe(0);
    expect(sim.node('c1').timerNames()).toEqual(['next']);
    expect(sim.start()).toBe(true); // idempotent: no second init
    expect(sim.step()?.step).toBe(1);
  });

  it('the log hash tells apart type, value and key order, and misses nothing', () => {
    const h = (x: unknown): string => {
      const hasher = new LogHasher();
      hasher.add(x);
      return hasher.digest();
    };
    const variants = [1, '1', 1.5, true, null, undefined, [1], { a: 1 }, { a: 2 }, { b: 1 },
      { a: 1, b: 2 }, { b: 2, a: 1 }, [[1], 2], [1, [2]], 10n, 'ab', ['a', 'b']];
    expect(new Set(variants.map(h)).size).toBe(variants.length);
    expect(h({ m: { t: 'x', n: 3 } })).toBe(h({ m: { t: 'x', n: 3 } }));
  });

  it('invariants are checked after init (step 0) too', () => {
    const r = runSim(options({ invariants: invariantsFrom({ Never: () => false }) }), 1);
    expect(!r.ok && r.failure.step).toBe(0);
    expect(!r.ok && r.failure.violated).toEqual(['Never']);
  });

  it('invariantsFrom reports names and details of the failing predicates only', () => {
    const check = invariantsFrom({ Holds: () => true, Fails: () => false, Says: () => 'why' });
    const sim = new Simulation(options(), 1, { faults: [] });
    expect(check(sim)).toEqual([{ name: 'Fails' }, { name: 'Says', detail: 'why' }]);
  });

  it('an exception in a handler becomes a replayable exception failure', () => {
    const base = options();
    const opts = { ...base, behavior: { ...base.behavior,
      onMessage: () => { throw new Error('boom'); } } };
    const plan = { faults: [], inputs: [at(3, 'a', send('b', 'x'))] };
    const r = runSim(opts, 11, plan);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe('exception');
      expect(r.failure.message).toMatch(/boom/);
      expect(r.failure.step).toBe(1); // the delivery was step 2 and did not complete
      expect(replay(opts, 11, plan)).toEqual(r);
    }
  });
});
