/**
 * The member over a controllable log: no answer leaves before the append covering it
 * resolved (also a Preempted answer, which has no record of its own); a failed append stops
 * the member; a restarted member recovers its promise and votes; the long-poll read.
 */
import { describe, expect, it } from 'vitest';
import { Member, type DurableLog, type LogError } from '../../src/consensus/node/member.ts';
import type { MemberReply, MemberWalRecord } from '../../src/consensus/node/wire.ts';
import type { Result } from '../../src/runtime/node/result.ts';

class GatedLog implements DurableLog {
  readonly records: MemberWalRecord[] = [];
  readonly gates: ((r: Result<void, LogError>) => void)[] = [];
  append(r: MemberWalRecord): Promise<Result<void, LogError>> {
    this.records.push(r);
    return new Promise((resolve) => this.gates.push(resolve));
  }
  openAll(): void {
    for (const g of this.gates.splice(0)) g({ ok: true, value: undefined });
  }
}

const b = (round: number, proposer = 'p1') => ({ round, proposer });
const flush = () => new Promise((r) => setImmediate(r));

function track(p: Promise<MemberReply>): { reply: MemberReply | null } {
  const box: { reply: MemberReply | null } = { reply: null };
  void p.then((r) => { box.reply = r; });
  return box;
}

describe('Member', () => {
  it('answers an Accept only after its record is durable', async () => {
    const log = new GatedLog();
    const m = new Member('m1', log);
    const box = track(m.handle({ type: 'Paxos', from: 'p1', lc: 3,
      msgs: [{ type: 'Accept', ballot: b(1), slot: 1, value: 'x' }] }));
    await flush();
    expect(box.reply).toBeNull();
    expect(log.records).toEqual([{ kind: 'accept', slot: 1, ballot: b(1), value: 'x' }]);
    log.openAll();
    await flush();
    expect(box.reply).toEqual({ type: 'Paxos', lc: 4, msgs: [
      { type: 'Accepted', from: 'm1', ballot: b(1), slot: 1, value: 'x' }] });
  });

  it('holds a Preempted answer until the promise that caused it is durable', async () => {
    const log = new GatedLog();
    const m = new Member('m1', log);
    const promise = track(m.handle({ type: 'Paxos', from: 'p2', lc: 0,
      msgs: [{ type: 'Prepare', ballot: b(5, 'p2'), fromSlot: 1 }] }));
    const stale = track(m.handle({ type: 'Paxos', from: 'p1', lc: 0,
      msgs: [{ type: 'Accept', ballot: b(1), slot: 1, value: 'x' }] }));
    await flush();
    expect(promise.reply).toBeNull();
    expect(stale.reply).toBeNull();
    log.openAll();
    await flush();
    expect(stale.reply?.type === 'Paxos' && stale.reply.msgs[0]?.type).toBe('Preempted');
    expect(log.records).toHaveLength(1);
  });

  it('refuses every answer after a failed append and reports it once', async () => {
    const fatal: string[] = [];
    const log: DurableLog = { append: async () => ({ ok: false,
      error: { code: 'io-failed', message: 'disk gone' } }) };
    const m = new Member('m1', log, [], (e) => fatal.push(e.code));
    const r1 = await m.handle({ type: 'Paxos', from: 'p1', lc: 0,
      msgs: [{ type: 'Prepare', ballot: b(1), fromSlot: 1 }] });
    const r2 = await m.handle({ type: 'Log', fromSlot: 1, waitMs: 0, max: 10 });
    expect(r1.type).toBe('Refused');
    expect(r2.type).toBe('Refused');
    expect(fatal).toEqual(['io-failed']);
  });

  it('recovers promise, votes and learned entries from its records', async () => {
    const recovered: MemberWalRecord[] = [
      { kind: 'promise', ballot: b(2) },
      { kind: 'accept', slot: 1, ballot: b(3), value: 'v1' },
      { kind: 'chosen', slot: 1, value: 'v1' },
    ];
    const log = new GatedLog();
    const m = new Member('m1', log, recovered);
    expect(m.acceptorState.durable.promised).toEqual(b(3));
    const stale = m.handle({ type: 'Paxos', from: 'p1', lc: 0,
      msgs: [{ type: 'Prepare', ballot: b(3), fromSlot: 1 }] });
    const reply = await stale;
    expect(reply.type === 'Paxos' && reply.msgs[0]?.type).toBe('Preempted');
    const read = await m.handle({ type: 'Log', fromSlot: 1, waitMs: 0, max: 10 });
    expect(read).toEqual({ type: 'Log', items: [{ slot: 1, value: 'v1' }] });
  });

  it('a long-poll read wakes when a chosen entry is learned', async () => {
    const log = new GatedLog();
    const m = new Member('m1', log);
    const box = track(m.handle({ type: 'Log', fromSlot: 1, waitMs: 5_000, max: 10 }));
    await flush();
    expect(box.reply).toBeNull();
    const ack = m.handle({ type: 'Chosen', lc: 0, items: [{ slot: 1, value: 'a' }] });
    await flush();
    log.openAll();
    await ack;
    await flush();
    expect(box.reply).toEqual({ type: 'Log', items: [{ slot: 1, value: 'a' }] });
  });
});
