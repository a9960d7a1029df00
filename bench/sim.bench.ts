/**
 * Simulator throughput: simulated protocol steps per second on one core, with the ticket
 * service (1 server, 8 clients, retries on timers, 1% loss, 1% duplication, uniform delays,
 * a crash/pause/partition every ~200 ms of virtual time, the NoReissue invariant after every
 * step). Also: the cost of the event-log hash and of the invariant, and heap bytes per message
 * in flight.
 *
 * Run: npx tsx -e "import('./bench/sim.bench.ts').then(m=>m.run()).then(r=>console.log(r))"
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Prng, Simulation, runSim } from '../src/runtime/sim/index.ts';
import type { FaultPlan, NodeBehavior, SimOptions } from '../src/runtime/sim/index.ts';
import { ticketService } from '../src/runtime/sim/examples/ticket.ts';
import type {
  TicketDurable, TicketMsg, TicketVolatile,
} from '../src/runtime/sim/examples/ticket.ts';

export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  samples?: number;
  detail?: object;
}

const STEPS = 200_000;
const SAMPLES = 5;

function faultPlan(seed: number, horizonMs: number): FaultPlan {
  const rng = new Prng(seed).fork('bench-plan');
  const nodes = ['server', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];
  const plan: FaultPlan = [];
  for (let t = 100; t < horizonMs; t += rng.int(100, 300)) {
    const node = rng.pick(nodes);
    const back = t + rng.int(5, 60);
    const kind = rng.int(0, 2);
    if (kind === 0) {
      plan.push({ atMs: t, fault: { type: 'crash', node } },
        { atMs: back, fault: { type: 'restart', node } });
    } else if (kind === 1) {
      plan.push({ atMs: t, fault: { type: 'pause', node } },
        { atMs: back, fault: { type: 'resume', node } });
    } else {
      plan.push({ atMs: t, fault: { type: 'isolate', node } },
        { atMs: back, fault: { type: 'rejoin', node } });
    }
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

type TicketOptions = SimOptions<TicketMsg, TicketDurable, TicketVolatile, never>;

function ticketOptions(hashLog: boolean, withInvariant: boolean): TicketOptions {
  const t = ticketService({ clients: 8, variant: 'reserve-ahead', blockSize: 16 });
  return {
    nodes: t.nodes,
    behavior: t.behavior,
    invariants: withInvariant ? t.invariants : undefined,
    hashLog,
    maxSteps: STEPS,
    maxTimeMs: 1e9,
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 10 }, lossRate: 0.01, dupRate: 0.01 },
  };
}

function throughput(name: string, hashLog: boolean, withInvariant: boolean): BenchResult {
  const rates: number[] = [];
  let virtualMs = 0;
  let stats: object = {};
  runSim(ticketOptions(hashLog, withInvariant), 1, { faults: faultPlan(1, 20_000) }); // warm-up
  for (let i = 0; i < SAMPLES; i++) {
    const seed = 100 + i;
    const plan = { faults: faultPlan(seed, 1_000_000) };
    const t0 = performance.now();
    const r = runSim(ticketOptions(hashLog, withInvariant), seed, plan);
    const seconds = (performance.now() - t0) / 1000;
    if (!r.ok) throw new Error(`bench run failed: ${r.failure.message}`);
    if (r.steps !== STEPS) throw new Error(`bench run stopped early (${r.stop})`);
    rates.push(r.steps / seconds);
    virtualMs = r.nowMs;
    stats = r.stats;
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  return {
    name, unit: 'steps/s', value: Math.round(median), samples: SAMPLES,
    detail: { stepsPerRun: STEPS, minStepsPerSecond: Math.round(rates[0] ?? 0),
      maxStepsPerSecond: Math.round(rates.at(-1) ?? 0), virtualMsPerRun: virtualMs,
      lastRunStats: stats },
  };
}

/** Heap bytes per queued message: a node sends N small messages with a long delay. */
function bytesPerInFlightMessage(): BenchResult {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const count = 200_000;
  type M = { type: 'req'; reqId: number };
  const sender: NodeBehavior<M, null, null, number> = {
    init: () => ({ durable: null, volatile: null }),
    recover: () => ({ volatile: null }),
    onMessage: () => ({}),
    onTimer: () => ({}),
    onInput: (_n, k) => ({ effects: Array.from({ length: k }, (_, i) => ({ type: 'send',
      to: 'b', msg: { type: 'req', reqId: i } })) }),
  };
  const sim = new Simulation<M, null, null, number>({
    nodes: ['a', 'b'], behavior: sender,
    network: { delay: { kind: 'uniform', minMs: 1_000_000, maxMs: 2_000_000 },
      maxInFlight: count + 1 },
  }, 1, { faults: [], inputs: [{ atMs: 0, node: 'a', input: count }] });
  gc();
  const before = process.memoryUsage().heapUsed;
  sim.step();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (sim.inFlight !== count) throw new Error(`expected ${count} in flight, got ${sim.inFlight}`);
  return { name: 'sim.memory.inFlightMessage', unit: 'bytes/message',
    value: Math.round((after - before) / count), samples: 1,
    detail: { messages: count, note: 'queue entry + the message object {type, reqId}' } };
}

export async function run(): Promise<BenchResult[]> {
  return [
    throughput('sim.ticket.stepsPerSecond', true, true),
    throughput('sim.ticket.stepsPerSecond.noHash', false, true),
    throughput('sim.ticket.stepsPerSecond.noHash.noInvariant', false, false),
    bytesPerInFlightMessage(),
  ];
}
