/**
 * Test-side pieces shared by the fencing model-based tests: cluster configs, the checks run
 * after every simulator step besides the cores' invariants (reads answered by the current head
 * see the latest acknowledged write; bounded liveness once the network healed), input and
 * fault arbitraries, and a command-driven world for fc.commands that runs the same node
 * behaviour as the simulator with every delivery, loss, duplicate and fault chosen by a
 * command.
 */
import fc from 'fast-check';
import { faultPlanArb, inputsArb } from '../../src/runtime/sim/index.ts';
import type {
  Effect, FaultPlan, InputEntry, NodeId, NodeStatus, NodeView, SimWorld, Violation,
} from '../../src/runtime/sim/index.ts';
import { clusterIssuerEpoch, head, latestVal } from '../../src/fencing/index.ts';
import type { ClusterConfig, Message } from '../../src/fencing/index.ts';
import {
  checkRun, clusterViewOf, fencingRun, ISSUER_ID, SIM_KEY,
} from '../../src/fencing/conformance/index.ts';
import type {
  CoreHooks, FencingInput, FencingRun, FencingSimConfig,
} from '../../src/fencing/conformance/index.ts';
import type { FencingDurable, FencingVolatile } from '../../src/fencing/conformance/sim-view.ts';

export const SLEDS = ['s1', 's2', 's3'];
export const HEADS = ['h1', 'h2'];
export const VALUES = ['v1', 'v2'];

/** 3 sleds, W = F = 2; bounds high enough that no run reaches them (no TLC here). */
export function testCluster(): ClusterConfig {
  return {
    sleds: SLEDS, heads: HEADS, values: VALUES, w: 2, f: 2, maxEpoch: 50, maxSeq: 200,
    maxCrashes: 1_000, key: SIM_KEY, volume: 'vol', extent: 'x0',
  };
}

/** Every read answered by a head holding the highest granted epoch returns LatestVal. */
export function readChecks(): (run: FencingRun) => Violation[] {
  let seen = 0;
  return (run) => {
    const replies = run.journal.replies;
    const out: Violation[] = [];
    for (; seen < replies.length; seen++) {
      const r = replies[seen]!;
      if (r.reply.type !== 'readResult' || r.current !== true) continue;
      const view = clusterViewOf(run.config.cluster, run.world!, run.journal);
      const latest = latestVal(view);
      if (r.reply.val !== latest) {
        out.push({ name: 'ReadsSeeLatestAck',
          detail: `${r.head} read ${r.reply.val ?? 'NoValue'}, ` +
            `latest ack ${latest ?? 'NoValue'}` });
      }
    }
    return out;
  };
}

/**
 * Bounded liveness (WriteCompletes): at `deadlineMs` (after every fault healed), a head that
 * holds the highest granted epoch has nothing pending and is not stuck before serving.
 */
export function livenessCheck(deadlineMs: number): (run: FencingRun) => Violation[] {
  return (run) => {
    const w = run.world!;
    if (w.nowMs < deadlineMs) return [];
    const view = clusterViewOf(run.config.cluster, w, run.journal);
    const current = clusterIssuerEpoch(view);
    const out: Violation[] = [];
    for (const h of run.config.cluster.heads) {
      const v = w.node(h).volatile;
      if (v?.role !== 'head' || head.headEpoch(v.s) !== current || current === 0) continue;
      const done = (v.s.phase === 'serving' || v.s.phase === 'paused') && v.s.pending === null;
      if (!done) {
        out.push({ name: 'WriteCompletes', detail: `${h} (epoch ${current}) is ${v.s.phase} ` +
          `with ${v.s.pending === null ? 'nothing' : `seq ${v.s.pending.seq}`} pending ` +
          `${deadlineMs}ms in` });
      }
    }
    return out;
  };
}

export const HORIZON_MS = 400;

/** Client inputs: takeovers (to the issuer), writes, reads and migrations (to heads). */
export function inputsArbitrary(maxInputs = 20): fc.Arbitrary<InputEntry<FencingInput>[]> {
  const headInput: fc.Arbitrary<FencingInput> = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...VALUES).map((val): FencingInput =>
      ({ type: 'write', val })) },
    { weight: 2, arbitrary: fc.constant<FencingInput>({ type: 'read' }) },
    { weight: 1, arbitrary: fc.constantFrom(...HEADS).map((dst): FencingInput =>
      ({ type: 'migrate', dst })) },
  );
  const headEntries = inputsArb(HEADS, headInput, { horizonMs: HORIZON_MS, maxInputs });
  const issuerInput: fc.Arbitrary<FencingInput> = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HEADS).map((holder): FencingInput =>
      ({ type: 'takeover', holder })) },
    { weight: 1, arbitrary: fc.constant<FencingInput>({ type: 'migrateGrant' }) },
  );
  const issuerEntries =
    inputsArb([ISSUER_ID], issuerInput, { horizonMs: HORIZON_MS, maxInputs: 3 });
  const first = fc.record({ atMs: fc.integer({ min: 0, max: 20 }), node: fc.constant(ISSUER_ID),
    input: fc.constantFrom(...HEADS)
      .map((holder): FencingInput => ({ type: 'takeover', holder })) });
  return fc.tuple(first, headEntries, issuerEntries).map(([f, a, b]) =>
    [f, ...a, ...b].sort((x, y) => x.atMs - y.atMs));
}

/** Faults on every node but the heads' crashes (heads are all volatile: not in the spec). */
export function faultsArbitrary(maxFaults = 5): fc.Arbitrary<FaultPlan> {
  const crashable = fc.constant(null).chain(() =>
    faultPlanArb({ nodes: [ISSUER_ID, ...SLEDS], horizonMs: HORIZON_MS, maxFaults: 2,
      kinds: ['crash'], maxDurationMs: 150 }));
  const other = faultPlanArb({ nodes: [ISSUER_ID, ...HEADS, ...SLEDS], horizonMs: HORIZON_MS,
    maxFaults, kinds: ['pause', 'partition', 'isolate', 'network'], maxDurationMs: 150,
    maxRate: 0.3 });
  return fc.tuple(crashable, other).map(([a, b]) => [...a, ...b].sort((x, y) => x.atMs - y.atMs));
}

export const SIM_NETWORK = {
  delay: { kind: 'uniform' as const, minMs: 1, maxMs: 20 },
  reorder: { rate: 0.2, extraMsMax: 30 },
};

/** Options factory for simProperty: a fresh run (journal) per simulation. */
export function simOptionsFactory(opts: {
  hooks?: CoreHooks;
  retryMs?: number;
  deadlineMs?: number;
}): () => FencingRun['options'] {
  return () => {
    const reads = readChecks();
    const live = opts.deadlineMs === undefined ? undefined : livenessCheck(opts.deadlineMs);
    const config: FencingSimConfig = {
      cluster: testCluster(),
      extraChecks: (run) => [...reads(run), ...(live?.(run) ?? [])],
    };
    if (opts.hooks !== undefined) config.hooks = opts.hooks;
    if (opts.retryMs !== undefined) config.retryMs = opts.retryMs;
    const maxTimeMs = (opts.deadlineMs ?? HORIZON_MS + 600) + 1;
    return fencingRun(config, { network: SIM_NETWORK, maxSteps: 20_000, maxTimeMs,
      hashLog: true }).options;
  };
}

// ---- a command-driven world -------------------------------------------------------------------

type Queued =
  | { k: 'msg'; from: NodeId; to: NodeId; msg: Message }
  | { k: 'timer'; node: NodeId; name: string };

class ManualNode implements NodeView<FencingDurable, FencingVolatile> {
  status: NodeStatus = 'up';
  incarnation = 0;
  constructor(readonly id: NodeId, public durable: FencingDurable,
    public volatile: FencingVolatile | undefined) {}
  timerNames(): string[] {
    return [];
  }
}

/**
 * The nodes of a fencing run without the simulator's scheduler: every step (deliver the i-th
 * queued message or timer, lose it, duplicate it, an input, a fault) is a command's choice.
 * The same behaviour, journal, view and invariants as the simulator adapter.
 */
export class CommandWorld {
  readonly run: FencingRun;
  readonly queue: Queued[] = [];
  private readonly nodes = new Map<NodeId, ManualNode>();
  private readonly isolated = new Set<NodeId>();
  nowMs = 0;
  stepCount = 0;

  constructor(config: FencingSimConfig) {
    this.run = fencingRun(config);
    const ctx = this.ctx('issuer');
    for (const id of this.run.nodes) {
      const r = this.run.options.behavior.init(id, ctx);
      this.nodes.set(id, new ManualNode(id, r.durable, r.volatile));
    }
    this.run.world = this.asWorld();
  }

  private ctx(self: NodeId) {
    return { self, nowMs: this.nowMs, incarnation: 0,
      rng: undefined as never };
  }

  asWorld(): SimWorld<FencingDurable, FencingVolatile> {
    const w = this;
    return {
      seed: 0, get nowMs() { return w.nowMs; }, get stepCount() { return w.stepCount; },
      nodeIds: this.run.nodes, node: (id) => w.node(id), inFlight: 0,
      network: undefined as never, isBlocked: (a, b) => w.blocked(a, b),
      stats: undefined as never,
    };
  }

  node(id: NodeId): ManualNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`assertion: no node ${id}`);
    return n;
  }

  blocked(from: NodeId, to: NodeId): boolean {
    return this.isolated.has(from) || this.isolated.has(to);
  }

  private apply(n: ManualNode, t: { durable?: FencingDurable; volatile?: FencingVolatile;
    effects?: readonly Effect<Message>[] }): void {
    if (t.durable !== undefined) n.durable = t.durable;
    if (t.volatile !== undefined) n.volatile = t.volatile;
    for (const e of t.effects ?? []) {
      if (e.type === 'send' && !this.blocked(n.id, e.to)) {
        this.queue.push({ k: 'msg', from: n.id, to: e.to, msg: e.msg });
      }
      if (e.type === 'setTimer') this.queue.push({ k: 'timer', node: n.id, name: e.name });
    }
  }

  /** Ends a step: bookkeeping, then the invariants; returns the violations. */
  private endStep(): Violation[] {
    this.stepCount++;
    this.nowMs++;
    this.run.journal.stepAction = undefined;
    return checkRun(this.run, this.asWorld());
  }

  /** Handles queue item i (modulo the queue length); a held or blocked item stays queued. */
  deliver(i: number): Violation[] {
    if (this.queue.length === 0) return [];
    const at = i % this.queue.length;
    const item = this.queue[at]!;
    const target = this.node(item.k === 'msg' ? item.to : item.node);
    if (target.status === 'paused') return [];
    if (item.k === 'msg' && this.blocked(item.from, item.to)) return [];
    this.queue.splice(at, 1);
    if (target.status === 'crashed') return this.endStep();
    const b = this.run.options.behavior;
    const node = { id: target.id, durable: target.durable, volatile: target.volatile! };
    const t = item.k === 'msg'
      ? b.onMessage(node, item.from, item.msg, this.ctx(target.id))
      : b.onTimer(node, item.name, this.ctx(target.id));
    this.apply(target, t);
    return this.endStep();
  }

  lose(i: number): void {
    if (this.queue.length > 0) this.queue.splice(i % this.queue.length, 1);
  }

  duplicate(i: number): void {
    if (this.queue.length > 0) this.queue.push(this.queue[i % this.queue.length]!);
  }

  input(id: NodeId, input: FencingInput): Violation[] {
    const n = this.node(id);
    if (n.status !== 'up') return [];
    const node = { id, durable: n.durable, volatile: n.volatile! };
    this.apply(n, this.run.options.behavior.onInput(node, input, this.ctx(id)));
    return this.endStep();
  }

  crash(id: NodeId): Violation[] {
    const n = this.node(id);
    if (n.status === 'crashed') return [];
    n.status = 'crashed';
    n.volatile = undefined;
    if (this.run.config.cluster.sleds.includes(id)) this.run.journal.crashes++;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i]!;
      if ((q.k === 'msg' ? q.to : q.node) === id) this.queue.splice(i, 1);
    }
    return this.endStep();
  }

  restart(id: NodeId): Violation[] {
    const n = this.node(id);
    if (n.status !== 'crashed') return [];
    n.status = 'up';
    n.incarnation++;
    const r = this.run.options.behavior.recover(id, n.durable, this.ctx(id));
    this.apply(n, r);
    return this.endStep();
  }

  pause(id: NodeId): void {
    if (this.node(id).status === 'up') this.node(id).status = 'paused';
  }

  resume(id: NodeId): void {
    if (this.node(id).status === 'paused') this.node(id).status = 'up';
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  rejoin(id: NodeId): void {
    this.isolated.delete(id);
  }

  /** Delivers queued items in order until none can be delivered (bounded). */
  settle(stepsMax = 400): Violation[] {
    for (let n = 0; n < stepsMax; n++) {
      const i = this.queue.findIndex((q) => {
        const to = this.node(q.k === 'msg' ? q.to : q.node);
        return to.status !== 'paused' && !(q.k === 'msg' && this.blocked(q.from, q.to));
      });
      if (i < 0) return [];
      const v = this.deliver(i);
      if (v.length > 0) return v;
    }
    return [];
  }
}
