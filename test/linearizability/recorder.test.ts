import { describe, expect, it } from 'vitest';
import {
  HistoryRecorder,
  checkLinearizability,
  operationsFromEvents,
  registerModel,
  type HistoryEvent,
  type RegisterInput,
  type RegisterOutput,
} from '../../src/runtime/linearizability/index.ts';

type Ev = HistoryEvent<RegisterInput, RegisterOutput>;

describe('building histories', () => {
  it('pairs call and return events; a call without a return is pending', () => {
    const events: Ev[] = [
      { kind: 'call', clientId: 'a', opId: '1', input: { type: 'write', value: 3 }, at: 0 },
      { kind: 'call', clientId: 'b', opId: '2', input: { type: 'read' }, at: 1 },
      { kind: 'return', clientId: 'b', opId: '2', output: { type: 'read', value: 3 }, at: 2 },
    ];
    const ops = operationsFromEvents(events);
    expect(ops.ok).toBe(true);
    if (!ops.ok) return;
    expect(ops.value[0]?.returnAt).toBeUndefined();
    expect(ops.value[1]).toMatchObject({ callAt: 1, returnAt: 2 });
    expect(checkLinearizability(registerModel, ops.value).kind).toBe('linearizable');
  });

  it('reports unmatched returns and duplicate calls as error values', () => {
    const ret: Ev = { kind: 'return', clientId: 'a', opId: 'x', output: { type: 'written' },
      at: 1 };
    const bad = operationsFromEvents([ret]);
    expect(!bad.ok && bad.error.code).toBe('unmatched-return');
    const call: Ev = { kind: 'call', clientId: 'a', opId: 'x', input: { type: 'read' }, at: 0 };
    const dup = operationsFromEvents([call, call]);
    expect(!dup.ok && dup.error.code).toBe('duplicate-call');
  });

  it('the recorder keeps one open operation per client and abandons to pending', () => {
    const rec = new HistoryRecorder<RegisterInput, RegisterOutput>();
    rec.call('a', { type: 'write', value: 1 }, 0);
    expect(() => rec.call('a', { type: 'read' }, 1)).toThrow(/already has an operation/);
    rec.complete('a', { type: 'written' }, 2);
    rec.call('a', { type: 'write', value: 2 }, 3);
    rec.abandon('a');
    expect(rec.isOpen('a')).toBe(false);
    const h = rec.history();
    expect(h.map((o) => o.returnAt)).toEqual([2, undefined]);
  });
});
