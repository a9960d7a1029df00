/**
 * The deterministic simulator: a priority queue of events ordered by (virtual time, sequence
 * number), nodes driven through a `NodeBehavior`, a lossy network, and faults from a plan.
 * `step()` handles exactly one visible event; invariants are checked after every step.
 */
import { EventHeap } from './heap.ts';
import { LogHasher } from './hash.ts';
import { Network } from './network.ts';
import { Prng } from './prng.ts';
import { Ring } from './ring.ts';
import { NetworkConfigSchema } from './schema.ts';
import type { Fault, NetworkConfig, NetworkConfigInput, NodeId } from './schema.ts';
import type {
  DropReason,
  Effect,
  NodeBehavior,
  NodeStatus,
  NodeView,
  SendDrop,
  SimContext,
  SimEvent,
  SimFailure,
  SimPlan,
  SimResult,
  SimStats,
  SimWorld,
  StopReason,
  Transition,
  Violation,
} from './types.ts';
import { validatePlan } from './validate.ts';

export interface SimOptions<Msg, Durable, Volatile, Input> {
  /** Node ids, unique; every node starts up and runs `behavior.init` at time 0, in this order. */
  nodes: readonly NodeId[];
  behavior: NodeBehavior<Msg, Durable, Volatile, Input>;
  network?: NetworkConfigInput;
  /** Stop after this many steps (default 100_000). */
  maxSteps?: number;
  /** Stop before handling an event later than this (default 3_600_000, one hour). */
  maxTimeMs?: number;
  /** Limit on armed timers per node; exceeding it is a failure (default 1_000). */
  maxTimersPerNode?: number;
  /** How many recent events a failure carries (default 200). */
  eventLogSize?: number;
  /** How many recent `log` effects a failure carries (default 200). */
  logSize?: number;
  /** Hash every event into `logHash` (default true; costs about a JSON.stringify per step). */
  hashLog?: boolean;
  /** Checked after init and after every step; a non-empty result stops the run. */
  invariants?: (world: SimWorld<Durable, Volatile>) => readonly Violation[];
  /** Called once after every node's init, before invariants (e.g. a trace's first state). */
  onInit?: (world: SimWorld<Durable, Volatile>) => void;
  /** Called after every step, before invariants (e.g. to record a trace). */
  onStep?: (event: SimEvent<Msg, Input>, world: SimWorld<Durable, Volatile>) => void;
}

type QItem<Msg, Input> =
  | { k: 'msg'; atMs: number; seq: number; from: NodeId; to: NodeId; msg: Msg; msgId: number;
      toInc: number }
  | { k: 'timer'; atMs: number; seq: number; node: NodeId; name: string; token: number;
      inc: number }
  | { k: 'input'; atMs: number; seq: number; node: NodeId; input: Input }
  | { k: 'fault'; atMs: number; seq: number; fault: Fault };

class NodeRec<Msg, Durable, Volatile, Input> implements NodeView<Durable, Volatile> {
  status: NodeStatus = 'up';
  durable!: Durable;
  volatile: Volatile | undefined = undefined;
  incarnation = 0;
  /** Armed timers: name -> token of the queued timer event that is current. */
  readonly timers = new Map<string, number>();
  held: QItem<Msg, Input>[] = [];

  constructor(
    readonly id: NodeId,
    readonly rng: Prng,
  ) {}

  timerNames(): string[] {
    return [...this.timers.keys()].sort();
  }
}

type Event<Msg, Input> = SimEvent<Msg, Input>;

export class Simulation<Msg, Durable, Volatile, Input> implements SimWorld<Durable, Volatile> {
  readonly seed: number;
  readonly nodeIds: readonly NodeId[];
  readonly plan: SimPlan<Input>;
  nowMs = 0;
  stepCount = 0;
  inFlight = 0;
  readonly stats: SimStats = newStats();
  private readonly opts: SimOptions<Msg, Durable, Volatile, Input>;
  private readonly behavior: NodeBehavior<Msg, Durable, Volatile, Input>;
  private readonly nodes = new Map<NodeId, NodeRec<Msg, Durable, Volatile, Input>>();
  private readonly queue = new EventHeap<QItem<Msg, Input>>();
  private readonly net: Network;
  private readonly recent: Ring<Event<Msg, Input>>;
  private readonly logs: Ring<string>;
  private readonly hasher: LogHasher | undefined;
  private readonly maxSteps: number;
  private readonly maxTimeMs: number;
  private readonly maxTimersPerNode: number;
  private seq = 0;
  private msgSeq = 0;
  private timerSeq = 0;
  private started = false;
  private stopReason: StopReason | undefined;
  private failed: SimFailure<Msg, Input> | undefined;

  constructor(opts: SimOptions<Msg, Durable, Volatile, Input>, seed: number, plan: SimPlan<Input>) {
    const planError = validatePlan(plan, opts.nodes);
    if (planError !== undefined) throw new Error(`assertion: ${planError.message}`);
    const root = new Prng(seed);
    this.seed = seed;
    this.opts = opts;
    this.plan = plan;
    this.behavior = opts.behavior;
    this.nodeIds = [...opts.nodes];
    this.maxSteps = positiveInt(opts.maxSteps ?? 100_000, 'maxSteps');
    this.maxTimeMs = positiveInt(opts.maxTimeMs ?? 3_600_000, 'maxTimeMs');
    this.maxTimersPerNode = positiveInt(opts.maxTimersPerNode ?? 1_000, 'maxTimersPerNode');
    this.recent = new Ring(opts.eventLogSize ?? 200);
    this.logs = new Ring(opts.logSize ?? 200);
    this.hasher = opts.hashLog === false ? undefined : new LogHasher();
    const netConfig = NetworkConfigSchema.parse(opts.network ?? {});
    this.net = new Network(netConfig, root.fork('network'), this.nodeIds);
    for (const id of this.nodeIds) this.nodes.set(id, new NodeRec(id, root.fork(`node:${id}`)));
    for (const entry of plan.faults) this.push({ k: 'fault', ...entry, seq: 0 });
    for (const entry of plan.inputs ?? []) {
      this.push({ k: 'input', atMs: entry.atMs, node: entry.node, input: entry.input, seq: 0 });
    }
  }

  // ---- SimWorld ----------------------------------------------------------------------------

  get network(): Readonly<NetworkConfig> {
    return this.net.config;
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.net.isBlocked(from, to);
  }

  node(id: NodeId): NodeView<Durable, Volatile> {
    return this.rec(id);
  }

  // ---- running -----------------------------------------------------------------------------

  /** Why the run stopped, once it has (undefined while it can go on or after a failure). */
  get stopped(): StopReason | undefined {
    return this.stopReason;
  }

  get failure(): SimFailure<Msg, Input> | undefined {
    return this.failed;
  }

  get logHash(): string {
    return this.hasher?.digest() ?? '';
  }

  /** Runs to the end: quiescence, a limit, or a failure. */
  run(): SimResult<Msg, Input> {
    while (this.step() !== undefined) {
      // each step is handled inside step()
    }
    return this.result();
  }

  result(): SimResult<Msg, Input> {
    const common = { steps: this.stepCount, nowMs: this.nowMs, stats: cloneStats(this.stats),
      logHash: this.logHash };
    if (this.failed !== undefined) return { ok: false, failure: this.failed, ...common };
    return { ok: true, stop: this.stopReason ?? 'max-steps', ...common };
  }

  /**
   * Handles the next visible event and returns what happened; undefined once the run is over
   * (quiescent, a limit reached, or failed: see `stopped` and `failure`).
   */
  step(): Event<Msg, Input> | undefined {
    if (this.failed !== undefined || this.stopReason !== undefined) return undefined;
    if (!this.start()) return undefined;
    let event: Event<Msg, Input> | undefined;
    try {
      if (this.stepCount >= this.maxSteps) return this.stop('max-steps');
      event = this.nextEvent();
      if (event === undefined) return undefined;
      this.stepCount++;
      this.stats.steps++;
      this.recent.push(event);
      this.hasher?.add(event);
      this.opts.onStep?.(event, this);
      if (this.checkInvariants()) return undefined;
    } catch (err) {
      this.fail('exception', `step ${this.stepCount + 1} threw ${errorText(err)}`, []);
      return undefined;
    }
    return event;
  }

  /**
   * Runs every node's `init` (once), then `onInit` and the invariants on the initial state.
   * `step()` calls it; call it first to look at the initial world. False once the run failed.
   */
  start(): boolean {
    if (this.started) return this.failed === undefined;
    this.started = true;
    try {
      this.initNodes();
      this.opts.onInit?.(this);
      this.checkInvariants();
    } catch (err) {
      this.fail('exception', `init threw ${errorText(err)}`, []);
    }
    return this.failed === undefined;
  }

  private nextEvent(): Event<Msg, Input> | undefined {
    for (;;) {
      const item = this.queue.peek();
      if (item === undefined) return this.stop('quiescent');
      if (item.atMs > this.maxTimeMs) return this.stop('max-time');
      this.queue.pop();
      const beforeMs = this.nowMs;
      this.nowMs = item.atMs;
      const event = this.handle(item);
      if (event !== undefined) return event;
      this.nowMs = beforeMs; // stale or held items are invisible: the clock stays put
    }
  }

  private stop(reason: StopReason): undefined {
    this.stopReason = reason;
    return undefined;
  }

  private checkInvariants(): boolean {
    const check = this.opts.invariants;
    if (check === undefined) return false;
    const violations = check(this);
    if (violations.length === 0) return false;
    const names = violations.map((v) => v.name);
    this.fail('invariant', `invariant violated: ${names.join(', ')}`, violations);
    return true;
  }

  private fail(
    code: 'invariant' | 'exception',
    message: string,
    violations: readonly Violation[],
  ): void {
    this.failed = {
      code,
      message,
      seed: this.seed,
      plan: this.plan,
      step: this.stepCount,
      atMs: this.nowMs,
      violated: violations.map((v) => v.name),
      violations: violations.slice(),
      lastEvents: this.recent.toArray(),
      lastLogs: this.logs.toArray(),
      logHash: this.logHash,
    };
  }

  // ---- events ------------------------------------------------------------------------------

  private push(item: QItem<Msg, Input>): void {
    item.seq = ++this.seq;
    this.queue.push(item);
  }

  private rec(id: NodeId): NodeRec<Msg, Durable, Volatile, Input> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`assertion: unknown node id ${JSON.stringify(id)}`);
    return node;
  }

  private ctx(node: NodeRec<Msg, Durable, Volatile, Input>): SimContext {
    return { self: node.id, nowMs: this.nowMs, incarnation: node.incarnation, rng: node.rng };
  }

  private base(): { step: number; atMs: number } {
    return { step: this.stepCount + 1, atMs: this.nowMs };
  }

  private handle(item: QItem<Msg, Input>): Event<Msg, Input> | undefined {
    switch (item.k) {
      case 'msg':
        return this.handleMessage(item);
      case 'timer':
        return this.handleTimer(item);
      case 'input':
        return this.handleInput(item);
      case 'fault':
        this.stats.faults++;
        return this.applyFault(item.fault);
      default: {
        const never: never = item;
        throw new Error(`assertion: unknown queue item ${JSON.stringify(never)}`);
      }
    }
  }

  private handleMessage(
    item: Extract<QItem<Msg, Input>, { k: 'msg' }>,
  ): Event<Msg, Input> | undefined {
    const node = this.rec(item.to);
    let reason: DropReason | undefined;
    if (node.status === 'crashed') reason = 'crashed';
    else if (this.net.isBlocked(item.from, item.to)) reason = 'partitioned';
    else if (this.net.config.dropAcrossRestart && item.toInc !== node.incarnation) {
      reason = 'stale-incarnation';
    }
    if (reason !== undefined) {
      this.inFlight--;
      this.stats.dropped[reason]++;
      return { kind: 'drop', ...this.base(), node: node.id, reason, what: 'message',
        from: item.from, msgId: item.msgId };
    }
    if (node.status === 'paused') return this.hold(node, item);
    this.inFlight--;
    this.stats.delivered++;
    const t = this.behavior.onMessage(this.view(node), item.from, item.msg, this.ctx(node));
    const drops = this.apply(node, t);
    const ev: Event<Msg, Input> = { kind: 'deliver', ...this.base(), node: node.id,
      from: item.from, msg: item.msg, msgId: item.msgId };
    if (drops !== undefined) ev.drops = drops;
    return ev;
  }

  private handleTimer(
    item: Extract<QItem<Msg, Input>, { k: 'timer' }>,
  ): Event<Msg, Input> | undefined {
    const node = this.rec(item.node);
    const current = item.inc === node.incarnation && node.timers.get(item.name) === item.token;
    if (!current || node.status === 'crashed') return undefined; // cancelled, replaced or lost
    if (node.status === 'paused') return this.hold(node, item);
    node.timers.delete(item.name);
    this.stats.timersFired++;
    const t = this.behavior.onTimer(this.view(node), item.name, this.ctx(node));
    const drops = this.apply(node, t);
    const ev: Event<Msg, Input> = { kind: 'timer', ...this.base(), node: node.id, name: item.name };
    if (drops !== undefined) ev.drops = drops;
    return ev;
  }

  private handleInput(
    item: Extract<QItem<Msg, Input>, { k: 'input' }>,
  ): Event<Msg, Input> | undefined {
    const node = this.rec(item.node);
    if (node.status === 'crashed') {
      this.stats.dropped.crashed++;
      return { kind: 'drop', ...this.base(), node: node.id, reason: 'crashed', what: 'input' };
    }
    if (node.status === 'paused') return this.hold(node, item);
    this.stats.inputs++;
    const t = this.behavior.onInput(this.view(node), item.input, this.ctx(node));
    const drops = this.apply(node, t);
    const ev: Event<Msg, Input> = { kind: 'input', ...this.base(), node: node.id,
      input: item.input };
    if (drops !== undefined) ev.drops = drops;
    return ev;
  }

  private hold(node: NodeRec<Msg, Durable, Volatile, Input>, item: QItem<Msg, Input>): undefined {
    node.held.push(item);
    this.stats.held++;
    return undefined;
  }

  private view(node: NodeRec<Msg, Durable, Volatile, Input>): {
    id: NodeId;
    durable: Durable;
    volatile: Volatile;
  } {
    return { id: node.id, durable: node.durable, volatile: node.volatile as Volatile };
  }

  // ---- effects -----------------------------------------------------------------------------

  private initNodes(): void {
    for (const node of this.nodes.values()) {
      const r = this.behavior.init(node.id, this.ctx(node));
      node.durable = r.durable;
      node.volatile = r.volatile;
      this.runEffects(node, r.effects);
    }
  }

  /** Applies a transition; returns the sends dropped at once, if any. */
  private apply(
    node: NodeRec<Msg, Durable, Volatile, Input>,
    t: Transition<Msg, Durable, Volatile>,
  ): SendDrop[] | undefined {
    if (t.durable !== undefined) node.durable = t.durable;
    if (t.volatile !== undefined) node.volatile = t.volatile;
    return this.runEffects(node, t.effects);
  }

  private runEffects(
    node: NodeRec<Msg, Durable, Volatile, Input>,
    effects: readonly Effect<Msg>[] | undefined,
  ): SendDrop[] | undefined {
    if (effects === undefined) return undefined;
    let drops: SendDrop[] | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'send': {
          const drop = this.send(node, effect.to, effect.msg);
          if (drop !== undefined) (drops ??= []).push(drop);
          break;
        }
        case 'setTimer':
          this.setTimer(node, effect.name, effect.afterMs);
          break;
        case 'cancelTimer':
          node.timers.delete(effect.name);
          break;
        case 'log':
          this.logs.push(`${this.nowMs} ${node.id} ${effect.text}`);
          break;
        default: {
          const never: never = effect;
          throw new Error(`assertion: unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    return drops;
  }

  private send(
    node: NodeRec<Msg, Durable, Volatile, Input>,
    to: NodeId,
    msg: Msg,
  ): SendDrop | undefined {
    const dest = this.rec(to);
    const msgId = ++this.msgSeq;
    this.stats.sent++;
    const verdict = this.net.send(node.id, to, this.nowMs);
    if (verdict.kind === 'drop') return this.dropAtSend(to, msgId, verdict.reason);
    let first: SendDrop | undefined;
    for (let i = 0; i < verdict.arrivalsMs.length; i++) {
      if (this.inFlight >= this.net.config.maxInFlight) {
        first ??= this.dropAtSend(to, msgId, 'overflow');
        continue;
      }
      if (i > 0) this.stats.duplicated++;
      this.inFlight++;
      this.push({ k: 'msg', atMs: verdict.arrivalsMs[i] as number, seq: 0, from: node.id, to,
        msg, msgId, toInc: dest.incarnation });
    }
    return first;
  }

  private dropAtSend(to: NodeId, msgId: number, reason: DropReason): SendDrop {
    this.stats.dropped[reason]++;
    return { to, msgId, reason };
  }

  private setTimer(node: NodeRec<Msg, Durable, Volatile, Input>, name: string, afterMs: number) {
    if (!Number.isSafeInteger(afterMs) || afterMs < 0) {
      throw new Error(`assertion: timer ${name} afterMs must be a non-negative integer`);
    }
    if (!node.timers.has(name) && node.timers.size >= this.maxTimersPerNode) {
      throw new Error(`assertion: node ${node.id} exceeds ${this.maxTimersPerNode} timers`);
    }
    const token = ++this.timerSeq;
    node.timers.set(name, token);
    this.push({ k: 'timer', atMs: this.nowMs + afterMs, seq: 0, node: node.id, name, token,
      inc: node.incarnation });
  }

  // ---- faults ------------------------------------------------------------------------------

  private applyFault(fault: Fault): Event<Msg, Input> {
    const base = this.base();
    switch (fault.type) {
      case 'crash':
        return { kind: 'crash', ...base, node: fault.node, effective: this.crash(fault.node) };
      case 'restart': {
        const r = this.restart(fault.node);
        const ev: Event<Msg, Input> = { kind: 'restart', ...base, node: fault.node,
          effective: r.effective };
        if (r.drops !== undefined) ev.drops = r.drops;
        return ev;
      }
      case 'pause':
        return { kind: 'pause', ...base, node: fault.node, effective: this.pause(fault.node) };
      case 'resume':
        return { kind: 'resume', ...base, node: fault.node, effective: this.resume(fault.node) };
      case 'partition':
        this.net.block(fault.from, fault.to);
        return { kind: 'partition', ...base, fault };
      case 'isolate':
        this.net.isolate(fault.node);
        return { kind: 'partition', ...base, fault };
      case 'heal':
        this.net.unblock(fault.from, fault.to);
        return { kind: 'heal', ...base, fault };
      case 'rejoin':
        this.net.rejoin(fault.node);
        return { kind: 'heal', ...base, fault };
      case 'healAll':
        this.net.healAll();
        return { kind: 'heal', ...base, fault };
      case 'network':
        this.net.setRates(fault.lossRate, fault.dupRate);
        return { kind: 'network', ...base, fault };
      default: {
        const never: never = fault;
        throw new Error(`assertion: unknown fault ${JSON.stringify(never)}`);
      }
    }
  }

  private crash(id: NodeId): boolean {
    const node = this.rec(id);
    if (node.status === 'crashed') return false;
    node.status = 'crashed';
    node.volatile = undefined;
    node.timers.clear();
    for (const item of node.held) {
      if (item.k !== 'msg') continue;
      this.inFlight--;
      this.stats.dropped.crashed++;
    }
    node.held = [];
    return true;
  }

  private restart(id: NodeId): { effective: boolean; drops?: SendDrop[] } {
    const node = this.rec(id);
    if (node.status !== 'crashed') return { effective: false };
    node.status = 'up';
    node.incarnation++;
    const r = this.behavior.recover(id, node.durable, this.ctx(node));
    node.volatile = r.volatile;
    const drops = this.apply(node, r);
    return drops === undefined ? { effective: true } : { effective: true, drops };
  }

  private pause(id: NodeId): boolean {
    const node = this.rec(id);
    if (node.status !== 'up') return false;
    node.status = 'paused';
    return true;
  }

  private resume(id: NodeId): boolean {
    const node = this.rec(id);
    if (node.status !== 'paused') return false;
    node.status = 'up';
    const held = node.held;
    node.held = [];
    for (const item of held) this.push({ ...item, atMs: this.nowMs });
    return true;
  }
}

/** Zeroed statistics. */
export function newStats(): SimStats {
  return {
    steps: 0, sent: 0, delivered: 0, duplicated: 0, timersFired: 0, inputs: 0, faults: 0, held: 0,
    dropped: { lost: 0, partitioned: 0, overflow: 0, crashed: 0, 'stale-incarnation': 0 },
  };
}

function cloneStats(s: SimStats): SimStats {
  return { ...s, dropped: { ...s.dropped } };
}

function positiveInt(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`assertion: ${name} must be a positive integer, got ${n}`);
  }
  return n;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim();
    return `${err.name}: ${err.message}${frame === undefined ? '' : ` (${frame})`}`;
  }
  return `thrown: ${String(err)}`;
}
