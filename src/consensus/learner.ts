/**
 * The learner of one member: an entry is chosen in a slot when a quorum of the target
 * membership accepted it there in one ballot (the spec's ChosenIn). Fed with Accepted
 * messages in any order, any number of times.
 */
import { ballotKey, type AcceptedMsg, type Entry } from './messages.ts';

export interface LearnerConfig {
  readonly acceptors: readonly string[];
  readonly quorumSize: number;
}
export interface LearnerState {
  readonly config: LearnerConfig;
  /** Per slot, per ballot key: the acceptors that accepted there and the entry. */
  readonly votes: Readonly<Record<number, Readonly<Record<string, BallotVotes>>>>;
  readonly chosen: Readonly<Record<number, Entry>>;
}
export interface BallotVotes {
  readonly value: Entry;
  readonly from: readonly string[];
}
export type LearnerEffect = {
  readonly type: 'chosen'; readonly slot: number; readonly value: Entry;
};
export interface LearnerStep {
  readonly state: LearnerState;
  readonly effects: readonly LearnerEffect[];
}

export function initLearner(config: LearnerConfig): LearnerState {
  if (config.quorumSize < 1 || config.quorumSize > config.acceptors.length) {
    throw new Error('assertion: quorum size within the group');
  }
  return { config, votes: {}, chosen: {} };
}

/** Counts one Accepted message; reports the slot's entry once, when it becomes chosen. */
export function onAccepted(st: LearnerState, msg: AcceptedMsg): LearnerStep {
  if (!st.config.acceptors.includes(msg.from)) return { state: st, effects: [] };
  const key = ballotKey(msg.ballot);
  const perSlot = st.votes[msg.slot] ?? {};
  const prev = perSlot[key] ?? { value: msg.value, from: [] };
  if (prev.from.includes(msg.from)) return { state: st, effects: [] };
  const next: BallotVotes = { value: prev.value, from: [...prev.from, msg.from] };
  const votes = { ...st.votes, [msg.slot]: { ...perSlot, [key]: next } };
  const already = st.chosen[msg.slot] !== undefined;
  if (already || next.from.length < st.config.quorumSize) {
    return { state: { ...st, votes }, effects: [] };
  }
  return {
    state: { ...st, votes, chosen: { ...st.chosen, [msg.slot]: next.value } },
    effects: [{ type: 'chosen', slot: msg.slot, value: next.value }],
  };
}

/** Learns a slot's entry from a peer that already knows it chosen (catch-up after a join). */
export function learnChosen(st: LearnerState, slot: number, value: Entry): LearnerState {
  if (st.chosen[slot] !== undefined) return st;
  return { ...st, chosen: { ...st.chosen, [slot]: value } };
}

export const chosenAt = (st: LearnerState, slot: number): Entry | undefined => st.chosen[slot];
