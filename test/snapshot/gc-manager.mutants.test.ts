// gc-manager.ts under mutation: each step's exact state change and effects, the guards on
// their boundaries (running == maxRunning, garbage == threshold, a read due exactly
// readIntervalMs after the last), the order advance() takes the manager's own steps in, and
// each rejected input answered by its own code with no state change.
import { describe, expect, it } from 'vitest';
import {
  advance, defaultGcSteps, gc, handleGcInput, initGcManager, type GcEffect, type GcInput,
  type GcState,
} from '../../src/snapshot/index.ts';

const I = 'vm1';
const CFG = { instance: I, snapshot: 'S', thresholdBytes: 10, maxRunning: 2, readIntervalMs: 50 };
const E1 = 'aa'.repeat(16);
const E2 = 'bb'.repeat(16);
const fresh = (over: Partial<typeof CFG> = {}) => initGcManager({ ...CFG, ...over }, E1);
const types = (es: readonly GcEffect[]) => es.map((e) => e.type);

function feed(s0: GcState, inputs: readonly GcInput[]): { s: GcState; effects: GcEffect[] } {
  let s = s0;
  const effects: GcEffect[] = [];
  for (const input of inputs) {
    const r = handleGcInput(s, input);
    s = r.state;
    effects.push(...r.effects);
  }
  return { s, effects };
}
const started = (execId: string): GcInput => ({ type: 'execution-started', instance: I, execId });
const finished = (execId: string, garbageDelta: number, preservedWrites = 0): GcInput =>
  ({ type: 'execution-finished', instance: I, execId, garbageDelta, preservedWrites });
const tick = (nowMs: number): GcInput => ({ type: 'tick', instance: I, nowMs });
const reading = (bytes: number): GcInput => ({ type: 'garbage-reading', instance: I, bytes });

/** A manager of the given phase, built by the step functions. */
function inPhase(phase: GcState['phase']): GcState {
  let s = fresh({ thresholdBytes: 1 });
  s = gc.start(s, 'a').state;
  s = gc.finish(s, 'a', 1, 1).state;
  if (phase === 'admitting') return s;
  s = gc.stopAdmitting(s).state;
  if (phase === 'draining') return s;
  s = gc.preservedSaved(gc.requestSave(s).state, '0a0b').state;
  if (phase === 'saved') return s;
  s = gc.connectionsClosed(gc.requestTerminate(s).state, E2).state;
  if (phase === 'terminated') return s;
  s = gc.restored(gc.requestRestore(s, E2).state).state;
  if (phase === 'restored') return s;
  return gc.writtenBack(gc.requestWriteBack(s).state).state;
}

describe('gc-manager: init', () => {
  it('starts admitting with generation 1, the launch entropy and nothing accounted', () => {
    expect(fresh()).toEqual({
      config: CFG, phase: 'admitting', awaiting: null, running: [], garbageBytes: 0,
      garbageReadingBytes: 0, preservedWrites: 0, saved: null, generation: 1, entropy: E1,
      nextEntropy: null, nowMs: 0, lastReadMs: null, gcStartedMs: null, gcCount: 0,
    });
  });

  it('asserts a positive threshold and capacity (1 is allowed)', () => {
    expect(() => fresh({ thresholdBytes: 0 })).toThrow(/thresholdBytes/);
    expect(() => fresh({ maxRunning: 0 })).toThrow(/maxRunning/);
    expect(fresh({ thresholdBytes: 1, maxRunning: 1 }).phase).toBe('admitting');
  });
});

describe('gc-manager: admission guard on its boundaries', () => {
  it('admits below capacity and rejects at exactly maxRunning', () => {
    const one = gc.start(fresh(), 'a');
    expect(one.effects).toEqual([{ type: 'run-execution', instance: I, execId: 'a' }]);
    expect(one.state.running).toEqual(['a']);
    const two = gc.start(one.state, 'b');
    expect(two.state.running).toEqual(['a', 'b']);
    const three = gc.start(two.state, 'c');
    expect(three.effects).toEqual([
      { type: 'reject-execution', instance: I, execId: 'c', code: 'AT_CAPACITY' },
    ]);
    expect(three.state).toBe(two.state);
  });

  it('admits at threshold - 1 garbage and rejects at exactly the threshold', () => {
    const below = { ...fresh(), garbageBytes: 9 };
    expect(gc.admits(below)).toBeNull();
    expect(gc.admits({ ...below, garbageBytes: 10 })).toBe('OVER_THRESHOLD');
    expect(gc.start({ ...below, garbageBytes: 10 }, 'x').effects).toEqual([
      { type: 'reject-execution', instance: I, execId: 'x', code: 'OVER_THRESHOLD' },
    ]);
  });

  it('says NOT_ADMITTING first in other phases, even at capacity and over the threshold', () => {
    for (const phase of ['draining', 'saved', 'terminated', 'restored', 'written'] as const) {
      expect(gc.admits({ ...fresh(), phase, garbageBytes: 99 })).toBe('NOT_ADMITTING');
    }
    expect(gc.admits({ ...fresh(), running: ['a', 'b'], garbageBytes: 99 })).toBe('AT_CAPACITY');
  });

  it('stops admitting at exactly the threshold, only while admitting', () => {
    expect(gc.canStopAdmitting({ ...fresh(), garbageBytes: 9 })).toBe(false);
    expect(gc.canStopAdmitting({ ...fresh(), garbageBytes: 10 })).toBe(true);
    expect(gc.canStopAdmitting({ ...fresh(), garbageBytes: 10, phase: 'draining' })).toBe(false);
    expect(() => gc.stopAdmitting({ ...fresh(), garbageBytes: 9 })).toThrow(/StopAdmitting/);
    const r = gc.stopAdmitting({ ...fresh(), garbageBytes: 10, nowMs: 77 });
    expect(r.effects).toEqual([{ type: 'stop-admitting', instance: I }]);
    expect(r.state).toMatchObject({ phase: 'draining', gcStartedMs: 77 });
  });
});

describe('gc-manager: each step', () => {
  it('finish removes only that execution and adds its garbage and writes', () => {
    let s = gc.start(gc.start(fresh(), 'a').state, 'b').state;
    s = gc.finish(s, 'a', 3, 2).state;
    expect(s).toMatchObject({ running: ['b'], garbageBytes: 3, preservedWrites: 2 });
    const r = gc.finish(s, 'b', 4, 1);
    expect(r.effects).toEqual([]);
    expect(r.state).toMatchObject({ running: [], garbageBytes: 7, preservedWrites: 3 });
    expect(() => gc.finish(r.state, 'b', 1, 0)).toThrow(/not running/);
  });

  it('drained is exactly "nothing runs"', () => {
    expect(gc.drained(fresh())).toBe(true);
    expect(gc.drained(gc.start(fresh(), 'a').state)).toBe(false);
  });

  it('save asks for the preserved state only when draining, drained and not awaiting', () => {
    const d = inPhase('draining');
    expect(gc.canSave(d, defaultGcSteps)).toBe(true);
    expect(gc.canSave({ ...d, running: ['z'] }, defaultGcSteps)).toBe(false);
    expect(gc.canSave({ ...d, awaiting: 'restored' }, defaultGcSteps)).toBe(false);
    expect(gc.canSave({ ...d, phase: 'saved' }, defaultGcSteps)).toBe(false);
    expect(() => gc.requestSave({ ...d, running: ['z'] })).toThrow(/SavePreserved/);
    const r = gc.requestSave(d);
    expect(r.effects).toEqual([{ type: 'save-preserved', instance: I }]);
    expect(r.state).toMatchObject({ phase: 'draining', awaiting: 'preserved-saved' });
    expect(() => gc.preservedSaved(d, '00')).toThrow(/no save pending/);
    const saved = gc.preservedSaved(r.state, '0a0b');
    expect(saved).toEqual({ state: { ...r.state, phase: 'saved', awaiting: null, saved: '0a0b' },
      effects: [] });
  });

  it('terminate closes both ends, only when saved, drained and not awaiting', () => {
    const s = inPhase('saved');
    expect(gc.canTerminate(s, defaultGcSteps)).toBe(true);
    expect(gc.canTerminate({ ...s, running: ['z'] }, defaultGcSteps)).toBe(false);
    expect(gc.canTerminate({ ...s, awaiting: 'restored' }, defaultGcSteps)).toBe(false);
    expect(gc.canTerminate({ ...s, phase: 'draining' }, defaultGcSteps)).toBe(false);
    expect(() => gc.requestTerminate({ ...s, running: ['z'] })).toThrow(/Terminate/);
    const r = gc.requestTerminate(s);
    expect(r.effects).toEqual([
      { type: 'terminate-connections', instance: I, ends: ['instance', 'peer'] },
    ]);
    expect(r.state.awaiting).toBe('connections-closed');
    expect(gc.terminateEnds(s)).toEqual(['instance', 'peer']);
    const closed = gc.connectionsClosed(r.state, E2);
    expect(closed).toEqual({ state: { ...r.state, phase: 'terminated', awaiting: null,
      nextEntropy: E2 }, effects: [] });
  });

  it('restore hands S the next generation and the given entropy, then zeroes garbage', () => {
    const t = inPhase('terminated');
    expect(() => gc.requestRestore({ ...t, phase: 'saved' }, E2)).toThrow(/Restore/);
    expect(() => gc.requestRestore({ ...t, awaiting: 'restored' }, E2)).toThrow(/Restore/);
    expect(() => gc.requestRestore({ ...t, running: ['z'] }, E2)).toThrow(/executions run/);
    expect(gc.newIdentity(t, E2)).toEqual({ generation: 2, entropy: E2 });
    const r = gc.requestRestore({ ...t, generation: 4 }, E2);
    expect(r.effects).toEqual([
      { type: 'restore', instance: I, snapshot: 'S', generation: 5, entropy: E2 },
    ]);
    expect(r.state).toMatchObject({ awaiting: 'restored', generation: 5, nextEntropy: E2 });
    expect(() => gc.restored(t)).toThrow(/restored/);
    expect(() => gc.restored({ ...r.state, nextEntropy: null })).toThrow(/restored/);
    const done = gc.restored({ ...r.state, garbageReadingBytes: 8 });
    expect(done.effects).toEqual([]);
    expect(done.state).toMatchObject({ phase: 'restored', awaiting: null, entropy: E2,
      nextEntropy: null, garbageBytes: 0, garbageReadingBytes: 0 });
  });

  it('write-back writes the saved value, then clears it', () => {
    const s = inPhase('restored');
    expect(() => gc.requestWriteBack({ ...s, saved: null })).toThrow(/WriteBack/);
    expect(() => gc.requestWriteBack({ ...s, awaiting: 'restored' })).toThrow(/WriteBack/);
    expect(() => gc.requestWriteBack({ ...s, phase: 'written' })).toThrow(/WriteBack/);
    const r = gc.requestWriteBack(s);
    expect(r.effects).toEqual([{ type: 'write-back-preserved', instance: I, value: '0a0b' }]);
    expect(r.state.awaiting).toBe('written-back');
    expect(() => gc.writtenBack(s)).toThrow(/write-back/);
    const w = gc.writtenBack(r.state);
    expect(w).toEqual({ state: { ...r.state, phase: 'written', awaiting: null, saved: null },
      effects: [] });
  });

  it('admit resumes admissions and reports the generation and the pause', () => {
    const w = { ...inPhase('written'), gcStartedMs: 100, nowMs: 130, gcCount: 4 };
    expect(() => gc.admit({ ...w, phase: 'restored' })).toThrow(/Admit/);
    expect(() => gc.admit({ ...w, awaiting: 'restored' })).toThrow(/Admit/);
    const r = gc.admit(w);
    expect(r.effects).toEqual([
      { type: 'admit', instance: I },
      { type: 'gc-finished', instance: I, generation: 2, pauseMs: 30 },
    ]);
    expect(r.state).toMatchObject({ phase: 'admitting', gcStartedMs: null, gcCount: 5 });
    const noStart = gc.admit({ ...w, gcStartedMs: null });
    expect(noStart.effects[1]).toMatchObject({ pauseMs: 0 });
    const backwards = gc.admit({ ...w, gcStartedMs: 200 });
    expect(backwards.effects[1]).toMatchObject({ pauseMs: 0 });
  });
});

describe('gc-manager: advance', () => {
  it('takes nothing while admitting below the threshold', () => {
    const s = fresh();
    expect(advance(s)).toEqual({ state: s, effects: [] });
  });

  it('from the threshold with nothing running: stop, then ask to save, then wait', () => {
    const r = advance({ ...fresh(), garbageBytes: 10 });
    expect(types(r.effects)).toEqual(['stop-admitting', 'save-preserved']);
    expect(r.state).toMatchObject({ phase: 'draining', awaiting: 'preserved-saved' });
  });

  it('while draining with a running execution: waits', () => {
    const s = { ...inPhase('draining'), running: ['z'] };
    expect(advance(s)).toEqual({ state: s, effects: [] });
  });

  it('after the save: terminate; after the close: restore; after the restore: write back', () => {
    expect(types(advance(inPhase('saved')).effects)).toEqual(['terminate-connections']);
    expect(advance(inPhase('terminated')).effects).toEqual([
      { type: 'restore', instance: I, snapshot: 'S', generation: 2, entropy: E2 },
    ]);
    expect(types(advance(inPhase('restored')).effects)).toEqual(['write-back-preserved']);
    expect(types(advance(inPhase('written')).effects)).toEqual(['admit', 'gc-finished']);
  });

  it('asserts entropy for a pending restore', () => {
    expect(() => advance({ ...inPhase('terminated'), nextEntropy: null })).toThrow(/entropy/);
  });

  it('takes no own step while an answer is awaited in any phase', () => {
    for (const phase of ['terminated', 'restored', 'written'] as const) {
      const s = { ...inPhase(phase), awaiting: 'restored' as const };
      expect(advance(s)).toEqual({ state: s, effects: [] });
    }
  });

  it('asserts when the steps never settle', () => {
    const s = { ...inPhase('draining'), awaiting: null };
    expect(() => advance(s, { ...defaultGcSteps, canSave: () => true })).toThrow(/settle/);
  });
});

describe('gc-manager: the dispatcher', () => {
  it('rejects a duplicate start and an unknown finish, changing nothing', () => {
    const s = gc.start(fresh(), 'a').state;
    const dup = handleGcInput(s, started('a'));
    expect(dup).toEqual({ state: s, effects: [{ type: 'input-rejected', instance: I,
      input: 'execution-started', code: 'DUPLICATE_EXECUTION', message: 'a already runs' }] });
    const unk = handleGcInput(s, finished('b', 1));
    expect(unk).toEqual({ state: s, effects: [{ type: 'input-rejected', instance: I,
      input: 'execution-finished', code: 'UNKNOWN_EXECUTION', message: 'b is not running' }] });
  });

  it('a finish that reaches the threshold stops admitting within the same input', () => {
    const s = gc.start(gc.start(fresh(), 'a').state, 'b').state;
    const r = handleGcInput(s, finished('a', 10, 1));
    expect(r.effects).toEqual([{ type: 'stop-admitting', instance: I }]);
    expect(r.state).toMatchObject({ phase: 'draining', running: ['b'], preservedWrites: 1 });
    const last = handleGcInput(r.state, finished('b', 0));
    expect(last.effects).toEqual([{ type: 'save-preserved', instance: I }]);
  });

  it('a garbage reading raises the accounted garbage to the reading, never lowers it', () => {
    const s = { ...fresh(), garbageBytes: 5 };
    const low = handleGcInput(s, reading(3));
    expect(low.state).toMatchObject({ garbageBytes: 5, garbageReadingBytes: 3 });
    expect(low.effects).toEqual([]);
    const high = handleGcInput(s, reading(9));
    expect(high.state).toMatchObject({ garbageBytes: 9, garbageReadingBytes: 9 });
    expect(high.effects).toEqual([]);
    expect(types(handleGcInput(s, reading(10)).effects))
      .toEqual(['stop-admitting', 'save-preserved']);
  });

  it('drained is accepted with nothing running and rejected with the running count', () => {
    const s = fresh();
    expect(handleGcInput(s, { type: 'drained', instance: I })).toEqual({ state: s, effects: [] });
    const busy = gc.start(gc.start(s, 'a').state, 'b').state;
    expect(handleGcInput(busy, { type: 'drained', instance: I }).effects).toEqual([{
      type: 'input-rejected', instance: I, input: 'drained', code: 'NOT_DRAINED',
      message: '2 executions run',
    }]);
  });

  it('an answer not awaited is UNEXPECTED_INPUT naming what is awaited', () => {
    const s = fresh();
    expect(handleGcInput(s, { type: 'written-back', instance: I }).effects[0]).toEqual({
      type: 'input-rejected', instance: I, input: 'written-back', code: 'UNEXPECTED_INPUT',
      message: 'awaiting nothing',
    });
    const d = gc.requestSave(inPhase('draining')).state;
    const r = handleGcInput(d, { type: 'restored', instance: I });
    expect(r.state).toBe(d);
    expect(r.effects[0]).toMatchObject({ message: 'awaiting preserved-saved' });
  });

  it('each awaited answer moves the GC on by exactly the next own step', () => {
    const d = gc.requestSave(inPhase('draining')).state;
    const a = handleGcInput(d, { type: 'preserved-saved', instance: I, value: '0c' });
    expect(a.effects).toEqual([
      { type: 'terminate-connections', instance: I, ends: ['instance', 'peer'] },
    ]);
    expect(a.state.saved).toBe('0c');
    const b = handleGcInput(a.state, { type: 'connections-closed', instance: I, entropy: E2 });
    expect(b.effects).toEqual([
      { type: 'restore', instance: I, snapshot: 'S', generation: 2, entropy: E2 },
    ]);
    const c = handleGcInput(b.state, { type: 'restored', instance: I });
    expect(c.effects).toEqual([{ type: 'write-back-preserved', instance: I, value: '0c' }]);
    expect(c.state.entropy).toBe(E2);
    const e = handleGcInput(c.state, { type: 'written-back', instance: I });
    expect(types(e.effects)).toEqual(['admit', 'gc-finished']);
    expect(e.state).toMatchObject({ phase: 'admitting', saved: null, gcCount: 1 });
  });

  it('refuses reused entropy with REUSED_ENTROPY and its message', () => {
    const t = gc.requestTerminate(inPhase('saved')).state;
    expect(handleGcInput(t, { type: 'connections-closed', instance: I, entropy: E1 })).toEqual({
      state: t, effects: [{ type: 'input-rejected', instance: I, input: 'connections-closed',
        code: 'REUSED_ENTROPY', message: 'entropy equals the current one' }],
    });
  });

  it('rejects an input for another instance before looking at it', () => {
    const s = fresh();
    expect(handleGcInput(s, { type: 'drained', instance: 'vm2' })).toEqual({ state: s,
      effects: [{ type: 'input-rejected', instance: I, input: 'drained', code: 'WRONG_INSTANCE',
        message: 'input for vm2' }] });
  });

  it('stops at a rejection: no own step follows a rejected input', () => {
    const s = { ...fresh(), garbageBytes: 10 };
    const r = handleGcInput(s, finished('nope', 1));
    expect(types(r.effects)).toEqual(['input-rejected']);
    expect(r.state).toBe(s);
  });
});

describe('gc-manager: ticks', () => {
  it('asks for a reading on the first tick and again exactly readIntervalMs later', () => {
    const { s, effects } = feed(fresh(), [tick(5), tick(54), tick(55)]);
    expect(effects).toEqual([
      { type: 'read-garbage', instance: I }, { type: 'read-garbage', instance: I },
    ]);
    expect(s).toMatchObject({ nowMs: 55, lastReadMs: 55 });
  });

  it('never moves the clock backwards and asks no reading outside admitting', () => {
    const a = feed(fresh(), [tick(40), tick(10)]);
    expect(a.s).toMatchObject({ nowMs: 40, lastReadMs: 40 });
    const d = handleGcInput({ ...inPhase('draining'), running: ['z'] }, tick(1000));
    expect(d.effects).toEqual([]);
    expect(d.state.nowMs).toBe(1000);
    expect(d.state.lastReadMs).toBeNull();
  });

  it('measures the pause from stop-admitting to admit by the ticks', () => {
    const { effects } = feed(fresh({ thresholdBytes: 1 }), [
      tick(10), started('a'), finished('a', 1), tick(25),
      { type: 'preserved-saved', instance: I, value: '' }, tick(40),
      { type: 'connections-closed', instance: I, entropy: E2 },
      { type: 'restored', instance: I }, tick(90), { type: 'written-back', instance: I },
    ]);
    expect(effects.at(-1)).toEqual({ type: 'gc-finished', instance: I, generation: 2,
      pauseMs: 80 });
  });
});
