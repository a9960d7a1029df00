import { describe, expect, it } from 'vitest';
import {
  parseEntry, participant, proposer, recovery, client, proposerStep, MemoryTxnSystem,
  type Entry, type ProposerEffect,
} from '../../src/txn/index.ts';
import { T1, T2, T3 } from './helpers.ts';

const g1 = () => participant.initParticipant('g1', { a1: 5 });
const proposeTo = (effects: ProposerEffect[], group: string) =>
  effects.filter((e) => e.type === 'propose' && e.group === group);

describe('entries', () => {
  it('accepts a Prepare and rejects malformed entries with a code', () => {
    expect(parseEntry({ type: 'Prepare', txn: T1 }).ok).toBe(true);
    const bad = parseEntry({ type: 'Commit' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('bad-entry');
    const dupKey = parseEntry({ type: 'Prepare', txn: { id: 'x', ops: [
      { group: 'g1', key: 'a', delta: 1 }, { group: 'g1', key: 'a', delta: -1 }] } });
    expect(dupKey.ok).toBe(false);
  });
});

describe('participant', () => {
  it('votes Prepared and locks, then Aborted for a conflicting transaction', () => {
    const a = participant.apply(g1(), { type: 'Prepare', txn: T1 });
    expect(a.result).toEqual({ kind: 'vote', txnId: 't1', vote: 'prepared' });
    expect(a.state.locked).toEqual({ t1: ['a1'] });
    const b = participant.apply(a.state, { type: 'Prepare', txn: T2 });
    expect(b.result).toEqual({ kind: 'vote', txnId: 't2', vote: 'aborted' });
  });
  it('the first entry about t decides the vote: AbortVote then Prepare stays Aborted', () => {
    const a = participant.apply(g1(), { type: 'AbortVote', txnId: 't1' });
    const b = participant.apply(a.state, { type: 'Prepare', txn: T1 });
    expect(b.result).toEqual({ kind: 'vote', txnId: 't1', vote: 'aborted' });
    expect(b.state.locked).toEqual({});
  });
  it('Commit applies only this group\'s deltas and releases locks; a repeat is a no-op', () => {
    const log: Entry[] = [{ type: 'Prepare', txn: T1 }, { type: 'Commit', txnId: 't1' },
      { type: 'Abort', txnId: 't1' }];
    const s = participant.replay('g1', { a1: 5 }, log);
    expect(s.balances).toEqual({ a1: 4 });
    expect(s.decisions).toEqual({ t1: 'commit' });
    expect(s.locked).toEqual({});
    expect(s.applied).toBe(3);
  });
  it('Abort discards the deltas', () => {
    const s = participant.replay('g1', { a1: 5 }, [{ type: 'Prepare', txn: T1 },
      { type: 'Abort', txnId: 't1' }]);
    expect(s.balances).toEqual({ a1: 5 });
    expect(s.locked).toEqual({});
  });
});

describe('proposer', () => {
  const cfg = { id: 'p1', retryMs: 10, recoverAfterMs: 100 };
  const prepared = { kind: 'vote', txnId: 't1', vote: 'prepared' } as const;
  it('proposes Prepare everywhere, then Commit once every vote is Prepared, then tells', () => {
    let s = proposer.initProposer(cfg);
    const b = proposer.begin(s, T1, 0);
    expect(b.effects.map((e) => e.type === 'propose' && e.group)).toEqual(['g1', 'g2']);
    s = proposer.applied(b.state, 'g1', { type: 'Prepare', txn: T1 }, prepared, 1).state;
    const r = proposer.applied(s, 'g2', { type: 'Prepare', txn: T1 }, prepared, 2);
    expect(r.effects).toEqual([
      { type: 'propose', group: 'g1', entry: { type: 'Commit', txnId: 't1' } },
      { type: 'propose', group: 'g2', entry: { type: 'Commit', txnId: 't1' } }]);
    const dec = { kind: 'decision', txnId: 't1', decision: 'commit' } as const;
    s = proposer.applied(r.state, 'g1', { type: 'Commit', txnId: 't1' }, dec, 3).state;
    const t = proposer.applied(s, 'g2', { type: 'Commit', txnId: 't1' }, dec, 4);
    expect(t.effects).toEqual([{ type: 'outcome', txnId: 't1', outcome: 'committed' }]);
  });
  it('one Aborted vote decides Abort', () => {
    const b = proposer.begin(proposer.initProposer(cfg), T1, 0);
    const s = proposer.applied(b.state, 'g1', { type: 'Prepare', txn: T1 }, prepared, 1).state;
    const r = proposer.applied(s, 'g2', { type: 'Prepare', txn: T1 },
      { kind: 'vote', txnId: 't1', vote: 'aborted' }, 2);
    expect(proposeTo(r.effects, 'g1')).toEqual([{ type: 'propose', group: 'g1',
      entry: { type: 'Abort', txnId: 't1' } }]);
  });
  it('retries a lost proposal only after retryMs', () => {
    const b = proposer.begin(proposer.initProposer(cfg), T1, 0);
    expect(proposer.tick(b.state, 5).effects).toEqual([]);
    expect(proposer.tick(b.state, 10).effects).toHaveLength(2);
  });
  it('an observer recovers a stalled transaction with AbortVote where no vote is known', () => {
    let s = proposer.initProposer({ ...cfg, id: 'p2' });
    s = proposer.applied(s, 'g1', { type: 'Prepare', txn: T1 }, prepared, 0).state;
    expect(recovery.stalled(s, 50)).toEqual([]);
    expect(recovery.stalled(s, 100)).toEqual(['t1']);
    const r = proposerStep(s, { type: 'tick', nowMs: 100 });
    expect(r.effects).toEqual([{ type: 'propose', group: 'g2',
      entry: { type: 'AbortVote', txnId: 't1' } }]);
  });
  it('recovery of an all-Prepared transaction commits it (the decision is in the votes)', () => {
    let s = proposer.initProposer({ ...cfg, id: 'p2' });
    s = proposer.applied(s, 'g1', { type: 'Prepare', txn: T1 }, prepared, 0).state;
    s = proposer.applied(s, 'g2', { type: 'Prepare', txn: T1 }, prepared, 0).state;
    const r = recovery.recover(s, 't1', 1);
    expect(r.effects.every((e) => e.type === 'propose' && e.entry.type === 'Commit')).toBe(true);
    expect(r.effects).toHaveLength(2);
  });
});

describe('client core', () => {
  it('resolves once: told outcome, or in-doubt at the deadline after giving up', () => {
    const sub = client.submit(client.initClient({ abortMarginMs: 10 }), T1, 100, 0);
    expect(sub.ok).toBe(true);
    if (!sub.ok) return;
    expect(client.tick(sub.step.state, 89).effects).toEqual([]);
    const up = client.tick(sub.step.state, 90);
    expect(up.effects).toEqual([{ type: 'give-up', txnId: 't1' }]);
    expect(client.tick(up.state, 99).effects).toEqual([]);
    const late = client.tick(up.state, 100);
    expect(late.effects).toContainEqual({ type: 'resolve',
      result: { txnId: 't1', outcome: 'in-doubt', decided: false } });
    expect(client.told(late.state, 't1', 'committed').effects).toEqual([]);
    const bad = client.submit(client.initClient(), T1, 0, 0);
    expect(!bad.ok && bad.error.code).toBe('deadline-passed');
  });

  it('names the next wake time: give-up times first, then deadlines; nothing when idle', () => {
    const c0 = client.initClient({ abortMarginMs: 10 });
    expect(client.nextWakeMs(c0)).toBeUndefined();
    const a = client.submit(c0, T1, 100, 0);
    if (!a.ok) throw new Error('assertion: submitted');
    const b = client.submit(a.step.state, { ...T1, id: 't2' }, 60, 0);
    if (!b.ok) throw new Error('assertion: submitted');
    expect(client.nextWakeMs(b.step.state)).toBe(50);
    const up2 = client.tick(b.step.state, 50);
    expect(up2.effects).toEqual([{ type: 'give-up', txnId: 't2' }]);
    expect(client.nextWakeMs(up2.state)).toBe(60);
    const done2 = client.tick(up2.state, 60);
    expect(client.nextWakeMs(done2.state)).toBe(90);
    // A driver that follows nextWakeMs resolves every transaction by its deadline.
    let s = done2.state;
    let resolvedAt: number | undefined;
    for (let i = 0; i < 4; i += 1) {
      const at = client.nextWakeMs(s);
      if (at === undefined) break;
      const step = client.tick(s, at);
      if (step.effects.some((e) => e.type === 'resolve')) resolvedAt = at;
      s = step.state;
    }
    expect(resolvedAt).toBe(100);
    expect(client.nextWakeMs(s)).toBeUndefined();
  });

  it('abandonAll resolves every pending transaction in-doubt', () => {
    const a = client.submit(client.initClient(), T1, 100, 0);
    if (!a.ok) throw new Error('assertion: submitted');
    const gone = client.abandonAll(a.step.state);
    expect(gone.effects).toEqual([{ type: 'resolve',
      result: { txnId: 't1', outcome: 'in-doubt', decided: false } }]);
    expect(gone.state.pending).toEqual({});
  });
});

describe('memory driver: transact', () => {
  const accounts = { a1: { group: 'g1', initial: 10 }, a2: { group: 'g2', initial: 10 },
    a3: { group: 'g3', initial: 10 } };
  it('commits a transfer across two groups and conserves money', async () => {
    const sys = new MemoryTxnSystem({ accounts });
    const ops = [{ key: 'a1', delta: -3 }, { key: 'a2', delta: 3 }];
    const r = await sys.transact(ops, { deadlineMs: 1000 });
    expect(r).toEqual({ ok: true, result: { txnId: 'tx1', outcome: 'committed', decided: true } });
    expect([sys.balance('a1'), sys.balance('a2')]).toEqual([7, 13]);
  });
  it('a proposer that dies mid-transaction is recovered by another: abort', () => {
    const drop = (g: string, e: Entry) => g === 'g3' && e.type === 'Prepare';
    const sys = new MemoryTxnSystem({ accounts, drop });
    const sub = sys.submit([{ key: 'a1', delta: -1 }, { key: 'a2', delta: -1 },
      { key: 'a3', delta: 2 }], { deadlineMs: 500, proposer: 'p1', id: 'x' });
    expect(sub.ok).toBe(true);
    sys.crash('p1');
    for (let i = 0; i < 10; i += 1) sys.advance(10);
    const decisions = ['g1', 'g2', 'g3'].map((g) => sys.groups[g]!.replica.decisions['x']);
    expect(decisions).toEqual(['abort', 'abort', 'abort']);
    expect(sys.groups['g3']!.log.map((e) => e.type)).toEqual(['AbortVote', 'Abort']);
    expect(sys.balance('a1') + sys.balance('a2') + sys.balance('a3')).toBe(30);
    for (let i = 0; i < 50; i += 1) sys.advance(10);
    // The owner died: nobody tells the client, which resolves in-doubt at its deadline.
    expect(sys.result('x')).toEqual({ txnId: 'x', outcome: 'in-doubt', decided: false });
  });
  it('a recovering proposer commits what the dead one could have committed', () => {
    let lost = true;
    const sys = new MemoryTxnSystem({ accounts, drop: (_g, e) => lost && e.type === 'Commit' });
    sys.submit([{ key: 'a1', delta: -1 }, { key: 'a3', delta: 1 }],
      { deadlineMs: 500, proposer: 'p1', id: 'y' });
    sys.crash('p1');
    lost = false;
    for (let i = 0; i < 10; i += 1) sys.advance(10);
    expect(sys.groups['g1']!.replica.decisions['y']).toBe('commit');
    expect(sys.groups['g3']!.replica.decisions['y']).toBe('commit');
    expect([sys.balance('a1'), sys.balance('a3')]).toEqual([9, 11]);
  });
  it('rejects a transfer naming an unknown account with a code', async () => {
    const sys = new MemoryTxnSystem({ accounts });
    const r = await sys.transact([{ key: 'zz', delta: 1 }], { deadlineMs: 10 });
    expect(!r.ok && r.error.code).toBe('bad-transaction');
    void T3;
  });
});
