/**
 * One entry point for drivers of the proposer core: dispatch a validated input. A tick
 * retries proposals and then recovers stalled transactions.
 */
import { applied, begin, tick, type ProposerState, type ProposerStep } from './proposer.ts';
import { recover, recoverStalled } from './recovery.ts';
import type { ProposerInput } from './messages.ts';

export function proposerStep(s: ProposerState, input: ProposerInput): ProposerStep {
  switch (input.type) {
    case 'begin': return begin(s, input.txn, input.nowMs);
    case 'applied': return applied(s, input.group, input.entry, input.result, input.nowMs);
    case 'tick': {
      const a = tick(s, input.nowMs);
      const b = recoverStalled(a.state, input.nowMs);
      return { state: b.state, effects: [...a.effects, ...b.effects] };
    }
    case 'recover': return recover(s, input.txnId, input.nowMs);
    default: {
      const never: never = input;
      throw new Error(`unknown input ${JSON.stringify(never)}`);
    }
  }
}
