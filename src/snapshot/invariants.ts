/**
 * The spec's invariants as TS predicates over a cluster, named exactly as in
 * spec/snapshot-gc/SnapshotGC.tla. Each states the same formula on the code's own fields.
 */
import { halfOpen } from './connections.ts';
import { GC_PHASES } from './gc-manager.ts';
import { encodePres, managerOf, SNAPSHOT, vmOf, type Cluster } from './cluster.ts';

const each = (c: Cluster, p: (i: string) => boolean): boolean => c.config.instances.every(p);

function typeOK(c: Cluster): boolean {
  return each(c, (i) => {
    const m = managerOf(c, i);
    const vm = vmOf(c, i);
    if ((m === null) !== (vm === null)) return false;
    if (m === null || vm === null) return true;
    return GC_PHASES.includes(m.phase) && m.running.length <= c.config.maxRunning &&
      vm.garbageBytes >= 0 && m.running.length === vm.running.length;
  }) && c.tx.attempt >= 0 && c.external.applied >= 0;
}

export const invariants = {
  TypeOK: typeOK,
  NoRestoreDuringExecution: (c: Cluster): boolean =>
    each(c, (i) => managerOf(c, i)?.phase !== 'restored' || managerOf(c, i)?.running.length === 0),
  PreservedStateIntact: (c: Cluster): boolean => each(c, (i) => {
    const ph = managerOf(c, i)?.phase;
    if (ph !== 'written' && ph !== 'admitting') return true;
    return vmOf(c, i)?.preserved === encodePres(c.truePres[i] ?? 0);
  }),
  CleanAfterRestore: (c: Cluster): boolean => each(c, (i) => {
    if (managerOf(c, i)?.phase !== 'restored') return true;
    const vm = vmOf(c, i);
    const k = c.conns[i];
    return vm !== null && vm.garbageBytes === 0 && vm.heap === 'S' &&
      vm.preserved === SNAPSHOT.preserved && (k === undefined || k.instEnd === 'none');
  }),
  GarbageBounded: (c: Cluster): boolean => {
    const { threshold, maxRunning, maxGarbage } = c.config;
    const max = threshold - 1 + maxRunning * maxGarbage;
    return each(c, (i) => (vmOf(c, i)?.garbageBytes ?? 0) <= max);
  },
  NoHalfOpenConnection: (c: Cluster): boolean =>
    each(c, (i) => managerOf(c, i)?.phase !== 'admitting' || halfOpen(c.conns, i).length === 0),
  EffectsOnce: (c: Cluster): boolean =>
    c.external.applied <= 1 && c.tx.attempt <= c.config.maxAttempts,
  UniqueAfterRestore: (c: Cluster): boolean => {
    const live = c.config.instances.flatMap((i) => {
      const vm = vmOf(c, i);
      return vm === null ? [] : [vm];
    });
    if (live.some((vm) => vm.generation === 0 || vm.entropy === SNAPSHOT.entropy)) return false;
    return new Set(live.map((vm) => vm.entropy)).size === live.length;
  },
} as const;

export type InvariantName = keyof typeof invariants;

export function violatedInvariants(c: Cluster): InvariantName[] {
  return (Object.keys(invariants) as InvariantName[]).filter((n) => !invariants[n](c));
}
