/**
 * One Paxos group of src/consensus on the deterministic simulator (src/runtime/sim): members
 * (acceptor + learner + replica) and proposers are sim nodes; Prepare/Promise/Accept/Accepted/
 * Preempted cross the sim's faulty network (delay, loss, duplication, reordering, partitions);
 * crashes keep durable state (the acceptor's promise and votes, the replica's applied log, a
 * proposer's highest round); client proposals and joins are scheduled inputs.
 *
 * Abstraction: every handler reports the spec steps it performed as deltas on a per-run mirror
 * of GroupPaxos's variables (proposed, active, msgs, acceptor durable state, applied log);
 * `onStep` applies them one by one and records `(action, specState)` for each, so a sim step
 * that performs several spec actions (a leader sending Accept in two slots, a member applying
 * two slots) gives several trace steps. After every step the mirror is checked against the
 * nodes' real durable state (`MirrorMatchesNodes`) and the cores' invariants run on it.
 *
 * Driver choices (no core change): phase 1 always covers every slot (`fromSlot: 1`, as the
 * spec's 1b reports every slot); a leader fills a slot with a pending client value when
 * `steps.phase2a` lets it, else re-proposes the safe value, and fills gaps below the last
 * reported slot with the no-op value `nop` (proposed first, as the spec's Phase2a requires);
 * proposers stop at the trace's MaxBallot and NumSlots (bounds, like fencing's MaxEpoch).
 */
import { ballotNumber, defaultSteps, learner, proposer, replica, specState, violatedInvariants }
  from '../index.ts';
import type {
  AcceptorDurable, Cluster, ClusterConfig, ClusterSteps, LearnerState, Message, ProposerState,
} from '../index.ts';
import { msgKey } from '../cluster.ts';
import type {
  Effect, NodeBehavior, SimContext, SimOptions, SimWorld, Transition, Violation,
} from '../../runtime/sim/index.ts';
import type { ImplTrace } from '../../tla/index.ts';

/** The no-op entry a leader writes into a gap (a member of the trace's Values). */
export const NOOP_VALUE = 'nop';

export type PaxosInput = { type: 'propose'; v: string } | { type: 'join' };

export type PaxosDurable =
  | { role: 'member'; acc: AcceptorDurable; applied: readonly string[] }
  | { role: 'proposer'; highestRound: number };

export type PaxosVolatile =
  | { role: 'member'; learner: LearnerState }
  | { role: 'proposer'; st: ProposerState; pending: readonly string[];
      given: Readonly<Record<number, string>> };

export interface PaxosSimConfig {
  /** members, initialActive, values (with NOOP_VALUE), numSlots, maxBallot, proposers. */
  cluster: ClusterConfig;
  steps?: ClusterSteps;
  /** Phase timeout of proposers before a higher ballot. */
  retryMs?: number;
  record?: boolean;
}

/** The spec-level mirror of one run. */
interface Mirror {
  proposed: string[];
  active: string[];
  msgs: Record<string, Message>;
  acc: Record<string, AcceptorDurable>;
  applied: Record<string, string[]>;
}

type Delta = { action: string; apply(m: Mirror): void };

export interface PaxosJournal {
  mirror: Mirror;
  pending: Delta[];
  trace: ImplTrace | undefined;
  actions: Record<string, number>;
}

type Behavior = NodeBehavior<Message, PaxosDurable, PaxosVolatile, PaxosInput>;
type T = Transition<Message, PaxosDurable, PaxosVolatile>;
export type PaxosSimOptions = SimOptions<Message, PaxosDurable, PaxosVolatile, PaxosInput>;

export interface PaxosRun {
  readonly config: PaxosSimConfig;
  readonly journal: PaxosJournal;
  readonly options: PaxosSimOptions;
}

const EMPTY_ACC: AcceptorDurable = { promised: null, accepted: {} };

/** The mirror as a cluster value, for the cores' own `specState` and invariants. */
export function mirrorCluster(config: ClusterConfig, m: Mirror): Cluster {
  const q = defaultSteps.quorumSize(config.members.length);
  const acceptors = Object.fromEntries(config.members.map((a) =>
    [a, { id: a, durable: m.acc[a] ?? EMPTY_ACC }]));
  const replicas = Object.fromEntries(config.members.map((a) =>
    [a, { applied: m.applied[a] ?? [], sm: null }]));
  const learners = Object.fromEntries(config.members.map((a) =>
    [a, learner.initLearner({ acceptors: config.members, quorumSize: q })]));
  return {
    config, steps: defaultSteps, membership: { target: config.members, active: m.active },
    proposed: m.proposed, acceptors, proposers: {}, learners, replicas, msgs: m.msgs,
  };
}

function sendsOf(effects: readonly { type: string }[]): Effect<Message>[] {
  const out: Effect<Message>[] = [];
  for (const e of effects) {
    const s = e as { type: string; to?: readonly string[]; msg?: Message };
    if (s.type !== 'send' || s.to === undefined || s.msg === undefined) continue;
    for (const to of s.to) out.push({ type: 'send', to, msg: s.msg });
  }
  return out;
}

const addMsg = (msg: Message) => (m: Mirror): void => {
  m.msgs[msgKey(msg)] = msg;
};

// ---- members ------------------------------------------------------------------------------

function memberOnMessage(run: PaxosRun, id: string, node: { durable: PaxosDurable;
  volatile: PaxosVolatile }, from: string, msg: Message): T {
  const d = node.durable;
  const v = node.volatile;
  if (d.role !== 'member' || v.role !== 'member') throw new Error('assertion: member');
  if (!run.journal.mirror.active.includes(id)) return {}; // not running yet: drops everything
  const steps = run.config.steps ?? defaultSteps;
  const acc = { id, durable: d.acc };
  if (msg.type === 'Prepare' || msg.type === 'Accept') {
    const step = msg.type === 'Prepare'
      ? steps.phase1b(acc, from, msg)
      : steps.phase2b(acc, from, run.config.cluster.members, msg);
    const sends = sendsOf(step.effects);
    const answer = sends.find((s) => s.type === 'send' && s.msg.type !== 'Preempted');
    if (answer !== undefined && answer.type === 'send') {
      const key = msgKey(answer.msg);
      const durable = step.state.durable;
      const changed = JSON.stringify(durable) !== JSON.stringify(d.acc);
      if (run.journal.mirror.msgs[key] === undefined || changed) {
        run.journal.pending.push({
          action: msg.type === 'Prepare' ? 'Phase1b' : 'Phase2b',
          apply: (m) => {
            m.acc[id] = durable;
            addMsg(answer.msg)(m);
          },
        });
      }
    }
    return { durable: { ...d, acc: step.state.durable }, effects: sends };
  }
  if (msg.type !== 'Accepted') return {};
  const l = learner.onAccepted(v.learner, msg).state;
  return { volatile: { role: 'member', learner: l }, ...applyChosen(run, id, d, l) };
}

/** Applies every consecutive chosen slot, one Apply step each. */
function applyChosen(run: PaxosRun, id: string, d: PaxosDurable & { role: 'member' },
  l: LearnerState): { durable?: PaxosDurable } {
  let applied = [...d.applied];
  const numSlots = run.config.cluster.numSlots;
  while (applied.length < numSlots) {
    const r = replica.applyNext({ applied, sm: null }, replica.recordingMachine,
      (s) => learner.chosenAt(l, s));
    if (r.effects.length === 0) break;
    const entry = r.effects[0]!.entry;
    if (typeof entry !== 'string') throw new Error('assertion: entries are value names');
    applied = [...applied, entry];
    run.journal.pending.push({ action: 'Apply', apply: (m) => {
      m.applied[id] = [...(m.applied[id] ?? []), entry];
    } });
  }
  return applied.length === d.applied.length ? {} : { durable: { ...d, applied } };
}

function memberInput(run: PaxosRun, id: string, input: PaxosInput): T {
  const mirror = run.journal.mirror;
  if (input.type !== 'join' || mirror.active.includes(id)) return {};
  run.journal.pending.push({ action: 'Join', apply: (m) => { m.active.push(id); } });
  return {};
}

// ---- proposers ----------------------------------------------------------------------------

type PV = PaxosVolatile & { role: 'proposer' };

function proposerConfig(run: PaxosRun, id: string) {
  const steps = run.config.steps ?? defaultSteps;
  const members = run.config.cluster.members;
  return { id, acceptors: members, quorumSize: steps.quorumSize(members.length),
    retryTimeoutMs: run.config.retryMs ?? 80, noop: NOOP_VALUE };
}

/** Starts the next ballot if it is within MaxBallot; requeues values not known chosen. */
function newBallot(run: PaxosRun, id: string, v: PV, nowMs: number): T {
  const steps = run.config.steps ?? defaultSteps;
  const cfg = run.config.cluster;
  const round = v.st.highestRound + 1;
  if (ballotNumber(cfg, { round, proposer: id }) > cfg.maxBallot) return {};
  const step = steps.phase1a(v.st, { nowMs, fromSlot: 1, round });
  const chosen = new Set(Object.values(step.state.chosen));
  const requeue = Object.values(v.given).filter((x) => !chosen.has(x));
  const pending = [...new Set([...requeue, ...v.pending])].filter((x) => !chosen.has(x));
  const sends = sendsOf(step.effects);
  const first = sends[0];
  if (first?.type === 'send') {
    run.journal.pending.push({ action: 'Phase1a', apply: addMsg(first.msg) });
  }
  return {
    durable: { role: 'proposer', highestRound: step.state.highestRound },
    volatile: { role: 'proposer', st: step.state, pending, given: {} },
    effects: [...sends, { type: 'setTimer', name: 'retry',
      afterMs: run.config.retryMs ?? 80 }],
  };
}

function lastReported(st: ProposerState): number {
  let max = 0;
  for (const votes of Object.values(st.promises)) {
    for (const v of votes) max = Math.max(max, v.slot);
  }
  return max;
}

/** A leader fills free slots: pending client values first, else the safe value or a no-op. */
function lead(run: PaxosRun, v: PV): { v: PV; effects: Effect<Message>[] } {
  const steps = run.config.steps ?? defaultSteps;
  const cfg = run.config.cluster;
  let st = v.st;
  let pending = [...v.pending];
  const given = { ...v.given };
  const effects: Effect<Message>[] = [];
  if (st.phase !== 'leading') return { v, effects };
  const last = lastReported(st);
  const send = (slot: number, value: string): boolean => {
    const r = steps.phase2a(st, { slot, value });
    if (!r.ok) return false;
    st = r.step.state;
    const sends = sendsOf(r.step.effects);
    const first = sends[0];
    if (first?.type === 'send') {
      if (value === NOOP_VALUE && !run.journal.mirror.proposed.includes(NOOP_VALUE)) {
        proposeValue(run, NOOP_VALUE);
      }
      run.journal.pending.push({ action: 'Phase2a', apply: addMsg(first.msg) });
    }
    effects.push(...sends);
    return true;
  };
  for (let s = 1; s <= cfg.numSlots; s += 1) {
    if (st.sent[s] !== undefined || st.chosen[s] !== undefined) continue;
    const head = pending[0];
    if (head !== undefined && send(s, head)) {
      pending = pending.slice(1);
      given[s] = head;
      continue;
    }
    const safe = proposer.safeValues(st, s);
    const forced = safe.values[0];
    if (!safe.free && typeof forced === 'string') {
      send(s, forced);
      continue;
    }
    if (s <= last) {
      send(s, NOOP_VALUE);
      continue;
    }
    if (head === undefined) break;
  }
  return { v: { role: 'proposer', st, pending, given }, effects };
}

/** Records Propose(v) once per value (a no-op value is proposed before it is sent). */
function proposeValue(run: PaxosRun, value: string): void {
  const mirror = run.journal.mirror;
  if (mirror.proposed.includes(value)) return;
  mirror.proposed = [...mirror.proposed]; // keep earlier recorded states untouched
  run.journal.pending.push({ action: 'Propose', apply: (m) => { m.proposed.push(value); } });
  mirror.proposed.push(value);
}

function proposerOnMessage(run: PaxosRun, v: PV, msg: Message, ctx: SimContext): T {
  switch (msg.type) {
    case 'Promise': {
      const st = proposer.onPromise(v.st, msg);
      if (st === v.st) return {};
      const led = lead(run, { ...v, st });
      return { volatile: led.v, effects: led.effects };
    }
    case 'Accepted': {
      const st = proposer.onAccepted(v.st, msg).state;
      return st === v.st ? {} : { volatile: { ...v, st } };
    }
    case 'Preempted': {
      const st = proposer.onPreempted(v.st, msg);
      if (st === v.st) return {};
      return { volatile: { ...v, st },
        effects: [{ type: 'setTimer', name: 'retry', afterMs: ctx.rng.int(5, 40) }] };
    }
    case 'Prepare':
    case 'Accept':
      return {};
    default: {
      const never: never = msg;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

function proposerOnTimer(run: PaxosRun, id: string, v: PV, ctx: SimContext): T {
  const st = v.st;
  const waiting = Object.keys(st.sent).some((s) => st.chosen[Number(s)] === undefined);
  const stuck = st.phase === 'preparing' || st.phase === 'preempted' ||
    (st.phase === 'leading' && waiting) || (st.phase === 'idle' && v.pending.length > 0);
  if (!stuck) return {};
  return newBallot(run, id, v, ctx.nowMs);
}

function proposerInput(run: PaxosRun, id: string, v: PV, input: PaxosInput, ctx: SimContext): T {
  if (input.type !== 'propose') return {};
  if (!run.config.cluster.values.includes(input.v)) return {};
  proposeValue(run, input.v);
  const queued: PV = { ...v, pending: [...v.pending, input.v] };
  if (v.st.phase === 'idle') return newBallot(run, id, queued, ctx.nowMs);
  const led = lead(run, queued);
  const retry: Effect<Message> = { type: 'setTimer', name: 'retry',
    afterMs: run.config.retryMs ?? 80 };
  return { volatile: led.v, effects: [...led.effects, retry] };
}

// ---- the behaviour ------------------------------------------------------------------------

function behaviorFor(run: PaxosRun): Behavior {
  const cfg = run.config.cluster;
  const isMember = (id: string) => cfg.members.includes(id);
  const memberVolatile = (): PaxosVolatile => {
    const q = (run.config.steps ?? defaultSteps).quorumSize(cfg.members.length);
    return { role: 'member', learner: learner.initLearner({ acceptors: cfg.members,
      quorumSize: q }) };
  };
  const proposerVolatile = (id: string, highestRound: number): PaxosVolatile => {
    const st = proposer.initProposer(proposerConfig(run, id));
    return { role: 'proposer', st: { ...st, highestRound }, pending: [], given: {} };
  };
  return {
    init: (id) => isMember(id)
      ? { durable: { role: 'member', acc: EMPTY_ACC, applied: [] }, volatile: memberVolatile() }
      : { durable: { role: 'proposer', highestRound: -1 }, volatile: proposerVolatile(id, -1) },
    recover: (id, d) => ({ volatile: d.role === 'member' ? memberVolatile()
      : proposerVolatile(id, d.highestRound) }),
    onMessage: (node, from, msg, ctx) => {
      if (isMember(node.id)) return memberOnMessage(run, node.id, node, from, msg);
      if (node.volatile.role !== 'proposer') throw new Error('assertion: proposer');
      return proposerOnMessage(run, node.volatile, msg, ctx);
    },
    onTimer: (node, _name, ctx) => {
      if (node.volatile.role !== 'proposer') return {};
      return proposerOnTimer(run, node.id, node.volatile, ctx);
    },
    onInput: (node, input, ctx) => {
      if (isMember(node.id)) return memberInput(run, node.id, input);
      if (node.volatile.role !== 'proposer') throw new Error('assertion: proposer');
      return proposerInput(run, node.id, node.volatile, input, ctx);
    },
  };
}

function cloneMirror(m: Mirror): Mirror {
  return {
    proposed: [...m.proposed], active: [...m.active], msgs: { ...m.msgs }, acc: { ...m.acc },
    applied: Object.fromEntries(Object.entries(m.applied).map(([k, v]) => [k, [...v]])),
  };
}

/** The mirror agrees with every member's durable state (an adapter self-check). */
function mirrorMatches(run: PaxosRun, world: SimWorld<PaxosDurable, PaxosVolatile>): boolean {
  const m = run.journal.mirror;
  return run.config.cluster.members.every((a) => {
    const d = world.node(a).durable;
    if (d.role !== 'member') return false;
    return JSON.stringify(d.acc) === JSON.stringify(m.acc[a] ?? EMPTY_ACC) &&
      JSON.stringify(d.applied) === JSON.stringify(m.applied[a] ?? []);
  });
}

/** Builds one run: a fresh journal, the behaviour and the sim options. */
export function paxosRun(config: PaxosSimConfig,
  sim: Omit<PaxosSimOptions, 'nodes' | 'behavior' | 'invariants' | 'onInit' | 'onStep'> = {},
): PaxosRun {
  const cfg = config.cluster;
  const mirror: Mirror = { proposed: [], active: [...cfg.initialActive], msgs: {}, acc: {},
    applied: {} };
  const journal: PaxosJournal = { mirror, pending: [], trace: undefined, actions: {} };
  // `stable` is the mirror as of the last recorded state; deltas are replayed onto it.
  let stable = cloneMirror(mirror);
  const run = { config, journal } as PaxosRun;
  const state = () => specState(mirrorCluster(cfg, stable));
  const options: PaxosSimOptions = {
    ...sim,
    nodes: [...cfg.members, ...cfg.proposers],
    behavior: behaviorFor(run),
    onInit: () => {
      if (config.record) journal.trace = { init: state(), steps: [] };
    },
    onStep: () => {
      for (const d of journal.pending) {
        d.apply(stable);
        journal.actions[d.action] = (journal.actions[d.action] ?? 0) + 1;
        if (config.record) journal.trace?.steps.push({ action: d.action, state: state() });
      }
      journal.pending = [];
      journal.mirror = cloneMirror(stable);
    },
    invariants: (world) => {
      const out: Violation[] = violatedInvariants(mirrorCluster(cfg, stable))
        .map((name) => ({ name }));
      if (!mirrorMatches(run, world)) out.push({ name: 'MirrorMatchesNodes' });
      return out;
    },
  };
  (run as { options: PaxosSimOptions }).options = options;
  return run;
}

export function paxosTraceOf(run: PaxosRun): ImplTrace {
  if (run.journal.trace === undefined) throw new Error('assertion: the run was not recorded');
  return run.journal.trace;
}
