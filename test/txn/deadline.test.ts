// The client's deadline answer on the in-memory driver: at deadline - abortMarginMs the client
// asks its proposer to give up; an outcome the chosen votes fix is told before the deadline;
// only with nothing fixed (a group unreachable, or the owner dead) does it resolve in-doubt.
// A client is never told committed / aborted against the groups' final decision.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryTxnSystem, entryTxnId, type Entry, type TransactResult,
} from '../../src/txn/index.ts';

const accounts = { a1: { group: 'g1', initial: 10 }, a2: { group: 'g2', initial: 10 },
  a3: { group: 'g3', initial: 10 } };
const OPS = [
  [{ key: 'a1', delta: -1 }, { key: 'a2', delta: 1 }],
  [{ key: 'a2', delta: -1 }, { key: 'a1', delta: 1 }],
  [{ key: 'a1', delta: -1 }, { key: 'a2', delta: -1 }, { key: 'a3', delta: 2 }],
  [{ key: 'a3', delta: -2 }, { key: 'a1', delta: 2 }],
] as const;

const decisions = (sys: MemoryTxnSystem, id: string, groups: readonly string[]) =>
  groups.map((g) => sys.groups[g]!.replica.decisions[id]);

describe('client deadline: give up, then told or in-doubt', () => {
  it('a lost Prepare: the give-up fixes Abort, told before the deadline', () => {
    const sys = new MemoryTxnSystem({ accounts, abortMarginMs: 20, retryMs: 1000,
      recoverAfterMs: 1000, drop: (g, e) => g === 'g2' && e.type === 'Prepare' });
    const sub = sys.submit([...OPS[0]], { deadlineMs: 100, proposer: 'p1', id: 'x' });
    if (!sub.ok) throw new Error(sub.error.message);
    while (sys.nowMs < 79) sys.advance(1);
    expect(sys.result('x')).toBeUndefined();
    sys.advance(1);
    expect(sys.result('x')).toEqual({ txnId: 'x', outcome: 'aborted', decided: true });
    expect(sys.groups['g2']!.log.map((e) => e.type)).toEqual(['AbortVote', 'Abort']);
  });
  it('everything fixed before the give-up is told as it is (commit)', async () => {
    const sys = new MemoryTxnSystem({ accounts, abortMarginMs: 20 });
    const r = await sys.transact([...OPS[2]], { deadlineMs: 100 });
    expect(r.ok && r.result).toEqual({ txnId: 'tx1', outcome: 'committed', decided: true });
    expect(sys.nowMs).toBe(0);
  });
  it('an unreachable group: in-doubt at the deadline; recovery later finishes it', () => {
    let down = true;
    const sys = new MemoryTxnSystem({ accounts, abortMarginMs: 20, recoverAfterMs: 1000,
      drop: (g) => down && g === 'g3' });
    const sub = sys.submit([...OPS[2]], { deadlineMs: 100, proposer: 'p1', id: 'y' });
    if (!sub.ok) throw new Error(sub.error.message);
    while (sys.result('y') === undefined) sys.advance(1);
    expect(sys.nowMs).toBe(100);
    expect(sys.result('y')).toEqual({ txnId: 'y', outcome: 'in-doubt', decided: false });
    expect(decisions(sys, 'y', ['g1', 'g2', 'g3'])).toEqual([undefined, undefined, undefined]);
    down = false;
    for (let i = 0; i < 20; i += 1) sys.advance(10);
    expect(decisions(sys, 'y', ['g1', 'g2', 'g3'])).toEqual(['abort', 'abort', 'abort']);
    expect(sys.balance('a1') + sys.balance('a2') + sys.balance('a3')).toBe(30);
  });
});

interface Plan {
  txns: { ops: number; at: number; life: number; owner: number }[];
  dropPct: number;
  crash: { who: number; at: number } | null;
  seed: number;
}
const planArb: fc.Arbitrary<Plan> = fc.record({
  txns: fc.array(fc.record({ ops: fc.integer({ min: 0, max: 3 }),
    at: fc.integer({ min: 0, max: 60 }), life: fc.integer({ min: 5, max: 120 }),
    owner: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 4 }),
  dropPct: fc.integer({ min: 0, max: 90 }),
  crash: fc.option(fc.record({ who: fc.integer({ min: 0, max: 2 }),
    at: fc.integer({ min: 0, max: 150 }) }), { nil: null }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/** Runs a plan: returns what each client was told, the drops, and the system afterwards. */
function runPlan(plan: Plan) {
  const proposers = ['p1', 'p2', 'p3'];
  let rnd = plan.seed;
  const chance = (pct: number) => {
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    return rnd % 100 < pct;
  };
  let lossy = true;
  const drops: { txn: string; atMs: number }[] = [];
  let sys: MemoryTxnSystem | undefined;
  const drop = (_g: string, e: Entry) => {
    if (!lossy || !chance(plan.dropPct)) return false;
    drops.push({ txn: entryTxnId(e), atMs: sys!.nowMs });
    return true;
  };
  sys = new MemoryTxnSystem({ accounts, proposers, abortMarginMs: 20, recoverAfterMs: 200,
    drop });
  const subs: { id: string; owner: string; giveUpAtMs: number; deadlineMs: number }[] = [];
  let crashedAtMs: number | null = null;
  for (let now = 0; now <= 400; now += 1) {
    if (plan.crash !== null && now === plan.crash.at) {
      sys.crash(proposers[plan.crash.who]!);
      crashedAtMs = now;
    }
    plan.txns.forEach((t, i) => {
      if (t.at !== now) return;
      const owner = proposers[t.owner]!;
      const deadlineMs = now + t.life;
      const s = sys!.submit([...OPS[t.ops]!], { deadlineMs, proposer: owner, id: `t${i}` });
      if (s.ok) subs.push({ id: s.txnId, owner, giveUpAtMs: Math.max(now, deadlineMs - 20),
        deadlineMs });
    });
    sys.advance(1);
  }
  lossy = false;
  for (let i = 0; i < 100; i += 1) sys.advance(10);
  return { sys, subs, drops, crashed: plan.crash === null ? null
    : { who: proposers[plan.crash.who]!, atMs: crashedAtMs! } };
}

describe('property: told outcomes match the final decision; in-doubt needs a cause', () => {
  it('under random drops and proposer crashes', () => {
    const seen: Record<string, number> = {};
    fc.assert(fc.property(planArb, (plan) => {
      const { sys, subs, drops, crashed } = runPlan(plan);
      for (const s of subs) {
        const r: TransactResult | undefined = sys.result(s.id);
        expect(r).toBeDefined();
        seen[r!.outcome] = (seen[r!.outcome] ?? 0) + 1;
        const groups = [...new Set(sys.groups['g1']!.log.concat(sys.groups['g2']!.log,
          sys.groups['g3']!.log).filter((e) => e.type === 'Prepare' && e.txn.id === s.id)
          .flatMap((e) => (e.type === 'Prepare' ? e.txn.ops.map((o) => o.group) : [])))];
        const ds = decisions(sys, s.id, groups);
        if (r!.outcome === 'committed') {
          expect(groups.length).toBeGreaterThan(0);
          expect(ds.every((d) => d === 'commit')).toBe(true);
        }
        if (r!.outcome === 'aborted') expect(ds.every((d) => d !== 'commit')).toBe(true);
        if (groups.length > 0) expect(ds.every((d) => d === ds[0] && d !== undefined)).toBe(true);
        if (r!.outcome === 'in-doubt') {
          expect(r!.decided).toBe(false);
          const lostInWindow = drops.some((d) => d.txn === s.id &&
            d.atMs >= s.giveUpAtMs && d.atMs <= s.deadlineMs);
          const ownerDied = crashed !== null && crashed.who === s.owner &&
            crashed.atMs <= s.deadlineMs;
          expect(lostInWindow || ownerDied).toBe(true);
        } else {
          expect(r!.decided).toBe(true);
        }
      }
    }), { numRuns: 150, seed: 20261122 });
    expect(Object.keys(seen).sort()).toEqual(['aborted', 'committed', 'in-doubt']);
    console.log(`deadline property: ${JSON.stringify(seen)}`);
  }, 120_000);
});
