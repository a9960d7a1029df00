/**
 * Trace generation for trace validation of the sandbox-reuse cores: run `seed` of the
 * simulator with a plan (invocations, re-drives, limit adjustments, keep-alive expiries,
 * sandbox crashes, worker manager and frontend crashes, pauses, isolation, loss and
 * duplication) drawn from the seed alone, recording `(action, specState)` per spec step.
 * Runs stay within `traceClusterConfig()`, which `TRACE_CONSTANTS` mirrors.
 */
import { Prng, runSim } from '../../runtime/sim/index.ts';
import type {
  FaultEntry, InputEntry, NetworkConfigInput, SimPlan,
} from '../../runtime/sim/index.ts';
import type { GeneratedTrace } from '../../conform/index.ts';
import { kindsOf } from '../cluster.ts';
import type { ClusterConfig } from '../cluster.ts';
import { sandboxRun, traceOf } from './sim-adapter.ts';
import { FRONTEND_ID } from './sim-view.ts';
import type { SandboxInput } from './sim-view.ts';
import { traceClusterConfig } from './spec-binding.ts';

export const TRACE_NETWORK: NetworkConfigInput = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 12 },
  reorder: { rate: 0.2, extraMsMax: 30 },
};

export const HORIZON_MS = 300;

function pick<X>(rng: Prng, xs: readonly X[]): X {
  return xs[rng.int(0, xs.length - 1)]!;
}

/** Every sandbox id of a cluster (`worker#slot`), the targets of sticky routing. */
export function sandboxIds(c: ClusterConfig): string[] {
  return c.workers.flatMap((w) => Array.from({ length: c.capacity }, (_, i) => `${w}#${i + 1}`));
}

function randomInputs(rng: Prng, c: ClusterConfig): InputEntry<SandboxInput>[] {
  const inputs: InputEntry<SandboxInput>[] = [];
  const kinds = kindsOf(c);
  const favourite = kinds.slice(0, rng.int(1, kinds.length)); // reuse needs repeated kinds
  const at = (fromMs = 0) => rng.int(fromMs, HORIZON_MS);
  const fe = (atMs: number, input: SandboxInput) => inputs.push({ atMs, node: FRONTEND_ID, input });
  for (const request of c.requests) {
    const sticky = rng.chance(0.3) ? pick(rng, sandboxIds(c)) : null;
    fe(at(), { type: 'invoke', request, kind: pick(rng, favourite), sticky });
  }
  for (let i = rng.int(0, 4); i > 0; i--) {
    fe(at(60), { type: 'redrive', request: pick(rng, c.requests) });
  }
  for (let i = rng.int(0, 3); i > 0; i--) {
    fe(at(), { type: 'adjust', tenant: pick(rng, c.tenants), refused: rng.chance(0.6) });
  }
  for (let i = rng.int(0, 4); i > 0; i--) {
    inputs.push({ atMs: at(), node: pick(rng, c.workers), input: { type: 'reclaim' } });
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    inputs.push({ atMs: at(), node: pick(rng, c.workers), input: { type: 'sandboxCrash' } });
  }
  return inputs.sort((a, b) => a.atMs - b.atMs);
}

function randomFaults(rng: Prng, c: ClusterConfig): FaultEntry[] {
  const faults: FaultEntry[] = [];
  const nodes = [FRONTEND_ID, ...c.workers];
  const episode = (start: FaultEntry['fault'], end: FaultEntry['fault']) => {
    const t = rng.int(0, HORIZON_MS);
    faults.push({ atMs: t, fault: start }, { atMs: t + rng.int(5, 80), fault: end });
  };
  for (let i = rng.int(0, 2); i > 0; i--) {
    const n = pick(rng, nodes);
    episode({ type: 'crash', node: n }, { type: 'restart', node: n });
  }
  for (let i = rng.int(0, 1); i > 0; i--) {
    const n = pick(rng, nodes);
    episode({ type: 'pause', node: n }, { type: 'resume', node: n });
  }
  for (let i = rng.int(0, 1); i > 0; i--) {
    const n = pick(rng, nodes);
    episode({ type: 'isolate', node: n }, { type: 'rejoin', node: n });
  }
  if (rng.chance(0.5)) {
    const lossRate = rng.int(0, 30) / 100;
    const dupRate = rng.int(0, 30) / 100;
    episode({ type: 'network', lossRate, dupRate }, { type: 'network', lossRate: 0, dupRate: 0 });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** The random plan of run `seed`: inputs and faults drawn from the seed alone. */
export function randomPlan(seed: number, c: ClusterConfig = traceClusterConfig()):
  SimPlan<SandboxInput> {
  const rng = new Prng(seed >>> 0).fork('sandbox-plan');
  return { inputs: randomInputs(rng, c), faults: randomFaults(rng, c) };
}

export interface SandboxTrace extends GeneratedTrace {
  plan: SimPlan<SandboxInput>;
}

/** Runs the simulator for `seed` with its random plan and records the trace. */
export function generateTrace(seed: number, cluster: ClusterConfig = traceClusterConfig()):
  SandboxTrace {
  const plan = randomPlan(seed, cluster);
  const run = sandboxRun({ cluster, record: true },
    { network: TRACE_NETWORK, maxSteps: 20_000, maxTimeMs: 3_000, hashLog: false });
  const r = runSim(run.options, seed >>> 0, plan);
  const out: SandboxTrace = { seed, trace: traceOf(run), plan };
  if (!r.ok) out.failure = r.failure.message;
  return out;
}
