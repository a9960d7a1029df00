/**
 * Messages and message delays per transaction, counted on an in-memory transport: members are
 * the real Member class over an in-memory log, the proposer the real ProposerNode, each
 * request/answer a separate asynchronous hop. Transactions run one at a time (after a warm-up
 * transaction that makes the proposer leader of every group, so phase 1 is not counted), each
 * touching all G groups. Delays are the depth of the causal chain client → proposer → … →
 * client, carried as a Lamport-style counter (`lc`) on every message.
 */
import { Member } from '../../src/consensus/node/member.ts';
import { MemoryLog } from '../../src/consensus/node/member-wal.ts';
import { ProposerNode } from '../../src/consensus/node/proposer.ts';
import type { MemberTransport } from '../../src/consensus/node/transport.ts';
import type { MemberReply, MemberRequest } from '../../src/consensus/node/wire.ts';
import type { Op } from '../../src/txn/entries.ts';

export interface CountResult {
  readonly groups: number;
  readonly txns: number;
  /** Paxos messages on the outcome's path (Accept + Accepted) plus client request/answer. */
  readonly criticalMsgsPerTxn: number;
  /** Chosen notifications to members (phase 3, off the outcome's path). */
  readonly notifyMsgsPerTxn: number;
  readonly framesPerTxn: number;
  readonly delaysPerTxn: number;
  readonly committed: number;
}

class CountingTransport implements MemberTransport {
  readonly count = { accept: 0, accepted: 0, prepare: 0, promise: 0, chosen: 0, frames: 0 };
  constructor(private readonly members: ReadonlyMap<string, Member>) {}
  async request(member: string, req: MemberRequest): Promise<
    { ok: true; value: MemberReply } | { ok: false; error: { code: string; message: string } }> {
    const m = this.members.get(member);
    if (m === undefined) return { ok: false, error: { code: 'unknown-member', message: member } };
    this.count.frames += 1;
    if (req.type === 'Paxos') {
      for (const msg of req.msgs) this.count[msg.type === 'Accept' ? 'accept' : 'prepare'] += 1;
    } else if (req.type === 'Chosen') {
      this.count.chosen += req.items.length;
    }
    await new Promise((r) => setImmediate(r));
    const reply = await m.handle(req);
    if (reply.type === 'Paxos') {
      this.count.frames += 1;
      for (const msg of reply.msgs) {
        if (msg.type === 'Accepted') this.count.accepted += 1;
        if (msg.type === 'Promise') this.count.promise += 1;
      }
    }
    await new Promise((r) => setImmediate(r));
    return { ok: true, value: reply };
  }
  async close(): Promise<void> {}
}

function opsFor(groups: number, i: number): Op[] {
  if (groups === 1) {
    return [{ group: 'g1', key: `a${i}`, delta: -1 }, { group: 'g1', key: `b${i}`, delta: 1 }];
  }
  return Array.from({ length: groups }, (_, g) => ({
    group: `g${g + 1}`, key: `g${g + 1}k${i}`, delta: g === 0 ? -(groups - 1) : 1,
  }));
}

export async function countPerTxn(groups: number, txns: number): Promise<CountResult> {
  const members = new Map<string, Member>();
  const ids: Record<string, string[]> = {};
  for (let g = 1; g <= groups; g += 1) {
    ids[`g${g}`] = [1, 2, 3].map((m) => `g${g}m${m}`);
    for (const id of ids[`g${g}`]!) members.set(id, new Member(id, new MemoryLog()));
  }
  const transport = new CountingTransport(members);
  const node = new ProposerNode({ id: 'p1', groups: ids, observe: false,
    txnRetryMs: 60_000, recoverAfterMs: 60_000, paxosRetryMs: 60_000 }, transport);
  try {
    await node.begin({ id: 'warm', ops: opsFor(groups, 0) }, 10_000, 1);
    await new Promise((r) => setTimeout(r, 20));
    const before = { ...transport.count };
    let delays = 0;
    let committed = 0;
    for (let i = 1; i <= txns; i += 1) {
      const r = await node.begin({ id: `t${i}`, ops: opsFor(groups, i) }, 10_000, 1);
      if (r.type !== 'Outcome') throw new Error(`assertion: no outcome for t${i}`);
      if (r.outcome === 'committed') committed += 1;
      delays += r.lc;
      await new Promise((r2) => setTimeout(r2, 5)); // let the notifications land
    }
    const c = transport.count;
    const critical = (c.accept - before.accept) + (c.accepted - before.accepted);
    return {
      groups, txns, committed,
      criticalMsgsPerTxn: critical / txns + 2,
      notifyMsgsPerTxn: (c.chosen - before.chosen) / txns,
      framesPerTxn: (c.frames - before.frames) / txns + 2,
      delaysPerTxn: delays / txns,
    };
  } finally {
    await node.close();
  }
}

/**
 * Paxos Commit in the normal case (Gray and Lamport, "Consensus on Transaction Commit",
 * ACM TODS 31(1):133-160, 2006; MSR-TR-2003-96), N resource managers, 2F+1 acceptors, phase 2a
 * sent to F+1 acceptors, phase 2b bundled per acceptor: BeginCommit 1, Prepare N-1, phase 2a
 * N(F+1), phase 2b F+1, Commit N = (N+1)(F+3) - 2 messages in 5 message delays ((N+1)(F+3) - 4
 * with the leader co-located with the first RM and an acceptor; Faster Paxos Commit: 4 delays).
 * Two-Phase Commit: 3N - 1 messages, 4 delays. Here N = groups per transaction, F = 1.
 */
export function paxosCommitOptimum(n: number, f = 1): { messages: number; delays: number } {
  return { messages: (n + 1) * (f + 3) - 2, delays: 5 };
}
