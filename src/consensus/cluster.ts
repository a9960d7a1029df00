/**
 * A pure, deterministic composition of ONE group mirroring spec/consensus-txn/GroupPaxos.tla
 * action by action: Propose, Phase1a, Phase1b, Phase2a, Phase2b, Apply, Join, with the same
 * guards (evaluated by running the cores) over a message set that only grows. Random walks,
 * graph replay and trace validation drive the real cores through it.
 *
 * Ballot numbers: spec ballot b is (round b div P, proposer proposers[b mod P]) with the
 * proposers sorted, so the numeric order is the code's ballot order. With one proposer per
 * spec ballot (P = MaxBallot + 1) every spec behaviour is a code behaviour; with fewer, a
 * proposer that moved to a higher ballot no longer acts in its old one (the code does less).
 *
 * Bug injection: the `steps` record holds the core functions each action calls and the
 * quorum rule; tests replace one of them. The cores take no bug flags.
 */
import * as acceptor from './acceptor.ts';
import * as proposer from './proposer.ts';
import * as learner from './learner.ts';
import { applyNext, initReplica, recordingMachine, type ReplicaState } from './log.ts';
import { canJoin, initMembership, join, type Membership } from './reconfig.ts';
import { majority, type Ballot, type Message } from './messages.ts';

export interface ClusterConfig {
  /** The target membership (model values of Members). */
  readonly members: readonly string[];
  /** The members running at first: a majority of the target. */
  readonly initialActive: readonly string[];
  readonly values: readonly string[];
  readonly numSlots: number;
  readonly maxBallot: number;
  /** Proposer ids, sorted; spec ballot b belongs to proposers[b mod P]. */
  readonly proposers: readonly string[];
  /** The spec's MsgBound state constraint: no action is enabled past it. */
  readonly maxMsgs?: number;
}

export interface ClusterSteps {
  readonly quorumSize: (targetSize: number) => number;
  readonly phase1a: typeof proposer.startPhase1;
  readonly phase1b: typeof acceptor.onPrepare;
  readonly phase2a: typeof proposer.phase2a;
  readonly phase2b: typeof acceptor.onAccept;
}

export const defaultSteps: ClusterSteps = {
  quorumSize: majority,
  phase1a: proposer.startPhase1,
  phase1b: acceptor.onPrepare,
  phase2a: proposer.phase2a,
  phase2b: acceptor.onAccept,
};

export interface Cluster {
  readonly config: ClusterConfig;
  readonly steps: ClusterSteps;
  readonly membership: Membership;
  readonly proposed: readonly string[];
  readonly acceptors: Readonly<Record<string, acceptor.AcceptorState>>;
  readonly proposers: Readonly<Record<string, proposer.ProposerState>>;
  readonly learners: Readonly<Record<string, learner.LearnerState>>;
  readonly replicas: Readonly<Record<string, ReplicaState<null>>>;
  /** Every spec message ever sent, keyed by msgKey, in order of first send. */
  readonly msgs: Readonly<Record<string, Message>>;
}

export type ClusterAction =
  | { action: 'Propose'; params: { v: string }; label: string }
  | { action: 'Phase1a'; params: { b: number }; label: string }
  | { action: 'Phase1b'; params: { a: string; m: Message }; label: string }
  | { action: 'Phase2a'; params: { b: number; s: number; v: string }; label: string }
  | { action: 'Phase2b'; params: { a: string; m: Message }; label: string }
  | { action: 'Apply'; params: { a: string }; label: string }
  | { action: 'Join'; params: { a: string }; label: string };
export type ActionName = ClusterAction['action'];

export const ACTION_NAMES: readonly ActionName[] = [
  'Propose', 'Phase1a', 'Phase1b', 'Phase2a', 'Phase2b', 'Apply', 'Join',
];

/** The spec ballot number of a code ballot. */
export function ballotNumber(config: ClusterConfig, b: Ballot): number {
  const i = config.proposers.indexOf(b.proposer);
  if (i < 0) throw new Error(`assertion: unknown proposer ${b.proposer}`);
  return b.round * config.proposers.length + i;
}

/** The code ballot of a spec ballot number. */
export function ballotOf(config: ClusterConfig, b: number): Ballot {
  const p = config.proposers.length;
  return { round: Math.floor(b / p), proposer: config.proposers[b % p]! };
}

/** The spec-visible content of a message: what makes two messages one element of msgs. */
export function msgKey(m: Message): string {
  switch (m.type) {
    case 'Prepare':
      return JSON.stringify(['1a', m.ballot]);
    case 'Promise':
      return JSON.stringify(['1b', m.from, m.ballot, m.votes]);
    case 'Accept':
      return JSON.stringify(['2a', m.ballot, m.slot, m.value]);
    case 'Accepted':
      return JSON.stringify(['2b', m.from, m.ballot, m.slot, m.value]);
    case 'Preempted':
      return JSON.stringify(['nack', m.from, m.ballot, m.promised]);
    default: {
      const never: never = m;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

export function describeMsg(m: Message): string {
  const bal = (b: Ballot) => `${b.round}.${b.proposer}`;
  switch (m.type) {
    case 'Prepare':
      return `1a(${bal(m.ballot)})`;
    case 'Promise':
      return `1b(${m.from}@${bal(m.ballot)},${m.votes.map((v) =>
        `${v.slot}:${bal(v.ballot)}=${JSON.stringify(v.value)}`).join(';')})`;
    case 'Accept':
      return `2a(${bal(m.ballot)},${m.slot},${JSON.stringify(m.value)})`;
    case 'Accepted':
      return `2b(${m.from}@${bal(m.ballot)},${m.slot},${JSON.stringify(m.value)})`;
    case 'Preempted':
      return `nack(${m.from}@${bal(m.ballot)}<${bal(m.promised)})`;
    default: {
      const never: never = m;
      return String(never);
    }
  }
}

export function initCluster(config: ClusterConfig, steps: ClusterSteps = defaultSteps): Cluster {
  const sorted = [...config.proposers].sort();
  if (sorted.some((p, i) => p !== config.proposers[i])) throw new Error('assertion: sorted');
  const ms = initMembership(config.members, config.initialActive);
  if (!ms.ok) throw new Error(`assertion: ${ms.error.message}`);
  const q = steps.quorumSize(config.members.length);
  const byId = <T>(ids: readonly string[], f: (id: string) => T): Record<string, T> =>
    Object.fromEntries(ids.map((id) => [id, f(id)]));
  const acceptors = config.members;
  return {
    config, steps, membership: ms.membership, proposed: [],
    acceptors: byId(config.members, (id) => acceptor.initAcceptor(id)),
    proposers: byId(config.proposers, (id) => proposer.initProposer({
      id, acceptors, quorumSize: q, retryTimeoutMs: 1000, noop: null,
    })),
    learners: byId(config.members, () => learner.initLearner({ acceptors, quorumSize: q })),
    replicas: byId(config.members, () => initReplica(null)),
    msgs: {},
  };
}

export function get<T>(rec: Readonly<Record<string, T>>, id: string): T {
  const v = rec[id];
  if (v === undefined) throw new Error(`assertion: unknown node ${id}`);
  return v;
}

export const isActive = (c: Cluster, a: string): boolean => c.membership.active.includes(a);

/** The spec's MsgBound: the state constraint under which actions are enabled. */
export function withinBounds(c: Cluster): boolean {
  return c.config.maxMsgs === undefined || Object.keys(c.msgs).length <= c.config.maxMsgs;
}

function addMsgs(c: Cluster, effects: readonly { type: string; msg?: Message }[]): Cluster {
  let msgs = c.msgs;
  for (const e of effects) {
    if (e.type !== 'send' || e.msg === undefined || e.msg.type === 'Preempted') continue;
    const k = msgKey(e.msg);
    if (msgs[k] === undefined) msgs = { ...msgs, [k]: e.msg };
  }
  return msgs === c.msgs ? c : { ...c, msgs };
}

const sends = (effects: readonly { type: string; msg?: Message }[], type: Message['type']) =>
  effects.some((e) => e.type === 'send' && e.msg?.type === type);

/** Memo of derived views per (immutable) cluster value: enabledActions asks many times. */
const views = new WeakMap<Cluster, Map<string, unknown>>();
function memo<T>(c: Cluster, key: string, f: () => T): T {
  let m = views.get(c);
  if (m === undefined) {
    m = new Map();
    views.set(c, m);
  }
  if (!m.has(key)) m.set(key, f());
  return m.get(key) as T;
}

/** The proposer of spec ballot b after it received every promise of b in msgs. */
function proposerWithPromises(c: Cluster, b: number): proposer.ProposerState {
  return memo(c, `p${b}`, () => computeProposerWithPromises(c, b));
}
function computeProposerWithPromises(c: Cluster, b: number): proposer.ProposerState {
  const ballot = ballotOf(c.config, b);
  let st = get(c.proposers, ballot.proposer);
  for (const m of Object.values(c.msgs)) {
    if (m.type === 'Promise' && m.ballot.round === ballot.round &&
        m.ballot.proposer === ballot.proposer) st = proposer.onPromise(st, m);
  }
  return st;
}

/** A learner after it received every Accepted message in msgs. */
function learnerWithVotes(c: Cluster, a: string): learner.LearnerState {
  return memo(c, `l${a}`, () => computeLearnerWithVotes(c, a));
}
function computeLearnerWithVotes(c: Cluster, a: string): learner.LearnerState {
  let st = get(c.learners, a);
  for (const m of Object.values(c.msgs)) {
    if (m.type === 'Accepted') st = learner.onAccepted(st, m).state;
  }
  return st;
}

// ---------------------------------------------------------------------------------------------
// One function per spec action: the next cluster, or null when the action is not enabled.

function propose(c: Cluster, v: string): Cluster | null {
  if (c.proposed.includes(v) || !c.config.values.includes(v)) return null;
  return { ...c, proposed: [...c.proposed, v] };
}

function phase1a(c: Cluster, b: number): Cluster | null {
  if (b < 0 || b > c.config.maxBallot) return null;
  const ballot = ballotOf(c.config, b);
  const key = msgKey({ type: 'Prepare', ballot, fromSlot: 1 });
  if (c.msgs[key] !== undefined) return null;
  const st = get(c.proposers, ballot.proposer);
  if (st.ballot !== null && st.ballot.round >= ballot.round) return null;
  const step = c.steps.phase1a(st, { nowMs: 0, fromSlot: 1, round: ballot.round });
  return addMsgs({ ...c, proposers: { ...c.proposers, [ballot.proposer]: step.state } },
    step.effects);
}

function phase1b(c: Cluster, a: string, m: Message): Cluster | null {
  if (!isActive(c, a) || m.type !== 'Prepare') return null;
  const step = c.steps.phase1b(get(c.acceptors, a), m.ballot.proposer, m);
  if (!sends(step.effects, 'Promise')) return null;
  return addMsgs({ ...c, acceptors: { ...c.acceptors, [a]: step.state } }, step.effects);
}

function phase2a(c: Cluster, b: number, s: number, v: string): Cluster | null {
  if (!c.proposed.includes(v) || s < 1 || s > c.config.numSlots) return null;
  const ballot = ballotOf(c.config, b);
  const st = proposerWithPromises(c, b);
  if (st.ballot === null || st.ballot.round !== ballot.round) return null;
  const r = c.steps.phase2a(st, { slot: s, value: v });
  if (!r.ok) return null;
  return addMsgs({ ...c, proposers: { ...c.proposers, [ballot.proposer]: r.step.state } },
    r.step.effects);
}

function phase2b(c: Cluster, a: string, m: Message): Cluster | null {
  if (!isActive(c, a) || m.type !== 'Accept') return null;
  const step = c.steps.phase2b(get(c.acceptors, a), m.ballot.proposer, c.config.members, m);
  if (!sends(step.effects, 'Accepted')) return null;
  const next = addMsgs({ ...c, acceptors: { ...c.acceptors, [a]: step.state } }, step.effects);
  return next.msgs === c.msgs ? null : next; // re-accepting the same message is a stutter
}

function apply(c: Cluster, a: string): Cluster | null {
  if (!isActive(c, a)) return null;
  const rep = get(c.replicas, a);
  if (rep.applied.length >= c.config.numSlots) return null;
  const l = learnerWithVotes(c, a);
  const step = applyNext(rep, recordingMachine, (slot) => learner.chosenAt(l, slot));
  if (step.effects.length === 0) return null;
  return {
    ...c, learners: { ...c.learners, [a]: l }, replicas: { ...c.replicas, [a]: step.state },
  };
}

function joinMember(c: Cluster, a: string): Cluster | null {
  if (!canJoin(c.membership, a)) return null;
  const r = join(c.membership, a);
  if (!r.ok) return null;
  return { ...c, membership: r.membership };
}

function tryAction(c: Cluster, act: ClusterAction): Cluster | null {
  switch (act.action) {
    case 'Propose': return propose(c, act.params.v);
    case 'Phase1a': return phase1a(c, act.params.b);
    case 'Phase1b': return phase1b(c, act.params.a, act.params.m);
    case 'Phase2a': return phase2a(c, act.params.b, act.params.s, act.params.v);
    case 'Phase2b': return phase2b(c, act.params.a, act.params.m);
    case 'Apply': return apply(c, act.params.a);
    case 'Join': return joinMember(c, act.params.a);
    default: {
      const never: never = act;
      throw new Error(`assertion: unknown action ${JSON.stringify(never)}`);
    }
  }
}

function candidates(c: Cluster): ClusterAction[] {
  const { members, values, maxBallot, numSlots } = c.config;
  const out: ClusterAction[] = [];
  for (const v of values) out.push({ action: 'Propose', params: { v }, label: `Propose(${v})` });
  for (let b = 0; b <= maxBallot; b += 1) {
    out.push({ action: 'Phase1a', params: { b }, label: `Phase1a(${b})` });
  }
  const ms = Object.values(c.msgs);
  for (const a of members) {
    for (const m of ms) {
      if (m.type === 'Prepare') {
        const label = `Phase1b(${a}, ${describeMsg(m)})`;
        out.push({ action: 'Phase1b', params: { a, m }, label });
      }
      if (m.type === 'Accept') {
        const label = `Phase2b(${a}, ${describeMsg(m)})`;
        out.push({ action: 'Phase2b', params: { a, m }, label });
      }
    }
  }
  for (let b = 0; b <= maxBallot; b += 1) {
    for (let s = 1; s <= numSlots; s += 1) {
      for (const v of values) {
        out.push({ action: 'Phase2a', params: { b, s, v }, label: `Phase2a(${b}, ${s}, ${v})` });
      }
    }
  }
  for (const a of members) {
    out.push({ action: 'Apply', params: { a }, label: `Apply(${a})` });
    out.push({ action: 'Join', params: { a }, label: `Join(${a})` });
  }
  return out;
}

/** The next cluster, if act is enabled and leads to a state within MsgBound (as in TLC). */
function successor(c: Cluster, act: ClusterAction): Cluster | null {
  if (!withinBounds(c)) return null;
  const next = tryAction(c, act);
  return next !== null && withinBounds(next) ? next : null;
}

/** The actions enabled in c whose successor satisfies the MsgBound constraint. */
export function enabledActions(c: Cluster): ClusterAction[] {
  return candidates(c).filter((act) => successor(c, act) !== null);
}

/** Takes an action; an action that is not enabled is an error value. */
export function applyAction(
  c: Cluster, act: ClusterAction,
): { ok: true; cluster: Cluster } | { ok: false; error: { code: 'not-enabled'; message: string } } {
  const next = successor(c, act);
  if (next === null) {
    return { ok: false, error: { code: 'not-enabled', message: `${act.label} is not enabled` } };
  }
  return { ok: true, cluster: next };
}
