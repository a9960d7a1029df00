import { describe, expect, it } from 'vitest';
import { Simulation, runSim } from '../../src/runtime/sim/index.ts';
import type { FaultEntry, NetworkConfigInput, SimEvent } from '../../src/runtime/sim/index.ts';
import { at, options, send } from './harness.ts';
import type { Input, Msg } from './harness.ts';

type Ev = SimEvent<Msg, Input>;

/** a sends `n` messages to b at time 0 (tags 0..n-1); returns the sim after the run. */
function burst(n: number, network: NetworkConfigInput, faults: FaultEntry[] = [], seed = 1) {
  const effects = Array.from({ length: n }, (_, i) => send('b', String(i)));
  const events: Ev[] = [];
  const sim = new Simulation(options({ network, onStep: (e) => void events.push(e) }), seed,
    { faults, inputs: [at(0, 'a', ...effects)] });
  const result = sim.run();
  expect(result.ok).toBe(true);
  const tags = sim.node('b').durable.seen.map((line) => Number(line.split(':')[2]?.split('@')[0]));
  return { sim, result, events, tags };
}

describe('network', () => {
  it('fixed delay: a message arrives exactly delay ms after it is sent', () => {
    const { sim } = burst(1, { delay: { kind: 'fixed', ms: 7 } });
    expect(sim.node('b').durable.seen).toEqual(['msg:a:0@7']);
  });

  it('loses about lossRate of the messages and reports each loss on the sending step', () => {
    const { result, events, tags } = burst(4000, { lossRate: 0.25 });
    const lost = result.stats.dropped.lost;
    expect(Math.abs(lost / 4000 - 0.25)).toBeLessThan(0.03);
    expect(tags.length + lost).toBe(4000);
    const input = events.find((e) => e.kind === 'input');
    expect(input?.kind === 'input' && input.drops?.length).toBe(lost);
  });

  it('duplicates about dupRate of the messages; copies share the message id', () => {
    const { result, events, tags } = burst(4000, { dupRate: 0.2 });
    expect(Math.abs(result.stats.duplicated / 4000 - 0.2)).toBeLessThan(0.03);
    expect(tags.length).toBe(4000 + result.stats.duplicated);
    const ids = events.flatMap((e) => (e.kind === 'deliver' ? [e.msgId] : []));
    expect(new Set(ids).size).toBe(4000);
  });

  it('random delays reorder messages; fifo links keep send order', () => {
    const network = { delay: { kind: 'uniform', minMs: 1, maxMs: 50 } } as const;
    const loose = burst(200, network).tags;
    expect(loose).not.toEqual([...loose].sort((x, y) => x - y));
    const fifo = burst(200, { ...network, fifo: true }).tags;
    expect(fifo).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('explicit reorder delays some messages past later ones', () => {
    const base = { delay: { kind: 'fixed', ms: 5 } } as const;
    const inOrder = burst(100, base).tags;
    expect(inOrder).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const shuffled = burst(100, { ...base, reorder: { rate: 0.3, extraMsMax: 40 } }).tags;
    expect(shuffled).not.toEqual(inOrder);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(inOrder);
  });

  it('exponential delays stay within maxMs', () => {
    const { events } = burst(500, { delay: { kind: 'exponential', meanMs: 10, maxMs: 25 } });
    const times = events.flatMap((e) => (e.kind === 'deliver' ? [e.atMs] : []));
    expect(Math.max(...times)).toBeLessThanOrEqual(25);
    expect(new Set(times).size).toBeGreaterThan(10);
  });

  it('a partition blocks one direction only, until healed', () => {
    const sim = new Simulation(options(), 1, {
      faults: [
        { atMs: 0, fault: { type: 'partition', from: 'a', to: 'b' } },
        { atMs: 50, fault: { type: 'heal', from: 'a', to: 'b' } },
      ],
      inputs: [
        at(10, 'a', send('b', 'blocked')),
        at(10, 'b', send('a', 'open')),
        at(60, 'a', send('b', 'healed')),
      ],
    });
    const r = sim.run();
    expect(sim.node('b').durable.seen).toEqual(['msg:a:healed@70']);
    expect(sim.node('a').durable.seen).toEqual(['msg:b:open@20']);
    expect(r.stats.dropped.partitioned).toBe(1);
  });

  it('a message in flight when a partition starts is dropped on arrival', () => {
    const events: Ev[] = [];
    const sim = new Simulation(options({ onStep: (e) => void events.push(e) }), 1, {
      faults: [{ atMs: 5, fault: { type: 'partition', from: 'a', to: 'b' } }],
      inputs: [at(0, 'a', send('b', 'x'))],
    });
    sim.run();
    expect(sim.node('b').durable.seen).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'drop', node: 'b', from: 'a',
      reason: 'partitioned', what: 'message', atMs: 10 });
  });

  it('isolate blocks every link of a node; rejoin and healAll restore them', () => {
    const sim = new Simulation(options(), 1, {
      faults: [
        { atMs: 0, fault: { type: 'isolate', node: 'c' } },
        { atMs: 100, fault: { type: 'rejoin', node: 'c' } },
        { atMs: 200, fault: { type: 'isolate', node: 'a' } },
        { atMs: 300, fault: { type: 'healAll' } },
      ],
      inputs: [
        at(10, 'a', send('c', '1')), at(10, 'c', send('b', '2')), at(10, 'a', send('b', '3')),
        at(110, 'a', send('c', '4')), at(210, 'b', send('a', '5')), at(310, 'b', send('a', '6')),
      ],
    });
    sim.run();
    expect(sim.node('c').durable.seen).toEqual(['msg:a:4@120']);
    expect(sim.node('b').durable.seen).toEqual(['msg:a:3@20']);
    expect(sim.node('a').durable.seen).toEqual(['msg:b:6@320']);
    expect(sim.isBlocked('a', 'b')).toBe(false);
  });

  it('messages to a paused node are held and delivered in order on resume', () => {
    const { sim, result } = burst(5, { delay: { kind: 'uniform', minMs: 1, maxMs: 30 },
      fifo: true }, [
      { atMs: 0, fault: { type: 'pause', node: 'b' } },
      { atMs: 100, fault: { type: 'resume', node: 'b' } },
    ]);
    expect(sim.node('b').durable.seen).toEqual(['0', '1', '2', '3', '4'].map(
      (t) => `msg:a:${t}@100`));
    expect(result.stats.held).toBe(5);
    expect(sim.inFlight).toBe(0);
  });

  it('a crash while paused loses the held messages', () => {
    const { sim, result } = burst(3, {}, [
      { atMs: 0, fault: { type: 'pause', node: 'b' } },
      { atMs: 50, fault: { type: 'crash', node: 'b' } },
      { atMs: 60, fault: { type: 'restart', node: 'b' } },
    ]);
    expect(sim.node('b').durable.seen).toEqual([]);
    expect(result.stats.dropped.crashed).toBe(3);
    expect(sim.inFlight).toBe(0);
  });

  it('messages and inputs to a crashed node are dropped as steps', () => {
    const events: Ev[] = [];
    const sim = new Simulation(options({ onStep: (e) => void events.push(e) }), 1, {
      faults: [{ atMs: 0, fault: { type: 'crash', node: 'b' } }],
      inputs: [at(1, 'a', send('b', 'x')), at(2, 'b', send('a', 'y'))],
    });
    sim.run();
    expect(events.map((e) => e.kind)).toEqual(['crash', 'input', 'drop', 'drop']);
    expect(events[2]).toMatchObject({ what: 'input', node: 'b', reason: 'crashed' });
    expect(events[3]).toMatchObject({ what: 'message', node: 'b', reason: 'crashed' });
    expect(sim.node('a').durable.seen).toEqual([]);
  });

  it('bounds the messages in flight', () => {
    const { result, tags } = burst(10, { maxInFlight: 4 });
    expect(tags.length).toBe(4);
    expect(result.stats.dropped.overflow).toBe(6);
  });

  it('dropAcrossRestart drops messages addressed to an earlier incarnation', () => {
    const faults: FaultEntry[] = [
      { atMs: 2, fault: { type: 'crash', node: 'b' } },
      { atMs: 4, fault: { type: 'restart', node: 'b' } },
    ];
    const kept = burst(1, {}, faults);
    expect(kept.tags).toEqual([0]);
    const dropped = burst(1, { dropAcrossRestart: true }, faults);
    expect(dropped.tags).toEqual([]);
    expect(dropped.result.stats.dropped['stale-incarnation']).toBe(1);
  });

  it('a network fault changes the loss rate from then on', () => {
    const sim = new Simulation(options(), 1, {
      faults: [{ atMs: 5, fault: { type: 'network', lossRate: 1 } }],
      inputs: [at(0, 'a', send('b', 'before')), at(6, 'a', send('b', 'after'))],
    });
    sim.run();
    expect(sim.node('b').durable.seen).toEqual(['msg:a:before@10']);
    expect(sim.network.lossRate).toBe(1);
  });

  it('reports a plan naming an unknown node as a bad-plan failure, not an exception', () => {
    const r = runSim(options(), 1, { faults: [{ atMs: 0, fault: { type: 'crash', node: 'z' } }] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.code).toBe('bad-plan');
      expect(r.failure.message).toMatch(/unknown node "z"/);
    }
    const r2 = runSim(options(), 1, { faults: [], inputs: [at(-1, 'a')] });
    expect(!r2.ok && r2.failure.code).toBe('bad-plan');
  });
});
