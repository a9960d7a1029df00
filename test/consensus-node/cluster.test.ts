/**
 * Two groups × three member processes (each with its own WAL directory) and two proposer
 * processes on loopback. Concurrent clients run bank transfers across the groups while the
 * test SIGKILLs and restarts members and a proposer mid-transaction. Afterwards a proposer
 * drains (finishes every transaction it knows), every process is stopped, and the WAL auditor
 * rebuilds each group's chosen log from the WALs alone and checks Atomicity, Conservation,
 * that every outcome a client was told is what the WALs hold, and that no two members hold
 * different chosen entries at a slot. Every `transact` must resolve before its deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAllRoles, liveRoleCount } from '../../src/runtime/node/index.ts';
import { Prng } from '../../src/runtime/sim/index.ts';
import { TxnCluster, type TransactResult, type TxnClient } from '../../src/consensus/node/index.ts';

const ACCOUNTS = 4;
const TIMEOUT_MS = 3_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Test-side randomness (which accounts, how much): the simulator's seeded PRNG. */
function prng(seed: number): () => number {
  const rng = new Prng(seed);
  return () => rng.float();
}

interface Observed { result: TransactResult; elapsedMs: number; startedAtMs: number }

async function clientLoop(client: TxnClient, seed: number, stop: { now: boolean },
  out: Observed[]): Promise<void> {
  const rnd = prng(seed);
  while (!stop.now) {
    const from = `g1a${Math.floor(rnd() * ACCOUNTS)}`;
    const to = `g2a${Math.floor(rnd() * ACCOUNTS)}`;
    const amount = 1 + Math.floor(rnd() * 9);
    const sign = rnd() < 0.5 ? 1 : -1;
    const startedAtMs = Date.now();
    const r = await client.transact([
      { group: 'g1', key: from, delta: -sign * amount },
      { group: 'g2', key: to, delta: sign * amount },
    ], { timeoutMs: TIMEOUT_MS, marginMs: 100 });
    if (!r.ok) throw new Error(`transact refused: ${r.error.message}`);
    out.push({ result: r.value, elapsedMs: Date.now() - startedAtMs, startedAtMs });
  }
}

describe('consensus-txn over member and proposer processes', () => {
  afterAll(async () => {
    await killAllRoles();
  });

  it('keeps atomicity and conservation through SIGKILLs of members and a proposer', async () => {
    const t0 = Date.now();
    const cluster = await TxnCluster.start({
      groups: 2, accountsPerGroup: ACCOUNTS, initialBalance: 1_000,
      timing: { txnRetryMs: 600, recoverAfterMs: 2_000, paxosRetryMs: 300 },
    });
    const startedMs = Date.now() - t0;
    const observed: Observed[] = [];
    const stop = { now: false };
    const clients = [1, 2, 3, 4].map((i) => cluster.client(`c${i}`));
    const loops = clients.map((c, i) => clientLoop(c, 17 + i, stop, observed));
    const m = (id: string) => cluster.members.get(id)!;
    const p1 = cluster.proposers.get('p1')!;
    await sleep(1_000);
    await m('g1m1').kill();
    await sleep(1_200);
    await m('g1m1').restart();
    await sleep(300);
    const killedP1AtMs = Date.now();
    await p1.kill();
    await sleep(1_200);
    await p1.restart();
    await m('g2m3').kill();
    await sleep(1_000);
    await m('g2m3').restart();
    await m('g2m1').kill();
    await sleep(1_000);
    await m('g2m1').restart();
    await sleep(800);
    stop.now = true;
    await Promise.all(loops);

    const t1 = Date.now();
    const drained = await cluster.ask('p2', { type: 'Drain', waitMs: 10_000 }, 15_000);
    expect(drained.ok && drained.value.type === 'Drained' && drained.value.undecided)
      .toEqual([]);
    const drainMs = Date.now() - t1;
    await cluster.stop();
    expect(liveRoleCount()).toBe(0);

    const told = observed.map((o) => o.result);
    const report = await cluster.audit(told);
    const late = observed.filter((o) => o.elapsedMs >= TIMEOUT_MS).map((o) => o.elapsedMs);
    const undecidedAtClient = observed.filter((o) => !o.result.decided).length;
    process.stderr.write(`cn timing: start ${startedMs} ms, drain ${drainMs} ms, late ${late}, `
      + `not decided at client ${undecidedAtClient}\n`);
    const failed = report.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    // Every transact resolved before its deadline.
    expect(observed.every((o) => o.elapsedMs < TIMEOUT_MS)).toBe(true);
    const committed = told.filter((r) => r.outcome === 'committed').length;
    expect(committed).toBeGreaterThan(5);
    // Transactions committed after the proposer was killed (the other one took over).
    expect(observed.some((o) => o.startedAtMs > killedP1AtMs + 200 &&
      o.result.outcome === 'committed')).toBe(true);
    // The proposer was killed mid-transaction: some transact spanned the kill.
    expect(observed.some((o) => o.startedAtMs < killedP1AtMs &&
      o.startedAtMs + o.elapsedMs > killedP1AtMs)).toBe(true);
    // Nothing pending in the logs after the drain.
    expect(report.figures.undecided).toBe(0);
    expect(report.figures.committed).toBeGreaterThanOrEqual(committed);
    process.stderr.write(`cn cluster: ${observed.length} transacts, ${committed} told committed, `
      + `${JSON.stringify(report.figures)}\n`);
    cluster.removeDir();
  });
});
