/**
 * The host's GC manager for ONE instance (sans-IO): garbage collection by restoring the
 * ready-state snapshot S instead of collecting item by item (US10824339B1). When garbage
 * reaches the threshold it stops admitting, waits for running executions, saves the preserved
 * state, terminates the instance's connections on both ends (US11943093B1), restores S with a
 * new generation and fresh driver-supplied entropy, writes the preserved state back and admits
 * again. Step functions mirror spec/snapshot-gc/SnapshotGC.tla: Start, Finish, StopAdmitting,
 * SavePreserved, Terminate, Restore, WriteBack, Admit. `handleGcInput` is the driver-facing
 * dispatcher; its `steps` argument lets a test replace the guards a bug of the sheet touches.
 */
import type {
  ConnEnd, GcEffect, GcErrorCode, GcInput, GcInputType, RejectCode,
} from './messages.ts';

/** Spec phases. `awaiting` says which driver answer the current phase waits for. */
export type GcPhase =
  | 'admitting' | 'draining' | 'saved' | 'terminated' | 'restored' | 'written';
export const GC_PHASES: readonly GcPhase[] = [
  'admitting', 'draining', 'saved', 'terminated', 'restored', 'written',
];
export type Awaiting =
  | 'preserved-saved' | 'connections-closed' | 'restored' | 'written-back' | null;

export interface GcConfig {
  readonly instance: string;
  /** Name of the ready-state snapshot S, the target of every restore. */
  readonly snapshot: string;
  readonly thresholdBytes: number;
  /** Concurrent executions admitted at most (the spec's MaxRunning). */
  readonly maxRunning: number;
  /** A tick at least this long after the last read-garbage asks for a new reading. */
  readonly readIntervalMs: number;
}

export interface GcState {
  readonly config: GcConfig;
  readonly phase: GcPhase;
  readonly awaiting: Awaiting;
  /** Executions admitted and not finished, in admission order. */
  readonly running: readonly string[];
  /** Garbage accounted: max of the last reading and the deltas reported since a restore. */
  readonly garbageBytes: number;
  /** The last garbage-reading input (0 after a restore: S has no garbage). */
  readonly garbageReadingBytes: number;
  /** Preserved-state writes reported by finished executions (ghost for tests and metrics). */
  readonly preservedWrites: number;
  /** The preserved state saved by the current GC (hex), written back after the restore. */
  readonly saved: string | null;
  /** Generation of the instance's current incarnation (1 = launched from S). */
  readonly generation: number;
  /** Entropy (hex) handed to the current incarnation; the next restore must not reuse it. */
  readonly entropy: string;
  /** Entropy for the pending restore, taken from connections-closed. */
  readonly nextEntropy: string | null;
  readonly nowMs: number;
  readonly lastReadMs: number | null;
  readonly gcStartedMs: number | null;
  readonly gcCount: number;
}

export interface GcStep {
  readonly state: GcState;
  readonly effects: readonly GcEffect[];
}

/** The guards and identity choice a bug of the sheet touches; tests replace them. */
export interface GcSteps {
  /** Start guard: may a new execution be admitted? (bug 5 reads a stale reading). */
  readonly admits: (s: GcState) => RejectCode | null;
  /** No execution runs in the instance (bug 1 answers true while some still run). */
  readonly drained: (s: GcState) => boolean;
  /** SavePreserved guard (bug 2 saves while the drain is still running). */
  readonly canSave: (s: GcState, steps: GcSteps) => boolean;
  /** Terminate: the connection ends to close, both by default (bug 3 closes none). */
  readonly terminateEnds: (s: GcState) => readonly ConnEnd[];
  /** Restore: generation and entropy of the new incarnation (bug 6 keeps S's). */
  readonly identity: (s: GcState, entropy: string) => { generation: number; entropy: string };
}

export function initGcManager(config: GcConfig, launchEntropy: string): GcState {
  if (config.thresholdBytes <= 0) throw new Error('assertion: thresholdBytes > 0');
  if (config.maxRunning <= 0) throw new Error('assertion: maxRunning > 0');
  return {
    config, phase: 'admitting', awaiting: null, running: [], garbageBytes: 0,
    garbageReadingBytes: 0, preservedWrites: 0, saved: null, generation: 1,
    entropy: launchEntropy, nextEntropy: null, nowMs: 0, lastReadMs: null, gcStartedMs: null,
    gcCount: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Guards (the defaults of GcSteps).

export function admits(s: GcState): RejectCode | null {
  if (s.phase !== 'admitting') return 'NOT_ADMITTING';
  if (s.running.length >= s.config.maxRunning) return 'AT_CAPACITY';
  if (s.garbageBytes >= s.config.thresholdBytes) return 'OVER_THRESHOLD';
  return null;
}
export const drained = (s: GcState): boolean => s.running.length === 0;
export const canStopAdmitting = (s: GcState): boolean =>
  s.phase === 'admitting' && s.garbageBytes >= s.config.thresholdBytes;
export const canSave = (s: GcState, steps: GcSteps): boolean =>
  s.phase === 'draining' && s.awaiting === null && steps.drained(s);
export const canTerminate = (s: GcState, steps: GcSteps): boolean =>
  s.phase === 'saved' && s.awaiting === null && steps.drained(s);
export const terminateEnds = (_s: GcState): readonly ConnEnd[] => ['instance', 'peer'];
export const newIdentity = (s: GcState, entropy: string) =>
  ({ generation: s.generation + 1, entropy });

export const defaultGcSteps: GcSteps = {
  admits, drained, canSave, terminateEnds, identity: newIdentity,
};

// ---------------------------------------------------------------------------------------------
// Step functions, one per spec action. Each asserts its guard (a caller bug otherwise).

const I = (s: GcState) => s.config.instance;

/** Start(i): admit an execution. */
export function start(s: GcState, execId: string, steps = defaultGcSteps): GcStep {
  const reject = steps.admits(s);
  if (reject !== null) {
    const e: GcEffect = { type: 'reject-execution', instance: I(s), execId, code: reject };
    return { state: s, effects: [e] };
  }
  return {
    state: { ...s, running: [...s.running, execId] },
    effects: [{ type: 'run-execution', instance: I(s), execId }],
  };
}

/** Finish(i, g, w): an execution ends, leaving garbage and preserved writes. */
export function finish(s: GcState, execId: string, garbageDelta: number, writes: number): GcStep {
  if (!s.running.includes(execId)) throw new Error(`assertion: ${execId} not running`);
  const state: GcState = {
    ...s,
    running: s.running.filter((e) => e !== execId),
    garbageBytes: s.garbageBytes + garbageDelta,
    preservedWrites: s.preservedWrites + writes,
  };
  return { state, effects: [] };
}

/** StopAdmitting(i): garbage reached the threshold; the drain begins. */
export function stopAdmitting(s: GcState): GcStep {
  if (!canStopAdmitting(s)) throw new Error('assertion: StopAdmitting not enabled');
  return {
    state: { ...s, phase: 'draining', gcStartedMs: s.nowMs },
    effects: [{ type: 'stop-admitting', instance: I(s) }],
  };
}

/** First half of SavePreserved(i): ask the driver for the preserved state. */
export function requestSave(s: GcState, steps = defaultGcSteps): GcStep {
  if (!steps.canSave(s, steps)) throw new Error('assertion: SavePreserved not enabled');
  return {
    state: { ...s, awaiting: 'preserved-saved' },
    effects: [{ type: 'save-preserved', instance: I(s) }],
  };
}

/** SavePreserved(i) completes: the saved value is what the instance held at this moment. */
export function preservedSaved(s: GcState, value: string): GcStep {
  if (s.awaiting !== 'preserved-saved') throw new Error('assertion: no save pending');
  return { state: { ...s, phase: 'saved', awaiting: null, saved: value }, effects: [] };
}

/** First half of Terminate(i): close the connections on both ends. */
export function requestTerminate(s: GcState, steps = defaultGcSteps): GcStep {
  if (!canTerminate(s, steps)) throw new Error('assertion: Terminate not enabled');
  const ends = [...steps.terminateEnds(s)];
  return {
    state: { ...s, awaiting: 'connections-closed' },
    effects: [{ type: 'terminate-connections', instance: I(s), ends }],
  };
}

/** Terminate(i) completes; the driver hands over the entropy for the coming restore. */
export function connectionsClosed(s: GcState, entropy: string): GcStep {
  const state: GcState = { ...s, phase: 'terminated', awaiting: null, nextEntropy: entropy };
  return { state, effects: [] };
}

/** First half of Restore(i): restore S with a new generation and fresh entropy. */
export function requestRestore(s: GcState, entropy: string, steps = defaultGcSteps): GcStep {
  if (s.phase !== 'terminated' || s.awaiting !== null) throw new Error('assertion: Restore');
  if (!steps.drained(s)) throw new Error('assertion: Restore while executions run');
  const id = steps.identity(s, entropy);
  return {
    state: { ...s, awaiting: 'restored', generation: id.generation, nextEntropy: id.entropy },
    effects: [{
      type: 'restore', instance: I(s), snapshot: s.config.snapshot, generation: id.generation,
      entropy: id.entropy,
    }],
  };
}

/** Restore(i) completes: S runs again, garbage is zero. */
export function restored(s: GcState): GcStep {
  if (s.awaiting !== 'restored' || s.nextEntropy === null) throw new Error('assertion: restored');
  return {
    state: {
      ...s, phase: 'restored', awaiting: null, entropy: s.nextEntropy, nextEntropy: null,
      garbageBytes: 0, garbageReadingBytes: 0,
    },
    effects: [],
  };
}

/** First half of WriteBack(i): write the saved preserved state into the restored instance. */
export function requestWriteBack(s: GcState): GcStep {
  if (s.phase !== 'restored' || s.awaiting !== null || s.saved === null) {
    throw new Error('assertion: WriteBack not enabled');
  }
  return {
    state: { ...s, awaiting: 'written-back' },
    effects: [{ type: 'write-back-preserved', instance: I(s), value: s.saved }],
  };
}

export function writtenBack(s: GcState): GcStep {
  if (s.awaiting !== 'written-back') throw new Error('assertion: no write-back pending');
  return { state: { ...s, phase: 'written', awaiting: null, saved: null }, effects: [] };
}

/** Admit(i): admissions resume; the GC is over. */
export function admit(s: GcState): GcStep {
  if (s.phase !== 'written' || s.awaiting !== null) throw new Error('assertion: Admit');
  const pauseMs = s.gcStartedMs === null ? 0 : Math.max(0, s.nowMs - s.gcStartedMs);
  return {
    state: { ...s, phase: 'admitting', gcStartedMs: null, gcCount: s.gcCount + 1 },
    effects: [
      { type: 'admit', instance: I(s) },
      { type: 'gc-finished', instance: I(s), generation: s.generation, pauseMs },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The driver-facing dispatcher.

function rejected(s: GcState, input: GcInputType, code: GcErrorCode, message: string): GcStep {
  return {
    state: s,
    effects: [{ type: 'input-rejected', instance: I(s), input, code, message }],
  };
}

/** Runs the manager's own steps (no driver answer needed) until none is enabled. */
export function advance(s0: GcState, steps = defaultGcSteps): GcStep {
  let s = s0;
  const effects: GcEffect[] = [];
  for (let guard = 0; guard < 8; guard += 1) {
    let r: GcStep | null = null;
    if (canStopAdmitting(s)) r = stopAdmitting(s);
    else if (steps.canSave(s, steps)) r = requestSave(s, steps);
    else if (canTerminate(s, steps)) r = requestTerminate(s, steps);
    else if (s.phase === 'terminated' && s.awaiting === null) {
      if (s.nextEntropy === null) throw new Error('assertion: no entropy for the restore');
      r = requestRestore(s, s.nextEntropy, steps);
    } else if (s.phase === 'restored' && s.awaiting === null) r = requestWriteBack(s);
    else if (s.phase === 'written' && s.awaiting === null) r = admit(s);
    if (r === null) return { state: s, effects };
    s = r.state;
    effects.push(...r.effects);
  }
  throw new Error('assertion: advance did not settle');
}

function answer(s: GcState, input: GcInput, steps: GcSteps): GcStep {
  switch (input.type) {
    case 'preserved-saved':
      return preservedSaved(s, input.value);
    case 'connections-closed':
      if (input.entropy === s.entropy) {
        return rejected(s, input.type, 'REUSED_ENTROPY', 'entropy equals the current one');
      }
      return connectionsClosed(s, input.entropy);
    case 'restored':
      return restored(s);
    case 'written-back':
      return writtenBack(s);
    default:
      throw new Error(`assertion: ${input.type} is not an answer`);
  }
}

function dispatch(s: GcState, input: GcInput, steps: GcSteps): GcStep {
  switch (input.type) {
    case 'execution-started':
      if (s.running.includes(input.execId)) {
        return rejected(s, input.type, 'DUPLICATE_EXECUTION', `${input.execId} already runs`);
      }
      return start(s, input.execId, steps);
    case 'execution-finished':
      if (!s.running.includes(input.execId)) {
        return rejected(s, input.type, 'UNKNOWN_EXECUTION', `${input.execId} is not running`);
      }
      return finish(s, input.execId, input.garbageDelta, input.preservedWrites);
    case 'garbage-reading': {
      const garbageBytes = Math.max(s.garbageBytes, input.bytes);
      return { state: { ...s, garbageReadingBytes: input.bytes, garbageBytes }, effects: [] };
    }
    case 'drained':
      if (s.running.length > 0) {
        return rejected(s, input.type, 'NOT_DRAINED', `${s.running.length} executions run`);
      }
      return { state: s, effects: [] };
    case 'tick':
      return onTick(s, input.nowMs);
    case 'preserved-saved':
    case 'connections-closed':
    case 'restored':
    case 'written-back':
      if (s.awaiting !== input.type) {
        return rejected(s, input.type, 'UNEXPECTED_INPUT', `awaiting ${s.awaiting ?? 'nothing'}`);
      }
      return answer(s, input, steps);
    default: {
      const never: never = input;
      throw new Error(`assertion: unknown input ${JSON.stringify(never)}`);
    }
  }
}

function onTick(s: GcState, nowMs: number): GcStep {
  const t = Math.max(s.nowMs, nowMs);
  const due = s.lastReadMs === null || t - s.lastReadMs >= s.config.readIntervalMs;
  if (!due || s.phase !== 'admitting') return { state: { ...s, nowMs: t }, effects: [] };
  return {
    state: { ...s, nowMs: t, lastReadMs: t },
    effects: [{ type: 'read-garbage', instance: I(s) }],
  };
}

/**
 * Handles one driver input: the input's own step, then every step the manager takes by
 * itself. An input it cannot take yields an `input-rejected` effect and no state change.
 */
export function handleGcInput(s: GcState, input: GcInput, steps = defaultGcSteps): GcStep {
  if (input.instance !== I(s)) {
    return rejected(s, input.type, 'WRONG_INSTANCE', `input for ${input.instance}`);
  }
  const first = dispatch(s, input, steps);
  if (first.effects.some((e) => e.type === 'input-rejected')) return first;
  const rest = advance(first.state, steps);
  return { state: rest.state, effects: [...first.effects, ...rest.effects] };
}
