/**
 * fast-check commands over a hand-driven world of the snapshot-gc sim nodes (host, peer,
 * transaction runner, external service): executions started and finished, connection traffic,
 * GC ticks, the transaction's steps and retries, and faults as commands (deliver, drop or
 * duplicate any message in flight, crash and restart any node). A small model (per instance:
 * executions running, garbage since the last restore; the host's tracing count) checks every
 * response, and the cores' invariants are checked after every command.
 */
import fc from 'fast-check';
import { Prng } from '../../src/runtime/sim/index.ts';
import type { Effect, NodeId, SimContext, Violation } from '../../src/runtime/sim/index.ts';
import { managerOf, tracing as tracingStore, vmOf } from '../../src/snapshot/index.ts';
import type { Cluster, ClusterSteps } from '../../src/snapshot/index.ts';
import { FUNCTION_NAME } from '../../src/snapshot/cluster.ts';
import {
  HOST, SNAP_NODES, TXR, checkView, snapRun, viewOf,
} from '../../src/snapshot/conformance/index.ts';
import type {
  SnapDurable, SnapInput, SnapMsg, SnapRun, SnapVolatile,
} from '../../src/snapshot/conformance/index.ts';
import { CONFIG } from './harness.ts';

type Node = { durable: SnapDurable; volatile: SnapVolatile | undefined; inc: number };
type Queued = { from: NodeId; to: NodeId; msg: SnapMsg };

/** The sim nodes driven by hand: every delivery, loss, duplicate and crash is a command. */
export class World {
  readonly run: SnapRun;
  readonly queue: Queued[] = [];
  readonly timers = new Set<string>();
  private readonly nodes = new Map<NodeId, Node>();
  private readonly rng: Prng;
  nowMs = 0;
  lastAction: string | undefined;

  constructor(steps?: ClusterSteps, seed = 1) {
    this.rng = new Prng(seed);
    this.run = snapRun(steps === undefined ? { cluster: CONFIG } : { cluster: CONFIG, steps });
    for (const id of SNAP_NODES) {
      const r = this.run.options.behavior.init(id, this.ctx(id));
      this.nodes.set(id, { durable: r.durable, volatile: r.volatile, inc: 0 });
      this.effects(id, r.effects ?? []);
    }
  }
  private ctx(self: NodeId): SimContext {
    return { self, nowMs: this.nowMs, incarnation: this.nodes.get(self)?.inc ?? 0, rng: this.rng };
  }
  node(id: NodeId): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`assertion: no node ${id}`);
    return n;
  }
  /** The view the invariants check (the external service's own counters). */
  view(): Cluster {
    return viewOf(this.run, (id) => this.node(id), 'real');
  }
  private effects(id: NodeId, effects: readonly Effect<SnapMsg>[]): void {
    for (const e of effects) {
      if (e.type === 'send') this.queue.push({ from: id, to: e.to, msg: e.msg });
      if (e.type === 'setTimer') this.timers.add(`${id}:${e.name}`);
      if (e.type === 'cancelTimer') this.timers.delete(`${id}:${e.name}`);
    }
  }
  private step(id: NodeId, f: (n: { id: NodeId; durable: SnapDurable; volatile: SnapVolatile },
    ctx: SimContext) => { durable?: SnapDurable; volatile?: SnapVolatile;
      effects?: readonly Effect<SnapMsg>[] }): Violation[] {
    const n = this.node(id);
    this.nowMs += 1;
    if (n.volatile !== undefined) {
      const t = f({ id, durable: n.durable, volatile: n.volatile }, this.ctx(id));
      if (t.durable !== undefined) n.durable = t.durable;
      if (t.volatile !== undefined) n.volatile = t.volatile;
      this.effects(id, t.effects ?? []);
    }
    this.lastAction = this.run.journal.stepAction;
    this.run.journal.stepAction = undefined;
    return checkView(this.view());
  }
  input(id: NodeId, input: SnapInput): Violation[] {
    return this.step(id, (n, ctx) => this.run.options.behavior.onInput(n, input, ctx));
  }
  deliver(k: number): Violation[] {
    const [q] = this.queue.splice(k % Math.max(1, this.queue.length), 1);
    if (q === undefined) return this.step(HOST, () => ({}));
    return this.step(q.to, (n, ctx) => this.run.options.behavior.onMessage(n, q.from, q.msg, ctx));
  }
  fire(id: NodeId, name: string): Violation[] {
    if (!this.timers.delete(`${id}:${name}`)) return this.step(id, () => ({}));
    return this.step(id, (n, ctx) => this.run.options.behavior.onTimer(n, name, ctx));
  }
  crash(id: NodeId): void {
    const n = this.node(id);
    n.volatile = undefined;
    for (const t of [...this.timers]) if (t.startsWith(`${id}:`)) this.timers.delete(t);
  }
  restart(id: NodeId): Violation[] {
    const n = this.node(id);
    if (n.volatile !== undefined) return [];
    n.inc += 1;
    const r = this.run.options.behavior.recover(id, n.durable, this.ctx(id));
    n.volatile = r.volatile;
    if (r.durable !== undefined) n.durable = r.durable;
    this.effects(id, r.effects ?? []);
    return checkView(this.view());
  }
}

export interface Model {
  running: Record<string, number>;
  garbage: Record<string, number>;
  tracing: number;
}

function fail(what: string): never {
  throw new Error(`model check failed: ${what}`);
}

/** The invariants, then the model against the view after the action the world took. */
function checkAfter(m: Model, w: World, violations: Violation[]): void {
  if (violations.length > 0) fail(`invariant ${violations.map((v) => v.name).join(', ')}`);
  const c = w.view();
  const a = w.lastAction;
  for (const i of CONFIG.instances) {
    const running = managerOf(c, i)?.running.length ?? 0;
    const garbage = vmOf(c, i)?.garbageBytes ?? 0;
    if (a === 'Start' && running === m.running[i]! + 1) {
      if (m.garbage[i]! >= CONFIG.threshold) fail(`${i} admitted over the threshold`);
      if (m.running[i]! >= CONFIG.maxRunning) fail(`${i} admitted over capacity`);
    }
    if (a === 'Restore' && garbage === 0 && m.garbage[i]! > 0 && m.running[i]! > 0) {
      fail(`${i} restored with ${m.running[i]} executions running`);
    }
    if (a === 'Finish' && running === m.running[i]! - 1) m.tracing += 1;
    if (garbage < m.garbage[i]! && a !== 'Restore') fail(`${i} lost garbage`);
    m.running[i] = running;
    m.garbage[i] = garbage;
  }
  const tracing = tracingStore.carryTo(c.tracing, FUNCTION_NAME).samples;
  if (tracing !== Math.min(m.tracing, CONFIG.traceMax)) {
    fail(`tracing ${tracing}, model ${m.tracing} (never rolled back by a restore)`);
  }
}

type Cmd = fc.Command<Model, World>;
const cmd = (name: string, run: (m: Model, w: World) => void): Cmd => ({
  check: () => true, run, toString: () => name,
});
const inputCmd = (node: NodeId, input: SnapInput): Cmd =>
  cmd(`${node}<-${JSON.stringify(input)}`, (m, w) => checkAfter(m, w, w.input(node, input)));

const inst = fc.constantFrom(...CONFIG.instances);
const anyNode = fc.constantFrom(...SNAP_NODES);

export const commandArbs: fc.Arbitrary<Cmd>[] = [
  inst.map((i) => inputCmd(HOST, { type: 'start', i })),
  fc.record({ i: inst, g: fc.integer({ min: 1, max: CONFIG.maxGarbage }), w: fc.boolean() })
    .map((r) => inputCmd(HOST, { type: 'finish', ...r })),
  inst.map((i) => inputCmd(HOST, { type: 'connect', i })),
  inst.map((i) => inputCmd(HOST, { type: 'disconnect', i })),
  fc.constantFrom<SnapInput>({ type: 'tx-begin' }, { type: 'tx-send' }, { type: 'tx-next' },
    { type: 'tx-judge', ok: false }, { type: 'tx-judge', ok: true }).map((x) => inputCmd(TXR, x)),
  fc.constant(cmd('gc-tick', (m, w) => checkAfter(m, w, w.fire(HOST, 'gc')))),
  fc.constant(cmd('tx-resend', (m, w) => checkAfter(m, w, w.fire(TXR, 'resend')))),
  fc.nat(16).map((k) => cmd(`deliver ${k}`, (m, w) => checkAfter(m, w, w.deliver(k)))),
  fc.nat(16).map((k) => cmd(`drop ${k}`, (_m, w) => {
    w.queue.splice(k % Math.max(1, w.queue.length), 1);
  })),
  fc.nat(16).map((k) => cmd(`duplicate ${k}`, (_m, w) => {
    const q = w.queue[k % Math.max(1, w.queue.length)];
    if (q !== undefined) w.queue.push({ ...q });
  })),
  anyNode.map((id) => cmd(`crash ${id}`, (_m, w) => w.crash(id))),
  anyNode.map((id) => cmd(`restart ${id}`, (m, w) => checkAfter(m, w, w.restart(id)))),
];

/** The model-based property: launch both instances, then any command sequence. */
export function snapshotModelProperty(steps?: ClusterSteps): fc.IProperty<[Iterable<Cmd>]> {
  return fc.property(fc.commands(commandArbs, { maxCommands: 150, size: 'large' }), (cmds) => {
    const w = new World(steps);
    const m: Model = { running: {}, garbage: {}, tracing: 0 };
    for (const i of CONFIG.instances) {
      m.running[i] = 0;
      m.garbage[i] = 0;
      checkAfter(m, w, w.input(HOST, { type: 'launch', i }));
    }
    fc.modelRun(() => ({ model: m, real: w }), cmds);
  });
}
