import { describe, expect, it } from 'vitest';
import {
  acceptor, compareBallots, decodeMessage, learner, majority, proposer, replica,
  type AcceptMsg, type Ballot, type Message, type PromiseMsg,
} from '../../src/consensus/index.ts';

const b = (round: number, p: string): Ballot => ({ round, proposer: p });
const prepare = (ballot: Ballot): Message & { type: 'Prepare' } =>
  ({ type: 'Prepare', ballot, fromSlot: 1 });
const accept = (ballot: Ballot, slot: number, value: string): AcceptMsg =>
  ({ type: 'Accept', ballot, slot, value });
const MEMBERS = ['a1', 'a2', 'a3'];
const pcfg = (id: string) =>
  ({ id, acceptors: MEMBERS, quorumSize: 2, retryTimeoutMs: 100, noop: null });

describe('messages', () => {
  it('orders ballots by round, then proposer', () => {
    expect(compareBallots(b(1, 'z'), b(2, 'a'))).toBeLessThan(0);
    expect(compareBallots(b(2, 'b'), b(2, 'a'))).toBeGreaterThan(0);
    expect(compareBallots(b(2, 'a'), b(2, 'a'))).toBe(0);
  });
  it('majority is more than half of the target', () => {
    expect([1, 2, 3, 4, 5].map(majority)).toEqual([1, 2, 2, 3, 3]);
  });
  it('rejects malformed messages as values', () => {
    const r = decodeMessage({ type: 'Accept', ballot: { round: -1, proposer: 'p' }, slot: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad-message');
    expect(decodeMessage(accept(b(0, 'p'), 1, 'x')).ok).toBe(true);
  });
});

describe('acceptor', () => {
  it('persists a promise before answering, and reports votes from fromSlot', () => {
    let st = acceptor.initAcceptor('a1');
    st = acceptor.onAccept(st, 'p', [], accept(b(0, 'p'), 1, 'x')).state;
    st = acceptor.onAccept(st, 'p', [], accept(b(0, 'p'), 3, 'y')).state;
    const step = acceptor.onPrepare(st, 'q', { ...prepare(b(1, 'q')), fromSlot: 2 });
    expect(step.effects.map((e) => e.type)).toEqual(['persist', 'send']);
    const send = step.effects[1];
    const slots = send?.type === 'send' && send.msg.type === 'Promise' &&
      send.msg.votes.map((v) => v.slot);
    expect(slots).toEqual([3]);
    expect(step.state.durable.promised).toEqual(b(1, 'q'));
  });
  it('refuses a prepare not above its promise and an accept below it', () => {
    let st = acceptor.onPrepare(acceptor.initAcceptor('a1'), 'p', prepare(b(2, 'p'))).state;
    const again = acceptor.onPrepare(st, 'p', prepare(b(2, 'p')));
    expect(again.effects).toHaveLength(1);
    expect(again.effects[0]?.type === 'send' && again.effects[0].msg.type).toBe('Preempted');
    const low = acceptor.onAccept(st, 'p', [], accept(b(1, 'z'), 1, 'x'));
    expect(low.state).toBe(st);
    expect(low.effects.every((e) => e.type === 'send' && e.msg.type === 'Preempted')).toBe(true);
    st = acceptor.onAccept(st, 'p', ['l1'], accept(b(2, 'p'), 1, 'x')).state;
    expect(st.durable.accepted[1]?.value).toBe('x');
  });
  it('recovers its durable state from the WAL records it emitted', () => {
    let st = acceptor.initAcceptor('a1');
    const records: acceptor.WalRecord[] = [];
    for (const m of [prepare(b(1, 'p')), accept(b(1, 'p'), 1, 'x'), prepare(b(3, 'q'))]) {
      const step = m.type === 'Prepare'
        ? acceptor.onPrepare(st, 'p', m) : acceptor.onAccept(st, 'p', [], m as AcceptMsg);
      for (const e of step.effects) if (e.type === 'persist') records.push(e.record);
      st = step.state;
    }
    expect(acceptor.replayWal(records)).toEqual(st.durable);
  });
});

function promise(from: string, ballot: Ballot, votes: PromiseMsg['votes']): PromiseMsg {
  return { type: 'Promise', from, ballot, fromSlot: 1, votes };
}

describe('proposer', () => {
  it('leads after a quorum of promises and proposes the highest reported value', () => {
    let st = proposer.startPhase1(proposer.initProposer(pcfg('p')), { nowMs: 0 }).state;
    const bal = st.ballot!;
    st = proposer.onPromise(st, promise('a1', bal, [{ slot: 1, ballot: b(0, 'x'), value: 'old' }]));
    expect(st.phase).toBe('preparing');
    expect(proposer.phase2a(st, { slot: 1, value: 'mine' }).ok).toBe(false);
    st = proposer.onPromise(st, promise('a2', bal, [{ slot: 1, ballot: b(0, 'y'), value: 'new' }]));
    expect(st.phase).toBe('leading');
    const mine = proposer.phase2a(st, { slot: 1, value: 'mine' });
    expect(!mine.ok && mine.error.code).toBe('unsafe-value');
    expect(proposer.phase2a(st, { slot: 1, value: 'new' }).ok).toBe(true);
    expect(proposer.phase2a(st, { slot: 2, value: 'mine' }).ok).toBe(true);
  });
  it('pump re-proposes reported slots, fills gaps with the no-op, then queued entries', () => {
    let st = proposer.startPhase1(proposer.initProposer(pcfg('p')), { nowMs: 0 }).state;
    st = proposer.submit(st, 'c1').state;
    const reported = [{ slot: 2, ballot: b(0, 'x'), value: 'r' }];
    st = proposer.onPromise(st, promise('a1', st.ballot!, reported));
    st = proposer.onPromise(st, promise('a2', st.ballot!, []));
    const step = proposer.pump(st);
    const sent = step.effects.flatMap((e) =>
      e.type === 'send' && e.msg.type === 'Accept' ? [[e.msg.slot, e.msg.value]] : []);
    expect(sent).toEqual([[1, null], [2, 'r'], [3, 'c1']]);
  });
  it('a proposer that learned a chosen prefix prepares after it, not from slot 1', () => {
    let st = proposer.learnedPrefix(proposer.initProposer(pcfg('p')), 465);
    expect(proposer.learnedPrefix(st, 10)).toBe(st); // never lowered
    const step = proposer.tick(proposer.submit(st, 'c1').state, 0);
    const prepare = step.effects.find((e) => e.type === 'send' && e.msg.type === 'Prepare');
    expect(prepare?.type === 'send' && prepare.msg.type === 'Prepare' && prepare.msg.fromSlot)
      .toBe(465);
    st = proposer.onPromise(step.state, promise('a1', step.state.ballot!, []));
    st = proposer.onPromise(st, promise('a2', st.ballot!, []));
    const sent = proposer.pump(st).effects.flatMap((e) =>
      e.type === 'send' && e.msg.type === 'Accept' ? [e.msg.slot] : []);
    expect(sent).toEqual([465]);
    expect(() => proposer.learnedPrefix(st, 0)).toThrow(/learnedPrefix/);
  });
  it('retries with a higher ballot after preemption and after a timeout', () => {
    const s0 = proposer.startPhase1(proposer.initProposer(pcfg('p')), { nowMs: 0 }).state;
    const pre = proposer.onPreempted(s0, {
      type: 'Preempted', from: 'a1', ballot: s0.ballot!, promised: b(5, 'q'),
    });
    expect(pre.phase).toBe('preempted');
    const r = proposer.tick(pre, 1);
    expect(r.state.ballot).toEqual(b(6, 'p'));
    expect(proposer.tick(s0, 99).effects).toHaveLength(0);
    expect(proposer.tick(s0, 100).state.ballot).toEqual(b(1, 'p'));
  });
  it('a leader under steady load keeps its ballot; one with no slot chosen in a window retries',
    () => {
      let st = proposer.startPhase1(proposer.initProposer(pcfg('p')), { nowMs: 0 }).state;
      st = proposer.onPromise(st, promise('a1', st.ballot!, []));
      st = proposer.onPromise(st, promise('a2', st.ballot!, []));
      st = proposer.submit(st, 'x1').state;
      st = proposer.submit(st, 'x2').state;
      const bal = st.ballot!;
      const acc = (from: string, slot: number, value: string) => ({
        type: 'Accepted' as const, from, ballot: bal, slot, value });
      st = proposer.onAccepted(st, acc('a1', 1, 'x1')).state;
      st = proposer.onAccepted(st, acc('a2', 1, 'x1')).state;        // slot 1 chosen, 2 pending
      const busy = proposer.tick(st, st.deadlineMs!);
      expect(busy.state.phase).toBe('leading');
      expect(busy.state.ballot).toEqual(bal);
      // A whole window without a chosen slot: the leader is stuck and prepares anew.
      const stuck = proposer.tick(busy.state, busy.state.deadlineMs!);
      expect(stuck.state.phase).toBe('preparing');
      expect(compareBallots(stuck.state.ballot!, bal)).toBeGreaterThan(0);
    });
  it('reports a slot chosen once a quorum accepted at its ballot', () => {
    let st = proposer.startPhase1(proposer.initProposer(pcfg('p')), { nowMs: 0 }).state;
    const bal = st.ballot!;
    const acc = (from: string) =>
      ({ type: 'Accepted' as const, from, ballot: bal, slot: 1, value: 'x' });
    let step = proposer.onAccepted(st, acc('a1'));
    expect(step.effects).toHaveLength(0);
    step = proposer.onAccepted(step.state, acc('a1'));
    expect(step.effects).toHaveLength(0);
    step = proposer.onAccepted(step.state, acc('a3'));
    expect(step.effects).toEqual([{ type: 'chosen', slot: 1, value: 'x' }]);
    st = step.state;
    expect(st.chosen[1]).toBe('x');
  });
});

describe('learner and replica', () => {
  it('chooses only when a quorum accepted in ONE ballot, and applies in slot order', () => {
    let l = learner.initLearner({ acceptors: MEMBERS, quorumSize: 2 });
    const acc = (from: string, round: number, slot: number, value: string) =>
      ({ type: 'Accepted' as const, from, ballot: b(round, 'p'), slot, value });
    l = learner.onAccepted(l, acc('a1', 0, 1, 'x')).state;
    l = learner.onAccepted(l, acc('a2', 1, 1, 'x')).state;
    expect(learner.chosenAt(l, 1)).toBeUndefined();
    l = learner.onAccepted(l, acc('a1', 0, 2, 'y')).state;
    const step = learner.onAccepted(l, acc('a3', 0, 2, 'y'));
    expect(step.effects).toEqual([{ type: 'chosen', slot: 2, value: 'y' }]);
    l = step.state;
    const counter: replica.StateMachine<number, number> = {
      apply: (n) => ({ state: n + 1, result: n + 1 }),
    };
    let r = replica.applyAll(replica.initReplica(0), counter, (s) => learner.chosenAt(l, s));
    expect(r.state.applied).toEqual([]);
    l = learner.onAccepted(l, acc('a3', 1, 1, 'x')).state;
    r = replica.applyAll(r.state, counter, (s) => learner.chosenAt(l, s));
    expect(r.state.applied).toEqual(['x', 'y']);
    expect(r.effects.map((e) => e.result)).toEqual([1, 2]);
  });
});
