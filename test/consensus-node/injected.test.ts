/**
 * Bug injection from the test side: the same contended transfer workload over real TCP and
 * WALs (members and proposer in this process) runs once with the real core steps, where the
 * WAL audit passes, and once with the decision rule replaced by "commit if any group voted
 * Prepared" (the sheet's MajorityCommit bug), where the audit must report
 * CommitNeedsAllVotes.
 */
import { describe, expect, it } from 'vitest';
import { TxnCluster, type TransactResult } from '../../src/consensus/node/index.ts';
import type { OutcomeFn } from '../../src/txn/index.ts';

const anyPrepared: OutcomeFn = (v) =>
  v.groups.some((g) => v.votes[g] === 'prepared') ? 'commit' : 'abort';

async function contended(outcome?: OutcomeFn): Promise<{ failed: string[]; told: number }> {
  const cluster = await TxnCluster.start({
    groups: 2, accountsPerGroup: 2, initialBalance: 100, proposers: ['p1'],
    membersAs: 'inproc', proposersAs: 'inproc',
    ...(outcome === undefined ? {} : { steps: { outcome } }),
  });
  const told: TransactResult[] = [];
  const endMs = Date.now() + 2_000;
  await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => {
    const c = cluster.client(`c${i}`);
    for (let n = 0; Date.now() < endMs; n += 1) {
      const r = await c.transact([
        { group: 'g1', key: `g1a${(i + n) % 2}`, delta: -1 },
        { group: 'g2', key: `g2a${n % 2}`, delta: 1 },
      ], { timeoutMs: 3_000 });
      if (r.ok) told.push(r.value);
    }
  }));
  await cluster.stop();
  const report = await cluster.audit(told);
  cluster.removeDir();
  return { failed: report.checks.filter((c) => !c.ok).map((c) => c.name), told: told.length };
}

describe('WAL audit with injected core steps', () => {
  it('passes with the real decision rule', async () => {
    const r = await contended();
    expect(r.told).toBeGreaterThan(5);
    expect(r.failed).toEqual([]);
  });

  it('reports CommitNeedsAllVotes when the decision rule commits on any Prepared', async () => {
    const r = await contended(anyPrepared);
    expect(r.failed).toContain('CommitNeedsAllVotes');
  });
});
