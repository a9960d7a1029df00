/**
 * The fault schedule, run while the clients transfer: SIGKILL/restart of members, SIGKILL of a
 * proposer mid-transaction (the other one takes over; restarted later), SIGSTOP/SIGCONT of a
 * member, and a partition cutting one member's network namespace off (blackhole routes; in
 * long runs also a link down), then healed. Each fault is a time window the audit looks at.
 */
import { sleepMs } from '../../run.ts';
import type { TxnCluster } from '../../../src/consensus/node/index.ts';
import { isolate, reachable, type Layout } from './layout.ts';

export interface FaultWindow {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
}
export interface FaultLog {
  readonly windows: FaultWindow[];
  readonly failures: string[];
  /** When the first proposer was SIGKILLed (failover is measured from here). */
  proposerKilledAtMs: number | null;
  /** When that proposer was started again (until then the other one serves alone). */
  proposerBackAtMs: number | null;
  /** Reachability of each partitioned member from the proposers' host: during, after heal. */
  readonly cuts: { member: string; during: boolean; after: boolean }[];
}

type Step = (cluster: TxnCluster, layout: Layout | null, log: FaultLog) => Promise<void>;

async function window(log: FaultLog, name: string, body: () => Promise<void>): Promise<void> {
  const fromMs = Date.now();
  try {
    await body();
  } catch (e) {
    log.failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  log.windows.push({ name, fromMs, toMs: Date.now() });
}

function killMember(id: string, downMs: number): Step {
  return (cluster, _layout, log) => window(log, `SIGKILL ${id}`, async () => {
    const m = cluster.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    await m.kill();
    await sleepMs(downMs);
    await m.restart();
  });
}

function killProposer(id: string, downMs: number): Step {
  return (cluster, _layout, log) => window(log, `SIGKILL ${id}`, async () => {
    const p = cluster.proposers.get(id);
    if (p === undefined) throw new Error(`no proposer ${id}`);
    const first = log.proposerKilledAtMs === null;
    if (first) log.proposerKilledAtMs = Date.now();
    await p.kill();
    await sleepMs(downMs);
    if (first) log.proposerBackAtMs = Date.now();
    await p.restart();
  });
}

function stopMember(id: string, stoppedMs: number): Step {
  return (cluster, _layout, log) => window(log, `SIGSTOP ${id}`, async () => {
    const m = cluster.members.get(id);
    if (m?.pause === undefined || m.resume === undefined) throw new Error(`${id} cannot pause`);
    m.pause();
    await sleepMs(stoppedMs);
    m.resume();
  });
}

function partition(id: string, cutMs: number, how: 'blackhole' | 'link-down'): Step {
  return (cluster, layout, log) => window(log, `partition ${id} (${how})`, async () => {
    const host = layout?.victims.get(id);
    const port = cluster.members.get(id)?.port;
    if (layout === null || host === undefined || port === undefined) {
      throw new Error(`${id} has no network namespace of its own`);
    }
    const cut = how === 'blackhole' ? await isolate(layout.net, host)
      : await layout.net.setLink(host, false).then((r) => (r.ok ? null : r.error.message));
    if (cut !== null) throw new Error(cut);
    const during = await reachable(layout.net, 0, host, port);
    await sleepMs(cutMs);
    const healed = how === 'blackhole' ? await layout.net.heal()
      : await layout.net.setLink(host, true);
    if (!healed.ok) throw new Error(healed.error.message);
    const after = await reachable(layout.net, 0, host, port);
    log.cuts.push({ member: id, during, after });
  });
}

const pause = (ms: number): Step => () => sleepMs(ms);

/** The schedule: smoke (~10 s of faults) or long (three rounds, three groups). */
export function schedule(long: boolean, victims: readonly string[]): Step[] {
  const round = (g: string, p: string, victim: string | undefined,
    how: 'blackhole' | 'link-down'): Step[] => [
    killMember(`${g}m1`, 1_200), pause(300),
    killProposer(p, 1_500), pause(300),
    stopMember(`${g === 'g1' ? 'g2' : 'g1'}m2`, 1_500), pause(300),
    ...(victim === undefined ? [] : [partition(victim, 2_000, how), pause(300)]),
  ];
  if (!long) return [pause(1_000), ...round('g1', 'p1', victims[0], 'blackhole'), pause(800)];
  return [pause(1_500), ...round('g1', 'p1', victims[0], 'blackhole'),
    ...round('g3', 'p2', victims[1] ?? victims[0], 'link-down'),
    ...round('g2', 'p1', victims[0], 'blackhole'), pause(1_500)];
}

export async function runFaults(cluster: TxnCluster, layout: Layout | null, steps: Step[],
  progress: (line: string) => void): Promise<FaultLog> {
  const log: FaultLog = { windows: [], failures: [], proposerKilledAtMs: null,
    proposerBackAtMs: null, cuts: [] };
  for (const step of steps) {
    const before = log.windows.length;
    await step(cluster, layout, log);
    const w = log.windows[before];
    if (w !== undefined) progress(`fault: ${w.name} (${w.toMs - w.fromMs} ms)`);
  }
  return log;
}
