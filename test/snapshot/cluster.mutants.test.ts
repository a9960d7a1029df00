// cluster.ts, spec-state.ts and invariants.ts under mutation, without spawning TLC: the
// composition must enable exactly the spec's actions, apply them with the spec's effects, map
// onto the spec's variables, and every invariant must bite on its boundary. The breadth-first
// search against TLC's count is in state-graph.mutants.test.ts (slow under instrumentation, so
// it runs after the quick files).
import { describe, expect, it } from 'vitest';
import {
  SNAPSHOT, SPEC_VARIABLES, applyAction, decodeEntropy, decodePres, enabledActions,
  encodeEntropy, encodePres, freshEntropy, initCluster, invariants, managerOf, next1, specGen,
  specState, violatedInvariants, vmOf, type Cluster, type ClusterAction, type ClusterConfig,
} from '../../src/snapshot/index.ts';
import { BUG_CONFIG, REPLAY_CONFIG } from './helpers.ts';

const labels = (c: Cluster): string[] => enabledActions(c).map((a) => a.label).sort();
function find(c: Cluster, label: string): ClusterAction {
  const a = enabledActions(c).find((x) => x.label === label);
  if (a === undefined) throw new Error(`${label} not enabled: ${labels(c).join(' ')}`);
  return a;
}
const run = (c: Cluster, steps: readonly string[]): Cluster =>
  steps.reduce((acc, l) => applyAction(acc, find(acc, l)), c);
/** Enabled actions of i1 other than the connection's own Connect / Disconnect. */
const own = (c: Cluster): string[] =>
  labels(c).filter((l) => l.endsWith('(i1)') && !/^(Connect|Disconnect)\(/.test(l));
const CFG: ClusterConfig = { ...REPLAY_CONFIG, maxGarbage: 2, traceMax: 3 };

describe('snapshot cluster: encodings and helpers', () => {
  it('encodes entropy as 16 bytes of hex and preserved versions as one byte', () => {
    expect(encodeEntropy(10)).toBe(`${'0'.repeat(31)}a`);
    expect(decodeEntropy(encodeEntropy(300))).toBe(300);
    expect(encodePres(10)).toBe('0a');
    expect(encodePres(255)).toBe('ff');
    expect(decodePres('0b')).toBe(11);
    expect(SNAPSHOT).toEqual({ name: 'S', preserved: '00', entropy: '0'.repeat(32) });
  });

  it('next1 cycles 1..max', () => {
    expect([next1(0, 2), next1(1, 2), next1(2, 2), next1(3, 2)]).toEqual([1, 2, 1, 1]);
  });

  it('fresh entropy is the least of 1..N+1 no instance holds', () => {
    const c = initCluster(BUG_CONFIG);
    expect(freshEntropy(c)).toBe(encodeEntropy(1));
    const one = run(c, ['Launch(i1)']);
    expect(vmOf(one, 'i1')?.entropy).toBe(encodeEntropy(1));
    expect(freshEntropy(one)).toBe(encodeEntropy(2));
    const two = run(one, ['Launch(i2)']);
    expect(vmOf(two, 'i2')?.entropy).toBe(encodeEntropy(2));
    expect(freshEntropy(two)).toBe(encodeEntropy(3));
  });

  it('asserts the spec\'s ASSUMEs: PresMax >= 2 and GenMax >= 1', () => {
    expect(() => initCluster({ ...CFG, presMax: 1 })).toThrow(/ASSUME/);
    expect(() => initCluster({ ...CFG, genMax: 0 })).toThrow(/ASSUME/);
    const c = initCluster({ ...CFG, presMax: 2, genMax: 1 });
    expect(c).toMatchObject({ managers: { i1: null }, vms: { i1: null }, conns: {},
      truePres: { i1: 0 }, execCount: 0 });
    expect(c.tracing).toMatchObject({ maxSamples: 3, maxFunctions: 1 });
    expect(c.tx).toMatchObject({ phase: 'idle', config: { txId: 't', maxAttempts: 2 } });
    expect(c.external).toMatchObject({ applied: 0, keys: [] });
  });
});

describe('snapshot cluster: enabled actions', () => {
  it('enables Launch and TxBegin first; a launched instance may Start', () => {
    const c = initCluster(CFG);
    expect(labels(c)).toEqual(['Launch(i1)', 'TxBegin']);
    expect(labels(run(c, ['Launch(i1)']))).toEqual(['Start(i1)', 'TxBegin']);
  });

  it('with an execution running: Finish for every garbage 1..MaxGarbage and write, Connect', () => {
    const c = run(initCluster(CFG), ['Launch(i1)', 'Start(i1)']);
    expect(labels(c)).toEqual([
      'Connect(i1)', 'Finish(i1, 1, FALSE)', 'Finish(i1, 1, TRUE)', 'Finish(i1, 2, FALSE)',
      'Finish(i1, 2, TRUE)', 'Start(i1)', 'TxBegin',
    ]);
    const full = run(c, ['Start(i1)', 'Connect(i1)']);
    expect(labels(full)).toEqual([
      'Disconnect(i1)', 'Finish(i1, 1, FALSE)', 'Finish(i1, 1, TRUE)', 'Finish(i1, 2, FALSE)',
      'Finish(i1, 2, TRUE)', 'TxBegin',
    ]);
    expect(full.execCount).toBe(2);
    expect(managerOf(full, 'i1')?.running).toEqual(['i1-e1', 'i1-e2']);
    expect(full.conns['i1']).toEqual({ instance: 'i1', instEnd: 'open', peerEnd: 'open' });
    const closed = run(full, ['Disconnect(i1)']);
    expect(closed.conns['i1']).toMatchObject({ instEnd: 'closed', peerEnd: 'closed' });
    expect(labels(closed)).toContain('Connect(i1)');
  });

  it('refuses an action that is not enabled', () => {
    const c = initCluster(CFG);
    expect(() => applyAction(c, { action: 'Start', params: { i: 'i1' }, label: 'Start(i1)' }))
      .toThrow(/not enabled/);
  });

  it('Finish takes the oldest execution, leaves garbage, bumps truePres on a write', () => {
    let c = run(initCluster({ ...CFG, threshold: 5 }), ['Launch(i1)', 'Start(i1)', 'Start(i1)']);
    c = run(c, ['Finish(i1, 2, TRUE)']);
    expect(managerOf(c, 'i1')).toMatchObject({ running: ['i1-e2'], garbageBytes: 2,
      preservedWrites: 1 });
    expect(vmOf(c, 'i1')).toMatchObject({ running: ['i1-e2'], garbageBytes: 2, preserved: '01' });
    expect(c.truePres['i1']).toBe(1);
    expect(c.tracing.byFunction['fn']).toEqual({ samples: 1, profile: { main: 1 } });
    c = run(c, ['Finish(i1, 1, FALSE)']);
    expect(c.truePres['i1']).toBe(1);
    expect(vmOf(c, 'i1')).toMatchObject({ garbageBytes: 3, preserved: '01' });
    c = run(c, ['Start(i1)', 'Finish(i1, 1, TRUE)', 'Start(i1)', 'Finish(i1, 1, TRUE)']);
    expect(c.truePres['i1']).toBe(1);
    expect(vmOf(c, 'i1')?.preserved).toBe('01');
  });
});

describe('snapshot cluster: one GC cycle', () => {
  it('drain, save, terminate, restore, write back, admit, with the spec\'s effects', () => {
    let c = run(initCluster(BUG_CONFIG), [
      'Launch(i1)', 'Launch(i2)', 'Start(i1)', 'Start(i1)', 'Connect(i1)',
      'Finish(i1, 1, TRUE)', 'StopAdmitting(i1)',
    ]);
    expect(labels(c)).not.toContain('SavePreserved(i1)');
    expect(labels(c)).not.toContain('Start(i1)');
    c = run(c, ['Finish(i1, 1, FALSE)']);
    expect(own(c)).toEqual(['SavePreserved(i1)']);
    c = run(c, ['SavePreserved(i1)']);
    expect(managerOf(c, 'i1')).toMatchObject({ phase: 'saved', saved: '01' });
    expect(own(c)).toEqual(['Terminate(i1)']);
    c = run(c, ['Terminate(i1)']);
    expect(c.conns['i1']).toMatchObject({ instEnd: 'closed', peerEnd: 'closed' });
    expect(own(c)).toEqual(['Restore(i1)']);
    c = run(c, ['Restore(i1)']);
    expect(vmOf(c, 'i1')).toMatchObject({ garbageBytes: 0, heap: 'S', preserved: '00',
      generation: 2, entropy: encodeEntropy(3) });
    expect(c.conns['i1']).toMatchObject({ instEnd: 'none', peerEnd: 'closed' });
    expect(own(c)).toEqual(['WriteBack(i1)']);
    c = run(c, ['WriteBack(i1)']);
    expect(vmOf(c, 'i1')?.preserved).toBe('01');
    expect(own(c)).toEqual(['Admit(i1)']);
    c = run(c, ['Admit(i1)']);
    expect(managerOf(c, 'i1')).toMatchObject({ phase: 'admitting', gcCount: 1, generation: 2 });
    expect(managerOf(c, 'i2')?.phase).toBe('admitting');
    expect(violatedInvariants(c)).toEqual([]);
  });
});

describe('snapshot cluster: the transaction', () => {
  it('sends once under its key across a retry, then gives up at MaxAttempts', () => {
    let c = run(initCluster(CFG), ['TxBegin']);
    expect(labels(c)).toEqual(['Launch(i1)', 'TxJudge(FALSE)', 'TxJudge(TRUE)', 'TxSend']);
    c = run(c, ['TxSend']);
    expect(c.external).toMatchObject({ applied: 1, keys: ['tx:t'] });
    expect(labels(c)).toEqual(['Launch(i1)', 'TxJudge(FALSE)', 'TxJudge(TRUE)']);
    c = run(c, ['TxJudge(FALSE)']);
    expect(labels(c)).toEqual(['Launch(i1)', 'TxRetry']);
    c = run(c, ['TxRetry', 'TxSend', 'TxJudge(FALSE)']);
    expect(c.external.applied).toBe(1);
    expect(labels(c)).toEqual(['Launch(i1)', 'TxGiveUp']);
    c = run(c, ['TxGiveUp']);
    expect(c.tx).toMatchObject({ phase: 'done', succeeded: false, attempt: 2 });
    expect(labels(c)).toEqual(['Launch(i1)']);
    const ok = run(initCluster(CFG), ['TxBegin', 'TxJudge(TRUE)']);
    expect(ok.tx).toMatchObject({ phase: 'done', succeeded: true, attempt: 1 });
  });
});

describe('snapshot spec state', () => {
  it('maps generations onto 1..GenMax, 0 for none', () => {
    expect([0, 1, 2, 3, 4, 5].map((g) => specGen(g, 2))).toEqual([0, 1, 2, 1, 2, 1]);
    expect(specGen(-1, 2)).toBe(0);
  });

  it('gives every variable its spec value', () => {
    const c0 = initCluster(CFG);
    expect(specState(c0)).toEqual({
      phase: { '#map': [[{ '#model': 'i1' }, 'none']] },
      running: { '#map': [[{ '#model': 'i1' }, 0]] },
      garbage: { '#map': [[{ '#model': 'i1' }, 0]] },
      reading: { '#map': [[{ '#model': 'i1' }, 0]] },
      pres: { '#map': [[{ '#model': 'i1' }, 0]] },
      truePres: { '#map': [[{ '#model': 'i1' }, 0]] },
      saved: { '#map': [[{ '#model': 'i1' }, 0]] },
      heap: { '#map': [[{ '#model': 'i1' }, 'S']] },
      gen: { '#map': [[{ '#model': 'i1' }, 0]] },
      entropy: { '#map': [[{ '#model': 'i1' }, 0]] },
      connInst: { '#map': [[{ '#model': 'i1' }, 'none']] },
      connPeer: { '#map': [[{ '#model': 'i1' }, 'none']] },
      tracing: 0, txPhase: 'idle', attempt: 0, keyed: false, applied: 0,
    });
    expect(Object.keys(specState(c0))).toEqual([...SPEC_VARIABLES]);
    let c = run(c0, ['Launch(i1)', 'Start(i1)', 'Start(i1)', 'Connect(i1)',
      'Finish(i1, 2, TRUE)', 'TxBegin', 'TxSend']);
    c = run(c, ['Finish(i1, 1, TRUE)', 'StopAdmitting(i1)', 'SavePreserved(i1)']);
    const v = (name: string) => {
      const x = specState(c)[name] as { '#map': [unknown, unknown][] };
      return x['#map'][0]?.[1];
    };
    expect([v('phase'), v('running'), v('garbage'), v('pres'), v('truePres'), v('saved'),
      v('heap'), v('gen'), v('entropy'), v('connInst'), v('connPeer')])
      .toEqual(['saved', 0, 3, 2, 2, 2, 'dirty', 1, 1, 'open', 'open']);
    expect(specState(c)).toMatchObject({ tracing: 2, txPhase: 'sent', attempt: 1, keyed: true,
      applied: 1 });
    const m = managerOf(c, 'i1');
    if (m === null) throw new Error('no manager');
    const read = { ...c, managers: { i1: { ...m, garbageReadingBytes: 4 } } };
    expect((specState(read)['reading'] as { '#map': [unknown, unknown][] })['#map'][0]?.[1])
      .toBe(4);
  });
});

describe('snapshot invariants bite on their boundaries', () => {
  const base = run(initCluster(BUG_CONFIG), ['Launch(i1)', 'Launch(i2)', 'Start(i1)']);
  const m1 = managerOf(base, 'i1')!;
  const vm1 = vmOf(base, 'i1')!;
  const withM = (m: Partial<typeof m1>) => ({ ...base, managers: { ...base.managers,
    i1: { ...m1, ...m } } });
  const withVm = (vm: Partial<typeof vm1>) => ({ ...base, vms: { ...base.vms,
    i1: { ...vm1, ...vm } } });

  it('holds on a reachable state', () => {
    expect(violatedInvariants(base)).toEqual([]);
  });

  it('TypeOK: manager and VM together, phases, capacity, garbage, running counts', () => {
    expect(invariants.TypeOK({ ...base, vms: { ...base.vms, i1: null } })).toBe(false);
    expect(invariants.TypeOK({ ...base, managers: { ...base.managers, i1: null } })).toBe(false);
    expect(invariants.TypeOK(withM({ phase: 'gone' as 'admitting' }))).toBe(false);
    expect(invariants.TypeOK(withM({ running: ['a', 'b'] }))).toBe(false);
    expect(invariants.TypeOK({ ...withM({ running: ['a', 'b'] }),
      vms: { ...base.vms, i1: { ...vm1, running: ['a', 'b'] } } })).toBe(true);
    expect(invariants.TypeOK(withM({ running: ['a', 'b', 'c'] }))).toBe(false);
    expect(invariants.TypeOK(withVm({ garbageBytes: -1 }))).toBe(false);
    expect(invariants.TypeOK(withVm({ garbageBytes: 0 }))).toBe(true);
    expect(invariants.TypeOK({ ...base, tx: { ...base.tx, attempt: -1 } })).toBe(false);
    expect(invariants.TypeOK({ ...base, external: { ...base.external, applied: -1 } }))
      .toBe(false);
    expect(violatedInvariants(withVm({ garbageBytes: -1 }))).toEqual(['TypeOK']);
  });

  it('NoRestoreDuringExecution: restored with an execution running', () => {
    expect(invariants.NoRestoreDuringExecution(withM({ phase: 'restored' }))).toBe(false);
    expect(invariants.NoRestoreDuringExecution(withM({ phase: 'restored', running: [] })))
      .toBe(true);
    expect(invariants.NoRestoreDuringExecution(withM({ phase: 'draining' }))).toBe(true);
  });

  it('PreservedStateIntact: written or admitting with a preserved state behind truePres', () => {
    const behind = { ...base, truePres: { ...base.truePres, i1: 1 } };
    expect(invariants.PreservedStateIntact(behind)).toBe(false);
    const written = { ...behind,
      managers: { ...base.managers, i1: { ...m1, phase: 'written' as const } } };
    expect(invariants.PreservedStateIntact(written)).toBe(false);
    const saved = { ...behind,
      managers: { ...base.managers, i1: { ...m1, phase: 'saved' as const } } };
    expect(invariants.PreservedStateIntact(saved)).toBe(true);
    expect(invariants.PreservedStateIntact({ ...behind,
      vms: { ...base.vms, i1: { ...vm1, preserved: '01' } } })).toBe(true);
  });

  it('CleanAfterRestore: garbage, heap, preserved state, instance end after a restore', () => {
    const clean = { ...withM({ phase: 'restored' }), vms: { ...base.vms,
      i1: { ...vm1, heap: 'S' as const, garbageBytes: 0, preserved: '00' } } };
    expect(invariants.CleanAfterRestore(clean)).toBe(true);
    const vmI = clean.vms.i1;
    const dirty = (vm: Partial<typeof vm1>) => ({ ...clean, vms: { ...clean.vms,
      i1: { ...vmI, ...vm } } });
    expect(invariants.CleanAfterRestore(dirty({ garbageBytes: 1 }))).toBe(false);
    expect(invariants.CleanAfterRestore(dirty({ heap: 'dirty' }))).toBe(false);
    expect(invariants.CleanAfterRestore(dirty({ preserved: '01' }))).toBe(false);
    const conn = (instEnd: 'none' | 'open' | 'closed') => ({ ...clean,
      conns: { i1: { instance: 'i1', instEnd, peerEnd: 'closed' as const } } });
    expect(invariants.CleanAfterRestore(conn('none'))).toBe(true);
    expect(invariants.CleanAfterRestore(conn('closed'))).toBe(false);
    expect(invariants.CleanAfterRestore({ ...clean, vms: { ...clean.vms, i1: null } }))
      .toBe(false);
    expect(invariants.CleanAfterRestore(withVm({ garbageBytes: 1 }))).toBe(true);
  });

  it('GarbageBounded: at most Threshold - 1 + MaxRunning * MaxGarbage', () => {
    // BUG_CONFIG: threshold 1, maxRunning 2, maxGarbage 1: the bound is 2.
    expect(invariants.GarbageBounded(withVm({ garbageBytes: 2 }))).toBe(true);
    expect(invariants.GarbageBounded(withVm({ garbageBytes: 3 }))).toBe(false);
    const wide = { ...withVm({ garbageBytes: 9 }), config: { ...BUG_CONFIG, threshold: 4,
      maxRunning: 3, maxGarbage: 2 } };
    expect(invariants.GarbageBounded(wide)).toBe(true);
    expect(invariants.GarbageBounded({ ...wide, config: { ...wide.config, threshold: 3 } }))
      .toBe(false);
  });

  it('NoHalfOpenConnection: only while admitting, open at one end only', () => {
    const half = { ...base, conns: { i1: { instance: 'i1', instEnd: 'none' as const,
      peerEnd: 'open' as const } } };
    expect(invariants.NoHalfOpenConnection(half)).toBe(false);
    expect(invariants.NoHalfOpenConnection({ ...half, managers: { ...base.managers,
      i1: { ...m1, phase: 'restored' as const } } })).toBe(true);
    expect(invariants.NoHalfOpenConnection({ ...base, conns: { i1: { instance: 'i1',
      instEnd: 'open', peerEnd: 'open' } } })).toBe(true);
  });

  it('EffectsOnce: applied at most once, attempts at most MaxAttempts', () => {
    expect(invariants.EffectsOnce({ ...base, external: { ...base.external, applied: 1 } }))
      .toBe(true);
    expect(invariants.EffectsOnce({ ...base, external: { ...base.external, applied: 2 } }))
      .toBe(false);
    expect(invariants.EffectsOnce({ ...base, tx: { ...base.tx, attempt: 2 } })).toBe(true);
    expect(invariants.EffectsOnce({ ...base, tx: { ...base.tx, attempt: 3 } })).toBe(false);
  });

  it('UniqueAfterRestore: no generation 0, no S entropy, no two instances alike', () => {
    expect(invariants.UniqueAfterRestore(withVm({ generation: 0 }))).toBe(false);
    expect(invariants.UniqueAfterRestore(withVm({ entropy: SNAPSHOT.entropy }))).toBe(false);
    expect(invariants.UniqueAfterRestore(withVm({ entropy: vmOf(base, 'i2')!.entropy })))
      .toBe(false);
    expect(invariants.UniqueAfterRestore(withVm({ entropy: encodeEntropy(7) }))).toBe(true);
    expect(invariants.UniqueAfterRestore(initCluster(BUG_CONFIG))).toBe(true);
  });
});
