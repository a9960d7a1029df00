/**
 * plumbline/sim: a deterministic simulator that gives sans-IO protocol cores a world.
 *
 * One seed and one plan decide everything: message delays, losses, duplicates, timer order,
 * faults. The same (seed, plan) gives the same event log byte for byte, so any failure replays.
 *
 * - Time is virtual, in integer milliseconds (`nowMs`, `atMs`, `afterMs`).
 * - Nodes run a `NodeBehavior`: handlers return `{ durable?, volatile?, effects }`. Effects are
 *   `send`, `setTimer` (same name re-arms), `cancelTimer`, `log`.
 * - Crash: volatile state, armed timers and messages held for the node are lost; durable state
 *   stays; `restart` calls `recover(id, durable, ctx)`. Messages arriving while crashed are
 *   dropped. Pause (SIGSTOP): messages, timers and inputs are held, then handled on resume.
 * - Network: delay distribution, loss, duplication, reordering (random delays, plus explicit
 *   `reorder`), optional per-link FIFO, directional partitions, a bound on messages in flight.
 * - `step()` handles one event and returns it (`deliver`, `timer`, `input`, `crash`, `restart`,
 *   `pause`, `resume`, `partition`, `heal`, `network`, `drop`); `onStep(event, world)` runs
 *   after every step, then `invariants(world)`; a violation stops the run with a `SimFailure`
 *   holding the seed, the plan, the step, the violated names and the last events.
 * - Randomness: `Prng` (xoshiro128**), with `fork(label)` sub-streams; each node gets its own
 *   stream as `ctx.rng` (for adapters; cores take random values as inputs).
 *
 * Usage:
 * ```ts
 * import { describeFailure, faultPlanArb, invariantsFrom, runSim, simProperty }
 *   from 'plumbline/sim';
 * import type { NodeBehavior, SimOptions } from 'plumbline/sim';
 *
 * type Msg = { type: 'ping'; n: number };
 * type Durable = { max: number };
 * type Volatile = { n: number };
 * const pinger: NodeBehavior<Msg, Durable, Volatile, never> = {
 *   init: (id) => ({ durable: { max: 0 }, volatile: { n: 0 },
 *     effects: id === 'a' ? [{ type: 'send', to: 'b', msg: { type: 'ping', n: 1 } }] : [] }),
 *   recover: (_id, durable) => ({ volatile: { n: durable.max } }),
 *   onMessage: (node, from, msg) => ({
 *     durable: { max: Math.max(node.durable.max, msg.n) },
 *     volatile: { n: msg.n },
 *     effects: [{ type: 'send', to: from, msg: { type: 'ping', n: msg.n + 1 } }],
 *   }),
 *   onTimer: () => ({}),
 *   onInput: () => ({}),
 * };
 * const options: SimOptions<Msg, Durable, Volatile, never> = {
 *   nodes: ['a', 'b'], behavior: pinger, maxSteps: 10_000,
 *   network: { delay: { kind: 'uniform', minMs: 1, maxMs: 20 }, lossRate: 0.01 },
 *   invariants: invariantsFrom({ Bounded: (w) => w.node('a').durable.max < 1e6 }),
 * };
 * const plan = { faults: [{ atMs: 50, fault: { type: 'crash', node: 'b' } },
 *                         { atMs: 90, fault: { type: 'restart', node: 'b' } }] } as const;
 * const r = runSim(options, 42, plan);
 * if (!r.ok) console.log(describeFailure(r.failure)); // replay(options, seed, plan) repeats it
 *
 * // In a test: fast-check picks seeds and fault plans, shrinks a failure, and throws a report
 * // with the seed and plan that replay it (checkSimProperty returns it as a value instead).
 * simProperty({ options, params: { numRuns: 100 },
 *   faults: faultPlanArb({ nodes: ['a', 'b'], horizonMs: 1000, maxFaults: 4 }) });
 * ```
 * (test/sim/example.test.ts runs this example.)
 * For step-by-step control use `new Simulation(options, seed, plan)` and call `step()`.
 */
export { Prng, assertSeed, hashLabel32, mix32 } from './prng.ts';
export type { SimSeed } from './prng.ts';
export {
  DelaySchema,
  FaultEntrySchema,
  FaultPlanSchema,
  FaultSchema,
  NetworkConfigSchema,
  NodeIdSchema,
  parseFaultPlan,
} from './schema.ts';
export type {
  Delay,
  Fault,
  FaultEntry,
  FaultPlan,
  NetworkConfig,
  NetworkConfigInput,
  NodeId,
  PlanError,
} from './schema.ts';
export type {
  DropReason,
  Effect,
  InputEntry,
  NodeBehavior,
  NodeState,
  NodeStatus,
  NodeView,
  SendDrop,
  SimContext,
  SimEvent,
  SimEventKind,
  SimFailure,
  SimPlan,
  SimResult,
  SimStats,
  SimWorld,
  StopReason,
  Transition,
  Violation,
} from './types.ts';
export { Simulation } from './sim.ts';
export type { SimOptions } from './sim.ts';
export { describeFailure, formatEvent, invariantsFrom, replay, runSim } from './run.ts';
export type { InvariantPredicate } from './run.ts';
export { validatePlan } from './validate.ts';
export { LogHasher, stableJson } from './hash.ts';
export {
  checkSimProperty,
  faultPlanArb,
  inputsArb,
  simProperty,
  simSeedArb,
} from './arbitraries.ts';
export type {
  FaultEpisodeKind,
  FaultPlanArbOptions,
  SimPropertyConfig,
  SimPropertyOutcome,
} from './arbitraries.ts';
