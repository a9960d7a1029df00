/**
 * After the run: the WAL audit (src/consensus/node auditWals), the history audit (history.ts)
 * and the run's own checks (deadlines, drain, failover, liveness under each fault, the
 * partition really cut), recorded with the figures.
 */
import type { TxnCluster } from '../../../src/consensus/node/index.ts';
import type { ScenarioRecorder } from '../recorder.ts';
import type { FaultLog } from './faults.ts';
import { ledgerCheck, serialChecks } from './history.ts';
import { percentile, type Observed, type Refused } from './workload.ts';

export interface RunFacts {
  readonly observed: readonly Observed[];
  readonly refused: readonly Refused[];
  readonly faults: FaultLog;
  readonly loadMs: number;
  readonly timeoutMs: number;
  readonly drainUndecided: readonly string[];
}

export async function auditRun(cluster: TxnCluster, rec: ScenarioRecorder, facts: RunFacts,
  withFaults: boolean): Promise<void> {
  const told = facts.observed.map((o) => ({ txnId: o.txnId, outcome: o.outcome,
    decided: o.outcome !== 'in-doubt' }));
  const audit = await cluster.audit(told);
  for (const c of audit.checks) rec.check(c.name, c.ok, `WAL audit: ${c.detail}`);
  const initial = cluster.balances;
  for (const c of serialChecks(audit.logs, initial, facts.observed)) {
    rec.check(c.name, c.ok, c.detail);
  }
  const finals: Record<string, number> = Object.assign({},
    ...Object.values(audit.logs).map((l) => l.replica.balances));
  const ledger = ledgerCheck(finals, initial, facts.observed);
  rec.check(ledger.name, ledger.ok, ledger.detail);
  runChecks(rec, facts, audit.figures);
  if (withFaults) faultChecks(rec, facts);
  figures(rec, facts, audit.figures);
}

function runChecks(rec: ScenarioRecorder, facts: RunFacts, walFigures: Record<string, number>):
  void {
  const late = facts.observed.filter((o) => o.elapsedMs >= facts.timeoutMs);
  const inDoubt = facts.observed.filter((o) => o.outcome === 'in-doubt').length;
  rec.check('DeadlineKept', late.length === 0 && facts.refused.length === 0,
    `${facts.observed.length} transacts, ${late.length} resolved at/after the ${facts.timeoutMs}`
    + ` ms deadline (${late.slice(0, 3).map((o) => `${o.txnId} ${o.elapsedMs} ms`)}), `
    + `${inDoubt} in-doubt, ${facts.refused.length} refused `
    + `${facts.refused.slice(0, 2).map((r) => `${r.txnId}: ${r.message}`)}`);
  const committed = facts.observed.filter((o) => o.outcome === 'committed').length;
  rec.check('CommitsMade', committed > 5,
    `${committed} transfers told committed of ${facts.observed.length}`);
  const undecided = walFigures.undecided ?? -1;
  rec.check('Drained', facts.drainUndecided.length === 0 && undecided === 0,
    `drain left ${facts.drainUndecided.length} undecided `
    + `(${facts.drainUndecided.slice(0, 3)}); the WALs hold ${undecided} undecided`);
}

function commitsIn(observed: readonly Observed[], fromMs: number, toMs: number): number {
  return observed.filter((o) => o.outcome === 'committed' && o.resolvedAtMs > fromMs
    && o.resolvedAtMs <= toMs).length;
}

function faultChecks(rec: ScenarioRecorder, facts: RunFacts): void {
  const f = facts.faults;
  rec.check('FaultsApplied', f.failures.length === 0 && f.windows.length > 0,
    f.failures.length === 0 ? `${f.windows.map((w) => w.name).join(', ')}`
      : f.failures.slice(0, 3).join('; '));
  const dead = f.windows.filter((w) => commitsIn(facts.observed, w.fromMs, w.toMs) === 0);
  rec.check('LiveUnderFaults', dead.length === 0, f.windows.map((w) =>
    `${w.name}: ${commitsIn(facts.observed, w.fromMs, w.toMs)} commits in `
    + `${w.toMs - w.fromMs} ms`).join('; '));
  const cutOk = f.cuts.length > 0 && f.cuts.every((c) => !c.during && c.after);
  rec.check('PartitionCut', cutOk, f.cuts.length === 0
    ? 'no partition ran (it needs 3 network namespaces; see the hosts file)'
    : f.cuts.map((c) => `${c.member}: reachable from the proposers' host during the cut `
      + `${c.during}, after healing ${c.after}`).join('; '));
  const k = f.proposerKilledAtMs;
  const spanned = k !== null && facts.observed.some((o) => o.startedAtMs < k
    && o.resolvedAtMs > k);
  const ms = failoverMs(facts);
  rec.check('ProposerFailover', spanned && ms !== null,
    `transacts in flight at the proposer kill: ${spanned}; first commit of a transfer begun `
    + `after the kill and told before the killed proposer restarted (so through the other `
    + `one): ${ms === null ? 'none' : `${ms} ms after the kill`}`);
}

/** Proposer kill -> first commit of a transfer begun after it, told while it was still down. */
export function failoverMs(facts: RunFacts): number | null {
  const k = facts.faults.proposerKilledAtMs;
  const back = facts.faults.proposerBackAtMs ?? Number.POSITIVE_INFINITY;
  if (k === null) return null;
  const first = facts.observed.filter((o) => o.outcome === 'committed' && o.startedAtMs >= k
    && o.resolvedAtMs < back).reduce((m, o) => Math.min(m, o.resolvedAtMs),
  Number.POSITIVE_INFINITY);
  return Number.isFinite(first) ? first - k : null;
}

function figures(rec: ScenarioRecorder, facts: RunFacts, wal: Record<string, number>): void {
  const s = Math.max(facts.loadMs, 1) / 1000;
  const committed = facts.observed.filter((o) => o.outcome === 'committed');
  const aborted = facts.observed.filter((o) => o.outcome === 'aborted');
  const lat = committed.map((o) => o.elapsedMs);
  rec.figure('transacts', facts.observed.length);
  rec.figure('commitsPerS', committed.length / s);
  rec.figure('abortsPerS', aborted.length / s);
  rec.figure('commitLatencyMsP50', percentile(lat, 50));
  rec.figure('commitLatencyMsP99', percentile(lat, 99));
  rec.figure('inDoubt', facts.observed.length - committed.length - aborted.length);
  const ms = failoverMs(facts);
  if (ms !== null) rec.figure('failoverMs', ms);
  for (const name of ['walRecords', 'committed', 'aborted', 'undecided'] as const) {
    if (wal[name] !== undefined) rec.figure(`${name}InWals`, wal[name]);
  }
}
