/**
 * A transaction proposer with real timers: the txn proposer core (src/txn) over one Paxos
 * proposer core per group (src/consensus), talking to the groups' members through a
 * MemberTransport. It learns each group's chosen log from its own ballots (when it leads the
 * group) or from the members' long-poll read (when it does not), applies it to a replica of
 * the group's participant state machine, and feeds the results to the txn core, which decides
 * and tells outcomes. Volatile: a restarted proposer starts empty and relearns the logs.
 *
 * Driver choices (the cores are untouched): Accepts to one member are sent as one batch per
 * event-loop turn; a phase-1 timeout is acted on only when the group made no progress within
 * the retry window (the Paxos core's `tick` restarts phase 1 whenever a slot is still open at
 * the deadline, which under steady load is always); a preempted ballot retries after a
 * random backoff (the driver's randomness, never the core's); finished transactions are
 * forgotten (removed from the txn core's state and the replicas once decided everywhere,
 * their outcome kept in a compact map) and later entries about them are skipped: the cores
 * keep every transaction forever and copy their whole records on every step.
 */
import {
  initProposer as initPaxos, learnedPrefix, onAcceptedAll, onPreempted, onPromise, pump,
  submit as paxosSubmit, tick as paxosTick, type ProposerState as PaxosState,
  type ProposerStep as PaxosStep,
} from '../proposer.ts';
import {
  entryEqual, majority, type AcceptedMsg, type Entry as PaxosEntry, type Message,
} from '../messages.ts';
import { entryTxnId, parseEntry, groupsOf } from '../../txn/entries.ts';
import {
  apply as applyEntry, initParticipant, participantSteps, type ParticipantState,
  type ParticipantSteps,
} from '../../txn/participant.ts';
import {
  decidedEverywhere, initProposer as initTxn, type OutcomeFn, type ProposerState as TxnState,
} from '../../txn/proposer.ts';
import { proposerStep } from '../../txn/step.ts';
import type { Outcome, ProposerInput } from '../../txn/messages.ts';
import type { TxnSpec } from '../../txn/entries.ts';
import type { MemberTransport } from './transport.ts';
import { MAX_BATCH_MSGS, type ChosenItem, type MemberReply, type ProposerReply } from './wire.ts';

/** The entry a leader puts in a gap of the log; the replica skips it. */
export const NOOP: PaxosEntry = { type: 'Noop' };

export interface ProposerNodeConfig {
  readonly id: string;
  /** group id -> member ids (the acceptors of that group). */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly txnRetryMs?: number;
  readonly recoverAfterMs?: number;
  readonly paxosRetryMs?: number;
  readonly requestTimeoutMs?: number;
  /** Read the chosen log from members while not leading a group (default true). */
  readonly observe?: boolean;
  /** Core steps a test may replace (bug injection): the decision rule, the group machine. */
  readonly outcome?: OutcomeFn;
  readonly participantSteps?: ParticipantSteps;
}

export interface ProposerCounters {
  msgsSent: number;
  framesSent: number;
  chosenConflicts: number;
  badEntries: number;
  phase1Started: number;
}

type PaxosOut = Extract<Message, { type: 'Prepare' | 'Accept' }>;
interface GroupView {
  readonly id: string;
  readonly members: readonly string[];
  paxos: PaxosState;
  readonly learned: Map<number, PaxosEntry>;
  replica: ParticipantState;
  next: number;
  lastProgressMs: number;
  timer: NodeJS.Timeout | null;
  readonly outbox: Map<string, PaxosOut[]>;
  chosenOut: ChosenItem[];
}
type Waiter = (o: Outcome | null) => void;

/** How often finished transactions are removed from the txn core's state. */
const FORGET_EVERY_MS = 50;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ProposerNode {
  readonly counters: ProposerCounters = {
    msgsSent: 0, framesSent: 0, chosenConflicts: 0, badEntries: 0, phase1Started: 0,
  };
  /** Lamport-style depth of the causal chain being handled (message delays, bench only). */
  lc = 0;
  private txn: TxnState;
  private readonly groups = new Map<string, GroupView>();
  private readonly outcomeWaiters = new Map<string, Set<Waiter>>();
  private readonly decidedWaiters = new Map<string, Set<Waiter>>();
  /** Outcomes of transactions removed from the txn core's state (decided everywhere). */
  private readonly forgotten = new Map<string, Outcome>();
  private readonly ticker: NodeJS.Timeout;
  private flushScheduled = false;
  private closed = false;
  private readonly cfg: Required<Omit<ProposerNodeConfig, 'outcome'>>;

  constructor(config: ProposerNodeConfig, private readonly transport: MemberTransport) {
    this.cfg = {
      txnRetryMs: 1_000, recoverAfterMs: 1_500, paxosRetryMs: 400, requestTimeoutMs: 1_000,
      observe: true, participantSteps, ...config,
    };
    this.txn = initTxn({ id: config.id, retryMs: this.cfg.txnRetryMs,
      recoverAfterMs: this.cfg.recoverAfterMs,
      ...(config.outcome === undefined ? {} : { outcome: config.outcome }) });
    for (const [id, members] of Object.entries(config.groups)) {
      const paxos = initPaxos({ id: config.id, acceptors: members,
        quorumSize: majority(members.length), retryTimeoutMs: this.cfg.paxosRetryMs, noop: NOOP });
      this.groups.set(id, { id, members, paxos, learned: new Map(),
        replica: initParticipant(id, {}),
        next: 1, lastProgressMs: 0, timer: null, outbox: new Map(), chosenOut: [] });
      if (this.cfg.observe) void this.observe(id);
    }
    const tickMs = Math.max(5, Math.floor(this.cfg.txnRetryMs / 4));
    let lastTickMs = 0;
    this.ticker = setInterval(() => {
      const nowMs = Date.now();
      this.forgetFinished();
      if (nowMs - lastTickMs < tickMs) return;
      lastTickMs = nowMs;
      this.txnStep({ type: 'tick', nowMs });
    }, Math.min(tickMs, FORGET_EVERY_MS));
  }

  // ------------------------------------------------------------------ requests from clients

  /** Runs a transaction as its owner; answers its outcome once told, or Pending after waitMs. */
  begin(txn: TxnSpec, waitMs: number, lc = 0): Promise<ProposerReply> {
    const done = this.forgotten.get(txn.id);
    if (done !== undefined) {
      return Promise.resolve({ type: 'Outcome', txnId: txn.id, outcome: done, lc: lc + 1 });
    }
    this.lc = lc;
    const answer = this.wait(this.outcomeWaiters, txn.id, waitMs);
    this.txnStep({ type: 'begin', txn, nowMs: Date.now() });
    return answer.then((o) => (o === null
      ? { type: 'Pending', txnId: txn.id }
      : { type: 'Outcome', txnId: txn.id, outcome: o, lc: this.lc + 1 }));
  }

  /** Finishes a transaction another proposer (or a gone client) left: its decision. */
  awaitDecision(txnId: string, waitMs: number): Promise<ProposerReply> {
    const done = this.forgotten.get(txnId);
    if (done !== undefined) {
      return Promise.resolve({ type: 'Outcome', txnId, outcome: done, lc: 0 });
    }
    const answer = this.wait(this.decidedWaiters, txnId, waitMs);
    this.txnStep({ type: 'recover', txnId, nowMs: Date.now() });
    this.checkDecided();
    return answer.then((o) => (o === null
      ? { type: 'Pending', txnId }
      : { type: 'Outcome', txnId, outcome: o, lc: 0 }));
  }

  /** Leads every group (learning every log) and recovers every undecided transaction. */
  async drain(waitMs: number): Promise<ProposerReply> {
    const endMs = Date.now() + waitMs;
    for (const g of this.groups.keys()) this.submit(g, NOOP);
    let undecided = this.undecided();
    while (Date.now() < endMs && !this.closed) {
      await sleep(100);
      undecided = this.undecided();
      const leadingAll = [...this.groups.values()].every((g) => g.paxos.phase === 'leading' &&
        g.paxos.queue.length === 0 && Object.keys(g.paxos.clientSlots).length === 0);
      if (undecided.length === 0 && leadingAll) break;
      for (const id of undecided) this.txnStep({ type: 'recover', txnId: id, nowMs: Date.now() });
    }
    return { type: 'Drained', undecided };
  }

  undecided(): string[] {
    return Object.keys(this.txn.txns).filter((id) => !decidedEverywhere(this.txn.txns[id]!));
  }

  stats(): Extract<ProposerReply, { type: 'Stats' }>['stats'] {
    const leading: Record<string, boolean> = {};
    const appliedSlots: Record<string, number> = {};
    for (const g of this.groups.values()) {
      leading[g.id] = g.paxos.phase === 'leading';
      appliedSlots[g.id] = g.next - 1;
    }
    return { txnsKnown: Object.keys(this.txn.txns).length + this.forgotten.size,
      undecided: this.undecided().length,
      leading, appliedSlots, msgsSent: this.counters.msgsSent,
      framesSent: this.counters.framesSent };
  }

  /** The replica of a group's participant state this proposer applied (tests, bench). */
  replica(group: string): ParticipantState | undefined {
    return this.groups.get(group)?.replica;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    for (const g of this.groups.values()) if (g.timer !== null) clearTimeout(g.timer);
    for (const map of [this.outcomeWaiters, this.decidedWaiters]) {
      for (const set of map.values()) for (const w of set) w(null);
      map.clear();
    }
    await this.transport.close();
  }

  /**
   * Removes transactions decided everywhere (and told, if owned) from the core's state and
   * from this proposer's group replicas. Equivalent for what the replicas answer: a decided
   * transaction's vote and decision are final in every group, every later entry about it is
   * a no-op there, and such entries are no longer applied (see learn).
   */
  private forgetFinished(): void {
    const txns = { ...this.txn.txns };
    const perGroup = new Map<string, string[]>();
    for (const [id, v] of Object.entries(this.txn.txns)) {
      if (!decidedEverywhere(v) || (v.isOwner && !v.told) || this.decidedWaiters.has(id)) continue;
      const groups = groupsOf(v.spec);
      const committed = groups.every((g) => v.decisions[g] === 'commit');
      this.forgotten.set(id, committed ? 'committed' : 'aborted');
      delete txns[id];
      for (const g of groups) perGroup.set(g, [...(perGroup.get(g) ?? []), id]);
    }
    if (perGroup.size === 0) return;
    this.txn = { ...this.txn, txns };
    for (const [gid, ids] of perGroup) {
      const g = this.groups.get(gid);
      if (g === undefined) continue;
      const votes = { ...g.replica.votes };
      const decisions = { ...g.replica.decisions };
      const specs = { ...g.replica.txns };
      for (const id of ids) {
        delete votes[id];
        delete decisions[id];
        delete specs[id];
      }
      g.replica = { ...g.replica, votes, decisions, txns: specs };
    }
  }

  private wait(map: Map<string, Set<Waiter>>, txnId: string, waitMs: number):
    Promise<Outcome | null> {
    return new Promise((resolve) => {
      const set = map.get(txnId) ?? new Set<Waiter>();
      map.set(txnId, set);
      const timer = setTimeout(() => done(null), waitMs);
      const done: Waiter = (o) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && map.get(txnId) === set) map.delete(txnId);
        resolve(o);
      };
      set.add(done);
    });
  }

  private resolveAll(map: Map<string, Set<Waiter>>, txnId: string, o: Outcome): void {
    const set = map.get(txnId);
    if (set === undefined) return;
    for (const w of [...set]) w(o);
  }

  // ------------------------------------------------------------------ the txn core

  private txnStep(input: ProposerInput): void {
    if (this.closed) return;
    const r = proposerStep(this.txn, input);
    this.txn = r.state;
    for (const e of r.effects) {
      if (e.type === 'propose') this.submit(e.group, e.entry);
      else this.resolveAll(this.outcomeWaiters, e.txnId, e.outcome);
    }
    if (this.decidedWaiters.size > 0) this.checkDecided();
  }

  private checkDecided(): void {
    for (const id of [...this.decidedWaiters.keys()]) {
      const v = this.txn.txns[id];
      if (v === undefined || !decidedEverywhere(v)) continue;
      const committed = groupsOf(v.spec).every((g) => v.decisions[g] === 'commit');
      this.resolveAll(this.decidedWaiters, id, committed ? 'committed' : 'aborted');
    }
  }

  // ------------------------------------------------------------------ the Paxos cores

  private group(id: string): GroupView {
    const g = this.groups.get(id);
    if (g === undefined) throw new Error(`assertion: unknown group ${id}`);
    return g;
  }

  private submit(groupId: string, entry: PaxosEntry): void {
    const g = this.group(groupId);
    this.applyPaxos(g, paxosSubmit(g.paxos, entry));
    if (g.paxos.phase === 'idle' || g.paxos.phase === 'preempted') this.tickGroup(g);
  }

  private tickGroup(g: GroupView): void {
    const before = g.paxos.ballot;
    this.applyPaxos(g, paxosTick(g.paxos, Date.now()));
    if (g.paxos.ballot !== before) this.counters.phase1Started += 1;
  }

  private applyPaxos(g: GroupView, step: PaxosStep): void {
    g.paxos = step.state;
    for (const e of step.effects) {
      switch (e.type) {
        case 'send':
          if (e.msg.type !== 'Prepare' && e.msg.type !== 'Accept') break;
          for (const to of e.to) this.enqueue(g, to, e.msg);
          break;
        case 'timer': this.arm(g, e.atMs); break;
        case 'chosen': this.onChosen(g, e.slot, e.value); break;
        default: {
          const never: never = e;
          throw new Error(`assertion: unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private arm(g: GroupView, atMs: number): void {
    if (this.closed) return;
    if (g.timer !== null) clearTimeout(g.timer);
    g.timer = setTimeout(() => this.onTimer(g), Math.max(0, atMs - Date.now()));
  }

  private onTimer(g: GroupView): void {
    g.timer = null;
    const nowMs = Date.now();
    if (g.paxos.phase === 'leading' && nowMs - g.lastProgressMs < this.cfg.paxosRetryMs) {
      this.arm(g, nowMs + this.cfg.paxosRetryMs);
      return;
    }
    this.tickGroup(g);
  }

  private onReply(g: GroupView, reply: MemberReply): void {
    if (reply.type !== 'Paxos') return;
    this.lc = Math.max(this.lc, reply.lc);
    // Consecutive Accepted answers are applied as one batch (one copy of the core's records).
    const accepted: AcceptedMsg[] = [];
    const applyAccepted = (): void => {
      if (accepted.length > 0) this.applyPaxos(g, onAcceptedAll(g.paxos, accepted.splice(0)));
    };
    for (const msg of reply.msgs) {
      if (msg.type !== 'Accepted') applyAccepted();
      if (msg.type === 'Promise') {
        const wasLeading = g.paxos.phase === 'leading';
        g.paxos = onPromise(g.paxos, msg);
        if (!wasLeading && g.paxos.phase === 'leading') {
          g.lastProgressMs = Date.now();
          this.applyPaxos(g, pump(g.paxos));
        }
      } else if (msg.type === 'Accepted') {
        accepted.push(msg);
        continue;
      } else {
        g.paxos = onPreempted(g.paxos, msg);
        if (g.paxos.phase === 'preempted') this.arm(g, Date.now() + 5 + Math.random() * 45);
      }
    }
    applyAccepted();
  }

  private enqueue(g: GroupView, to: string, msg: PaxosOut): void {
    const q = g.outbox.get(to) ?? [];
    g.outbox.set(to, q);
    q.push(msg);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const g of this.groups.values()) this.flush(g);
    });
  }

  private flush(g: GroupView): void {
    const timeoutMs = this.cfg.requestTimeoutMs;
    for (const [to, all] of g.outbox) {
      g.outbox.delete(to);
      for (let i = 0; i < all.length; i += MAX_BATCH_MSGS) {
        const msgs = all.slice(i, i + MAX_BATCH_MSGS);
        this.counters.msgsSent += msgs.length;
        this.counters.framesSent += 1;
        const req = { type: 'Paxos' as const, from: this.cfg.id, lc: this.lc + 1, msgs };
        void this.transport.request(to, req, timeoutMs).then((r) => {
          if (r.ok && !this.closed) this.onReply(g, r.value);
        });
      }
    }
    if (g.chosenOut.length === 0) return;
    const items = g.chosenOut.slice(0, MAX_BATCH_MSGS);
    g.chosenOut = g.chosenOut.slice(MAX_BATCH_MSGS);
    for (const to of g.members) {
      this.counters.msgsSent += items.length;
      this.counters.framesSent += 1;
      void this.transport.request(to, { type: 'Chosen', lc: this.lc + 1, items }, timeoutMs);
    }
    if (g.chosenOut.length > 0) this.scheduleFlush();
  }

  // ------------------------------------------------------------------ learning and applying

  private onChosen(g: GroupView, slot: number, value: PaxosEntry): void {
    g.lastProgressMs = Date.now();
    g.chosenOut.push({ slot, value });
    this.scheduleFlush();
    this.learn(g, slot, value);
  }

  private learn(g: GroupView, slot: number, value: PaxosEntry): void {
    if (slot < g.next) return;
    const known = g.learned.get(slot);
    if (known !== undefined) {
      if (!entryEqual(known, value)) this.counters.chosenConflicts += 1;
      return;
    }
    g.learned.set(slot, value);
    while (g.learned.has(g.next)) {
      const slotNow = g.next;
      const entry = g.learned.get(slotNow)!;
      g.learned.delete(slotNow);
      g.next += 1;
      g.paxos = learnedPrefix(g.paxos, g.next);
      if (entryEqual(entry, NOOP)) continue;
      const parsed = parseEntry(entry);
      if (!parsed.ok) {
        this.counters.badEntries += 1;
        continue;
      }
      if (this.forgotten.has(entryTxnId(parsed.entry))) continue;
      const r = applyEntry(g.replica, parsed.entry, this.cfg.participantSteps);
      g.replica = r.state;
      this.txnStep({ type: 'applied', group: g.id, slot: slotNow, entry: parsed.entry,
        result: r.result, nowMs: Date.now() });
    }
  }

  /** While not leading, read what the members learned (another proposer's choices). */
  private async observe(groupId: string): Promise<void> {
    const g = this.group(groupId);
    let at = 0;
    while (!this.closed) {
      if (g.paxos.phase === 'leading') {
        await sleep(100);
        continue;
      }
      const member = g.members[at % g.members.length]!;
      const r = await this.transport.request(member,
        { type: 'Log', fromSlot: g.next, waitMs: 200, max: 1024 }, 2_000);
      if (this.closed) return;
      if (!r.ok || r.value.type !== 'Log' || r.value.items.length === 0) {
        at += 1;
        if (!r.ok) await sleep(50);
        continue;
      }
      for (const it of r.value.items) this.learn(g, it.slot, it.value);
    }
  }
}
