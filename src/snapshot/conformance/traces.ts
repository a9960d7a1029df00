/**
 * Trace generation for snapshot-gc: run `seed` draws its inputs (launches, executions started
 * and finished, connections, the transaction's steps) and its fault plan (crashes and restarts
 * of every node, pauses, isolations, message loss and duplication episodes) from the seed
 * alone, runs the cores in the simulator and records `(action, specState)` per spec step.
 * Every run uses `TRACE_CONFIG`, so its trace stays within `TRACE_CONSTANTS`.
 */
import { Prng, runSim } from '../../runtime/sim/index.ts';
import type {
  FaultEntry, InputEntry, NetworkConfigInput, SimPlan,
} from '../../runtime/sim/index.ts';
import type { GeneratedTrace } from '../../conform/index.ts';
import type { ClusterConfig, ClusterSteps } from '../index.ts';
import { HOST, PEER, SNAP_NODES, TXR, snapRun, traceOf } from './sim-adapter.ts';
import type { SnapInput } from './sim-adapter.ts';
import { TRACE_CONFIG } from './spec-binding.ts';

export const TRACE_NETWORK: NetworkConfigInput = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 20 },
  reorder: { rate: 0.2, extraMsMax: 30 },
};
export const HORIZON_MS = 400;
/** The run ends this long after the last input (the GC and resends settle meanwhile). */
export const SETTLE_MS = 300;

function pick<X>(rng: Prng, xs: readonly X[]): X {
  return xs[rng.int(0, xs.length - 1)]!;
}

function instanceInputs(rng: Prng, cfg: ClusterConfig): InputEntry<SnapInput>[] {
  const out: InputEntry<SnapInput>[] = [];
  const at = (from = 10) => rng.int(from, HORIZON_MS);
  for (const i of cfg.instances) {
    if (i === cfg.instances[0] || rng.chance(0.6)) {
      out.push({ atMs: rng.int(0, 20), node: HOST, input: { type: 'launch', i } });
    }
  }
  for (let n = rng.int(8, 24); n > 0; n--) {
    const i = pick(rng, cfg.instances);
    const r = rng.int(0, 9);
    let input: SnapInput;
    if (r < 4) input = { type: 'start', i };
    else if (r < 7) {
      input = { type: 'finish', i, g: rng.int(1, cfg.maxGarbage), w: rng.chance(0.5) };
    } else if (r < 9) input = { type: 'connect', i };
    else input = { type: 'disconnect', i };
    out.push({ atMs: at(), node: HOST, input });
  }
  return out;
}

function txInputs(rng: Prng): InputEntry<SnapInput>[] {
  const out: InputEntry<SnapInput>[] = [];
  if (!rng.chance(0.8)) return out;
  out.push({ atMs: rng.int(0, 100), node: TXR, input: { type: 'tx-begin' } });
  for (let n = rng.int(4, 14); n > 0; n--) {
    const r = rng.int(0, 2);
    const input: SnapInput = r === 0 ? { type: 'tx-send' }
      : r === 1 ? { type: 'tx-judge', ok: rng.chance(0.2) } : { type: 'tx-next' };
    out.push({ atMs: rng.int(20, HORIZON_MS), node: TXR, input });
  }
  return out;
}

function randomFaults(rng: Prng): FaultEntry[] {
  const faults: FaultEntry[] = [];
  const episode = (start: FaultEntry['fault'], end: FaultEntry['fault']) => {
    const t = rng.int(0, HORIZON_MS);
    faults.push({ atMs: t, fault: start }, { atMs: t + rng.int(5, 80), fault: end });
  };
  for (let n = rng.int(0, 2); n > 0; n--) {
    const node = pick(rng, SNAP_NODES);
    episode({ type: 'crash', node }, { type: 'restart', node });
  }
  if (rng.chance(0.3)) {
    const node = pick(rng, SNAP_NODES);
    episode({ type: 'pause', node }, { type: 'resume', node });
  }
  if (rng.chance(0.3)) {
    const node = pick(rng, [PEER, TXR]);
    episode({ type: 'isolate', node }, { type: 'rejoin', node });
  }
  if (rng.chance(0.5)) {
    const lossRate = rng.int(0, 40) / 100;
    const dupRate = rng.int(0, 40) / 100;
    episode({ type: 'network', lossRate, dupRate }, { type: 'network', lossRate: 0, dupRate: 0 });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The random plan of run `seed`: inputs and faults drawn from the seed alone. */
export function randomPlan(seed: number, cfg: ClusterConfig = TRACE_CONFIG): SimPlan<SnapInput> {
  const rng = new Prng(seed >>> 0).fork('snapshot-gc-plan');
  const inputs = [...instanceInputs(rng, cfg), ...txInputs(rng)].sort((a, b) => a.atMs - b.atMs);
  return { inputs, faults: randomFaults(rng) };
}

/** The sim options of a run (a fresh journal each time). */
export function runFor(opts: { steps?: ClusterSteps; record?: boolean } = {}) {
  const config = { cluster: TRACE_CONFIG, record: opts.record ?? false,
    ...(opts.steps === undefined ? {} : { steps: opts.steps }) };
  return snapRun(config, { network: TRACE_NETWORK, maxSteps: 5_000,
    maxTimeMs: HORIZON_MS + SETTLE_MS, hashLog: false });
}

/** Runs the simulator for `seed` with its random plan and records the trace. */
export function generateTrace(seed: number): GeneratedTrace & { plan: SimPlan<SnapInput> } {
  const plan = randomPlan(seed);
  const run = runFor({ record: true });
  const r = runSim(run.options, seed >>> 0, plan);
  const out: GeneratedTrace & { plan: SimPlan<SnapInput> } = { seed, trace: traceOf(run), plan };
  if (!r.ok) out.failure = r.failure.message;
  return out;
}
