/**
 * The abstraction function: a cluster's state as the values of the variables of
 * spec/snapshot-gc/SnapshotGC.tla, in the shared JSON form of src/tla/value.ts. Instances are
 * model values; entropy and preserved versions are the small numbers the cluster's driver
 * encodes (see cluster.ts); generations map onto the spec's cycle 1..GenMax.
 */
import { fn, model, type TlaState, type TlaValue } from '../tla/value.ts';
import {
  decodeEntropy, decodePres, managerOf, vmOf, FUNCTION_NAME, type Cluster,
} from './cluster.ts';
import { carryTo } from './tracing-store.ts';

/** The spec's generation for a code generation (unbounded, 1 at launch). */
export function specGen(generation: number, genMax: number): number {
  return generation <= 0 ? 0 : ((generation - 1) % genMax) + 1;
}

function perInstance(c: Cluster, f: (i: string) => TlaValue): TlaValue {
  return fn(c.config.instances.map((i) => [model(i), f(i)] as [TlaValue, TlaValue]));
}

function instanceVars(c: Cluster): TlaState {
  const m = (i: string) => managerOf(c, i);
  const vm = (i: string) => vmOf(c, i);
  return {
    phase: perInstance(c, (i) => m(i)?.phase ?? 'none'),
    running: perInstance(c, (i) => m(i)?.running.length ?? 0),
    garbage: perInstance(c, (i) => vm(i)?.garbageBytes ?? 0),
    reading: perInstance(c, (i) => m(i)?.garbageReadingBytes ?? 0),
    pres: perInstance(c, (i) => {
      const v = vm(i);
      return v === null ? 0 : decodePres(v.preserved);
    }),
    truePres: perInstance(c, (i) => c.truePres[i] ?? 0),
    saved: perInstance(c, (i) => {
      const s = m(i)?.saved ?? null;
      return s === null ? 0 : decodePres(s);
    }),
    heap: perInstance(c, (i) => vm(i)?.heap ?? 'S'),
    gen: perInstance(c, (i) => specGen(vm(i)?.generation ?? 0, c.config.genMax)),
    entropy: perInstance(c, (i) => {
      const v = vm(i);
      return v === null ? 0 : decodeEntropy(v.entropy);
    }),
  };
}

/** The values of every variable of the spec, in the spec's names. */
export function specState(c: Cluster): TlaState {
  return {
    ...instanceVars(c),
    connInst: perInstance(c, (i) => c.conns[i]?.instEnd ?? 'none'),
    connPeer: perInstance(c, (i) => c.conns[i]?.peerEnd ?? 'none'),
    tracing: carryTo(c.tracing, FUNCTION_NAME).samples,
    txPhase: c.tx.phase,
    attempt: c.tx.attempt,
    keyed: c.external.keys.length > 0,
    applied: c.external.applied,
  };
}

/** The spec's variable names, in declaration order. */
export const SPEC_VARIABLES = [
  'phase', 'running', 'garbage', 'reading', 'pres', 'truePres', 'saved', 'heap', 'gen',
  'entropy', 'connInst', 'connPeer', 'tracing', 'txPhase', 'attempt', 'keyed', 'applied',
] as const;
