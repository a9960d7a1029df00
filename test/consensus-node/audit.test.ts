/**
 * The WAL auditor on hand-made WAL directories: a clean history passes; each check fails on
 * the history it exists to catch (two values chosen in a slot, a member that learned an entry
 * not chosen, commit in one group and abort in another, a client told committed where only a
 * minority accepted the Commit).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditWals, openMemberWal, type AuditGroup } from '../../src/consensus/node/index.ts';
import type { MemberWalRecord } from '../../src/consensus/node/wire.ts';
import type { Entry } from '../../src/txn/entries.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

type Acc = { slot: number; entry: Entry | { type: 'Noop' }; by: number[]; round?: number };

async function build(spec: Record<string, { accepts: Acc[]; learned?: Record<number,
  { slot: number; value: unknown }[]> }>): Promise<Record<string, AuditGroup>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cn-audit-'));
  dirs.push(root);
  const out: Record<string, AuditGroup> = {};
  for (const [g, s] of Object.entries(spec)) {
    const members: Record<string, string> = {};
    for (const mi of [1, 2, 3]) {
      const dir = path.join(root, `${g}m${mi}`);
      members[`${g}m${mi}`] = dir;
      const opened = await openMemberWal(dir);
      if (!opened.ok) throw new Error(opened.error.message);
      for (const a of s.accepts.filter((x) => x.by.includes(mi))) {
        const rec: MemberWalRecord = { kind: 'accept', slot: a.slot,
          ballot: { round: a.round ?? 0, proposer: 'p1' }, value: a.entry };
        await opened.value.log.append(rec);
      }
      for (const l of s.learned?.[mi] ?? []) {
        await opened.value.log.append({ kind: 'chosen', slot: l.slot, value: l.value as Entry });
      }
      await opened.value.log.close();
    }
    out[g] = { members, balances: { [`${g}a`]: 100 } };
  }
  return out;
}

const txn = { id: 't1', ops: [{ group: 'g1', key: 'g1a', delta: -5 },
  { group: 'g2', key: 'g2a', delta: 5 }] };
const prepare: Entry = { type: 'Prepare', txn };
const all = [1, 2, 3];
const failing = (r: { checks: { name: string; ok: boolean }[] }) =>
  r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('auditWals', () => {
  it('passes a clean committed transfer and counts it', async () => {
    const groups = await build({
      g1: { accepts: [{ slot: 1, entry: prepare, by: all },
        { slot: 2, entry: { type: 'Commit', txnId: 't1' }, by: [1, 2] }],
      learned: { 1: [{ slot: 1, value: prepare }] } },
      g2: { accepts: [{ slot: 1, entry: { type: 'Noop' }, by: [2, 3] },
        { slot: 2, entry: prepare, by: all }, { slot: 3, entry: { type: 'Commit', txnId: 't1' },
          by: [1, 3] }] },
    });
    const r = await auditWals(groups, [{ txnId: 't1', outcome: 'committed', decided: true }]);
    expect(failing(r)).toEqual([]);
    expect(r.figures.committed).toBe(1);
    expect(r.logs.g1!.replica.balances).toEqual({ g1a: 95 });
    expect(r.logs.g2!.replica.balances).toEqual({ g2a: 105 });
  });

  it('catches commit in one group and abort in the other', async () => {
    const groups = await build({
      g1: { accepts: [{ slot: 1, entry: prepare, by: all },
        { slot: 2, entry: { type: 'Commit', txnId: 't1' }, by: all }] },
      g2: { accepts: [{ slot: 1, entry: prepare, by: all },
        { slot: 2, entry: { type: 'Abort', txnId: 't1' }, by: all }] },
    });
    const r = await auditWals(groups, []);
    expect(failing(r)).toEqual(['Atomicity', 'Conservation']);
  });

  it('catches a told commit that only a minority accepted', async () => {
    const groups = await build({
      g1: { accepts: [{ slot: 1, entry: prepare, by: all },
        { slot: 2, entry: { type: 'Commit', txnId: 't1' }, by: all }] },
      g2: { accepts: [{ slot: 1, entry: prepare, by: all },
        { slot: 2, entry: { type: 'Commit', txnId: 't1' }, by: [3] }] },
    });
    const r = await auditWals(groups, [{ txnId: 't1', outcome: 'committed', decided: true }]);
    expect(failing(r)).toEqual(['Conservation', 'ToldOutcomesDurable']);
  });

  it('catches two values chosen at a slot and a member that learned another', async () => {
    const groups = await build({
      g1: { accepts: [{ slot: 1, entry: prepare, by: [1, 2], round: 0 },
        { slot: 1, entry: { type: 'AbortVote', txnId: 't1' }, by: [2, 3], round: 1 }],
      learned: { 3: [{ slot: 1, value: { type: 'Abort', txnId: 't1' } }] } },
      g2: { accepts: [] },
    });
    const r = await auditWals(groups, []);
    expect(failing(r)).toEqual(['ChosenUnique', 'LearnedAgree']);
  });
});
