/**
 * The proposer (leader) of one group: spec actions Phase1a (startPhase1) and Phase2a (phase2a).
 * Phase 1 covers every slot from a log index; phase 2 runs per slot. Ballots are
 * (round, proposerId), totally ordered; any process may propose (a member or not). Time comes
 * from the driver: `tick(nowMs)` retries with a higher ballot when a phase times out or an
 * acceptor reported a higher ballot (Preempted).
 */
import {
  compareBallots, entryEqual, type AcceptedMsg, type Ballot, type Entry, type Message,
  type PreemptedMsg, type PromiseMsg, type Vote,
} from './messages.ts';

export interface ProposerConfig {
  readonly id: string;
  /** The target membership of the group (every acceptor). */
  readonly acceptors: readonly string[];
  readonly quorumSize: number;
  readonly retryTimeoutMs: number;
  /** The entry that fills a gap below a reported slot when phase 1 completes. */
  readonly noop: Entry;
}
export type ProposerPhase = 'idle' | 'preparing' | 'leading' | 'preempted';

export interface ProposerState {
  readonly config: ProposerConfig;
  readonly phase: ProposerPhase;
  readonly ballot: Ballot | null;
  /** The highest round seen in any ballot (own or reported). */
  readonly highestRound: number;
  readonly fromSlot: number;
  /** Votes reported by each acceptor that promised the current ballot. */
  readonly promises: Readonly<Record<string, readonly Vote[]>>;
  /** Entries sent in Accept messages at the current ballot, per slot. */
  readonly sent: Readonly<Record<number, Entry>>;
  /** Acceptors that accepted at the current ballot, per slot. */
  readonly accepts: Readonly<Record<number, readonly string[]>>;
  readonly chosen: Readonly<Record<number, Entry>>;
  /** Client entries waiting for a slot (bounded by the driver). */
  readonly queue: readonly Entry[];
  /**
   * Client entries given a slot at the current ballot and not yet known chosen: a new ballot
   * queues them again (at-least-once: an entry chosen unbeknownst to this proposer may be
   * chosen twice, so state machines dedupe entries by an id of their own).
   */
  readonly clientSlots: Readonly<Record<number, Entry>>;
  readonly deadlineMs: number | null;
  /** A slot was chosen since the deadline was last set: a busy leader is not stuck. */
  readonly progressed: boolean;
  /**
   * Every slot below this one is chosen and known to the driver (learned from members' logs
   * while another proposer led): phase 1 starts no lower, so a proposer taking over does not
   * ask for, and re-propose, the whole log. 1 when nothing is known.
   */
  readonly learnedBelow: number;
}

export type ProposerEffect =
  | { readonly type: 'send'; readonly to: readonly string[]; readonly msg: Message }
  | { readonly type: 'timer'; readonly atMs: number }
  | { readonly type: 'chosen'; readonly slot: number; readonly value: Entry };

export interface ProposerStep {
  readonly state: ProposerState;
  readonly effects: readonly ProposerEffect[];
}
export interface ProposerError {
  readonly code: 'not-leading' | 'slot-taken' | 'unsafe-value' | 'stale-round';
  readonly message: string;
}
export type Phase2aResult = { ok: true; step: ProposerStep } | { ok: false; error: ProposerError };

export function initProposer(config: ProposerConfig): ProposerState {
  if (config.quorumSize < 1 || config.quorumSize > config.acceptors.length) {
    throw new Error('assertion: quorum size within the group');
  }
  return {
    config, phase: 'idle', ballot: null, highestRound: -1, fromSlot: 1, promises: {}, sent: {},
    accepts: {}, chosen: {}, queue: [], clientSlots: {}, deadlineMs: null, progressed: false,
    learnedBelow: 1,
  };
}

/** Phase1a: take ballot (round, id), above every round seen unless `round` is given. */
export function startPhase1(
  st: ProposerState, input: { nowMs: number; fromSlot?: number; round?: number },
): ProposerStep {
  const round = input.round ?? st.highestRound + 1;
  if (st.ballot !== null && round <= st.ballot.round) throw new Error('assertion: round grows');
  const ballot: Ballot = { round, proposer: st.config.id };
  const fromSlot = input.fromSlot ?? firstUnchosen(st);
  const deadlineMs = input.nowMs + st.config.retryTimeoutMs;
  const requeue = Object.entries(st.clientSlots)
    .sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  const next: ProposerState = {
    ...st, phase: 'preparing', ballot, highestRound: Math.max(st.highestRound, round), fromSlot,
    promises: {}, sent: {}, accepts: {}, deadlineMs, queue: [...requeue, ...st.queue],
    clientSlots: {}, progressed: false,
  };
  const msg: Message = { type: 'Prepare', ballot, fromSlot };
  return {
    state: next,
    effects: [{ type: 'send', to: st.config.acceptors, msg }, { type: 'timer', atMs: deadlineMs }],
  };
}

/**
 * The driver learned that every slot below `slot` is chosen (a contiguous prefix it holds);
 * never lowers what was known.
 */
export function learnedPrefix(st: ProposerState, slot: number): ProposerState {
  if (!Number.isSafeInteger(slot) || slot < 1) throw new Error('assertion: learnedPrefix slot');
  return slot <= st.learnedBelow ? st : { ...st, learnedBelow: slot };
}

function firstUnchosen(st: ProposerState): number {
  let s = st.learnedBelow;
  while (st.chosen[s] !== undefined) s += 1;
  return s;
}

const isCurrent = (st: ProposerState, b: Ballot): boolean =>
  st.ballot !== null && compareBallots(st.ballot, b) === 0;

/** Records a promise of the current ballot; leads once a quorum promised. */
export function onPromise(st: ProposerState, msg: PromiseMsg): ProposerState {
  if (!isCurrent(st, msg.ballot) || st.phase === 'idle' || st.phase === 'preempted') return st;
  if (!st.config.acceptors.includes(msg.from)) return st;
  const promises = { ...st.promises, [msg.from]: msg.votes };
  const leading = Object.keys(promises).length >= st.config.quorumSize;
  return { ...st, promises, phase: leading ? 'leading' : st.phase };
}

function subsetsAtLeast(ids: readonly string[], k: number): string[][] {
  if (ids.length > 9) return ids.length >= k ? [[...ids]] : [];
  const out: string[][] = [];
  for (let mask = 0; mask < 1 << ids.length; mask += 1) {
    const q = ids.filter((_, i) => (mask & (1 << i)) !== 0);
    if (q.length >= k) out.push(q);
  }
  return out;
}

/** The highest-ballot vote for `slot` among the promises of `quorum`, or null if none. */
function highestVote(st: ProposerState, quorum: readonly string[], slot: number): Vote | null {
  let best: Vote | null = null;
  for (const a of quorum) {
    for (const v of st.promises[a] ?? []) {
      if (v.slot === slot && (best === null || compareBallots(v.ballot, best.ballot) > 0)) best = v;
    }
  }
  return best;
}

/**
 * The spec's `\E Q \in Quorum : PromisedBy(b, Q) /\ SafeValue(b, Q, s, v)` on the promises
 * received: `free` when some quorum reports no vote in the slot (any client entry is safe),
 * `values` the highest-ballot entries of the quorums that do report one. (Above 9 promisers
 * only the set of all promisers is considered, which is what `pump` uses.)
 */
export function safeValues(st: ProposerState, slot: number): { free: boolean; values: Entry[] } {
  let free = false;
  const values: Entry[] = [];
  const quorums = subsetsAtLeast(Object.keys(st.promises), st.config.quorumSize);
  for (const q of quorums) {
    const v = highestVote(st, q, slot);
    if (v === null) free = true;
    else if (!values.some((x) => entryEqual(x, v.value))) values.push(v.value);
  }
  return { free, values };
}

/** Phase2a: ask every acceptor to accept `value` in `slot` at the current ballot. */
export function phase2a(st: ProposerState, input: { slot: number; value: Entry }): Phase2aResult {
  const err = (code: ProposerError['code'], message: string): Phase2aResult =>
    ({ ok: false, error: { code, message } });
  if (st.phase !== 'leading' || st.ballot === null) return err('not-leading', 'no quorum yet');
  if (st.sent[input.slot] !== undefined) return err('slot-taken', `slot ${input.slot} sent`);
  const safe = safeValues(st, input.slot);
  if (!safe.free && !safe.values.some((v) => entryEqual(v, input.value))) {
    return err('unsafe-value', `slot ${input.slot}: a higher vote was reported`);
  }
  return { ok: true, step: sendAccept(st, input.slot, input.value) };
}

/** The sending half of phase2a without the safety check (exported for composition only). */
export function sendAccept(st: ProposerState, slot: number, value: Entry): ProposerStep {
  if (st.ballot === null) throw new Error('assertion: no ballot');
  const msg: Message = { type: 'Accept', ballot: st.ballot, slot, value };
  return {
    state: { ...st, sent: { ...st.sent, [slot]: value } },
    effects: [{ type: 'send', to: st.config.acceptors, msg }],
  };
}

/** Records an Accepted answer; reports the slot chosen once a quorum accepted. */
export function onAccepted(st: ProposerState, msg: AcceptedMsg): ProposerStep {
  if (!isCurrent(st, msg.ballot) || st.chosen[msg.slot] !== undefined) {
    return { state: st, effects: [] };
  }
  const before = st.accepts[msg.slot] ?? [];
  if (before.includes(msg.from) || !st.config.acceptors.includes(msg.from)) {
    return { state: st, effects: [] };
  }
  const accs = [...before, msg.from];
  const accepts = { ...st.accepts, [msg.slot]: accs };
  if (accs.length < st.config.quorumSize) return { state: { ...st, accepts }, effects: [] };
  const chosen = { ...st.chosen, [msg.slot]: msg.value };
  const clientSlots = { ...st.clientSlots };
  delete clientSlots[msg.slot];
  return {
    state: { ...st, accepts, chosen, clientSlots, progressed: true },
    effects: [{ type: 'chosen', slot: msg.slot, value: msg.value }],
  };
}

/**
 * `onAccepted` folded over a batch (one member's reply), copying the records once per batch
 * instead of once per message: a leader re-proposing a long tail gets thousands at a time.
 */
export function onAcceptedAll(st: ProposerState, msgs: readonly AcceptedMsg[]): ProposerStep {
  let accepts: Record<number, readonly string[]> | null = null;
  let chosen: Record<number, Entry> | null = null;
  let clientSlots: Record<number, Entry> | null = null;
  const effects: ProposerEffect[] = [];
  for (const msg of msgs) {
    if (!isCurrent(st, msg.ballot) || (chosen ?? st.chosen)[msg.slot] !== undefined) continue;
    const before = (accepts ?? st.accepts)[msg.slot] ?? [];
    if (before.includes(msg.from) || !st.config.acceptors.includes(msg.from)) continue;
    accepts ??= { ...st.accepts };
    const accs = [...before, msg.from];
    accepts[msg.slot] = accs;
    if (accs.length < st.config.quorumSize) continue;
    chosen ??= { ...st.chosen };
    chosen[msg.slot] = msg.value;
    clientSlots ??= { ...st.clientSlots };
    delete clientSlots[msg.slot];
    effects.push({ type: 'chosen', slot: msg.slot, value: msg.value });
  }
  if (accepts === null) return { state: st, effects };
  const decided = chosen === null ? {} : { chosen, clientSlots: clientSlots!, progressed: true };
  return { state: { ...st, accepts, ...decided }, effects };
}

/** An acceptor promised a higher ballot: give up this one and retry at the next tick. */
export function onPreempted(st: ProposerState, msg: PreemptedMsg): ProposerState {
  if (!isCurrent(st, msg.ballot) || compareBallots(msg.promised, msg.ballot) <= 0) return st;
  return { ...st, phase: 'preempted', highestRound: Math.max(st.highestRound, msg.promised.round) };
}

/** Queues a client entry; a leader assigns it a slot at once. */
export function submit(st: ProposerState, value: Entry): ProposerStep {
  const queued = { ...st, queue: [...st.queue, value] };
  return st.phase === 'leading' ? pump(queued) : { state: queued, effects: [] };
}

function lastReportedSlot(st: ProposerState): number {
  let max = st.fromSlot - 1;
  for (const votes of Object.values(st.promises)) {
    for (const v of votes) max = Math.max(max, v.slot);
  }
  return max;
}

/**
 * What a running leader does: re-propose the highest reported entry of every slot up to the
 * last reported one (a no-op in gaps), then give queued client entries the next free slots.
 */
export function pump(st: ProposerState): ProposerStep {
  if (st.phase !== 'leading' || st.ballot === null) return { state: st, effects: [] };
  // One pass, one copy: a new leader may re-propose thousands of slots, and a copy of `sent`
  // per slot (sendAccept's) made a takeover quadratic (seen stalling the harness's long run).
  const best = highestVotes(st, Object.keys(st.promises));
  const sent: Record<number, Entry> = { ...st.sent };
  const clientSlots: Record<number, Entry> = { ...st.clientSlots };
  const effects: ProposerEffect[] = [];
  const send = (slot: number, value: Entry): void => {
    sent[slot] = value;
    const msg: Message = { type: 'Accept', ballot: st.ballot!, slot, value };
    effects.push({ type: 'send', to: st.config.acceptors, msg });
  };
  const last = lastReportedSlot(st);
  let slot = st.fromSlot;
  for (; slot <= last; slot += 1) {
    if (sent[slot] !== undefined || st.chosen[slot] !== undefined) continue;
    send(slot, best.get(slot)?.value ?? st.config.noop);
  }
  for (const value of st.queue) {
    while (sent[slot] !== undefined || st.chosen[slot] !== undefined) slot += 1;
    send(slot, value);
    clientSlots[slot] = value;
  }
  if (effects.length === 0 && st.queue.length === 0) return { state: st, effects };
  return { state: { ...st, sent, clientSlots, queue: [] }, effects };
}

/** `highestVote` of every reported slot at once (what pump needs; linear in the votes). */
function highestVotes(st: ProposerState, quorum: readonly string[]): Map<number, Vote> {
  const best = new Map<number, Vote>();
  for (const a of quorum) {
    for (const v of st.promises[a] ?? []) {
      const b = best.get(v.slot);
      if (b === undefined || compareBallots(v.ballot, b.ballot) > 0) best.set(v.slot, v);
    }
  }
  return best;
}

/**
 * Driver time: start when idle with queued entries; retry with a higher ballot after a
 * preemption or a timed-out phase. A leader with slots outstanding is stuck only when no slot
 * was chosen during the whole window: under steady load it keeps its ballot.
 */
export function tick(st: ProposerState, nowMs: number): ProposerStep {
  const waiting = Object.keys(st.sent).some((s) => st.chosen[Number(s)] === undefined);
  const timedOut = st.deadlineMs !== null && nowMs >= st.deadlineMs;
  const stuck = st.phase === 'preparing' || (st.phase === 'leading' && waiting && !st.progressed);
  const idleWithWork = st.phase === 'idle' && st.queue.length > 0;
  if (st.phase === 'preempted' || idleWithWork || (timedOut && stuck)) {
    return startPhase1(st, { nowMs });
  }
  if (st.phase === 'leading' && timedOut) {
    const deadlineMs = nowMs + st.config.retryTimeoutMs;
    return {
      state: { ...st, deadlineMs, progressed: false },
      effects: [{ type: 'timer', atMs: deadlineMs }],
    };
  }
  return { state: st, effects: [] };
}
