import { describe, expect, it } from 'vitest';
import { Simulation, runSim } from '../../src/runtime/sim/index.ts';
import type { Fault } from '../../src/runtime/sim/index.ts';
import { at, options } from './harness.ts';
import type { Input } from './harness.ts';

const set = (name: string, afterMs: number) => ({ type: 'setTimer' as const, name, afterMs });
const cancel = (name: string) => ({ type: 'cancelTimer' as const, name });

function run(inputs: { atMs: number; node: string; input: Input }[], faults: {
  atMs: number; fault: Fault }[] = []) {
  const sim = new Simulation(options(), 1, { faults, inputs });
  const result = sim.run();
  return { sim, result };
}

describe('timers', () => {
  it('fire at set time + afterMs, in time order', () => {
    const { sim, result } = run([at(5, 'a', set('late', 30), set('early', 10))]);
    expect(result.ok).toBe(true);
    expect(sim.node('a').durable.seen).toEqual(['timer:early@15', 'timer:late@35']);
    expect(result.stats.timersFired).toBe(2);
    expect(sim.node('a').timerNames()).toEqual([]);
  });

  it('re-arming a timer replaces it; cancelling disarms it', () => {
    const { sim } = run([
      at(0, 'a', set('t', 10)),
      at(5, 'a', set('t', 20)), // replaces: fires at 25, not 10
      at(0, 'b', set('u', 10), set('v', 10)),
      at(3, 'b', cancel('u'), cancel('nothing')),
    ]);
    expect(sim.node('a').durable.seen).toEqual(['timer:t@25']);
    expect(sim.node('b').durable.seen).toEqual(['timer:v@10']);
  });

  it('armed timers are visible until they fire', () => {
    const sim = new Simulation(options(), 1, { faults: [], inputs: [at(0, 'a', set('x', 50))] });
    const first = sim.step();
    expect(first?.kind).toBe('input');
    expect(sim.node('a').timerNames()).toEqual(['x']);
    const second = sim.step();
    expect(second).toMatchObject({ kind: 'timer', node: 'a', name: 'x', atMs: 50 });
    expect(sim.node('a').timerNames()).toEqual([]);
  });

  it('timers of a crashed node vanish and do not fire after restart', () => {
    const { sim, result } = run([at(0, 'a', set('t', 100))], [
      { atMs: 10, fault: { type: 'crash', node: 'a' } },
      { atMs: 20, fault: { type: 'restart', node: 'a' } },
    ]);
    expect(result.ok).toBe(true);
    expect(result.stats.timersFired).toBe(0);
    expect(sim.node('a').durable.seen).toEqual([]);
    expect(sim.nowMs).toBe(20); // nothing ran at 100
  });

  it('timers due while paused fire on resume, in their order', () => {
    const { sim } = run([at(0, 'a', set('t1', 10), set('t2', 20))], [
      { atMs: 5, fault: { type: 'pause', node: 'a' } },
      { atMs: 50, fault: { type: 'resume', node: 'a' } },
    ]);
    expect(sim.node('a').durable.seen).toEqual(['timer:t1@50', 'timer:t2@50']);
    expect(sim.stats.held).toBe(2);
  });

  it('a negative or fractional delay is a bug reported as an exception failure', () => {
    const r = runSim(options(), 1, { faults: [], inputs: [at(0, 'a', set('t', -1))] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe('exception');
      expect(r.failure.message).toMatch(/afterMs/);
    }
    const r2 = runSim(options(), 1, { faults: [], inputs: [at(0, 'a', set('t', 0.5))] });
    expect(r2.ok).toBe(false);
  });

  it('the number of armed timers per node is bounded', () => {
    const many = Array.from({ length: 5 }, (_, i) => set(`t${i}`, 10));
    const r = runSim(options({ maxTimersPerNode: 4 }), 1, { faults: [],
      inputs: [at(0, 'a', ...many)] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failure.message).toMatch(/exceeds 4 timers/);
    const ok = runSim(options({ maxTimersPerNode: 5 }), 1, { faults: [],
      inputs: [at(0, 'a', ...many)] });
    expect(ok.ok).toBe(true);
  });
});
