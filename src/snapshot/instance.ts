/**
 * The instance model (sans-IO): what a VM instance holds as far as the GC cares. Garbage,
 * the preserved state (opaque bytes, hex), the non-preserved heap ("S" right after a restore),
 * the generation and entropy of the incarnation, the executions running in it. A ready-state
 * snapshot S (US11836516B2) is the template of every new instance and the target of every
 * restore: restoring brings back S's heap, garbage and preserved state; the host then hands in
 * a new generation and fresh entropy and writes the saved preserved state back.
 */
export type Heap = 'S' | 'dirty';

export interface ReadySnapshot {
  readonly name: string;
  /** Preserved state as S holds it (hex). */
  readonly preserved: string;
  /** Entropy baked into S (hex): a restored instance must never keep it. */
  readonly entropy: string;
}

export interface InstanceState {
  readonly id: string;
  readonly snapshot: string;
  readonly generation: number;
  readonly entropy: string;
  readonly garbageBytes: number;
  readonly preserved: string;
  readonly heap: Heap;
  readonly running: readonly string[];
}

/** A new instance from S with the identity the host hands it (Launch). */
export function launchInstance(
  id: string, s: ReadySnapshot, generation: number, entropy: string,
): InstanceState {
  if (generation <= 0) throw new Error('assertion: a launched instance has a generation');
  return {
    id, snapshot: s.name, generation, entropy, garbageBytes: 0, preserved: s.preserved,
    heap: 'S', running: [],
  };
}

export function startExecution(inst: InstanceState, execId: string): InstanceState {
  if (inst.running.includes(execId)) throw new Error(`assertion: ${execId} already runs`);
  return { ...inst, running: [...inst.running, execId], heap: 'dirty' };
}

/** An execution ends: it leaves garbage and, if `write` is not null, writes preserved state. */
export function finishExecution(
  inst: InstanceState, execId: string, garbageBytes: number, write: string | null,
): InstanceState {
  if (!inst.running.includes(execId)) throw new Error(`assertion: ${execId} not running`);
  if (garbageBytes < 0) throw new Error('assertion: garbage only grows');
  return {
    ...inst,
    running: inst.running.filter((e) => e !== execId),
    garbageBytes: inst.garbageBytes + garbageBytes,
    preserved: write ?? inst.preserved,
  };
}

export const readPreserved = (inst: InstanceState): string => inst.preserved;

export function writePreserved(inst: InstanceState, value: string): InstanceState {
  return { ...inst, preserved: value };
}

/**
 * Restores S: S's heap, garbage and preserved state come back; the new identity is handed in
 * before the instance runs anything. Executions still listed as running are not touched here
 * (a restore during an execution is exactly what NoRestoreDuringExecution forbids).
 */
export function restoreInstance(
  inst: InstanceState, s: ReadySnapshot, generation: number, entropy: string,
): InstanceState {
  if (s.name !== inst.snapshot) throw new Error('assertion: restore from the instance\'s own S');
  return {
    ...inst, generation, entropy, garbageBytes: 0, preserved: s.preserved, heap: 'S',
  };
}
