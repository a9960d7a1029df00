/**
 * Test-side pieces shared by the sandbox-reuse model-based tests: cluster configs, the canary
 * secret check (an execution reads what earlier executions left in its sandbox), input and
 * fault arbitraries for simulator properties, and a command-driven world for fc.commands that
 * runs the simulator's node behaviour with every delivery, loss, duplicate, timer and fault
 * chosen by a command.
 */
import fc from 'fast-check';
import { faultPlanArb, inputsArb, Prng } from '../../src/runtime/sim/index.ts';
import type {
  Effect, FaultPlan, InputEntry, NodeStatus, NodeView, SimContext, SimWorld, Violation,
} from '../../src/runtime/sim/index.ts';
import { kindsOf } from '../../src/sandbox/index.ts';
import type { ClusterConfig, Kind, Steps } from '../../src/sandbox/index.ts';
import {
  checkRun, frontendOf, FRONTEND_ID, sandboxIds, sandboxRun, SIM_KEY,
} from '../../src/sandbox/conformance/index.ts';
import type {
  SandboxDurable, SandboxInput, SandboxRun, SandboxSimConfig, SandboxVolatile, SimMessage,
  World,
} from '../../src/sandbox/conformance/index.ts';

export const WORKERS = ['w1', 'w2'];
export const REQUESTS = ['r1', 'r2', 'r3', 'r4'];
export const HORIZON_MS = 300;
export const SIM_NETWORK = { delay: { kind: 'uniform' as const, minMs: 1, maxMs: 12 },
  reorder: { rate: 0.2, extraMsMax: 30 } };

/** 2 worker managers with 2 slots, 4 requests, 2 versions, 2 tenants, limits 2..3. */
export function testCluster(over: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    workers: WORKERS, capacity: 2, requests: REQUESTS, fn: 'f', versions: [1, 2],
    tenants: ['ta', 'tb'], maxProbes: 1, maxRetries: 1, maxRedrives: 1, singleUse: true,
    limitFloor: 2, limitMax: 3, key: SIM_KEY, scope: 'invoke', timeoutMs: 60, ...over,
  };
}

/**
 * Canary secrets: every execution of request r in sandbox s reads what s holds, then writes a
 * secret of r's tenant. Reading another tenant's secret, or (single-use) any other request's
 * secret, is a leak. A reset, a reclaim and a fresh provisioning wipe the sandbox. The check
 * looks at the worker managers' real sandboxes, not at the spec view.
 */
export function canaryCheck(): (run: SandboxRun) => Violation[] {
  const memory = new Map<string, { request: string; tenant: string }[]>();
  const last = new Map<string, { phase: string; used: readonly string[] }>();
  return (run) => {
    const w = run.world!;
    const front = frontendOf(w);
    const out: Violation[] = [];
    for (const id of run.config.cluster.workers) {
      const d = w.node(id).durable;
      if (d.role !== 'wm') continue;
      for (const sb of d.d.state.sandboxes) {
        const before = last.get(sb.id) ?? { phase: 'Free', used: [] };
        const wiped = (sb.phase === 'Idle' && before.phase === 'Resetting') ||
          (sb.phase === 'Free' && before.phase !== 'Free') ||
          (sb.phase === 'Provisioning' && before.phase === 'Free');
        if (wiped) memory.set(sb.id, []);
        for (const r of sb.used.filter((x) => !before.used.includes(x))) {
          const tenant = front.requests[r]?.kind?.tenant ?? '?';
          const secrets = memory.get(sb.id) ?? [];
          const leak = secrets.find((c) => c.request !== r &&
            (c.tenant !== tenant || run.config.cluster.singleUse));
          if (leak !== undefined) {
            out.push({ name: 'CanaryLeak', detail: `${r} (${tenant}) read the secret of ` +
              `${leak.request} (${leak.tenant}) in ${sb.id}` });
          }
          memory.set(sb.id, [...secrets, { request: r, tenant }]);
        }
        last.set(sb.id, { phase: sb.phase, used: sb.used });
      }
    }
    return out;
  };
}

export interface OptionsOpts {
  steps?: Partial<Steps>;
  cluster?: ClusterConfig;
  canary?: boolean;
  checkInvariants?: boolean;
}

/** A fresh run's sim options per call (each run has its own journal and canary memory). */
export function simOptionsFactory(o: OptionsOpts = {}) {
  return () => sandboxRun(simConfig(o),
    { network: SIM_NETWORK, maxTimeMs: 3_000, maxSteps: 20_000 }).options;
}

export function simConfig(o: OptionsOpts): SandboxSimConfig {
  const cfg: SandboxSimConfig = { cluster: o.cluster ?? testCluster() };
  if (o.steps !== undefined) cfg.steps = o.steps;
  if (o.checkInvariants !== undefined) cfg.checkInvariants = o.checkInvariants;
  if (o.canary === true) cfg.extraChecks = canaryCheck();
  return cfg;
}

/** Every request invoked once at a random time (few kinds, so sandboxes get reused), plus
 *  re-drives, limit adjustments, keep-alive expiries and sandbox crashes. */
export function inputsArbitrary(c: ClusterConfig = testCluster()):
  fc.Arbitrary<InputEntry<SandboxInput>[]> {
  const kinds = kindsOf(c);
  const kind = fc.constantFrom(...kinds.slice(0, 3));
  const sticky = fc.option(fc.constantFrom(...sandboxIds(c)), { freq: 3 });
  const invokes = fc.tuple(...c.requests.map((request) => fc.record({
    atMs: fc.integer({ min: 0, max: HORIZON_MS / 2 }), node: fc.constant(FRONTEND_ID),
    input: fc.record({ type: fc.constant('invoke' as const), request: fc.constant(request),
      kind, sticky }) as fc.Arbitrary<SandboxInput>,
  })));
  const feInput: fc.Arbitrary<SandboxInput> = fc.oneof(
    fc.record({ type: fc.constant('redrive' as const), request: fc.constantFrom(...c.requests) }),
    fc.record({ type: fc.constant('adjust' as const), tenant: fc.constantFrom(...c.tenants),
      refused: fc.boolean() }),
  );
  const wkInput: fc.Arbitrary<SandboxInput> = fc.constantFrom<SandboxInput>(
    { type: 'reclaim' }, { type: 'sandboxCrash' });
  const fe = inputsArb([FRONTEND_ID], feInput, { horizonMs: HORIZON_MS + 200, maxInputs: 5 });
  const wk = inputsArb(c.workers, wkInput, { horizonMs: HORIZON_MS, maxInputs: 4 });
  return fc.tuple(invokes, fe, wk).map(([a, b, d]) =>
    [...a, ...b, ...d].sort((x, y) => x.atMs - y.atMs));
}

/** Crashes (worker managers and the frontend), pauses, isolation, loss and duplication. */
export function faultsArbitrary(c: ClusterConfig = testCluster()): fc.Arbitrary<FaultPlan> {
  return faultPlanArb({ nodes: [FRONTEND_ID, ...c.workers], horizonMs: HORIZON_MS,
    maxFaults: 4, maxDurationMs: 100, kinds: ['crash', 'pause', 'isolate', 'network'],
    maxRate: 0.3 });
}

export type { Kind };

// ---- a command-driven world -----------------------------------------------------------------

type Msg = SimMessage;

class ManualNode implements NodeView<SandboxDurable, SandboxVolatile> {
  status: NodeStatus = 'up';
  volatile: SandboxVolatile | undefined;
  incarnation = 0;
  readonly timers = new Set<string>();
  constructor(readonly id: string, public durable: SandboxDurable, volatile: SandboxVolatile) {
    this.volatile = volatile;
  }
  timerNames(): string[] {
    return [...this.timers].sort();
  }
}

/**
 * The simulator's behaviour driven by commands: `deliver(i)` the i-th message in flight,
 * `lose(i)`, `duplicate(i)`, `fire(i)` the i-th armed timer, `input`, `crash`, `restart`,
 * `settle` (deliver and fire until nothing is left). The clock advances 1 ms per step. After
 * every step the run's checks (invariants, canaries) are returned.
 */
export class CommandWorld {
  readonly run: SandboxRun;
  readonly inFlight: { to: string; msg: Msg }[] = [];
  private readonly nodes = new Map<string, ManualNode>();
  private readonly rng: Prng;
  nowMs = 0;
  stepCount = 0;

  constructor(config: SandboxSimConfig, seed = 1) {
    this.run = sandboxRun(config);
    this.rng = new Prng(seed >>> 0);
    this.run.world = this.asWorld();
    const behavior = this.run.options.behavior;
    for (const id of this.run.nodes) {
      const init = behavior.init(id, this.ctx(id));
      const n = new ManualNode(id, init.durable, init.volatile);
      this.nodes.set(id, n);
      this.effects(n, init.effects ?? []);
    }
  }

  private ctx(self: string): SimContext {
    return { self, nowMs: this.nowMs, incarnation: 0, rng: this.rng };
  }

  asWorld(): World {
    const self = this;
    const w: SimWorld<SandboxDurable, SandboxVolatile> = {
      seed: 0, get nowMs() { return self.nowMs; }, get stepCount() { return self.stepCount; },
      nodeIds: this.run.nodes, node: (id) => self.node(id), get inFlight() {
        return self.inFlight.length;
      },
      network: { delay: { kind: 'fixed', ms: 1 }, lossRate: 0, dupRate: 0,
        reorder: { rate: 0, extraMsMax: 0 }, fifo: false, maxInFlight: 1e6,
        dropAcrossRestart: false },
      isBlocked: () => false,
      stats: { steps: 0, sent: 0, delivered: 0, duplicated: 0, timersFired: 0, inputs: 0,
        faults: 0, dropped: { lost: 0, partitioned: 0, overflow: 0, crashed: 0,
          'stale-incarnation': 0 }, held: 0 },
    };
    return w;
  }

  node(id: string): ManualNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`assertion: unknown node ${id}`);
    return n;
  }

  private effects(n: ManualNode, effects: readonly Effect<Msg>[]): void {
    for (const e of effects) {
      if (e.type === 'send') this.inFlight.push({ to: e.to, msg: e.msg });
      if (e.type === 'setTimer') n.timers.add(e.name);
      if (e.type === 'cancelTimer') n.timers.delete(e.name);
    }
  }

  private apply(n: ManualNode, t: { durable?: SandboxDurable; volatile?: SandboxVolatile;
    effects?: readonly Effect<Msg>[] }): void {
    if (t.durable !== undefined) n.durable = t.durable;
    if (t.volatile !== undefined) n.volatile = t.volatile;
    this.effects(n, t.effects ?? []);
  }

  /** Ends a step: the journal's action (as the simulator's onStep) and the run's checks. */
  private endStep(): Violation[] {
    this.stepCount++;
    this.nowMs++;
    this.run.options.onStep?.({ kind: 'timer', node: '', name: '', step: this.stepCount,
      atMs: this.nowMs }, this.asWorld());
    return checkRun(this.run, this.asWorld());
  }

  private handle(n: ManualNode, f: (view: { id: string; durable: SandboxDurable;
    volatile: SandboxVolatile }, ctx: SimContext) => Parameters<CommandWorld['apply']>[1]):
    Violation[] {
    if (n.status !== 'up' || n.volatile === undefined) return [];
    this.apply(n, f({ id: n.id, durable: n.durable, volatile: n.volatile }, this.ctx(n.id)));
    return this.endStep();
  }

  deliver(i: number): Violation[] {
    if (this.inFlight.length === 0) return [];
    const [m] = this.inFlight.splice(i % this.inFlight.length, 1);
    const b = this.run.options.behavior;
    return this.handle(this.node(m!.to), (v, ctx) => b.onMessage(v, '', m!.msg, ctx));
  }
  lose(i: number): void {
    if (this.inFlight.length > 0) this.inFlight.splice(i % this.inFlight.length, 1);
  }
  duplicate(i: number): void {
    if (this.inFlight.length > 0) this.inFlight.push(this.inFlight[i % this.inFlight.length]!);
  }
  /** Fires the i-th armed timer of all nodes (in name order). */
  fire(i: number): Violation[] {
    const all = this.run.nodes.flatMap((id) => this.node(id).status === 'up'
      ? this.node(id).timerNames().map((name) => ({ id, name })) : []);
    if (all.length === 0) return [];
    const { id, name } = all[i % all.length]!;
    const n = this.node(id);
    n.timers.delete(name);
    const b = this.run.options.behavior;
    return this.handle(n, (v, ctx) => b.onTimer(v, name, ctx));
  }
  input(id: string, input: SandboxInput): Violation[] {
    const b = this.run.options.behavior;
    return this.handle(this.node(id), (v, ctx) => b.onInput(v, input, ctx));
  }
  crash(id: string): Violation[] {
    const n = this.node(id);
    if (n.status === 'crashed') return [];
    n.status = 'crashed';
    n.volatile = undefined;
    n.timers.clear();
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      if (this.inFlight[i]!.to === id) this.inFlight.splice(i, 1);
    }
    return this.endStep();
  }
  restart(id: string): Violation[] {
    const n = this.node(id);
    if (n.status !== 'crashed') return [];
    n.status = 'up';
    n.incarnation++;
    const t = this.run.options.behavior.recover(id, n.durable, this.ctx(id));
    this.apply(n, t);
    return this.endStep();
  }
  /** Delivers messages and fires timers until nothing is left (or stepsMax). */
  settle(stepsMax = 600): Violation[] {
    for (let k = 0; k < stepsMax; k++) {
      const v = this.inFlight.length > 0 ? this.deliver(0) : this.fireAny();
      if (v === undefined) return [];
      if (v.length > 0) return v;
    }
    return [];
  }
  /** Worker timers first (ready, reset, exec), then request timeouts, then retries. */
  private fireAny(): Violation[] | undefined {
    const all = this.run.nodes.flatMap((id) => this.node(id).status === 'up'
      ? this.node(id).timerNames().map((name) => ({ id, name })) : []);
    const rank = (t: { id: string; name: string }): number =>
      (t.id !== FRONTEND_ID ? 0 : t.name === 'retry' ? 2 : 1);
    const first = [...all.entries()].sort((a, b) => rank(a[1]) - rank(b[1]) || a[0] - b[0])[0];
    return first === undefined ? undefined : this.fire(first[0]);
  }
}
