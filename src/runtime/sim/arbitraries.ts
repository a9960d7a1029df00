/**
 * fast-check support: arbitraries for seeds and fault plans, and `simProperty`, which lets
 * fast-check choose (seed, plan), runs the simulation, shrinks a failure and reports what
 * replays it.
 */
import fc from 'fast-check';
import { stableJson } from './hash.ts';
import { describeFailure, runSim } from './run.ts';
import type { SimOptions } from './sim.ts';
import type { Fault, FaultEntry, FaultPlan, NodeId } from './schema.ts';
import type { InputEntry, SimFailure, SimPlan } from './types.ts';

/** Any 32-bit simulation seed; shrinks towards 0. */
export const simSeedArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff_ffff });

export type FaultEpisodeKind = 'crash' | 'pause' | 'partition' | 'isolate' | 'network';

export interface FaultPlanArbOptions {
  nodes: readonly NodeId[];
  /** Faults start in [0, horizonMs]. */
  horizonMs: number;
  /** At most this many episodes (each is a fault and, usually, its undoing: 1–2 entries). */
  maxFaults: number;
  /** Episode kinds to draw from (default: all). */
  kinds?: readonly FaultEpisodeKind[];
  /** Longest episode (default horizonMs / 2, at least 1). */
  maxDurationMs?: number;
  /** Allow crashes without a restart (default false). */
  permanentCrashes?: boolean;
  /** Highest loss/dup rate a `network` episode sets (default 0.5); restored to 0 after. */
  maxRate?: number;
}

interface Episode {
  kind: FaultEpisodeKind;
  node: NodeId;
  other: NodeId;
  atMs: number;
  durationMs: number;
  permanent: boolean;
  lossRate: number;
  dupRate: number;
}

/**
 * Fault plans made of episodes: crash then restart, pause then resume, partition a->b then
 * heal, isolate then rejoin, a loss/dup spike then back to 0. Shrinking removes episodes,
 * moves them earlier and shortens them. Entries are sorted by time.
 */
export function faultPlanArb(opts: FaultPlanArbOptions): fc.Arbitrary<FaultPlan> {
  if (opts.nodes.length === 0) throw new Error('assertion: faultPlanArb needs nodes');
  const kinds = opts.kinds ?? ['crash', 'pause', 'partition', 'isolate', 'network'];
  const maxDurationMs = Math.max(1, opts.maxDurationMs ?? Math.floor(opts.horizonMs / 2));
  const maxRate = opts.maxRate ?? 0.5;
  const rateArb = fc.integer({ min: 0, max: 100 }).map((p) => (p / 100) * maxRate);
  const episode: fc.Arbitrary<Episode> = fc.record({
    kind: fc.constantFrom(...kinds),
    node: fc.constantFrom(...opts.nodes),
    other: fc.constantFrom(...opts.nodes),
    atMs: fc.integer({ min: 0, max: opts.horizonMs }),
    durationMs: fc.integer({ min: 1, max: maxDurationMs }),
    permanent: opts.permanentCrashes === true ? fc.boolean() : fc.constant(false),
    lossRate: rateArb,
    dupRate: rateArb,
  });
  return fc.array(episode, { maxLength: opts.maxFaults }).map(episodesToPlan);
}

function episodesToPlan(episodes: readonly Episode[]): FaultPlan {
  const entries: FaultEntry[] = [];
  for (const e of episodes) {
    const [start, end] = episodeFaults(e);
    entries.push({ atMs: e.atMs, fault: start });
    if (end !== undefined) entries.push({ atMs: e.atMs + e.durationMs, fault: end });
  }
  // Stable sort: equal times keep episode order.
  return entries
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => a.entry.atMs - b.entry.atMs || a.i - b.i)
    .map((x) => x.entry);
}

function episodeFaults(e: Episode): [Fault, Fault | undefined] {
  switch (e.kind) {
    case 'crash':
      return [{ type: 'crash', node: e.node },
        e.permanent ? undefined : { type: 'restart', node: e.node }];
    case 'pause':
      return [{ type: 'pause', node: e.node }, { type: 'resume', node: e.node }];
    case 'partition':
      if (e.node === e.other) {
        return [{ type: 'isolate', node: e.node }, { type: 'rejoin', node: e.node }];
      }
      return [{ type: 'partition', from: e.node, to: e.other },
        { type: 'heal', from: e.node, to: e.other }];
    case 'isolate':
      return [{ type: 'isolate', node: e.node }, { type: 'rejoin', node: e.node }];
    case 'network':
      return [{ type: 'network', lossRate: e.lossRate, dupRate: e.dupRate },
        { type: 'network', lossRate: 0, dupRate: 0 }];
    default: {
      const never: never = e.kind;
      throw new Error(`assertion: unknown episode kind ${String(never)}`);
    }
  }
}

/** Inputs at random times for random nodes, sorted by time. */
export function inputsArb<Input>(
  nodes: readonly NodeId[],
  input: fc.Arbitrary<Input>,
  opts: { horizonMs: number; maxInputs: number },
): fc.Arbitrary<InputEntry<Input>[]> {
  const entry = fc.record({
    atMs: fc.integer({ min: 0, max: opts.horizonMs }),
    node: fc.constantFrom(...nodes),
    input,
  });
  return fc
    .array(entry, { maxLength: opts.maxInputs })
    .map((xs) => xs.slice().sort((a, b) => a.atMs - b.atMs));
}

export interface SimPropertyConfig<Msg, Durable, Volatile, Input> {
  /** The options, or a factory called once per run (for options holding per-run state). */
  options:
    | SimOptions<Msg, Durable, Volatile, Input>
    | (() => SimOptions<Msg, Durable, Volatile, Input>);
  seed?: fc.Arbitrary<number>;
  faults?: fc.Arbitrary<FaultPlan>;
  inputs?: fc.Arbitrary<InputEntry<Input>[]>;
  /** fast-check parameters (numRuns, seed, path, endOnFailure, …). */
  params?: fc.Parameters<[number, SimPlan<Input>]>;
}

export type SimPropertyOutcome<Msg, Input> =
  | { ok: true; numRuns: number }
  | {
      ok: false;
      /** The failure of the shrunk counterexample. */
      failure: SimFailure<Msg, Input>;
      numRuns: number;
      numShrinks: number;
      /** fast-check's own seed and path (`params: { seed, path }` replays the search). */
      fcSeed: number;
      fcPath: string | null;
      report: string;
    };

class SimFailureError<Msg, Input> extends Error {
  constructor(readonly failure: SimFailure<Msg, Input>) {
    super(failure.message);
  }
}

/** Runs the property with fc.check and returns the shrunk failure, if any, as a value. */
export function checkSimProperty<Msg, Durable, Volatile, Input>(
  cfg: SimPropertyConfig<Msg, Durable, Volatile, Input>,
): SimPropertyOutcome<Msg, Input> {
  const options = typeof cfg.options === 'function' ? cfg.options : () => cfg.options as
    SimOptions<Msg, Durable, Volatile, Input>;
  const planArb: fc.Arbitrary<SimPlan<Input>> = fc.record({
    faults: cfg.faults ?? fc.constant<FaultPlan>([]),
    inputs: cfg.inputs ?? fc.constant<InputEntry<Input>[]>([]),
  });
  const prop = fc.property(cfg.seed ?? simSeedArb, planArb, (seed, plan) => {
    const r = runSim(options(), seed, plan);
    if (!r.ok) throw new SimFailureError(r.failure);
  });
  const details = fc.check(prop, cfg.params ?? {});
  if (!details.failed) return { ok: true, numRuns: details.numRuns };
  let failure: SimFailure<Msg, Input>;
  if (details.errorInstance instanceof SimFailureError) {
    failure = details.errorInstance.failure as SimFailure<Msg, Input>;
  } else {
    const [seed, plan] = details.counterexample ?? [0, { faults: [] }];
    failure = {
      code: 'exception', message: `property threw: ${String(details.errorInstance)}`, seed,
      plan, step: 0, atMs: 0, violated: [], violations: [], lastEvents: [], lastLogs: [],
      logHash: '',
    };
  }
  const report = [
    `simulation property failed after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
    describeFailure(failure),
    `  fast-check: seed=${details.seed} path=${stableJson(details.counterexamplePath)}`,
  ].join('\n');
  return { ok: false, failure, numRuns: details.numRuns, numShrinks: details.numShrinks,
    fcSeed: details.seed, fcPath: details.counterexamplePath, report };
}

/**
 * Asserts the property (for use inside a test): on failure, throws an Error whose message
 * names the seed and the shrunk plan that replay it and lists the last events.
 */
export function simProperty<Msg, Durable, Volatile, Input>(
  cfg: SimPropertyConfig<Msg, Durable, Volatile, Input>,
): void {
  const outcome = checkSimProperty(cfg);
  if (!outcome.ok) throw new Error(outcome.report);
}
