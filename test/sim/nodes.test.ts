import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/runtime/sim/index.ts';
import type { SimEvent } from '../../src/runtime/sim/index.ts';
import { at, options, send } from './harness.ts';
import type { Input, Msg } from './harness.ts';

describe('nodes: crash, restart, pause', () => {
  it('a crash keeps durable state and loses volatile state; restart runs recover', () => {
    const events: SimEvent<Msg, Input>[] = [];
    const sim = new Simulation(options({ onStep: (e) => void events.push(e) }), 1, {
      faults: [
        { atMs: 20, fault: { type: 'crash', node: 'b' } },
        { atMs: 30, fault: { type: 'restart', node: 'b' } },
      ],
      inputs: [at(0, 'a', send('b', 'one')), at(35, 'a', send('b', 'two'))],
    });
    sim.step(); // input at a
    sim.step(); // delivery at b
    expect(sim.node('b').volatile?.seen).toEqual(['msg:a:one@10']);
    sim.step(); // crash
    const b = sim.node('b');
    expect(b.status).toBe('crashed');
    expect(b.volatile).toBeUndefined();
    expect(b.durable.seen).toEqual(['msg:a:one@10']);
    sim.run();
    const after = sim.node('b');
    expect(after.status).toBe('up');
    expect(after.incarnation).toBe(1);
    expect(after.durable).toEqual({ seen: ['msg:a:one@10', 'msg:a:two@45'], recoveries: 1 });
    expect(after.volatile).toEqual({ seen: ['msg:a:two@45'], incarnation: 1 });
    expect(events.map((e) => e.kind)).toEqual(['input', 'deliver', 'crash', 'restart', 'input',
      'deliver']);
  });

  it('faults that do not apply are recorded as not effective and change nothing', () => {
    const events: SimEvent<Msg, Input>[] = [];
    const sim = new Simulation(options({ onStep: (e) => void events.push(e) }), 1, {
      faults: [
        { atMs: 1, fault: { type: 'restart', node: 'a' } },
        { atMs: 2, fault: { type: 'resume', node: 'a' } },
        { atMs: 3, fault: { type: 'crash', node: 'a' } },
        { atMs: 4, fault: { type: 'crash', node: 'a' } },
        { atMs: 5, fault: { type: 'pause', node: 'a' } },
      ],
    });
    sim.run();
    const flags = events.map((e) => ('effective' in e ? e.effective : null));
    expect(flags).toEqual([false, false, true, false, false]);
    expect(sim.node('a').incarnation).toBe(0);
    expect(sim.node('a').status).toBe('crashed');
  });

  it('a paused node handles nothing until resumed, then everything held', () => {
    const sim = new Simulation(options(), 1, {
      faults: [
        { atMs: 5, fault: { type: 'pause', node: 'b' } },
        { atMs: 40, fault: { type: 'resume', node: 'b' } },
      ],
      inputs: [at(0, 'a', send('b', 'm')), at(20, 'b', send('c', 'late'))],
    });
    sim.run();
    expect(sim.node('b').durable.seen).toEqual(['msg:a:m@40']);
    expect(sim.node('c').durable.seen).toEqual(['msg:b:late@50']); // the input ran at 40
  });

  it('init runs for every node in order and its effects take place', () => {
    const sim = new Simulation(
      options({
        behavior: {
          init: (id) => ({ durable: { seen: [], recoveries: 0 }, volatile: { seen: [],
            incarnation: 0 }, effects: id === 'a' ? [send('c', 'hello')] : [] }),
          recover: () => ({ volatile: { seen: [], incarnation: 0 } }),
          onMessage: (n, from, m, ctx) => ({ durable: { ...n.durable,
            seen: [`${from}:${m.tag}@${ctx.nowMs}`] } }),
          onTimer: () => ({}),
          onInput: () => ({}),
        },
      }),
      1,
      { faults: [] },
    );
    const r = sim.run();
    expect(r.ok && r.stop).toBe('quiescent');
    expect(sim.node('c').durable.seen).toEqual(['a:hello@10']);
  });
});
