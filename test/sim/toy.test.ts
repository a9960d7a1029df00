/**
 * The machinery catches a real bug: fast-check chooses seeds and fault plans for the ticket
 * service; the buggy variant (persist after issuing) is found and shrunk to a small plan, and
 * the correct variant (reserve before issuing) survives the same search.
 */
import { describe, expect, it } from 'vitest';
import {
  checkSimProperty, faultPlanArb, replay, simProperty,
} from '../../src/runtime/sim/index.ts';
import { ticketService } from '../../src/runtime/sim/examples/ticket.ts';

const nodes = ['server', 'c1', 'c2'];

function optionsFor(variant: 'reserve-ahead' | 'persist-behind') {
  const t = ticketService({ clients: 2, variant, maxRequests: 12, recordTickets: true,
    check: ['UniqueTickets'] });
  return { ...t, network: { delay: { kind: 'uniform', minMs: 1, maxMs: 10 } } as const,
    maxSteps: 3_000 };
}

const faults = faultPlanArb({ nodes, horizonMs: 300, maxFaults: 5,
  kinds: ['crash', 'pause', 'partition', 'network'] });

describe('toy protocol: ticket service under fast-check fault plans', () => {
  it('finds the persist-behind bug, shrinks it, and the shrunk case replays', () => {
    const outcome = checkSimProperty({
      options: optionsFor('persist-behind'), faults, params: { numRuns: 300, seed: 42 },
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const f = outcome.failure;
    expect(f.violated).toEqual(['UniqueTickets']);
    // Shrunk: one crash/restart of the server is all it takes.
    const kinds = f.plan.faults.map((e) => e.fault.type);
    expect(kinds).toContain('crash');
    expect(f.plan.faults.length).toBeLessThanOrEqual(2);
    expect(f.plan.faults.every((e) => !('node' in e.fault) || e.fault.node === 'server'))
      .toBe(true);
    expect(outcome.numShrinks).toBeGreaterThan(0);
    expect(outcome.report).toContain(`seed=${f.seed}`);
    expect(outcome.report).toContain('"type":"crash"');
    const again = replay(optionsFor('persist-behind'), f.seed, f.plan);
    expect(!again.ok && again.failure.step).toBe(f.step);
    expect(!again.ok && again.failure.logHash).toBe(f.logHash);
  });

  it('without faults the bug stays hidden (the fault plans are what find it)', () => {
    const outcome = checkSimProperty({ options: optionsFor('persist-behind'),
      params: { numRuns: 100, seed: 42 } });
    expect(outcome.ok).toBe(true);
  });

  it('the reserve-ahead variant passes the same search', () => {
    const outcome = checkSimProperty({
      options: optionsFor('reserve-ahead'), faults, params: { numRuns: 300, seed: 42 },
    });
    expect(outcome.ok ? 'ok' : outcome.report).toBe('ok');
  });

  it('simProperty throws a report naming the seed and the plan', () => {
    expect(() => simProperty({ options: optionsFor('persist-behind'), faults,
      params: { numRuns: 300, seed: 7 } })).toThrow(/replay: seed=\d+ plan=\{"faults":\[/);
    expect(() => simProperty({ options: optionsFor('reserve-ahead'), faults,
      params: { numRuns: 50, seed: 7 } })).not.toThrow();
  });
});
