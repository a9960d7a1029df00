// The transaction cores under mutation (entries, messages, participant, proposer, recovery,
// step, client): schema edges, the vote (first entry about t decides; conflicts abort), lock
// release and deltas at the decision, commit iff every group voted Prepared, retry and
// recovery timing boundaries, and the client's deadline.
import { describe, expect, it } from 'vitest';
import {
  ApplyResultSchema, ProposerEffectSchema, ProposerInputSchema, TxnSpecSchema, client,
  describeEntry, entryTxnId, groupsOf, keysIn, parseEntry, participant, proposer,
  proposerStep, recovery, type ApplyResult, type Entry, type TxnSpec,
} from '../../src/txn/index.ts';
import { T1, T2, T3 } from './helpers.ts';

const op = (group: string, key: string, delta: number) => ({ group, key, delta });
const txn = (id: string, ops: ReturnType<typeof op>[]) => ({ id, ops });
const vote = (txnId: string, v: 'prepared' | 'aborted'): ApplyResult =>
  ({ kind: 'vote', txnId, vote: v });
const dec = (txnId: string, d: 'commit' | 'abort'): ApplyResult =>
  ({ kind: 'decision', txnId, decision: d });
const CFG = { id: 'p1', retryMs: 10, recoverAfterMs: 100 };
const prep = (t: TxnSpec): Entry => ({ type: 'Prepare', txn: t });

describe('entries and messages: schema edges', () => {
  it('bounds ids, keys, deltas and the number of ops', () => {
    const ok = (t: unknown) => TxnSpecSchema.safeParse(t).success;
    expect(ok(txn('t', [op('g', 'k', 1)]))).toBe(true);
    expect(ok(txn('', [op('g', 'k', 1)]))).toBe(false);
    expect(ok(txn('x'.repeat(128), [op('g', 'k', 1)]))).toBe(true);
    expect(ok(txn('x'.repeat(129), [op('g', 'k', 1)]))).toBe(false);
    expect(ok(txn('t', [op('', 'k', 1)]))).toBe(false);
    expect(ok(txn('t', [op('g'.repeat(128), 'k', 1)]))).toBe(true);
    expect(ok(txn('t', [op('g'.repeat(129), 'k', 1)]))).toBe(false);
    expect(ok(txn('t', [op('g', '', 1)]))).toBe(false);
    expect(ok(txn('t', [op('g', 'k'.repeat(256), 1)]))).toBe(true);
    expect(ok(txn('t', [op('g', 'k'.repeat(257), 1)]))).toBe(false);
    expect(ok(txn('t', [op('g', 'k', 0.5)]))).toBe(false);
    expect(ok(txn('t', [op('g', 'k', 2 ** 53)]))).toBe(false);
    expect(ok(txn('t', [op('g', 'k', -(2 ** 53 - 1))]))).toBe(true);
    expect(ok(txn('t', []))).toBe(false);
    const ops = (n: number) => Array.from({ length: n }, (_, i) => op('g', `k${i}`, 0));
    expect(ok(txn('t', ops(64)))).toBe(true);
    expect(ok(txn('t', ops(65)))).toBe(false);
    expect(ok({ ...txn('t', [op('g', 'k', 1)]), extra: 1 })).toBe(false);
    expect(ok({ id: 't', ops: [{ ...op('g', 'k', 1), extra: 1 }] })).toBe(false);
  });
  it('refuses a key twice, naming why, and a key in two groups', () => {
    const twice = TxnSpecSchema.safeParse(txn('t', [op('g', 'k', 1), op('g', 'k', -1)]));
    expect(twice.error?.issues.map((i) => i.message)).toEqual(['a key appears twice']);
    const two = TxnSpecSchema.safeParse(txn('t', [op('g', 'k', 1), op('h', 'k', -1)]));
    expect(two.error?.issues.map((i) => i.message).sort())
      .toEqual(['a key appears twice', 'a key is in two groups']);
    const mixed = TxnSpecSchema.safeParse(txn('t', [op('g', 'j', 0), op('g', 'k', 1),
      op('h', 'k', -1)]));
    expect(mixed.error?.issues.map((i) => i.message).sort())
      .toEqual(['a key appears twice', 'a key is in two groups']);
    expect(TxnSpecSchema.safeParse(txn('t', [op('g', 'k', 1), op('h', 'j', -1)])).success)
      .toBe(true);
  });
  it('parses every entry kind, refuses extras, and names the bad field', () => {
    for (const e of [prep(T1), { type: 'AbortVote', txnId: 't' }, { type: 'Commit', txnId: 't' },
      { type: 'Abort', txnId: 't' }]) {
      expect(parseEntry(e)).toEqual({ ok: true, entry: e });
      expect(parseEntry({ ...e, extra: 1 }).ok).toBe(false);
    }
    expect(parseEntry({ type: 'Commit', txnId: '' }).ok).toBe(false);
    expect(parseEntry({ type: 'Commit' })).toEqual({ ok: false,
      error: { code: 'bad-entry', message: expect.stringMatching(/^bad entry: txnId \S/) } });
    expect(parseEntry(prep({ id: 't', ops: [] }))).toMatchObject(
      { ok: false, error: { message: expect.stringMatching(/^bad entry: txn\.ops \S/) } });
  });
  it('labels entries and derives groups (sorted, distinct) and keys per group', () => {
    expect(describeEntry(prep(T1))).toBe('Prepare(t1)');
    expect(describeEntry({ type: 'Abort', txnId: 't9' })).toBe('Abort(t9)');
    expect(entryTxnId({ type: 'Commit', txnId: 'tc' })).toBe('tc');
    const t = txn('t', [op('g2', 'a', 1), op('g1', 'b', 1), op('g2', 'c', -2)]);
    expect(groupsOf(t)).toEqual(['g1', 'g2']);
    expect(keysIn(t, 'g2')).toEqual(['a', 'c']);
    expect(keysIn(t, 'g3')).toEqual([]);
  });
  it('apply results, proposer inputs and effects: enums, times and strictness', () => {
    expect(ApplyResultSchema.safeParse(vote('t', 'prepared')).success).toBe(true);
    expect(ApplyResultSchema.safeParse(dec('t', 'abort')).success).toBe(true);
    expect(ApplyResultSchema.safeParse({ kind: 'vote', txnId: 't', vote: 'commit' }).success)
      .toBe(false);
    expect(ApplyResultSchema.safeParse({ ...dec('t', 'commit'), x: 1 }).success).toBe(false);
    const tick = (nowMs: number) => ProposerInputSchema.safeParse({ type: 'tick', nowMs }).success;
    expect([tick(0), tick(-1), tick(1.5), tick(2 ** 53)]).toEqual([true, false, false, false]);
    const applied = { type: 'applied', group: 'g1', slot: 0, entry: { type: 'Commit', txnId: 't' },
      result: dec('t', 'commit'), nowMs: 1 };
    expect(ProposerInputSchema.safeParse(applied).success).toBe(true);
    expect(ProposerInputSchema.safeParse({ ...applied, slot: -1 }).success).toBe(false);
    expect(ProposerInputSchema.safeParse({ ...applied, slot: 0.5 }).success).toBe(false);
    expect(ProposerInputSchema.safeParse({ type: 'begin', txn: T1, nowMs: 0 }).success).toBe(true);
    expect(ProposerInputSchema.safeParse({ type: 'recover', txnId: 't', nowMs: 0 }).success)
      .toBe(true);
    expect(ProposerInputSchema.safeParse({ type: 'tick', nowMs: 0, x: 1 }).success).toBe(false);
    const out = { type: 'outcome', txnId: 't', outcome: 'committed' };
    expect(ProposerEffectSchema.safeParse(out).success).toBe(true);
    expect(ProposerEffectSchema.safeParse({ ...out, outcome: 'commit' }).success).toBe(false);
    expect(ProposerEffectSchema.safeParse({ type: 'propose', group: 'g', entry: prep(T1) })
      .success).toBe(true);
  });
});

describe('participant', () => {
  const g1 = () => participant.initParticipant('g1', { a1: 5 });
  it('a second Prepare of a voted txn keeps the vote; conflicts vote Aborted without locking',
    () => {
      let s = participant.apply(g1(), prep(T1)).state;
      expect(participant.lockedKeys(s)).toEqual(new Set(['a1']));
      const again = participant.apply(s, prep(T1));
      expect(again.state.locked).toEqual({ t1: ['a1'] });
      expect(again.state.applied).toBe(2);
      s = participant.apply(s, prep(T3)).state;
      expect(s.votes).toEqual({ t1: 'prepared', t3: 'aborted' });
      expect(s.locked).toEqual({ t1: ['a1'] });
      expect(s.txns['t3']).toEqual(T3);
      const other = participant.apply(participant.initParticipant('g3', {}), prep(T1));
      expect(other.state.locked).toEqual({ t1: [] });
    });
  it('AbortVote votes only where no vote is known', () => {
    const s = participant.apply(g1(), prep(T1)).state;
    const r = participant.apply(s, { type: 'AbortVote', txnId: 't1' });
    expect(r.result).toEqual(vote('t1', 'prepared'));
    expect(participant.applyAbortVote(s, 't1')).toBe(s);
  });
  it('the first decision stands and releases only its own locks; Commit adds own deltas', () => {
    const other = txn('t4', [op('g1', 'b', 7), op('g2', 'c', -7)]);
    const s0 = participant.initParticipant('g1', { a1: 5 });
    const s = participant.replay('g1', { a1: 5 }, [prep(T1), prep(other)]);
    expect(s.locked).toEqual({ t1: ['a1'], t4: ['b'] });
    const c = participant.apply(s, { type: 'Commit', txnId: 't4' });
    expect(c.result).toEqual(dec('t4', 'commit'));
    expect(c.state.balances).toEqual({ a1: 5, b: 7 });
    expect(c.state.locked).toEqual({ t1: ['a1'] });
    const a = participant.apply(c.state, { type: 'Abort', txnId: 't4' });
    expect(a.result).toEqual(dec('t4', 'commit'));
    expect(a.state.balances).toEqual({ a1: 5, b: 7 });
    expect(participant.applyDecision(c.state, 't4', 'abort')).toBe(c.state);
    const blind = participant.apply(s0, { type: 'Commit', txnId: 'zz' });
    expect(blind.state.balances).toEqual({ a1: 5 });
    expect(blind.result).toEqual(dec('zz', 'commit'));
    expect(s0.balances).toEqual({ a1: 5 });
  });
  it('replay goes through the given steps', () => {
    const steps = { ...participant.participantSteps,
      applyPrepare: (st: participant.ParticipantState, t: TxnSpec) =>
        participant.applyAbortVote(st, t.id) };
    const s = participant.replay('g1', { a1: 5 }, [prep(T1)], steps);
    expect(s.votes).toEqual({ t1: 'aborted' });
    expect(s.applied).toBe(1);
    const broken = { ...participant.participantSteps,
      applyPrepare: (st: participant.ParticipantState) => st };
    expect(() => participant.apply(participant.initParticipant('g1', {}), prep(T1), broken))
      .toThrow('assertion: no vote after Prepare(t1)');
    const noDec = { ...participant.participantSteps,
      applyDecision: (st: participant.ParticipantState) => st };
    expect(() => participant.apply(participant.initParticipant('g1', {}),
      { type: 'Abort', txnId: 't1' }, noDec)).toThrow('assertion: no decision for t1');
  });
});

describe('proposer', () => {
  const begun = () => proposer.begin(proposer.initProposer(CFG), T1, 0);
  it('refuses timeouts that are not positive', () => {
    expect(() => proposer.initProposer({ ...CFG, retryMs: 0 })).toThrow('timeouts');
    expect(() => proposer.initProposer({ ...CFG, recoverAfterMs: 0 })).toThrow('timeouts');
    expect(proposer.initProposer(CFG).txns).toEqual({});
  });
  it('begin proposes Prepare in every group once; a repeated begin does nothing', () => {
    const b = begun();
    expect(b.effects).toEqual([{ type: 'propose', group: 'g1', entry: prep(T1) },
      { type: 'propose', group: 'g2', entry: prep(T1) }]);
    const v = b.state.txns['t1']!;
    expect(v).toMatchObject({ isOwner: true, recovering: false, outcome: null, told: false,
      learnedAtMs: 0, proposedAtMs: { 'g1|Prepare': 0, 'g2|Prepare': 0 } });
    expect(proposer.begin(b.state, T1, 5)).toEqual({ state: b.state, effects: [] });
  });
  it('retries a proposal at exactly retryMs, not before', () => {
    const b = begun();
    expect(proposer.tick(b.state, 9).effects).toEqual([]);
    expect(proposer.tick(b.state, 10).effects).toHaveLength(2);
    const s = proposer.applied(b.state, 'g1', prep(T1), vote('t1', 'prepared'), 3).state;
    expect(proposer.tick(s, 10).effects).toEqual([
      { type: 'propose', group: 'g2', entry: prep(T1) }]);
  });
  it('decides from the first vote per group, commit iff all Prepared, tells the owner once', () => {
    let s = begun().state;
    s = proposer.applied(s, 'g1', prep(T1), vote('t1', 'prepared'), 1).state;
    s = proposer.applied(s, 'g1', prep(T1), vote('t1', 'aborted'), 1).state;
    expect(s.txns['t1']!.votes).toEqual({ g1: 'prepared' });
    expect(s.txns['t1']!.outcome).toBeNull();
    s = proposer.applied(s, 'g2', prep(T1), vote('t1', 'prepared'), 2).state;
    expect(s.txns['t1']!.outcome).toBe('commit');
    const c1 = proposer.applied(s, 'g1', { type: 'Commit', txnId: 't1' }, dec('t1', 'commit'), 3);
    expect(c1.effects).toEqual([]);
    const c1b = proposer.applied(c1.state, 'g1', { type: 'Abort', txnId: 't1' },
      dec('t1', 'abort'), 3);
    expect(c1b.state.txns['t1']!.decisions).toEqual({ g1: 'commit' });
    const c2 = proposer.applied(c1.state, 'g2', { type: 'Commit', txnId: 't1' },
      dec('t1', 'commit'), 4);
    expect(c2.effects).toEqual([{ type: 'outcome', txnId: 't1', outcome: 'committed' }]);
    expect(proposer.decidedEverywhere(c2.state.txns['t1']!)).toBe(true);
    expect(proposer.decidedEverywhere(c1.state.txns['t1']!)).toBe(false);
    expect(proposer.tick(c2.state, 1000).effects).toEqual([]);
  });
  it('one Aborted vote is enough to tell aborted, before the other votes', () => {
    const first = proposer.applied(begun().state, 'g1', prep(T1), vote('t1', 'aborted'), 1);
    expect(first.effects).toEqual([{ type: 'outcome', txnId: 't1', outcome: 'aborted' }]);
    expect(first.state.txns['t1']!.outcome).toBeNull();
    const s = proposer.applied(first.state, 'g2', prep(T1), vote('t1', 'prepared'), 1).state;
    expect(s.txns['t1']!.outcome).toBe('abort');
    const r = proposer.applied(s, 'g2', { type: 'Abort', txnId: 't1' }, dec('t1', 'abort'), 2);
    expect(r.effects).toEqual([]);
    const other = proposer.applied(begun().state, 'g2', { type: 'Abort', txnId: 't1' },
      dec('t1', 'abort'), 2);
    expect(other.effects).toEqual([{ type: 'outcome', txnId: 't1', outcome: 'aborted' }]);
    expect(proposer.tick(r.state, 100).effects).toEqual([
      { type: 'propose', group: 'g1', entry: { type: 'Abort', txnId: 't1' } }]);
  });
  it('the outcome function sees the owner flag, the groups and the votes', () => {
    const seen: unknown[] = [];
    let s = proposer.begin(proposer.initProposer({ ...CFG, outcome: (v) => {
      seen.push(v); return 'abort';
    } }), T1, 0).state;
    s = proposer.applied(s, 'g1', prep(T1), vote('t1', 'prepared'), 1).state;
    s = proposer.applied(s, 'g2', prep(T1), vote('t1', 'prepared'), 1).state;
    expect(seen).toEqual([{ isOwner: true, groups: ['g1', 'g2'],
      votes: { g1: 'prepared', g2: 'prepared' } }]);
    expect(s.txns['t1']!.outcome).toBe('abort');
  });
  it('observes others\' transactions from Prepare only, and only in their groups', () => {
    const s0 = proposer.initProposer(CFG);
    expect(() => proposer.applied(s0, 'g1', prep(T1), vote('t2', 'prepared'), 0))
      .toThrow('another transaction');
    expect(proposer.applied(s0, 'g1', { type: 'Commit', txnId: 't1' }, dec('t1', 'commit'), 0))
      .toEqual({ state: s0, effects: [] });
    expect(proposer.applied(s0, 'g3', prep(T1), vote('t1', 'prepared'), 0))
      .toEqual({ state: s0, effects: [] });
    let s = proposer.applied(s0, 'g1', prep(T1), vote('t1', 'prepared'), 7);
    expect(s.effects).toEqual([]);
    expect(s.state.txns['t1']).toMatchObject({ isOwner: false, learnedAtMs: 7 });
    s = proposer.applied(s.state, 'g2', prep(T1), vote('t1', 'prepared'), 8);
    expect(s.state.txns['t1']!.outcome).toBe('commit');
    expect(s.effects).toEqual([]);
  });
  it('wanted: nothing for an observer, AbortVote where open when recovering', () => {
    const base = { spec: T3, isOwner: false, recovering: false, votes: {}, decisions: {},
      outcome: null, told: false, learnedAtMs: 0, proposedAtMs: {} };
    expect(proposer.wanted(base)).toEqual([]);
    expect(proposer.wanted({ ...base, recovering: true, votes: { g2: 'prepared' } })).toEqual([
      { group: 'g1', entry: { type: 'AbortVote', txnId: 't3' } },
      { group: 'g3', entry: { type: 'AbortVote', txnId: 't3' } }]);
    expect(proposer.wanted({ ...base, outcome: 'commit' })).toEqual([]);
    expect(proposer.wanted({ ...base, outcome: 'commit', recovering: true,
      decisions: { g1: 'commit' } })).toEqual([
      { group: 'g2', entry: { type: 'Commit', txnId: 't3' } },
      { group: 'g3', entry: { type: 'Commit', txnId: 't3' } }]);
    expect(proposer.wanted({ ...base, outcome: 'abort', isOwner: true })).toHaveLength(3);
    expect(proposer.wanted({ ...base, isOwner: true, votes: { g1: 'aborted' } }))
      .toEqual([{ group: 'g2', entry: prep(T3) }, { group: 'g3', entry: prep(T3) }]);
  });
});

describe('recovery and step', () => {
  const observed = (nowMs: number) => proposer.applied(proposer.initProposer(CFG), 'g1', prep(T1),
    vote('t1', 'prepared'), nowMs).state;
  it('a stalled observed txn is recovered at exactly recoverAfterMs: AbortVote, then decision',
    () => {
      const s = observed(0);
      expect(recovery.stalled(s, 99)).toEqual([]);
      expect(recovery.stalled(s, 100)).toEqual(['t1']);
      const r = recovery.recoverStalled(s, 100);
      expect(r.effects).toEqual([
        { type: 'propose', group: 'g2', entry: { type: 'AbortVote', txnId: 't1' } }]);
      expect(recovery.stalled(r.state, 500)).toEqual([]);
      expect(recovery.recover(r.state, 't1', 500)).toEqual({ state: r.state, effects: [] });
      const v = proposer.applied(r.state, 'g2', { type: 'AbortVote', txnId: 't1' },
        vote('t1', 'aborted'), 101);
      expect(v.effects).toEqual([
        { type: 'propose', group: 'g1', entry: { type: 'Abort', txnId: 't1' } },
        { type: 'propose', group: 'g2', entry: { type: 'Abort', txnId: 't1' } }]);
    });
  it('stalls count from when the txn was learned; recover re-proposes even a recent proposal',
    () => {
      const late = observed(50);
      expect(recovery.stalled(late, 149)).toEqual([]);
      expect(recovery.stalled(late, 150)).toEqual(['t1']);
      let s = proposer.begin(proposer.initProposer(CFG), T1, 0).state;
      s = proposer.applied(s, 'g1', prep(T1), vote('t1', 'prepared'), 5).state;
      const c = proposer.applied(s, 'g2', prep(T1), vote('t1', 'prepared'), 5);
      expect(c.effects).toHaveLength(2);
      expect(recovery.recover(c.state, 't1', 6).effects).toEqual(c.effects);
    });
  it('never recovers its own or decided txns, nor unknown ones', () => {
    const own = proposer.begin(proposer.initProposer(CFG), T1, 0).state;
    expect(recovery.stalled(own, 1e6)).toEqual([]);
    const s0 = proposer.initProposer(CFG);
    expect(recovery.recover(s0, 'nope', 0)).toEqual({ state: s0, effects: [] });
    let s = observed(0);
    s = proposer.applied(s, 'g2', prep(T1), vote('t1', 'prepared'), 0).state;
    s = proposer.applied(s, 'g1', { type: 'Commit', txnId: 't1' }, dec('t1', 'commit'), 0).state;
    expect(recovery.stalled(s, 1e6)).toEqual(['t1']);
    s = proposer.applied(s, 'g2', { type: 'Commit', txnId: 't1' }, dec('t1', 'commit'), 0).state;
    expect(recovery.stalled(s, 1e6)).toEqual([]);
    const t2first = proposer.applied(proposer.initProposer(CFG), 'g2', prep(T2),
      vote('t2', 'aborted'), 0).state;
    const two = proposer.applied(t2first, 'g2', prep(T1), vote('t1', 'prepared'), 0).state;
    expect(Object.keys(two.txns)).toEqual(['t2', 't1']);
    expect(recovery.stalled(two, 100)).toEqual(['t1', 't2']);
    const r = recovery.recoverStalled(two, 100);
    expect(r.effects).toEqual([
      { type: 'propose', group: 'g1', entry: { type: 'AbortVote', txnId: 't1' } },
      { type: 'propose', group: 'g1', entry: { type: 'AbortVote', txnId: 't2' } }]);
    const owned = proposer.begin(proposer.begin(proposer.initProposer(CFG), T2, 0).state, T1, 0);
    expect(proposer.tick(owned.state, 10).effects.map((e) =>
      e.type === 'propose' && e.entry.type === 'Prepare' ? e.entry.txn.id : null))
      .toEqual(['t1', 't1', 't2', 't2']);
  });
  it('proposerStep: tick retries first, then recovers; begin, applied and recover dispatch', () => {
    let s = proposer.begin(proposer.initProposer(CFG), T2, 0).state;
    s = proposer.applied(s, 'g1', prep(T1), vote('t1', 'prepared'), 0).state;
    const r = proposerStep(s, { type: 'tick', nowMs: 100 });
    expect(r.effects).toEqual([
      { type: 'propose', group: 'g1', entry: prep(T2) },
      { type: 'propose', group: 'g2', entry: prep(T2) },
      { type: 'propose', group: 'g2', entry: { type: 'AbortVote', txnId: 't1' } }]);
    const b = proposerStep(proposer.initProposer(CFG), { type: 'begin', txn: T1, nowMs: 0 });
    expect(b.effects).toHaveLength(2);
    const a = proposerStep(b.state, { type: 'applied', group: 'g1', slot: 0, entry: prep(T1),
      result: vote('t1', 'prepared'), nowMs: 0 });
    expect(a.state.txns['t1']!.votes).toEqual({ g1: 'prepared' });
    const rec = proposerStep(a.state, { type: 'recover', txnId: 't1', nowMs: 1 });
    expect(rec.effects).toEqual([
      { type: 'propose', group: 'g2', entry: { type: 'AbortVote', txnId: 't1' } }]);
    expect(() => proposerStep(s, { type: 'nope' } as never)).toThrow('unknown input');
  });
});

describe('client', () => {
  it('refuses a deadline not after now and a pending duplicate', () => {
    const c0 = client.initClient();
    expect(client.submit(c0, T1, 10, 10)).toEqual({ ok: false,
      error: { code: 'deadline-passed', message: 'deadline 10 <= now 10' } });
    const r = client.submit(c0, T1, 11, 10);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.step.effects).toEqual([{ type: 'begin', txn: T1 }]);
    expect(r.step.state.pending).toEqual({ t1: { deadlineMs: 11, giveUpAtMs: 10,
      gaveUp: false } });
    const m = client.submit(client.initClient({ abortMarginMs: 5 }), T1, 100, 10);
    expect(m.ok && m.step.state.pending['t1']!.giveUpAtMs).toBe(95);
    expect(() => client.initClient({ abortMarginMs: -1 })).toThrow(/abortMarginMs/);
    expect(() => client.initClient({ abortMarginMs: 0.5 })).toThrow(/abortMarginMs/);
    expect(client.initClient().config.abortMarginMs).toBe(client.DEFAULT_ABORT_MARGIN_MS);
    expect(client.submit(r.step.state, T1, 20, 10)).toEqual({ ok: false,
      error: { code: 'duplicate-txn', message: 'txn t1 is pending' } });
  });
  it('gives up at deadline - margin, resolves in-doubt at the deadline, told wins', () => {
    let c = client.initClient({ abortMarginMs: 5 });
    for (const [t, d] of [[T2, 20], [T1, 20], [T3, 30]] as const) {
      const r = client.submit(c, t, d, 0);
      if (!r.ok) throw new Error(r.error.message);
      c = r.step.state;
    }
    expect(client.tick(c, 14).effects).toEqual([]);
    const up = client.tick(c, 15);
    expect(up.effects).toEqual([{ type: 'give-up', txnId: 't1' },
      { type: 'give-up', txnId: 't2' }]);
    expect(client.tick(up.state, 16).effects).toEqual([]);
    expect(client.tick(up.state, 19).effects).toEqual([]);
    const at = client.tick(up.state, 20);
    expect(at.effects).toEqual([
      { type: 'resolve', result: { txnId: 't1', outcome: 'in-doubt', decided: false } },
      { type: 'resolve', result: { txnId: 't2', outcome: 'in-doubt', decided: false } }]);
    expect(Object.keys(at.state.pending)).toEqual(['t3']);
    // A give-up and the deadline at one tick (margin 0): in-doubt only at a later tick.
    const z = client.submit(client.initClient({ abortMarginMs: 0 }), T1, 10, 0);
    if (!z.ok) throw new Error(z.error.message);
    const z1 = client.tick(z.step.state, 12);
    expect(z1.effects).toEqual([{ type: 'give-up', txnId: 't1' }]);
    expect(client.told(z1.state, 't1', 'aborted').effects).toEqual([{ type: 'resolve',
      result: { txnId: 't1', outcome: 'aborted', decided: true } }]);
    expect(client.tick(z1.state, 12).effects).toEqual([{ type: 'resolve',
      result: { txnId: 't1', outcome: 'in-doubt', decided: false } }]);
    const t = client.told(at.state, 't3', 'committed');
    expect(t.effects).toEqual([
      { type: 'resolve', result: { txnId: 't3', outcome: 'committed', decided: true } }]);
    expect(t.state.pending).toEqual({});
    expect(client.told(t.state, 't3', 'aborted')).toEqual({ state: t.state, effects: [] });
  });
});
