import { describe, expect, it } from 'vitest';
import {
  GcEffectSchema, handleGcInput, initGcManager, parseGcInput, type GcEffect, type GcInput,
  type GcState,
} from '../../src/snapshot/index.ts';

const CFG = {
  instance: 'vm1', snapshot: 'S', thresholdBytes: 100, maxRunning: 2, readIntervalMs: 50,
};
const E1 = 'aa'.repeat(16);
const E2 = 'bb'.repeat(16);

function feed(s0: GcState, inputs: readonly GcInput[]): { s: GcState; effects: GcEffect[] } {
  let s = s0;
  const effects: GcEffect[] = [];
  for (const input of inputs) {
    const r = handleGcInput(s, input);
    s = r.state;
    effects.push(...r.effects);
  }
  for (const e of effects) expect(GcEffectSchema.safeParse(e).success).toBe(true);
  return { s, effects };
}
const types = (es: readonly GcEffect[]) => es.map((e) => e.type);
const i = 'vm1';

describe('gc-manager', () => {
  it('runs the whole GC sequence in order, with a new generation and the driver\'s entropy', () => {
    const { s, effects } = feed(initGcManager(CFG, E1), [
      { type: 'tick', instance: i, nowMs: 10 },
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'execution-started', instance: i, execId: 'b' },
      { type: 'execution-finished', instance: i, execId: 'a', garbageDelta: 120,
        preservedWrites: 1 },
      { type: 'execution-started', instance: i, execId: 'c' },
      { type: 'tick', instance: i, nowMs: 30 },
      { type: 'execution-finished', instance: i, execId: 'b', garbageDelta: 5, preservedWrites: 1 },
      { type: 'preserved-saved', instance: i, value: '0102' },
      { type: 'connections-closed', instance: i, entropy: E2 },
      { type: 'restored', instance: i },
      { type: 'tick', instance: i, nowMs: 70 },
      { type: 'written-back', instance: i },
    ]);
    expect(types(effects)).toEqual([
      'read-garbage', 'run-execution', 'run-execution', 'stop-admitting', 'reject-execution',
      'save-preserved', 'terminate-connections', 'restore', 'write-back-preserved', 'admit',
      'gc-finished',
    ]);
    expect(effects).toContainEqual({ type: 'restore', instance: i, snapshot: 'S', generation: 2,
      entropy: E2 });
    expect(effects).toContainEqual({ type: 'terminate-connections', instance: i,
      ends: ['instance', 'peer'] });
    expect(effects).toContainEqual({ type: 'write-back-preserved', instance: i, value: '0102' });
    expect(effects).toContainEqual({ type: 'gc-finished', instance: i, generation: 2,
      pauseMs: 60 });
    expect(s).toMatchObject({ phase: 'admitting', garbageBytes: 0, generation: 2, entropy: E2,
      gcCount: 1, running: [] });
  });

  it('waits for running executions before saving the preserved state', () => {
    const { s, effects } = feed(initGcManager(CFG, E1), [
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'execution-started', instance: i, execId: 'b' },
      { type: 'execution-finished', instance: i, execId: 'a', garbageDelta: 100,
        preservedWrites: 0 },
      { type: 'drained', instance: i },
    ]);
    expect(types(effects)).toEqual([
      'run-execution', 'run-execution', 'stop-admitting', 'input-rejected',
    ]);
    expect(s).toMatchObject({ phase: 'draining', awaiting: null, running: ['b'] });
  });

  it('rejects admissions at capacity and over the threshold', () => {
    const { effects } = feed(initGcManager(CFG, E1), [
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'execution-started', instance: i, execId: 'b' },
      { type: 'execution-started', instance: i, execId: 'c' },
    ]);
    expect(effects[2]).toEqual({ type: 'reject-execution', instance: i, execId: 'c',
      code: 'AT_CAPACITY' });
    const over = feed(initGcManager({ ...CFG, maxRunning: 1 }, E1), [
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'garbage-reading', instance: i, bytes: 99 },
      { type: 'execution-started', instance: i, execId: 'b' },
    ]);
    expect(over.effects[1]).toMatchObject({ type: 'reject-execution', code: 'AT_CAPACITY' });
  });

  it('starts a GC on a garbage reading, never lowering the accounted garbage', () => {
    const { s, effects } = feed(initGcManager(CFG, E1), [
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'execution-finished', instance: i, execId: 'a', garbageDelta: 60,
        preservedWrites: 0 },
      { type: 'garbage-reading', instance: i, bytes: 10 },
    ]);
    expect(s.garbageBytes).toBe(60);
    expect(s.garbageReadingBytes).toBe(10);
    const r = handleGcInput(s, { type: 'garbage-reading', instance: i, bytes: 100 });
    expect(types(r.effects)).toEqual(['stop-admitting', 'save-preserved']);
    expect(types(effects)).toEqual(['run-execution']);
  });

  it('answers bad inputs with error values and no state change', () => {
    const s = initGcManager(CFG, E1);
    const wrong = handleGcInput(s, { type: 'tick', instance: 'vm2', nowMs: 1 });
    expect(wrong.state).toBe(s);
    expect(wrong.effects[0]).toMatchObject({ type: 'input-rejected', code: 'WRONG_INSTANCE' });
    const early = handleGcInput(s, { type: 'restored', instance: i });
    expect(early.effects[0]).toMatchObject({ code: 'UNEXPECTED_INPUT' });
    const unknown = handleGcInput(s, { type: 'execution-finished', instance: i, execId: 'x',
      garbageDelta: 1, preservedWrites: 0 });
    expect(unknown.effects[0]).toMatchObject({ code: 'UNKNOWN_EXECUTION' });
    expect(parseGcInput({ type: 'tick', instance: i, nowMs: -1 })).toMatchObject({ ok: false,
      code: 'BAD_INPUT' });
    expect(parseGcInput({ type: 'connections-closed', instance: i, entropy: 'ab' }).ok)
      .toBe(false);
  });

  it('refuses to restore with the entropy the instance already has', () => {
    const { s } = feed(initGcManager({ ...CFG, thresholdBytes: 1 }, E1), [
      { type: 'execution-started', instance: i, execId: 'a' },
      { type: 'execution-finished', instance: i, execId: 'a', garbageDelta: 1,
        preservedWrites: 0 },
      { type: 'preserved-saved', instance: i, value: '' },
    ]);
    expect(s.awaiting).toBe('connections-closed');
    const r = handleGcInput(s, { type: 'connections-closed', instance: i, entropy: E1 });
    expect(r.effects[0]).toMatchObject({ code: 'REUSED_ENTROPY' });
    expect(r.state).toBe(s);
  });

  it('asks for garbage readings by the driver\'s clock only', () => {
    const { effects } = feed(initGcManager(CFG, E1), [
      { type: 'tick', instance: i, nowMs: 0 },
      { type: 'tick', instance: i, nowMs: 49 },
      { type: 'tick', instance: i, nowMs: 50 },
      { type: 'tick', instance: i, nowMs: 20 },
    ]);
    expect(types(effects)).toEqual(['read-garbage', 'read-garbage']);
  });
});
