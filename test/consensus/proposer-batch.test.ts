/**
 * The proposer's batch paths give exactly what the one-message-at-a-time paths give:
 * `onAcceptedAll` = `onAccepted` folded over the batch, and `pump` (one pass, one copy) sends
 * the same Accepts as proposing slot by slot with `sendAccept`. Both were made linear because a
 * takeover re-proposing thousands of slots was quadratic (the harness's long consensus run).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  proposer, type AcceptedMsg, type Ballot, type PromiseMsg,
} from '../../src/consensus/index.ts';

const MEMBERS = ['a1', 'a2', 'a3'];
const cfg = { id: 'p', acceptors: MEMBERS, quorumSize: 2, retryTimeoutMs: 100, noop: null };
const b = (round: number, p: string): Ballot => ({ round, proposer: p });

function leader(votes: Record<string, PromiseMsg['votes']>, queue: string[]) {
  let st = proposer.initProposer(cfg);
  for (const v of queue) st = proposer.submit(st, v).state;
  st = proposer.startPhase1(st, { nowMs: 0 }).state;
  for (const [from, vs] of Object.entries(votes)) {
    st = proposer.onPromise(st, { type: 'Promise', from, ballot: st.ballot!, fromSlot: 1,
      votes: vs });
  }
  return st;
}

const voteArb = fc.record({ slot: fc.integer({ min: 1, max: 12 }),
  ballot: fc.record({ round: fc.integer({ min: 0, max: 3 }), proposer: fc.constantFrom('x', 'y') }),
  value: fc.constantFrom('u', 'v', 'w') });
const votesArb = fc.uniqueArray(voteArb, { selector: (v) => v.slot, maxLength: 8 });

describe('proposer batch paths', () => {
  it('onAcceptedAll equals folding onAccepted', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ from: fc.constantFrom('a1', 'a2', 'a3', 'zz'),
        slot: fc.integer({ min: 1, max: 6 }), current: fc.boolean() }), { maxLength: 30 }),
      (answers) => {
        const st = proposer.pump(leader({ a1: [], a2: [] }, ['c1', 'c2', 'c3'])).state;
        const msgs: AcceptedMsg[] = answers.map((a) => ({ type: 'Accepted', from: a.from,
          ballot: a.current ? st.ballot! : b(99, 'q'), slot: a.slot, value: `v${a.slot}` }));
        let folded = st;
        const effects = [];
        for (const m of msgs) {
          const step = proposer.onAccepted(folded, m);
          folded = step.state;
          effects.push(...step.effects);
        }
        const batch = proposer.onAcceptedAll(st, msgs);
        expect(batch.state).toEqual(folded);
        expect(batch.effects).toEqual(effects);
      }), { seed: 42, numRuns: 300 });
  });

  it('pump sends what proposing slot by slot sends', () => {
    fc.assert(fc.property(votesArb, votesArb, fc.array(fc.constantFrom('c1', 'c2'),
      { maxLength: 4 }), (v1, v2, queue) => {
      const st = leader({ a1: v1, a2: v2 }, queue);
      const pumped = proposer.pump(st);
      // Reference: the spec's rule slot by slot with sendAccept.
      const all = [...v1, ...v2];
      const last = Math.max(0, ...all.map((v) => v.slot));
      let ref = st;
      const sent: [number, unknown][] = [];
      for (let slot = 1; slot <= last; slot += 1) {
        const votes = all.filter((v) => v.slot === slot);
        const best = votes.reduce<(typeof votes)[number] | null>((a, v) => a === null
          || v.ballot.round > a.ballot.round || (v.ballot.round === a.ballot.round
          && v.ballot.proposer > a.ballot.proposer) ? v : a, null);
        ref = proposer.sendAccept(ref, slot, best === null ? null : best.value).state;
        sent.push([slot, best === null ? null : best.value]);
      }
      queue.forEach((value, i) => sent.push([last + 1 + i, value]));
      const got = pumped.effects.flatMap((e) =>
        e.type === 'send' && e.msg.type === 'Accept' ? [[e.msg.slot, e.msg.value]] : []);
      expect(got).toEqual(sent);
      expect(pumped.state.queue).toEqual([]);
      expect(Object.keys(pumped.state.clientSlots).map(Number))
        .toEqual(queue.map((_, i) => last + 1 + i));
    }), { seed: 43, numRuns: 300 });
  });
});
