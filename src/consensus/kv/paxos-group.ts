/**
 * The store on one real Paxos group (src/consensus cores), as a simulator composition.
 *
 * Members `m1..mN` each run an acceptor (durable), a proposer, a learner and a replica log
 * applying `kvGroupMachine`. Clients `c1..cC` run the KV client core and send each attempt of
 * a command to a member, rotating on retries; the member proposes the entry; every member that
 * applies it answers the client (duplicates are ignored by the client). A restarted member
 * keeps its acceptor state and catches up on chosen entries from peers (`catchup` gossip).
 *
 * `hooks.onRequest(member, entry)` decides what a member does with a client's entry: the
 * default proposes it; a test may answer reads from the member's own replica instead (a
 * broken store that reads a lagging replica). `hooks.client` replaces the client core's steps;
 * `hooks.pickMember` chooses the member each attempt goes to.
 */
import type { Effect, NodeBehavior, NodeId, SimContext } from '../../runtime/sim/index.ts';
import {
  acceptor,
  learner,
  majority,
  proposer,
  replica,
  type AcceptorDurable,
  type AcceptorState,
  type Entry,
  type LearnerState,
  type Message,
  type ProposerEffect,
  type ProposerState,
  type ReplicaState,
} from '../index.ts';
import { KvCommandSchema, type KvCommand, type KvEntry, type KvReply,
  type KvResult } from './commands.ts';
import { kvClientSteps, initKvClient, type KvClientConfig, type KvClientEffect,
  type KvClientState, type KvClientSteps } from './client.ts';
import { KV_NOOP, kvGroupMachine } from './group-machine.ts';
import { applyCommand, emptyKvState, type KvState } from './store.ts';

export const MAX_CLIENT_QUEUE = 64;
const CATCHUP_BATCH = 128;

export type GroupMsg =
  | Message
  | { type: 'kv-request'; entry: KvEntry }
  | { type: 'kv-reply'; reply: KvReply }
  | { type: 'catchup'; fromSlot: number }
  | { type: 'catchup-entries'; entries: { slot: number; value: Entry }[] };

export type MemberVolatile = { role: 'member'; proposer: ProposerState; learner: LearnerState;
  replica: ReplicaState<KvState> };
export type ClientVolatile = { role: 'client'; core: KvClientState; queue: readonly KvCommand[];
  lastResolved: Extract<KvClientEffect, { type: 'resolved' }> | undefined };
export type GroupDurable = { role: 'member'; acceptor: AcceptorDurable }
  | { role: 'client'; seq: number };
export type GroupVolatile = MemberVolatile | ClientVolatile;

export type MemberView = { id: NodeId; replica: ReplicaState<KvState> };
export type GroupHooks = {
  onRequest: (member: MemberView, entry: KvEntry) =>
    { type: 'propose' } | { type: 'answer'; result: KvResult };
  client: KvClientSteps;
  /** The member an attempt of an entry goes to (default: rotate on retries, from m1). */
  pickMember: (entry: KvEntry, attempt: number, members: readonly NodeId[]) => NodeId;
};

export type PaxosGroupConfig = {
  members: number;
  clients: number;
  client: KvClientConfig;
  proposerRetryMs: number;
  catchupMs: number;
  /** Quorum of proposers and learners (default: a majority). A test may set a wrong one. */
  quorumSize?: number;
  hooks?: Partial<GroupHooks>;
};

type Behavior = NodeBehavior<GroupMsg, GroupDurable, GroupVolatile, KvCommand>;
type Tr = ReturnType<Behavior['onMessage']>;
type SimEffect = Effect<GroupMsg>;

/** A member answering reads from its own replica, without the log (a broken store). */
export function readLocally(member: MemberView, entry: KvEntry):
  { type: 'propose' } | { type: 'answer'; result: KvResult } {
  if (entry.command.type !== 'get') return { type: 'propose' };
  return { type: 'answer', result: applyCommand(member.replica.sm.data, entry.command).result };
}

export function paxosGroupStore(config: PaxosGroupConfig): { nodes: NodeId[]; members: NodeId[];
  clients: NodeId[]; behavior: Behavior } {
  const members = Array.from({ length: config.members }, (_, i) => `m${i + 1}`);
  const clients = Array.from({ length: config.clients }, (_, i) => `c${i + 1}`);
  const hooks: GroupHooks = { onRequest: () => ({ type: 'propose' }), client: kvClientSteps,
    pickMember: (_e, attempt, ms) => ms[(attempt - 1) % ms.length] as NodeId, ...config.hooks };
  const q = config.quorumSize ?? majority(members.length);
  const freshMember = (id: NodeId): MemberVolatile => ({ role: 'member',
    proposer: proposer.initProposer({ id, acceptors: members, quorumSize: q,
      retryTimeoutMs: config.proposerRetryMs, noop: KV_NOOP }),
    learner: learner.initLearner({ acceptors: members, quorumSize: q }),
    replica: replica.initReplica(emptyKvState()) });
  const catchupTimer: SimEffect = { type: 'setTimer', name: 'catchup', afterMs: config.catchupMs };
  const ctxOf = { members, config, hooks };
  const behavior: Behavior = {
    init: (id) => members.includes(id)
      ? { durable: { role: 'member', acceptor: acceptor.EMPTY_DURABLE }, volatile: freshMember(id),
        effects: [catchupTimer] }
      : { durable: { role: 'client', seq: 0 }, volatile: { role: 'client',
        core: initKvClient(id), queue: [], lastResolved: undefined } },
    recover: (id, d) => d.role === 'member'
      ? { volatile: freshMember(id), effects: [catchupTimer] }
      : { volatile: { role: 'client', core: initKvClient(id, d.seq), queue: [],
        lastResolved: undefined } },
    onMessage: (node, from, msg, ctx) => {
      const d = node.durable;
      const v = node.volatile;
      if (d.role === 'member' && v.role === 'member') {
        return memberOnMessage(ctxOf, node.id, d, v, from, msg, ctx);
      }
      if (d.role === 'client' && v.role === 'client' && msg.type === 'kv-reply') {
        return clientRun(ctxOf, d, v, hooks.client.onReply(v.core, msg.reply));
      }
      return {};
    },
    onTimer: (node, name, ctx) => {
      const d = node.durable;
      const v = node.volatile;
      if (v.role === 'member' && name === 'proposer') {
        return proposerRun(v, proposer.tick(v.proposer, ctx.nowMs), ctx);
      }
      if (v.role === 'member' && name === 'catchup') {
        const peers = members.filter((m) => m !== node.id);
        const to = peers[ctx.rng.int(0, peers.length - 1)] as NodeId;
        const fromSlot = replica.nextSlot(v.replica);
        const ask: SimEffect = { type: 'send', to, msg: { type: 'catchup', fromSlot } };
        return { effects: [ask, catchupTimer] };
      }
      if (d.role === 'client' && v.role === 'client' && name === 'retry') {
        return clientRun(ctxOf, d, v, hooks.client.onRetry(config.client, v.core));
      }
      return {};
    },
    onInput: (node, input) => {
      const d = node.durable;
      const v = node.volatile;
      const parsed = KvCommandSchema.safeParse(input);
      if (d.role !== 'client' || v.role !== 'client' || !parsed.success) return {};
      if (v.queue.length >= MAX_CLIENT_QUEUE) return {};
      return clientRun(ctxOf, d, { ...v, queue: [...v.queue, parsed.data] },
        { state: v.core, effects: [] });
    },
  };
  return { nodes: [...members, ...clients], members, clients, behavior };
}

type Ctx = { members: readonly NodeId[]; config: PaxosGroupConfig; hooks: GroupHooks };

function memberOnMessage(
  c: Ctx, self: NodeId, d: Extract<GroupDurable, { role: 'member' }>, v: MemberVolatile,
  from: NodeId, msg: GroupMsg, ctx: SimContext,
): Tr {
  const acc: AcceptorState = acceptor.initAcceptor(self, d.acceptor);
  switch (msg.type) {
    case 'Prepare':
      return acceptorRun(acceptor.onPrepare(acc, from, msg));
    case 'Accept':
      return acceptorRun(acceptor.onAccept(acc, from, c.members, msg));
    case 'Promise': {
      const before = v.proposer.phase;
      const st = proposer.onPromise(v.proposer, msg);
      const step = before !== 'leading' && st.phase === 'leading'
        ? proposer.pump(st) : { state: st, effects: [] };
      return proposerRun(v, step, ctx);
    }
    case 'Accepted': {
      const p = proposer.onAccepted(v.proposer, msg);
      const l = learner.onAccepted(v.learner, msg);
      return learnAndApply({ ...v, proposer: p.state, learner: l.state });
    }
    case 'Preempted': {
      const st = proposer.onPreempted(v.proposer, msg);
      return { volatile: { ...v, proposer: st }, effects: [{ type: 'setTimer', name: 'proposer',
        afterMs: ctx.rng.int(5, 40) }] };
    }
    case 'kv-request': {
      const decision = c.hooks.onRequest({ id: self, replica: v.replica }, msg.entry);
      if (decision.type === 'answer') {
        const reply = { clientId: msg.entry.clientId, seq: msg.entry.seq, result: decision.result };
        return { effects: [{ type: 'send', to: from, msg: { type: 'kv-reply', reply } }] };
      }
      const step = proposer.submit(v.proposer, msg.entry);
      const started = step.state.phase === 'idle'
        ? proposer.startPhase1(step.state, { nowMs: ctx.nowMs }) : step;
      return proposerRun(v, started, ctx);
    }
    case 'catchup': {
      const entries: { slot: number; value: Entry }[] = [];
      for (let s = msg.fromSlot; entries.length < CATCHUP_BATCH; s += 1) {
        const value = learner.chosenAt(v.learner, s);
        if (value === undefined) break;
        entries.push({ slot: s, value });
      }
      if (entries.length === 0) return {};
      return { effects: [{ type: 'send', to: from, msg: { type: 'catchup-entries', entries } }] };
    }
    case 'catchup-entries': {
      let l = v.learner;
      for (const e of msg.entries) l = learner.learnChosen(l, e.slot, e.value);
      return learnAndApply({ ...v, learner: l });
    }
    case 'kv-reply':
      return {};
    default: {
      const never: never = msg;
      throw new Error(`assertion failed: message ${JSON.stringify(never)}`);
    }
  }
}

function acceptorRun(step: ReturnType<typeof acceptor.onPrepare>): Tr {
  let durable: GroupDurable | undefined;
  const effects: SimEffect[] = [];
  for (const e of step.effects) {
    if (e.type === 'persist') durable = { role: 'member', acceptor: e.durable };
    else for (const to of e.to) effects.push({ type: 'send', to, msg: e.msg });
  }
  return durable === undefined ? { effects } : { durable, effects };
}

function proposerRun(
  v: MemberVolatile, step: { state: ProposerState; effects: readonly ProposerEffect[] },
  ctx: SimContext,
): Tr {
  const effects: SimEffect[] = [];
  for (const e of step.effects) {
    if (e.type === 'send') for (const to of e.to) effects.push({ type: 'send', to, msg: e.msg });
    else if (e.type === 'timer') {
      const afterMs = Math.max(1, e.atMs - ctx.nowMs);
      effects.push({ type: 'setTimer', name: 'proposer', afterMs });
    }
  }
  return { volatile: { ...v, proposer: step.state }, effects };
}

/** Apply every newly known chosen slot in order; answer the client of each applied entry. */
function learnAndApply(v: MemberVolatile): Tr {
  const step = replica.applyAll(v.replica, kvGroupMachine, (s) => learner.chosenAt(v.learner, s));
  const effects: SimEffect[] = [];
  for (const a of step.effects) {
    const entry = a.entry as KvEntry | { noop: true };
    if (a.result === undefined || !('clientId' in entry)) continue;
    const reply: KvReply = { clientId: entry.clientId, seq: entry.seq, result: a.result };
    effects.push({ type: 'send', to: entry.clientId, msg: { type: 'kv-reply', reply } });
  }
  return { volatile: { ...v, replica: step.state }, effects };
}

function clientRun(
  c: Ctx, d: Extract<GroupDurable, { role: 'client' }>, v: ClientVolatile,
  step: { state: KvClientState; effects: KvClientEffect[] },
): Tr {
  let core = step.state;
  let queue = v.queue;
  let lastResolved = v.lastResolved;
  const todo = [...step.effects];
  const out: SimEffect[] = [];
  for (let guard = 0; guard < 2 * MAX_CLIENT_QUEUE; guard++) {
    for (const e of todo.splice(0)) {
      if (e.type === 'propose') {
        const attempt = core.pending?.attempts ?? 1;
        const to = c.hooks.pickMember(e.entry, attempt, c.members);
        out.push({ type: 'send', to, msg: { type: 'kv-request', entry: e.entry } });
      } else if (e.type === 'resolved') lastResolved = e;
      else out.push(e);
    }
    const next = queue[0];
    if (core.pending !== undefined || next === undefined) break;
    const started = c.hooks.client.submit(c.config.client, core, next);
    if (!started.ok) break;
    queue = queue.slice(1);
    core = started.value.state;
    todo.push(...started.value.effects);
  }
  return { durable: { ...d, seq: core.seq }, volatile: { role: 'client', core, queue,
    lastResolved }, effects: out };
}
