/**
 * Recovery: any proposer finishes a transaction whose proposer died (or whose client gave up),
 * as in Paxos Commit: AbortVote(t) where no vote is chosen yet, then the decision computed
 * from the chosen votes. Nothing here blocks on the original proposer.
 */
import { decidedEverywhere, flush, type ProposerStep, type ProposerState } from './proposer.ts';
import type { ProposerEffect } from './messages.ts';

/** Start recovering t: AbortVote where no vote is known, then the decision. A no-op for a
 * transaction this proposer never learned (no Prepare(t) seen) or already recovers. */
export function recover(s: ProposerState, txnId: string, nowMs: number): ProposerStep {
  const v = s.txns[txnId];
  if (v === undefined || v.recovering) return { state: s, effects: [] };
  return flush(s, { ...v, recovering: true }, nowMs, true);
}

/** Observed transactions (not this proposer's own) with no decision after recoverAfterMs. */
export function stalled(s: ProposerState, nowMs: number): string[] {
  return Object.keys(s.txns).sort().filter((id) => {
    const v = s.txns[id]!;
    return !v.isOwner && !v.recovering && !decidedEverywhere(v) &&
      nowMs - v.learnedAtMs >= s.config.recoverAfterMs;
  });
}

/** Recovers every stalled transaction. */
export function recoverStalled(s: ProposerState, nowMs: number): ProposerStep {
  let state = s;
  const effects: ProposerEffect[] = [];
  for (const id of stalled(s, nowMs)) {
    const r = recover(state, id, nowMs);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}
