/**
 * The acceptor of one member (spec actions Phase1b and Phase2b of GroupPaxos.tla). Its state
 * is durable: every answer comes after a `persist` effect that the driver must make durable
 * before it performs the sends that follow it in the effect list. A `persist` carries both
 * the WAL record (the delta) and the full durable state after the step, so a driver may batch
 * the persists of many steps into one fsync (group commit) and release their sends after it.
 */
import {
  ballotAtLeast, compareBallots, type AcceptMsg, type Ballot, type Entry, type Message,
  type PrepareMsg, type Vote,
} from './messages.ts';

export interface AcceptorDurable {
  /** The highest ballot promised or accepted in (the spec's maxBal), null for none. */
  readonly promised: Ballot | null;
  /** The vote per slot (the spec's accepted), keyed by slot number. */
  readonly accepted: Readonly<Record<number, Vote>>;
}
export interface AcceptorState {
  readonly id: string;
  readonly durable: AcceptorDurable;
}

export type WalRecord =
  | { readonly kind: 'promise'; readonly ballot: Ballot }
  | { readonly kind: 'accept'; readonly slot: number; readonly ballot: Ballot;
      readonly value: Entry };

export type AcceptorEffect =
  | { readonly type: 'persist'; readonly record: WalRecord; readonly durable: AcceptorDurable }
  | { readonly type: 'send'; readonly to: readonly string[]; readonly msg: Message };

export interface AcceptorStep {
  readonly state: AcceptorState;
  readonly effects: readonly AcceptorEffect[];
}

export const EMPTY_DURABLE: AcceptorDurable = Object.freeze({ promised: null, accepted: {} });

/** A fresh acceptor (a joining member starts here), or a restarted one from its WAL state. */
export function initAcceptor(id: string, durable: AcceptorDurable = EMPTY_DURABLE): AcceptorState {
  return { id, durable };
}

/** Rebuilds the durable state from WAL records in write order (recovery after a crash). */
export function replayWal(records: readonly WalRecord[]): AcceptorDurable {
  let d: AcceptorDurable = EMPTY_DURABLE;
  for (const r of records) d = applyRecord(d, r);
  return d;
}

export function applyRecord(d: AcceptorDurable, r: WalRecord): AcceptorDurable {
  switch (r.kind) {
    case 'promise':
      return { ...d, promised: r.ballot };
    case 'accept': {
      const vote: Vote = { slot: r.slot, ballot: r.ballot, value: r.value };
      return { promised: r.ballot, accepted: { ...d.accepted, [r.slot]: vote } };
    }
    default: {
      const never: never = r;
      throw new Error(`assertion: unknown WAL record ${JSON.stringify(never)}`);
    }
  }
}

/** Spec guard of Phase1b: the prepare's ballot is above every ballot promised. */
export function canPromise(st: AcceptorState, ballot: Ballot): boolean {
  const p = st.durable.promised;
  return p === null || compareBallots(ballot, p) > 0;
}

/** Spec guard of Phase2b: the accept's ballot is at least the ballot promised. */
export function canAccept(st: AcceptorState, ballot: Ballot): boolean {
  return ballotAtLeast(ballot, st.durable.promised);
}

function preempted(st: AcceptorState, replyTo: string, ballot: Ballot): AcceptorStep {
  const promised = st.durable.promised;
  if (promised === null) throw new Error('assertion: preempted without a promise');
  const msg: Message = { type: 'Preempted', from: st.id, ballot, promised };
  return { state: st, effects: [{ type: 'send', to: [replyTo], msg }] };
}

/** Phase1b: promise the ballot and report the votes of every slot from msg.fromSlot. */
export function onPrepare(st: AcceptorState, replyTo: string, msg: PrepareMsg): AcceptorStep {
  if (!canPromise(st, msg.ballot)) return preempted(st, replyTo, msg.ballot);
  const record: WalRecord = { kind: 'promise', ballot: msg.ballot };
  const durable = applyRecord(st.durable, record);
  const votes = Object.values(durable.accepted)
    .filter((v) => v.slot >= msg.fromSlot)
    .sort((a, b) => a.slot - b.slot);
  const reply: Message = {
    type: 'Promise', from: st.id, ballot: msg.ballot, fromSlot: msg.fromSlot, votes,
  };
  return {
    state: { ...st, durable },
    effects: [{ type: 'persist', record, durable }, { type: 'send', to: [replyTo], msg: reply }],
  };
}

/**
 * Phase2b: accept the entry unless a higher ballot was promised. The Accepted answer goes to
 * the proposer and to every learner (`learners`).
 */
export function onAccept(
  st: AcceptorState, replyTo: string, learners: readonly string[], msg: AcceptMsg,
): AcceptorStep {
  if (!canAccept(st, msg.ballot)) return preempted(st, replyTo, msg.ballot);
  return acceptUnchecked(st, replyTo, learners, msg);
}

/** The accepting half of onAccept without its guard (exported for composition only). */
export function acceptUnchecked(
  st: AcceptorState, replyTo: string, learners: readonly string[], msg: AcceptMsg,
): AcceptorStep {
  const record: WalRecord = {
    kind: 'accept', slot: msg.slot, ballot: msg.ballot, value: msg.value,
  };
  const durable = applyRecord(st.durable, record);
  const reply: Message = {
    type: 'Accepted', from: st.id, ballot: msg.ballot, slot: msg.slot, value: msg.value,
  };
  const to = [...new Set([replyTo, ...learners])];
  return {
    state: { ...st, durable },
    effects: [{ type: 'persist', record, durable }, { type: 'send', to, msg: reply }],
  };
}
