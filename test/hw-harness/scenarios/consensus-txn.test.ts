/**
 * The consensus-txn harness scenario: its pure parts (history audit, client ledger, layout,
 * transfers, the injected decision rule), one smoke run through `scenario.run` (member and
 * proposer processes in network namespaces, faults, WAL + history audit) that must pass, and
 * one run with MajorityCommit injected that must fail naming CommitNeedsAllVotes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Teardown } from '../../../hw-harness/host/index.ts';
import { hostsFileSchema, type ScenarioReport } from '../../../hw-harness/report.ts';
import { majorityOutcome, scenario } from '../../../hw-harness/scenarios/consensus-txn/index.ts';
import {
  ledgerCheck, serialChecks, topoOrder, type Observation,
} from '../../../hw-harness/scenarios/consensus-txn/history.ts';
import { hostOf } from '../../../hw-harness/scenarios/consensus-txn/layout.ts';
import { prng, transfer } from '../../../hw-harness/scenarios/consensus-txn/workload.ts';
import type { GroupLog } from '../../../src/consensus/node/index.ts';
import { participant, type Entry, type TxnSpec } from '../../../src/txn/index.ts';
import { killAllRoles, liveRoleCount } from '../../../src/runtime/node/index.ts';

const INITIAL = { g1: { g1a0: 10 }, g2: { g2a0: 10 } };
const t1: TxnSpec = { id: 't1', ops: [{ group: 'g1', key: 'g1a0', delta: -3 },
  { group: 'g2', key: 'g2a0', delta: 3 }] };
const t2: TxnSpec = { id: 't2', ops: [{ group: 'g1', key: 'g1a0', delta: 5 },
  { group: 'g2', key: 'g2a0', delta: -5 }] };

function groupLog(group: 'g1' | 'g2', order: readonly TxnSpec[]): GroupLog {
  const entries: Entry[] = order.flatMap((t) => [{ type: 'Prepare', txn: t } as const,
    { type: 'Commit', txnId: t.id } as const]);
  const chosen = new Map(entries.map((e, i) => [i + 1, e]));
  return { chosen, gapAt: entries.length + 1, replica: participant.replay(group, INITIAL[group], entries) };
}

const obs = (t: TxnSpec, startedAtMs: number, resolvedAtMs: number,
  outcome: Observation['outcome'] = 'committed'): Observation =>
  ({ txnId: t.id, ops: t.ops, startedAtMs, resolvedAtMs, outcome });

const byName = (checks: readonly { name: string; ok: boolean }[], name: string): boolean =>
  checks.find((c) => c.name === name)?.ok ?? false;

describe('consensus-txn history audit (pure)', () => {
  it('passes one commit order shared by both groups', () => {
    const logs = { g1: groupLog('g1', [t1, t2]), g2: groupLog('g2', [t1, t2]) };
    const checks = serialChecks(logs, INITIAL, [obs(t1, 0, 10), obs(t2, 20, 30)]);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([['Serializable', true],
      ['RealTimeOrder', true]]);
  });

  it('fails Serializable when the groups commit two transfers in opposite orders', () => {
    const logs = { g1: groupLog('g1', [t1, t2]), g2: groupLog('g2', [t2, t1]) };
    const checks = serialChecks(logs, INITIAL, []);
    expect(byName(checks, 'Serializable')).toBe(false);
    expect(checks[0]?.detail).toContain('cycle');
  });

  it('fails RealTimeOrder when a transfer told committed is ordered after a later one', () => {
    const logs = { g1: groupLog('g1', [t2, t1]), g2: groupLog('g2', [t2, t1]) };
    const checks = serialChecks(logs, INITIAL, [obs(t1, 0, 10), obs(t2, 20, 30)]);
    expect(byName(checks, 'Serializable')).toBe(true);
    expect(byName(checks, 'RealTimeOrder')).toBe(false);
  });

  it('checks final balances against the clients ledger, in-doubt transfers bounding it', () => {
    const finals = { g1a0: 7, g2a0: 13 };
    expect(ledgerCheck(finals, INITIAL, [obs(t1, 0, 1)]).ok).toBe(true);
    expect(ledgerCheck(finals, INITIAL, [obs(t1, 0, 1, 'aborted')]).ok).toBe(false);
    expect(ledgerCheck(finals, INITIAL, [obs(t1, 0, 1, 'in-doubt')]).ok).toBe(true);
    expect(ledgerCheck({ g1a0: 12, g2a0: 8 }, INITIAL, [obs(t1, 0, 1, 'in-doubt')]).ok)
      .toBe(false);
  });

  it('orders a DAG topologically and names the nodes of a cycle', () => {
    const dag = topoOrder(['a', 'b', 'c'], new Map([['a', new Set(['b'])], ['b', new Set(['c'])]]));
    expect(dag).toEqual({ ok: true, order: ['a', 'b', 'c'] });
    const cyc = topoOrder(['a', 'b', 'c'], new Map([['a', new Set(['b'])],
      ['b', new Set(['a'])]]));
    expect(cyc.ok ? [] : cyc.stuck.sort()).toEqual(['a', 'b']);
  });

  it('places proposers, victims and the other members on separate hosts', () => {
    expect(hostOf({ kind: 'proposer', id: 'p2' }, ['g1m3'])).toBe(0);
    expect(hostOf({ kind: 'member', id: 'g2m1' }, ['g1m3'])).toBe(1);
    expect(hostOf({ kind: 'member', id: 'g3m1' }, ['g1m3', 'g3m1'])).toBe(3);
  });

  it('makes transfers over distinct groups whose deltas sum to 0', () => {
    const rnd = prng(3);
    for (let i = 0; i < 200; i += 1) {
      const ops = transfer({ groups: ['g1', 'g2', 'g3'], accountsPerGroup: 4, span: 3,
        timeoutMs: 1, marginMs: 0 }, rnd);
      expect(new Set(ops.map((o) => o.group)).size).toBe(3);
      expect(ops.reduce((a, o) => a + o.delta, 0)).toBe(0);
    }
  });

  it('injects MajorityCommit: commits with 2 of 3 groups prepared', () => {
    const view = (votes: Record<string, 'prepared' | 'aborted'>) =>
      majorityOutcome({ isOwner: true, groups: ['g1', 'g2', 'g3'], votes });
    expect(view({ g1: 'prepared', g2: 'prepared', g3: 'aborted' })).toBe('commit');
    expect(view({ g1: 'prepared', g2: 'aborted', g3: 'aborted' })).toBe('abort');
  });
});

async function runScenario(inject: string | undefined): Promise<ScenarioReport> {
  const teardown = new Teardown();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cn-test-'));
  teardown.add('workdir', async () => fs.rmSync(workDir, { recursive: true, force: true }));
  try {
    return await scenario.run({ accel: 'tcg', long: false, hosts: hostsFileSchema.parse({}),
      destructive: false, inject, workDir, teardown,
      progress: (line) => process.stderr.write(`consensus-txn: ${line}\n`) });
  } finally {
    await teardown.run();
    expect(teardown.failures).toEqual([]);
  }
}

const failed = (r: ScenarioReport): string[] =>
  r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

describe('consensus-txn scenario', () => {
  afterAll(async () => {
    await killAllRoles();
  });

  it('smoke: passes every check through kills, SIGSTOP, failover and a partition', async () => {
    const r = await runScenario(undefined);
    process.stderr.write(`consensus-txn figures: ${JSON.stringify(r.figures)}\n`);
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    for (const name of ['Atomicity', 'Conservation', 'Serializable', 'PartitionCut',
      'ProposerFailover', 'DeadlineKept']) {
      expect(r.checks.find((c) => c.name === name)?.ok).toBe(true);
    }
    expect(r.figures.commitsPerS).toBeGreaterThan(0);
    expect(liveRoleCount()).toBe(0);
  }, 120_000);

  it('with MajorityCommit injected, fails CommitNeedsAllVotes', async () => {
    const r = await runScenario('MajorityCommit');
    expect(r.ok).toBe(false);
    expect(failed(r).some((f) => f.startsWith('CommitNeedsAllVotes'))).toBe(true);
  }, 120_000);
});
