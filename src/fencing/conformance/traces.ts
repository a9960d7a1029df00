/**
 * Trace validation of the fencing cores: N seeded simulator runs (run i uses seed + i) with
 * random fault plans and inputs, each recorded as `(action, specState)` per spec step, then
 * checked by TLC against spec/fencing/Fencing.tla (all traces of a batch in one JVM).
 *
 * Runs stay within `TRACE_BOUNDS`: the issuer grants at most MaxEpoch epochs, heads take at
 * most MaxSeq client writes, and a plan crashes sleds at most MaxCrashes times.
 */
import { Prng, runSim } from '../../runtime/sim/index.ts';
import type {
  FaultEntry, InputEntry, NetworkConfigInput, SimPlan,
} from '../../runtime/sim/index.ts';
import { validateTraces } from '../../tla/index.ts';
import type { ImplTrace, TraceValidationResult, TraceValidationSpec } from '../../tla/index.ts';
import type { ClusterConfig } from '../index.ts';
import { fencingRun, ISSUER_ID, traceOf } from './sim-adapter.ts';
import type { FencingInput } from './sim-adapter.ts';
import {
  SPEC_ACTIONS, SPEC_PATH, SPEC_VARIABLES, TRACE_BOUNDS, TRACE_CONSTANTS, TRACE_HEADS,
  TRACE_SLEDS, TRACE_VALUES,
} from './spec-binding.ts';

/** A fixed MAC key for simulated runs (the sim is no place for secrets). */
export const SIM_KEY = new Uint8Array(32).fill(7);

export function traceClusterConfig(): ClusterConfig {
  return {
    sleds: [...TRACE_SLEDS], heads: [...TRACE_HEADS], values: [...TRACE_VALUES], w: 2, f: 2,
    maxEpoch: TRACE_BOUNDS.maxEpoch, maxSeq: TRACE_BOUNDS.maxSeq,
    maxCrashes: TRACE_BOUNDS.maxCrashes, key: SIM_KEY, volume: 'vol', extent: 'x0',
  };
}

export const TRACE_NETWORK: NetworkConfigInput = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 20 },
  reorder: { rate: 0.2, extraMsMax: 40 },
};

const HORIZON_MS = 300;

function pick<X>(rng: Prng, xs: readonly X[]): X {
  return xs[rng.int(0, xs.length - 1)]!;
}

function randomInputs(rng: Prng): InputEntry<FencingInput>[] {
  const heads = TRACE_HEADS;
  const at = (fromMs = 0) => rng.int(fromMs, HORIZON_MS);
  const inputs: InputEntry<FencingInput>[] = [];
  const takeovers = rng.int(1, 3);
  for (let i = 0; i < takeovers; i++) {
    const atMs = i === 0 ? rng.int(0, 30) : at();
    inputs.push({ atMs, node: ISSUER_ID, input: { type: 'takeover', holder: pick(rng, heads) } });
  }
  for (let i = rng.int(1, 6); i > 0; i--) {
    const input: FencingInput = { type: 'write', val: pick(rng, TRACE_VALUES) };
    inputs.push({ atMs: at(40), node: pick(rng, heads), input });
  }
  for (let i = rng.int(1, 3); i > 0; i--) {
    inputs.push({ atMs: at(40), node: pick(rng, heads), input: { type: 'read' } });
  }
  if (rng.chance(0.4)) {
    const [src, dst] = rng.chance(0.5) ? ['h1', 'h2'] : ['h2', 'h1'];
    const t = at(60);
    inputs.push({ atMs: t, node: src!, input: { type: 'migrate', dst: dst! } });
    inputs.push({ atMs: t + rng.int(1, 60), node: ISSUER_ID, input: { type: 'migrateGrant' } });
  }
  return inputs.sort((a, b) => a.atMs - b.atMs);
}

function randomFaults(rng: Prng): FaultEntry[] {
  const faults: FaultEntry[] = [];
  const episode = (start: FaultEntry['fault'], end: FaultEntry['fault']) => {
    const t = rng.int(0, HORIZON_MS);
    faults.push({ atMs: t, fault: start }, { atMs: t + rng.int(5, 120), fault: end });
  };
  const crashes = rng.int(0, TRACE_BOUNDS.maxCrashes);
  for (let i = 0; i < crashes; i++) {
    const s = pick(rng, TRACE_SLEDS);
    episode({ type: 'crash', node: s }, { type: 'restart', node: s });
  }
  if (rng.chance(0.3)) {
    episode({ type: 'crash', node: ISSUER_ID }, { type: 'restart', node: ISSUER_ID });
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, [...TRACE_HEADS, ...TRACE_SLEDS]);
    episode({ type: 'pause', node: n }, { type: 'resume', node: n });
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, [...TRACE_HEADS, ...TRACE_SLEDS]);
    episode({ type: 'isolate', node: n }, { type: 'rejoin', node: n });
  }
  if (rng.chance(0.4)) {
    const lossRate = rng.int(0, 30) / 100;
    const dupRate = rng.int(0, 30) / 100;
    episode({ type: 'network', lossRate, dupRate }, { type: 'network', lossRate: 0, dupRate: 0 });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The random plan of run `seed`: inputs and faults drawn from the seed alone. */
export function randomPlan(seed: number): SimPlan<FencingInput> {
  const rng = new Prng(seed >>> 0).fork('fencing-plan');
  return { inputs: randomInputs(rng), faults: randomFaults(rng) };
}

export interface GeneratedTrace {
  seed: number;
  trace: ImplTrace;
  plan: SimPlan<FencingInput>;
  /** A failure of the run itself (an invariant), if any. */
  failure?: string;
}

/** Runs the simulator for `seed` with its random plan and records the trace. */
export function generateTrace(seed: number): GeneratedTrace {
  const plan = randomPlan(seed);
  const run = fencingRun({ cluster: traceClusterConfig(), record: true },
    { network: TRACE_NETWORK, maxSteps: 5_000, maxTimeMs: 2_000, hashLog: false });
  const r = runSim(run.options, seed >>> 0, plan);
  const out: GeneratedTrace = { seed, trace: traceOf(run), plan };
  if (!r.ok) out.failure = r.failure.message;
  return out;
}

/** The trace validation spec: Fencing.tla, the trace constants, every action's formula. */
export function traceValidationSpec(): TraceValidationSpec {
  return {
    specPath: SPEC_PATH,
    constants: TRACE_CONSTANTS,
    variables: [...SPEC_VARIABLES],
    actions: { ...SPEC_ACTIONS },
  };
}

export interface TraceRunResult {
  generated: GeneratedTrace[];
  validation: TraceValidationResult;
}

/** Generates `runs` traces from `seed` and validates them with TLC. */
export async function validateFencingTraces(opts: {
  runs: number;
  seed: number;
  onRun?: (done: number) => void;
  batchSize?: number;
}): Promise<TraceRunResult> {
  const generated: GeneratedTrace[] = [];
  for (let i = 0; i < opts.runs; i++) {
    generated.push(generateTrace((opts.seed + i) >>> 0));
    opts.onRun?.(i + 1);
  }
  const validation = await validateTraces(traceValidationSpec(), generated.map((g) => g.trace),
    opts.batchSize === undefined ? {} : { batchSize: opts.batchSize });
  return { generated, validation };
}
