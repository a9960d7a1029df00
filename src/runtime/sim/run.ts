/** Running, replaying and reporting simulations. */
import { stableJson } from './hash.ts';
import { assertSeed } from './prng.ts';
import { newStats, Simulation } from './sim.ts';
import type { SimOptions } from './sim.ts';
import type { SimEvent, SimFailure, SimPlan, SimResult, SimWorld, Violation } from './types.ts';
import { validatePlan } from './validate.ts';

/**
 * Runs one simulation to its end. An invalid plan is reported as a failure with code
 * `bad-plan` (no step runs); an invalid seed or option is a bug and throws.
 */
export function runSim<Msg, Durable, Volatile, Input>(
  options: SimOptions<Msg, Durable, Volatile, Input>,
  seed: number,
  plan: SimPlan<Input> = { faults: [] },
): SimResult<Msg, Input> {
  assertSeed(seed);
  const planError = validatePlan(plan, options.nodes);
  if (planError !== undefined) {
    const failure: SimFailure<Msg, Input> = {
      code: 'bad-plan', message: planError.message, seed, plan, step: 0, atMs: 0, violated: [],
      violations: [], lastEvents: [], lastLogs: [], logHash: '',
    };
    return { ok: false, failure, steps: 0, nowMs: 0, stats: newStats(), logHash: '' };
  }
  return new Simulation(options, seed, plan).run();
}

/**
 * Runs (seed, plan) again with the same options: the same events, byte for byte, so the same
 * failure at the same step. Options must be rebuilt the same way (behaviours are pure).
 */
export function replay<Msg, Durable, Volatile, Input>(
  options: SimOptions<Msg, Durable, Volatile, Input>,
  seed: number,
  plan: SimPlan<Input>,
): SimResult<Msg, Input> {
  return runSim(options, seed, plan);
}

/** A predicate for `invariantsFrom`: true when it holds; false or a detail string when not. */
export type InvariantPredicate<Durable, Volatile> = (
  world: SimWorld<Durable, Volatile>,
) => boolean | string;

/**
 * Builds an `invariants` option from named predicates (name them as the spec's invariants).
 * Example: `invariantsFrom({ UniqueTickets: (w) => ..., TypeOK: (w) => ... })`.
 */
export function invariantsFrom<Durable, Volatile>(
  predicates: Record<string, InvariantPredicate<Durable, Volatile>>,
): (world: SimWorld<Durable, Volatile>) => Violation[] {
  const entries = Object.entries(predicates);
  return (world) => {
    let out: Violation[] | undefined;
    for (const [name, holds] of entries) {
      const r = holds(world);
      if (r === true) continue;
      const v: Violation = typeof r === 'string' ? { name, detail: r } : { name };
      (out ??= []).push(v);
    }
    return out ?? NO_VIOLATIONS;
  };
}

const NO_VIOLATIONS: Violation[] = [];

/** One line per event, for humans: `#12 @35ms deliver b<-a #7 {"type":"ping"}`. */
export function formatEvent<Msg, Input>(e: SimEvent<Msg, Input>): string {
  const head = `#${e.step} @${e.atMs}ms ${e.kind}`;
  switch (e.kind) {
    case 'deliver':
      return `${head} ${e.node}<-${e.from} #${e.msgId} ${clip(stableJson(e.msg))}`;
    case 'timer':
      return `${head} ${e.node} ${e.name}`;
    case 'input':
      return `${head} ${e.node} ${clip(stableJson(e.input))}`;
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      return `${head} ${e.node}${e.effective ? '' : ' (no effect)'}`;
    case 'partition':
    case 'heal':
    case 'network':
      return `${head} ${stableJson(e.fault)}`;
    case 'drop':
      return `${head} ${e.what} to ${e.node} (${e.reason})`;
    default: {
      const never: never = e;
      throw new Error(`assertion: unknown event ${stableJson(never)}`);
    }
  }
}

/** A failure as text: what failed, how to replay it, and the last events. */
export function describeFailure<Msg, Input>(f: SimFailure<Msg, Input>, lastN = 30): string {
  const lines = [
    `simulation failed (${f.code}) at step ${f.step}, t=${f.atMs}ms: ${f.message}`,
    ...f.violations.map((v) => `  violated ${v.name}${v.detail ? `: ${v.detail}` : ''}`),
    `  replay: seed=${f.seed} plan=${stableJson(f.plan)}`,
    `  log hash ${f.logHash}; last ${Math.min(lastN, f.lastEvents.length)} events:`,
    ...f.lastEvents.slice(-lastN).map((e) => `    ${formatEvent(e)}`),
  ];
  if (f.lastLogs.length > 0) {
    lines.push('  last logs:', ...f.lastLogs.slice(-lastN).map((l) => `    ${l}`));
  }
  return lines.join('\n');
}

function clip(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
