/**
 * consensus-txn on real infrastructure: groups of three member processes (each with its own
 * fdatasync'd WAL directory) and two proposer processes, every role in a network namespace of
 * its own host layout, driven by the node driver (src/consensus/node: TxnCluster, TxnClient,
 * auditWals). Concurrent clients make bank transfers across groups while members are
 * SIGKILLed/restarted and SIGSTOPped, a proposer is SIGKILLed mid-transaction and one member is
 * partitioned off. Afterwards a proposer drains, every process stops, and the WALs and the
 * clients' observations are audited: Atomicity, CommitNeedsAllVotes, Conservation, told
 * outcomes durable, ChosenUnique / LearnedAgree, Serializable, RealTimeOrder, the clients'
 * ledger, deadlines kept.
 *
 * `--inject MajorityCommit`: members and proposers run in this process (real TCP and WALs, on
 * loopback) with the proposers' decision rule replaced by "commit when a majority of the
 * transaction's groups voted Prepared", over three-group transfers; CommitNeedsAllVotes fails.
 */
import path from 'node:path';
import { TxnCluster } from '../../../src/consensus/node/index.ts';
import type { OutcomeFn } from '../../../src/txn/index.ts';
import { ScenarioRecorder } from '../recorder.ts';
import type { InjectableBug, Scenario, ScenarioContext } from '../types.ts';
import { runFaults, schedule, type FaultLog } from './faults.ts';
import { hostsNeeded, makeLayout, type Layout } from './layout.ts';
import { clientLoop, type Observed, type Refused, type WorkloadConfig } from './workload.ts';
import { auditRun, type RunFacts } from './checks.ts';

const TIMING = { txnRetryMs: 600, recoverAfterMs: 1_000, paxosRetryMs: 300 } as const;

/** MajorityCommit (bug 1 of the sheet): commit when more than half of t's groups prepared. */
export const majorityOutcome: OutcomeFn = (v) =>
  v.groups.filter((g) => v.votes[g] === 'prepared').length * 2 > v.groups.length
    ? 'commit' : 'abort';

const BUGS: readonly InjectableBug[] = [{
  name: 'MajorityCommit', property: 'CommitNeedsAllVotes',
  description: 'TxnCluster steps.outcome (in-process proposers) commits when a majority of the '
    + "transaction's groups, not all, voted Prepared",
}];

interface Plan {
  readonly groups: number;
  readonly accountsPerGroup: number;
  readonly clients: number;
  readonly span: number;
  readonly victims: string[];
  readonly inject: OutcomeFn | undefined;
  readonly loadMs: number;
}

function plan(ctx: ScenarioContext): Plan | string {
  if (ctx.inject !== undefined) {
    if (ctx.inject !== 'MajorityCommit') {
      return `unknown bug ${ctx.inject} (known: ${BUGS.map((b) => b.name).join(', ')})`;
    }
    return { groups: 3, accountsPerGroup: 2, clients: 6, span: 3, victims: [],
      inject: majorityOutcome, loadMs: 4_000 };
  }
  const wanted = ctx.long && ctx.hosts.networkNamespaces > 3 ? ['g1m3', 'g3m1'] : ['g1m3'];
  const victims = wanted.slice(0, Math.max(0, ctx.hosts.networkNamespaces - 2));
  return { groups: ctx.long ? 3 : 2, accountsPerGroup: 4, clients: ctx.long ? 6 : 4,
    span: 2, victims, inject: undefined, loadMs: 0 };
}

async function startCluster(ctx: ScenarioContext, p: Plan, layout: Layout | null):
  Promise<TxnCluster> {
  const dir = path.join(ctx.workDir, 'cluster');
  const base = { groups: p.groups, accountsPerGroup: p.accountsPerGroup, initialBalance: 1_000,
    dir, timing: TIMING };
  const cluster = p.inject !== undefined
    ? await TxnCluster.start({ ...base, proposers: ['p1', 'p2'], membersAs: 'inproc',
      proposersAs: 'inproc', steps: { outcome: p.inject } })
    : await TxnCluster.start({ ...base,
      ...(layout === null ? {} : { placement: layout.placement }) });
  ctx.teardown.add('consensus-txn cluster', () => cluster.stop());
  return cluster;
}

async function drive(ctx: ScenarioContext, rec: ScenarioRecorder, p: Plan,
  layout: Layout | null): Promise<void> {
  const t0 = Date.now();
  const cluster = await startCluster(ctx, p, layout);
  rec.figure('clusterStartMs', Date.now() - t0);
  ctx.progress(`cluster up: ${p.groups} groups x 3 members, 2 proposers (${Date.now() - t0} ms)`);
  const cfg: WorkloadConfig = { groups: cluster.groupIds, accountsPerGroup: p.accountsPerGroup,
    span: p.span, timeoutMs: 3_000, marginMs: 100 };
  const observed: Observed[] = [];
  const refused: Refused[] = [];
  const stop = { now: false };
  const loadStartMs = Date.now();
  const loops = Array.from({ length: p.clients }, (_, i) =>
    clientLoop(cluster.client(`c${i + 1}`), `c${i + 1}`, 17 + i, cfg, stop, observed, refused));
  let faults: FaultLog = { windows: [], failures: [], proposerKilledAtMs: null,
    proposerBackAtMs: null, cuts: [] };
  if (p.inject === undefined) {
    faults = await runFaults(cluster, layout, schedule(ctx.long, p.victims), ctx.progress);
  } else {
    await new Promise((r) => setTimeout(r, p.loadMs));
  }
  stop.now = true;
  await Promise.all(loops);
  const loadMs = Date.now() - loadStartMs;
  ctx.progress(`load done: ${observed.length} transacts in ${loadMs} ms; draining`);
  const t1 = Date.now();
  const drained = await cluster.ask('p2', { type: 'Drain', waitMs: 10_000 }, 15_000);
  rec.figure('drainMs', Date.now() - t1);
  await cluster.stop();
  ctx.progress('stopped; auditing the WALs');
  const facts: RunFacts = { observed, refused, faults, loadMs, timeoutMs: cfg.timeoutMs,
    drainUndecided: drained.ok && drained.value.type === 'Drained'
      ? drained.value.undecided : [`drain failed: ${JSON.stringify(drained)}`] };
  await auditRun(cluster, rec, facts, p.inject === undefined);
}

async function run(ctx: ScenarioContext): Promise<ReturnType<ScenarioRecorder['report']>> {
  const rec = new ScenarioRecorder('consensus-txn');
  const p = plan(ctx);
  if (typeof p === 'string') {
    rec.fail('inject', p);
    return rec.report();
  }
  try {
    let layout: Layout | null = null;
    if (p.inject === undefined && ctx.hosts.networkNamespaces < 2) {
      rec.emulated(`roles on loopback, no partition: the hosts file allows `
        + `${ctx.hosts.networkNamespaces} network namespaces (3 needed)`);
    } else if (p.inject === undefined) {
      ctx.progress(`netns: ${hostsNeeded(p.victims.length)} hosts on a bridge`);
      const made = await makeLayout(p.victims, ctx.teardown);
      if (!made.ok) {
        rec.fail('network namespaces', made.message);
        return rec.report();
      }
      layout = made.layout;
    }
    describeRun(rec, p, layout !== null);
    if (layout !== null) await tryNetem(rec, layout);
    await drive(ctx, rec, p, layout);
  } catch (e) {
    rec.fail('consensus-txn run', e);
  }
  return rec.report();
}

/** netem where the kernel has it (5 ms delay on the shared members' host), else say so. */
async function tryNetem(rec: ScenarioRecorder, layout: Layout): Promise<void> {
  const delayed = await layout.net.netem(1, { delayMs: 5 });
  if (delayed.ok) {
    rec.real('tc netem: 5 ms delay on the shared members\' host');
  } else {
    const why = delayed.error.code === 'unsupported' ? 'unsupported on this kernel (no sch_netem)'
      : `failed: ${delayed.error.message.slice(0, 160)}`;
    rec.emulated(`tc netem (delay/loss) ${why}; partitions are blackhole routes / link down `
      + 'and slowness is SIGSTOP');
  }
}

function describeRun(rec: ScenarioRecorder, p: Plan, netns: boolean): void {
  rec.real('WAL per member: group-commit appends with fdatasync, real files');
  rec.real('TCP between clients, proposers and members');
  if (p.inject !== undefined) {
    rec.emulated('bug run: members and proposers in this process (loopback), no process faults');
    return;
  }
  rec.real('member and proposer processes (SIGKILL, SIGSTOP/SIGCONT, restart)');
  if (netns) rec.real('network namespaces with veth on a bridge; partition by blackhole routes'
    + (p.groups > 2 ? ' and link down' : ''));
}

export const scenario: Scenario = {
  name: 'consensus-txn',
  summary: 'member/proposer processes with WALs in netns; bank transfers through kills, '
    + 'SIGSTOP, proposer failover and a partition; WAL + client-history audit',
  bugs: BUGS,
  run,
};
