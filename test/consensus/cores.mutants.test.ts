// The Paxos cores under mutation (messages, acceptor, proposer, learner, replica log,
// reconfiguration, pool): exact ballot order, the promise (strictly above) and accept (at least)
// guards, quorums of exactly a majority, highest-ballot value selection in phase 1, persist
// before send, and the zod schema edges of the wire messages.
import { describe, expect, it } from 'vitest';
import {
  acceptor, ballotAtLeast, ballotKey, canonicalEntry, compareBallots, decodeMessage,
  entryEqual, learner, majority, pool, proposer, reconfig, replica,
  type AcceptedMsg, type Ballot, type Entry, type PromiseMsg, type ProposerState, type Vote,
} from '../../src/consensus/index.ts';

const b = (round: number, p: string): Ballot => ({ round, proposer: p });
const MEMBERS = ['a1', 'a2', 'a3'];
const cfg = (over: Partial<proposer.ProposerConfig> = {}): proposer.ProposerConfig =>
  ({ id: 'p', acceptors: MEMBERS, quorumSize: 2, retryTimeoutMs: 100, noop: 'noop', ...over });
const vote = (slot: number, ballot: Ballot, value: Entry): Vote => ({ slot, ballot, value });
const promise = (from: string, ballot: Ballot, votes: Vote[] = [], fromSlot = 1): PromiseMsg =>
  ({ type: 'Promise', from, ballot, fromSlot, votes });
const accepted = (from: string, ballot: Ballot, slot: number, value: Entry): AcceptedMsg =>
  ({ type: 'Accepted', from, ballot, slot, value });

/** A proposer that started ballot (0, p) and got promises from `from` with `votes` each. */
function leader(from: readonly string[], votes: Record<string, Vote[]> = {},
  over: Partial<proposer.ProposerConfig> = {}): ProposerState {
  let st = proposer.startPhase1(proposer.initProposer(cfg(over)), { nowMs: 0 }).state;
  for (const a of from) st = proposer.onPromise(st, promise(a, st.ballot!, votes[a] ?? []));
  return st;
}
const accepts = (effects: readonly proposer.ProposerEffect[]) => effects.flatMap((e) =>
  e.type === 'send' && e.msg.type === 'Accept' ? [[e.msg.slot, e.msg.value]] : []);

describe('messages', () => {
  it('compares ballots by round first (sign and both directions), then proposer id', () => {
    expect(compareBallots(b(2, 'a'), b(1, 'z'))).toBeGreaterThan(0);
    expect(compareBallots(b(1, 'z'), b(2, 'a'))).toBeLessThan(0);
    expect(compareBallots(b(3, 'a'), b(1, 'a'))).toBe(2);
    expect(compareBallots(b(1, 'a'), b(1, 'b'))).toBe(-1);
    expect(compareBallots(b(1, 'b'), b(1, 'a'))).toBe(1);
    expect(compareBallots(b(0, 'a'), b(0, 'a'))).toBe(0);
  });
  it('ballotAtLeast: null is below all, equal counts, lower does not', () => {
    expect(ballotAtLeast(b(0, 'a'), null)).toBe(true);
    expect(ballotAtLeast(b(1, 'a'), b(1, 'a'))).toBe(true);
    expect(ballotAtLeast(b(1, 'b'), b(1, 'a'))).toBe(true);
    expect(ballotAtLeast(b(1, 'a'), b(1, 'b'))).toBe(false);
    expect(ballotKey(b(4, 'p2'))).toBe('4.p2');
  });
  it('majority is floor(n/2)+1 and refuses sizes that are not positive integers', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(majority)).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect(() => majority(0)).toThrow('assertion');
    expect(() => majority(2.5)).toThrow('assertion');
    expect(() => majority(-1)).toThrow('assertion');
  });
  it('entries compare structurally, object key order ignored, types and order kept', () => {
    expect(entryEqual({ a: 1, b: [1, { c: 'x', d: null }] },
      { b: [1, { d: null, c: 'x' }], a: 1 })).toBe(true);
    expect(entryEqual([1, 2], [2, 1])).toBe(false);
    expect(entryEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(entryEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(entryEqual(null, 'null')).toBe(false);
    expect(canonicalEntry({ b: [true, null], a: 'x' })).toBe('{"a":"x","b":[true,null]}');
    expect(canonicalEntry([])).toBe('[]');
    expect(canonicalEntry({})).toBe('{}');
  });
  it('decodes each message kind and names the bad field of a malformed one', () => {
    const ok = [
      { type: 'Prepare', ballot: b(0, 'p'), fromSlot: 1 },
      { type: 'Promise', from: 'a', ballot: b(0, 'p'), fromSlot: 1,
        votes: [vote(1, b(0, 'p'), 'x')] },
      { type: 'Accept', ballot: b(0, 'p'), slot: 1, value: { k: [1, null] } },
      { type: 'Accepted', from: 'a', ballot: b(0, 'p'), slot: 2, value: 'v' },
      { type: 'Preempted', from: 'a', ballot: b(0, 'p'), promised: b(1, 'q') },
    ];
    for (const m of ok) expect(decodeMessage(m)).toEqual({ ok: true, msg: m });
    const r = decodeMessage({ type: 'Prepare', ballot: { round: -1, proposer: 'p' }, fromSlot: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-message');
      expect(r.error.message).toMatch(/^malformed message \(ballot\.round: .+\)$/);
    }
  });
  it('refuses slot 0, fractional rounds, empty or long ids, extra fields, too many votes', () => {
    const prep = (over: object) => ({ type: 'Prepare', ballot: b(0, 'p'), fromSlot: 1, ...over });
    expect(decodeMessage(prep({ fromSlot: 0 })).ok).toBe(false);
    expect(decodeMessage(prep({ fromSlot: 1.5 })).ok).toBe(false);
    expect(decodeMessage(prep({ ballot: b(0.5, 'p') })).ok).toBe(false);
    expect(decodeMessage(prep({ ballot: b(0, '') })).ok).toBe(false);
    expect(decodeMessage(prep({ ballot: b(0, 'x'.repeat(64)) })).ok).toBe(true);
    expect(decodeMessage(prep({ ballot: b(0, 'x'.repeat(65)) })).ok).toBe(false);
    expect(decodeMessage(prep({ ballot: { ...b(0, 'p'), extra: 1 } })).ok).toBe(false);
    expect(decodeMessage(prep({ extra: 1 })).ok).toBe(false);
    expect(decodeMessage({ type: 'Accept', ballot: b(0, 'p'), slot: 1 }).ok).toBe(false);
    const v = vote(1, b(0, 'p'), 1);
    const many = (n: number) => ({ ...promise('a', b(0, 'p')), votes: new Array(n).fill(v) });
    expect(decodeMessage(many(100_000)).ok).toBe(true);
    expect(decodeMessage(many(100_001)).ok).toBe(false);
    expect(decodeMessage({ ...promise('a', b(0, 'p')), votes: [{ ...v, slot: 0 }] }).ok)
      .toBe(false);
    expect(decodeMessage({ ...promise('a', b(0, 'p')), votes: [{ ...v, x: 1 }] }).ok).toBe(false);
    for (const t of ['Promise', 'Accepted', 'Preempted']) {
      const m = ok5(t);
      expect(decodeMessage(m).ok).toBe(true);
      expect(decodeMessage({ ...m, from: '' }).ok).toBe(false);
      expect(decodeMessage({ ...m, extra: 0 }).ok).toBe(false);
    }
  });
});

function ok5(t: string): Record<string, unknown> {
  const base = { from: 'a', ballot: b(0, 'p') };
  if (t === 'Promise') return { type: t, ...base, fromSlot: 1, votes: [] };
  if (t === 'Accepted') return { type: t, ...base, slot: 1, value: 1 };
  return { type: t, ...base, promised: b(1, 'q') };
}

describe('acceptor', () => {
  const prep = (ballot: Ballot, fromSlot = 1) => ({ type: 'Prepare' as const, ballot, fromSlot });
  const acc = (ballot: Ballot, slot: number, value: Entry) =>
    ({ type: 'Accept' as const, ballot, slot, value });

  it('promises strictly above its promise; persists, then sends exactly one Promise', () => {
    const s0 = acceptor.initAcceptor('a1');
    expect(s0.durable).toEqual({ promised: null, accepted: {} });
    const s1 = acceptor.onAccept(s0, 'p', [], acc(b(1, 'p'), 2, 'y')).state;
    const step = acceptor.onPrepare(s1, 'q', prep(b(1, 'q'), 2));
    const durable = { promised: b(1, 'q'), accepted: { 2: vote(2, b(1, 'p'), 'y') } };
    expect(step.effects).toEqual([
      { type: 'persist', record: { kind: 'promise', ballot: b(1, 'q') }, durable },
      { type: 'send', to: ['q'], msg: { type: 'Promise', from: 'a1', ballot: b(1, 'q'),
        fromSlot: 2, votes: [vote(2, b(1, 'p'), 'y')] } },
    ]);
    expect(step.state).toEqual({ id: 'a1', durable });
    expect(acceptor.canPromise(step.state, b(1, 'q'))).toBe(false);
    expect(acceptor.canPromise(step.state, b(1, 'r'))).toBe(true);
    expect(acceptor.canPromise(step.state, b(1, 'a'))).toBe(false);
  });
  it('answers a stale prepare or accept with Preempted naming its promise, state unchanged', () => {
    const st = acceptor.onPrepare(acceptor.initAcceptor('a1'), 'p', prep(b(2, 'p'))).state;
    for (const step of [acceptor.onPrepare(st, 'q', prep(b(2, 'p'))),
      acceptor.onAccept(st, 'q', ['l'], acc(b(1, 'z'), 1, 'x'))]) {
      expect(step.state).toBe(st);
      expect(step.effects).toEqual([{ type: 'send', to: ['q'], msg: {
        type: 'Preempted', from: 'a1', ballot: expect.anything(),
        promised: b(2, 'p') } }]);
    }
    const low = acceptor.onPrepare(st, 'q', prep(b(1, 'z')));
    expect(low.effects[0]).toMatchObject({ msg: { ballot: b(1, 'z') } });
  });
  it('accepts at a ballot equal to its promise, sends to proposer and learners once each', () => {
    const st = acceptor.onPrepare(acceptor.initAcceptor('a1'), 'p', prep(b(2, 'p'))).state;
    const step = acceptor.onAccept(st, 'p', ['l1', 'p', 'l2'], acc(b(2, 'p'), 3, 'x'));
    const durable = { promised: b(2, 'p'), accepted: { 3: vote(3, b(2, 'p'), 'x') } };
    expect(step.effects).toEqual([
      { type: 'persist', record: { kind: 'accept', slot: 3, ballot: b(2, 'p'), value: 'x' },
        durable },
      { type: 'send', to: ['p', 'l1', 'l2'],
        msg: { type: 'Accepted', from: 'a1', ballot: b(2, 'p'), slot: 3, value: 'x' } },
    ]);
    const higher = acceptor.onAccept(step.state, 'q', [], acc(b(5, 'q'), 1, 'z')).state;
    expect(higher.durable.promised).toEqual(b(5, 'q'));
    expect(Object.keys(higher.durable.accepted)).toEqual(['1', '3']);
  });
  it('reports votes from fromSlot on (that slot included), sorted by slot', () => {
    let st = acceptor.initAcceptor('a1');
    for (const s of [5, 2, 3, 1]) st = acceptor.onAccept(st, 'p', [], acc(b(0, 'p'), s, s)).state;
    const step = acceptor.onPrepare(st, 'q', prep(b(1, 'q'), 2));
    const send = step.effects[1];
    const slots = send?.type === 'send' && send.msg.type === 'Promise'
      ? send.msg.votes.map((v) => v.slot) : [];
    expect(slots).toEqual([2, 3, 5]);
  });
  it('rebuilds its durable state from WAL records; a promise keeps the votes', () => {
    expect(acceptor.replayWal([])).toEqual({ promised: null, accepted: {} });
    const d = acceptor.replayWal([
      { kind: 'accept', slot: 1, ballot: b(1, 'p'), value: 'x' },
      { kind: 'promise', ballot: b(3, 'q') },
    ]);
    expect(d).toEqual({ promised: b(3, 'q'), accepted: { 1: vote(1, b(1, 'p'), 'x') } });
    expect(() => acceptor.applyRecord(d, { kind: 'bad' } as never)).toThrow('assertion');
  });
});

describe('proposer: phase 1', () => {
  it('checks its quorum size against the group, boundaries included', () => {
    expect(() => proposer.initProposer(cfg({ quorumSize: 0 }))).toThrow('assertion');
    expect(() => proposer.initProposer(cfg({ quorumSize: 4 }))).toThrow('assertion');
    expect(proposer.initProposer(cfg({ quorumSize: 1 })).phase).toBe('idle');
    const s = proposer.initProposer(cfg({ quorumSize: 3 }));
    expect(s).toMatchObject({ ballot: null, highestRound: -1, fromSlot: 1, deadlineMs: null });
  });
  it('starts round 0, sends Prepare to every acceptor, and arms the retry timer', () => {
    const step = proposer.startPhase1(proposer.initProposer(cfg()), { nowMs: 50 });
    expect(step.effects).toEqual([
      { type: 'send', to: MEMBERS, msg: { type: 'Prepare', ballot: b(0, 'p'), fromSlot: 1 } },
      { type: 'timer', atMs: 150 },
    ]);
    expect(step.state).toMatchObject({ phase: 'preparing', highestRound: 0, deadlineMs: 150 });
    const again = proposer.startPhase1(step.state, { nowMs: 60, round: 7, fromSlot: 4 });
    expect(again.state).toMatchObject({ ballot: b(7, 'p'), highestRound: 7, fromSlot: 4 });
    expect(() => proposer.startPhase1(again.state, { nowMs: 0, round: 7 })).toThrow('round grows');
    expect(proposer.startPhase1(again.state, { nowMs: 0, round: 8 }).state.ballot)
      .toEqual(b(8, 'p'));
    const lower = proposer.startPhase1({ ...again.state, ballot: null }, { nowMs: 0, round: 2 });
    expect(lower.state.highestRound).toBe(7);
  });
  it('counts current-ballot promises of distinct members: leads at exactly a quorum', () => {
    const s0 = proposer.startPhase1(proposer.initProposer(cfg({ quorumSize: 3 })), { nowMs: 0 });
    const bal = s0.state.ballot!;
    let st = proposer.onPromise(s0.state, promise('a1', bal));
    expect(proposer.onPromise(st, promise('a1', bal)).phase).toBe('preparing');
    expect(proposer.onPromise(st, promise('x9', bal))).toBe(st);
    expect(proposer.onPromise(st, promise('a2', b(1, 'p')))).toBe(st);
    expect(proposer.onPromise(st, promise('a2', b(0, 'q')))).toBe(st);
    st = proposer.onPromise(st, promise('a2', bal));
    expect(st.phase).toBe('preparing');
    st = proposer.onPromise(st, promise('a3', bal));
    expect(st.phase).toBe('leading');
    expect(Object.keys(st.promises)).toEqual(['a1', 'a2', 'a3']);
    const idle = proposer.initProposer(cfg());
    expect(proposer.onPromise({ ...idle, ballot: bal }, promise('a1', bal))).toMatchObject(
      { phase: 'idle', promises: {} });
    const pre = { ...s0.state, phase: 'preempted' as const };
    expect(proposer.onPromise(pre, promise('a1', bal))).toBe(pre);
  });
  it('phase 2 takes the highest-ballot vote of a quorum; any value is safe if a quorum is empty',
    () => {
      const votes = {
        a1: [vote(1, b(0, 'x'), 'low'), vote(2, b(0, 'x'), 'only')],
        a2: [vote(1, b(1, 'a'), 'mid')],
        a3: [vote(1, b(1, 'b'), 'high')],
      };
      const st = leader(['a1', 'a2', 'a3'], votes);
      const s1 = proposer.safeValues(st, 1);
      expect(s1.free).toBe(false);
      expect(s1.values).toContain('high');
      expect(s1.values).not.toContain('low');
      expect(proposer.phase2a(st, { slot: 1, value: 'high' }).ok).toBe(true);
      expect(proposer.phase2a(st, { slot: 1, value: 'low' })).toEqual({ ok: false,
        error: { code: 'unsafe-value', message: 'slot 1: a higher vote was reported' } });
      expect(proposer.safeValues(st, 2)).toEqual({ free: true, values: ['only'] });
      expect(proposer.safeValues(st, 3)).toEqual({ free: true, values: [] });
      const pumped = proposer.pump(st);
      expect(accepts(pumped.effects)).toEqual([[1, 'high'], [2, 'only']]);
    });
  it('safeValues considers only the set of all promisers above 9 acceptors', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `a${i}`);
    const votes = { a0: [vote(1, b(0, 'x'), 'v')] };
    const st = leader(ids.slice(0, 6), votes, { acceptors: ids, quorumSize: 6 });
    expect(st.phase).toBe('leading');
    expect(proposer.safeValues(st, 1)).toEqual({ free: false, values: ['v'] });
    const three = leader(MEMBERS.slice(0, 3), { a1: [vote(1, b(0, 'x'), 'v')] });
    expect(proposer.safeValues(three, 1)).toEqual({ free: true, values: ['v'] });
    const nine = leader(ids.slice(0, 9), votes, { acceptors: ids.slice(0, 9), quorumSize: 5 });
    expect(proposer.safeValues(nine, 1)).toEqual({ free: true, values: ['v'] });
    const twelve = [...ids, 'a10', 'a11'];
    const few = leader(ids, {}, { acceptors: twelve, quorumSize: 11 });
    expect(few.phase).toBe('preparing');
    expect(proposer.safeValues(few, 1)).toEqual({ free: false, values: [] });
  });
  it('phase2a refuses before leading and a slot already sent; sends Accept at its ballot', () => {
    const pre = leader(['a1']);
    expect(proposer.phase2a(pre, { slot: 1, value: 'v' })).toEqual(
      { ok: false, error: { code: 'not-leading', message: 'no quorum yet' } });
    const st = leader(['a1', 'a2']);
    const r = proposer.phase2a(st, { slot: 2, value: 'v' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.step.effects).toEqual([{ type: 'send', to: MEMBERS,
      msg: { type: 'Accept', ballot: b(0, 'p'), slot: 2, value: 'v' } }]);
    expect(r.step.state.sent).toEqual({ 2: 'v' });
    expect(proposer.phase2a(r.step.state, { slot: 2, value: 'v' })).toEqual(
      { ok: false, error: { code: 'slot-taken', message: 'slot 2 sent' } });
    expect(() => proposer.sendAccept(proposer.initProposer(cfg()), 1, 'v')).toThrow('no ballot');
  });
});

describe('proposer: phase 2 and time', () => {
  it('a slot is chosen at exactly a quorum of distinct members at the current ballot', () => {
    let st = proposer.submit(leader(['a1', 'a2'], {}, { quorumSize: 2 }), 'c').state;
    expect(st.clientSlots).toEqual({ 1: 'c' });
    const bal = st.ballot!;
    expect(proposer.onAccepted(st, accepted('a1', b(1, 'p'), 1, 'c')).state).toBe(st);
    expect(proposer.onAccepted(st, accepted('zz', bal, 1, 'c')).state).toBe(st);
    const one = proposer.onAccepted(st, accepted('a1', bal, 1, 'c'));
    expect(one.effects).toEqual([]);
    expect(one.state.accepts).toEqual({ 1: ['a1'] });
    expect(proposer.onAccepted(one.state, accepted('a1', bal, 1, 'c')).state).toBe(one.state);
    const two = proposer.onAccepted(one.state, accepted('a2', bal, 1, 'c'));
    expect(two.effects).toEqual([{ type: 'chosen', slot: 1, value: 'c' }]);
    expect(two.state.chosen).toEqual({ 1: 'c' });
    expect(two.state.clientSlots).toEqual({});
    st = two.state;
    expect(proposer.onAccepted(st, accepted('a3', bal, 1, 'c')).state).toBe(st);
  });
  it('a new ballot re-queues client entries not known chosen, in slot order, before the queue',
    () => {
      let st = leader(['a1', 'a2']);
      st = { ...st, clientSlots: { 10: 'ten', 2: 'two', 1: 'one' }, queue: ['q'] };
      st = { ...st, chosen: { 1: 'x', 2: 'y' } };
      const step = proposer.startPhase1(st, { nowMs: 5 });
      expect(step.state.queue).toEqual(['one', 'two', 'ten', 'q']);
      expect(step.state).toMatchObject({ clientSlots: {}, promises: {}, sent: {}, accepts: {},
        fromSlot: 3, ballot: b(1, 'p') });
    });
  it('a Preempted with a higher promise only moves a proposer on its current ballot', () => {
    const st = leader(['a1']);
    const pre = (ballot: Ballot, promised: Ballot) =>
      ({ type: 'Preempted' as const, from: 'a1', ballot, promised });
    expect(proposer.onPreempted(st, pre(b(3, 'p'), b(9, 'q')))).toBe(st);
    expect(proposer.onPreempted(st, pre(b(0, 'p'), b(0, 'p')))).toBe(st);
    expect(proposer.onPreempted(st, pre(b(0, 'p'), b(0, 'a')))).toBe(st);
    expect(proposer.onPreempted(st, pre(b(0, 'p'), b(0, 'q')))).toMatchObject(
      { phase: 'preempted', highestRound: 0 });
    const big = proposer.onPreempted(st, pre(b(0, 'p'), b(4, 'a')));
    expect(big.highestRound).toBe(4);
    expect(proposer.tick(big, 0).state.ballot).toEqual(b(5, 'p'));
    const hi = { ...st, highestRound: 9 };
    expect(proposer.onPreempted(hi, pre(b(0, 'p'), b(4, 'a'))).highestRound).toBe(9);
  });
  it('submit queues when not leading; pump skips sent and chosen slots', () => {
    const idle = proposer.submit(proposer.initProposer(cfg()), 'c');
    expect(idle.effects).toEqual([]);
    expect(idle.state.queue).toEqual(['c']);
    expect(proposer.pump(idle.state)).toEqual({ state: idle.state, effects: [] });
    let st = leader(['a1', 'a2'], { a1: [vote(3, b(0, 'x'), 'r3')] });
    st = { ...st, sent: { 1: 's1' }, chosen: { 2: 'c2' }, queue: ['q1', 'q2'] };
    const step = proposer.pump(st);
    expect(accepts(step.effects)).toEqual([[3, 'r3'], [4, 'q1'], [5, 'q2']]);
    expect(step.state.queue).toEqual([]);
    expect(step.state.clientSlots).toEqual({ 4: 'q1', 5: 'q2' });
    const from3 = { ...leader(['a1', 'a2']), fromSlot: 3, queue: ['z'] };
    expect(accepts(proposer.pump(from3).effects)).toEqual([[3, 'z']]);
  });
  it('tick: retries when preempted, idle with work, or stuck past the deadline', () => {
    const idle = proposer.initProposer(cfg());
    expect(proposer.tick(idle, 1000)).toEqual({ state: idle, effects: [] });
    expect(proposer.tick({ ...idle, queue: ['c'] }, 0).state.phase).toBe('preparing');
    const prep = leader(['a1']);
    expect(proposer.tick(prep, 99)).toEqual({ state: prep, effects: [] });
    expect(proposer.tick(prep, 100).state.ballot).toEqual(b(1, 'p'));
    const lead = leader(['a1', 'a2']);
    const waiting = { ...lead, sent: { 1: 'v' } };
    expect(proposer.tick(waiting, 100).state.ballot).toEqual(b(1, 'p'));
    expect(proposer.tick(waiting, 99).state).toBe(waiting);
    const done = { ...lead, sent: { 1: 'v' }, chosen: { 1: 'v' } };
    const kept = proposer.tick(done, 100);
    expect(kept.effects).toEqual([{ type: 'timer', atMs: 200 }]);
    expect(kept.state).toEqual({ ...done, deadlineMs: 200 });
    expect(proposer.tick(done, 99).effects).toEqual([]);
    expect(proposer.tick({ ...lead, deadlineMs: null }, 1e9).effects).toEqual([]);
  });
});

describe('learner', () => {
  const l0 = () => learner.initLearner({ acceptors: MEMBERS, quorumSize: 2 });
  it('checks its quorum size against the group', () => {
    expect(() => learner.initLearner({ acceptors: MEMBERS, quorumSize: 0 })).toThrow('assertion');
    expect(() => learner.initLearner({ acceptors: MEMBERS, quorumSize: 4 })).toThrow('assertion');
    expect(learner.initLearner({ acceptors: MEMBERS, quorumSize: 3 }).chosen).toEqual({});
  });
  it('chooses once, at exactly a quorum of distinct members in one ballot', () => {
    const l = l0();
    expect(learner.onAccepted(l, accepted('zz', b(0, 'p'), 1, 'x')).state).toBe(l);
    const one = learner.onAccepted(l, accepted('a1', b(0, 'p'), 1, 'x'));
    expect(one.effects).toEqual([]);
    expect(one.state.votes).toEqual({ 1: { '0.p': { value: 'x', from: ['a1'] } } });
    expect(learner.onAccepted(one.state, accepted('a1', b(0, 'p'), 1, 'x')).state)
      .toBe(one.state);
    const other = learner.onAccepted(one.state, accepted('a2', b(0, 'q'), 1, 'x'));
    expect(other.effects).toEqual([]);
    const two = learner.onAccepted(one.state, accepted('a2', b(0, 'p'), 1, 'x'));
    expect(two.effects).toEqual([{ type: 'chosen', slot: 1, value: 'x' }]);
    const three = learner.onAccepted(two.state, accepted('a3', b(0, 'p'), 1, 'x'));
    expect(three.effects).toEqual([]);
    expect(three.state.votes[1]?.['0.p']?.from).toEqual(['a1', 'a2', 'a3']);
    expect(learner.chosenAt(three.state, 1)).toBe('x');
  });
  it('learnChosen fills an unknown slot and never overwrites a known one', () => {
    const l = learner.learnChosen(l0(), 2, 'y');
    expect(learner.chosenAt(l, 2)).toBe('y');
    expect(learner.learnChosen(l, 2, 'z')).toBe(l);
  });
});

describe('replica log', () => {
  const counter: replica.StateMachine<number, number> = {
    apply: (n, e) => ({ state: n + Number(e), result: n }),
  };
  it('applies consecutive chosen slots only, in order, within the per-call bound', () => {
    const known: Record<number, Entry> = { 1: 1, 2: 10, 3: 100, 5: 1000 };
    const r0 = replica.initReplica(0);
    expect(replica.nextSlot(r0)).toBe(1);
    const one = replica.applyNext(r0, counter, (s) => known[s]);
    expect(one.effects).toEqual([{ type: 'applied', slot: 1, entry: 1, result: 0 }]);
    const two = replica.applyAll(r0, counter, (s) => known[s], 2);
    expect(two.state).toEqual({ applied: [1, 10], sm: 11 });
    const all = replica.applyAll(r0, counter, (s) => known[s]);
    expect(all.state).toEqual({ applied: [1, 10, 100], sm: 111 });
    expect(all.effects.map((e) => e.slot)).toEqual([1, 2, 3]);
    expect(replica.applyNext(all.state, counter, (s) => known[s]).state).toBe(all.state);
    const many = replica.applyAll(r0, counter, () => 1);
    expect(many.state.applied).toHaveLength(1024);
    expect(replica.recordingMachine.apply(null, 'x')).toEqual({ state: null, result: null });
  });
});

describe('reconfiguration and pool', () => {
  it('membership: distinct target, stray and duplicate active members, join rules', () => {
    expect(() => reconfig.initMembership(['a', 'a', 'b'], ['a'])).toThrow('distinct');
    expect(reconfig.initMembership(['a', 'b', 'c'], ['a', 'z'])).toEqual({ ok: false,
      error: { code: 'not-in-target', message: 'z not in target' } });
    expect(reconfig.initMembership(['a', 'b', 'c'], ['a', 'a'])).toEqual({ ok: false,
      error: { code: 'too-few-active', message: '2 active of 3: need a majority' } });
    const r = reconfig.initMembership(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'a']);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.membership).toEqual({ target: ['a', 'b', 'c', 'd'], active: ['a', 'b', 'c'] });
    expect(reconfig.canJoin(r.membership, 'd')).toBe(true);
    expect(reconfig.canJoin(r.membership, 'a')).toBe(false);
    expect(reconfig.canJoin(r.membership, 'z')).toBe(false);
    expect(reconfig.join(r.membership, 'a')).toEqual({ ok: false,
      error: { code: 'already-active', message: 'a already active' } });
    expect(reconfig.join(r.membership, 'z')).toEqual({ ok: false,
      error: { code: 'not-in-target', message: 'z not in target' } });
    const m4 = { target: ['a', 'b', 'c', 'd'], active: ['a', 'b'] };
    expect(reconfig.hasActiveQuorum(m4)).toBe(false);
    expect(reconfig.hasActiveQuorum({ ...m4, active: ['a', 'b', 'c'] })).toBe(true);
  });
  it('pool: bounds, provisioning limit, readiness at a majority with the no-op chosen', () => {
    expect(() => pool.initPool({ targetReady: 0, maxProvisioning: 1 })).toThrow('bounds');
    expect(() => pool.initPool({ targetReady: 1, maxProvisioning: 0 })).toThrow('bounds');
    const init = pool.initPool({ targetReady: 3, maxProvisioning: 2 });
    expect(init.effects).toEqual([{ type: 'createGroup' }, { type: 'createGroup' }]);
    expect(init.state.requested).toBe(2);
    const c = pool.groupCreated(init.state, { id: 'g', target: ['a', 'b', 'c', 'd'],
      active: ['a', 'b'] });
    if (!c.ok) throw new Error(c.error.message);
    expect(c.step.effects).toEqual([]);
    expect(c.step.state.requested).toBe(1);
    const g = { id: 'g', target: ['a', 'b', 'c', 'd'], active: ['a', 'b'], noopChosen: true };
    expect(pool.isReady(g)).toBe(false);
    expect(pool.isReady({ ...g, active: ['a', 'b', 'c'] })).toBe(true);
    expect(pool.isReady({ ...g, active: ['a', 'b', 'c'], noopChosen: false })).toBe(false);
    const st = c.step.state;
    expect(pool.memberActive(st, 'nope', 'a')).toEqual(
      { code: 'unknown-group', message: 'no pooled group nope' });
    expect(pool.noopChosen(st, 'nope')).toEqual(
      { code: 'unknown-group', message: 'no pooled group nope' });
    const stray = pool.memberActive(st, 'g', 'z');
    expect('code' in stray ? null : stray.state.groups['g']?.active).toEqual(['a', 'b']);
    const dup = pool.memberActive(st, 'g', 'a');
    expect('code' in dup ? null : dup.effects).toEqual([]);
    const up = pool.memberActive(st, 'g', 'c');
    expect('code' in up ? null : up.effects).toEqual([{ type: 'proposeNoop', groupId: 'g' }]);
    if ('code' in up) throw new Error(up.message);
    const more = pool.memberActive(up.state, 'g', 'd');
    expect('code' in more ? null : more.effects).toEqual([]);
    const low = { ...st, requested: 0 };
    const again = pool.groupCreated(low, { id: 'h', target: ['x'], active: ['x'] });
    expect(again.ok && again.step.state.requested).toBe(0);
    expect(again.ok && again.step.effects).toEqual([{ type: 'proposeNoop', groupId: 'h' }]);
  });
  it('pool: hands out the oldest ready group, without a grow effect when already full', () => {
    let st = pool.initPool({ targetReady: 1, maxProvisioning: 1 }).state;
    const c = pool.groupCreated(st, { id: 'g1', target: ['a'], active: ['a'] });
    if (!c.ok) throw new Error(c.error.message);
    const n = pool.noopChosen(c.step.state, 'g1');
    if ('code' in n) throw new Error(n.message);
    st = n.state;
    expect(pool.replenish(st).effects).toEqual([]);
    const h = pool.handOut(st);
    if (!h.ok) throw new Error(h.error.message);
    expect(h.step.effects).toEqual([{ type: 'createGroup' }]);
    expect(h.step.state.handedOut).toEqual(['g1']);
    expect(h.step.state.groups).toEqual({});
    const dup = pool.groupCreated(h.step.state, { id: 'g1', target: ['a'], active: ['a'] });
    expect(dup).toEqual({ ok: false,
      error: { code: 'duplicate-group', message: 'group g1 exists' } });
  });
});

describe('second round: survivors of the first mutation run', () => {
  it('highest vote wins wherever it sits among the promisers', () => {
    const votes = { a1: [vote(1, b(2, 'z'), 'top')], a2: [vote(1, b(1, 'a'), 'mid')],
      a3: [vote(1, b(0, 'a'), 'low')] };
    const st = leader(['a1', 'a2', 'a3'], votes);
    expect(proposer.pump(st).effects).toEqual([{ type: 'send', to: MEMBERS,
      msg: { type: 'Accept', ballot: b(0, 'p'), slot: 1, value: 'top' } }]);
    expect(proposer.safeValues(st, 1).values).not.toContain('low');
  });
  it('ignored Accepted answers emit nothing; a chosen slot keeps the other client slots', () => {
    let st = leader(['a1', 'a2']);
    st = proposer.submit(proposer.submit(st, 'c1').state, 'c2').state;
    const bal = st.ballot!;
    expect(proposer.onAccepted(st, accepted('zz', bal, 1, 'c1'))).toEqual(
      { state: st, effects: [] });
    const one = proposer.onAccepted(st, accepted('a1', bal, 1, 'c1'));
    expect(proposer.onAccepted(one.state, accepted('a1', bal, 1, 'c1'))).toEqual(
      { state: one.state, effects: [] });
    const two = proposer.onAccepted(one.state, accepted('a2', bal, 1, 'c1'));
    expect(two.state.clientSlots).toEqual({ 2: 'c2' });
    expect(proposer.onAccepted(two.state, accepted('a3', bal, 1, 'c1'))).toEqual(
      { state: two.state, effects: [] });
  });
  it('pump emits exactly the Accepts and gives queued entries slots past sent and chosen ones',
    () => {
      const st = { ...leader(['a1', 'a2']), sent: { 1: 's' }, chosen: { 2: 'c' }, queue: ['q'] };
      const step = proposer.pump(st);
      expect(step.effects).toEqual([{ type: 'send', to: MEMBERS,
        msg: { type: 'Accept', ballot: b(0, 'p'), slot: 3, value: 'q' } }]);
      expect(proposer.pump(leader(['a1', 'a2'])).effects).toEqual([]);
    });
  it('a leader with any sent slot not chosen retries at the deadline', () => {
    const st = { ...leader(['a1', 'a2']), sent: { 1: 'v', 2: 'w' }, chosen: { 1: 'v' } };
    expect(proposer.tick(st, 100).state.ballot).toEqual(b(1, 'p'));
  });
  it('the learner emits nothing for ignored answers', () => {
    const l = learner.initLearner({ acceptors: MEMBERS, quorumSize: 2 });
    expect(learner.onAccepted(l, accepted('zz', b(0, 'p'), 1, 'x'))).toEqual(
      { state: l, effects: [] });
    const one = learner.onAccepted(l, accepted('a1', b(0, 'p'), 1, 'x')).state;
    expect(learner.onAccepted(one, accepted('a1', b(0, 'p'), 1, 'x'))).toEqual(
      { state: one, effects: [] });
  });
  it('pool replenish counts ready, provisioning and requested groups against both bounds', () => {
    const ready = { id: 'g1', target: ['a'], active: ['a'], noopChosen: true };
    const prov = { id: 'g2', target: ['a', 'b', 'c'], active: ['a'], noopChosen: false };
    const st = (targetReady: number, maxProvisioning: number, requested: number) => ({
      config: { targetReady, maxProvisioning }, requested, groups: { g1: ready, g2: prov },
      handedOut: [] });
    const creates = (s: ReturnType<typeof st>) => pool.replenish(s).effects.length;
    expect(creates(st(4, 5, 0))).toBe(2);
    expect(pool.replenish(st(4, 5, 0)).state.requested).toBe(2);
    expect(creates(st(10, 3, 1))).toBe(1);
    const full = st(1, 5, 0);
    expect(pool.replenish(full)).toEqual({ state: full, effects: [] });
    const exact = st(2, 5, 0);
    expect(pool.replenish(exact).state).toBe(exact);
    const dup = pool.groupCreated(st(4, 5, 0), { id: 'g2', target: ['x'], active: ['x'] });
    expect(dup).toEqual({ ok: false,
      error: { code: 'duplicate-group', message: 'group g2 exists' } });
    const n = pool.noopChosen(st(4, 5, 0), 'g2');
    expect('code' in n ? null : n.effects).toEqual([]);
    const empty = pool.handOut({ ...st(4, 5, 0), groups: { g2: prov } });
    expect(empty).toEqual({ ok: false, error: { code: 'empty', message: 'no ready group' } });
  });
});
