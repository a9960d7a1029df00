/**
 * The history audit (pure): is the run serialisable, in the order the WALs fix, and do the
 * balances agree with what the clients were told?
 *
 * - Serializable: each group's chosen log orders the commits of the transactions that touch one
 *   of its accounts. Those per-account orders (edge t -> u when u commits after t on a shared
 *   account) must form an acyclic graph; a topological order is a serial order. Replaying the
 *   committed transfers in that order from the initial balances, every account's balance after
 *   each transfer must equal the group's replica balance right after that Commit was applied
 *   (and the total must stay constant after every transfer: each transfer sums to 0).
 * - RealTimeOrder: the same graph plus an edge t -> u whenever the client was told t committed
 *   before u was submitted must still be acyclic (strict serialisability as clients saw it).
 * - BalancesMatchClients: clients see outcomes, not balances. Per account, the final balance
 *   minus (initial + the deltas of transfers told committed) must be explainable by the
 *   transfers whose outcome the client never learnt (in-doubt): within the sum of their
 *   negative and positive deltas, and exactly 0 when there were none on that account.
 */
import { parseEntry, participant, type Op, type TxnSpec } from '../../../src/txn/index.ts';
import type { GroupLog } from '../../../src/consensus/node/index.ts';

export interface Observation {
  readonly txnId: string;
  readonly ops: readonly Op[];
  readonly startedAtMs: number;
  readonly resolvedAtMs: number;
  readonly outcome: 'committed' | 'aborted' | 'in-doubt';
}
export interface HistoryCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

interface Commits {
  /** txn -> group -> account balances right after its Commit was applied there */
  readonly after: Map<string, Map<string, Record<string, number>>>;
  /** account -> committed txns in commit order */
  readonly perKey: Map<string, string[]>;
  readonly specs: Map<string, TxnSpec>;
  readonly finals: Record<string, number>;
}

function commitsOf(logs: Readonly<Record<string, GroupLog>>,
  initial: Readonly<Record<string, Readonly<Record<string, number>>>>): Commits {
  const after = new Map<string, Map<string, Record<string, number>>>();
  const perKey = new Map<string, string[]>();
  const specs = new Map<string, TxnSpec>();
  const finals: Record<string, number> = {};
  for (const [g, log] of Object.entries(logs)) {
    let s = participant.initParticipant(g, { ...initial[g] });
    for (let slot = 1; slot < log.gapAt; slot += 1) {
      const parsed = parseEntry(log.chosen.get(slot));
      if (!parsed.ok) continue;
      const e = parsed.entry;
      const was = e.type === 'Commit' ? s.decisions[e.txnId] : 'n/a';
      s = participant.apply(s, e).state;
      if (e.type === 'Prepare') specs.set(e.txn.id, e.txn);
      if (e.type !== 'Commit' || was !== undefined || s.decisions[e.txnId] !== 'commit') continue;
      const byGroup = after.get(e.txnId) ?? new Map<string, Record<string, number>>();
      byGroup.set(g, { ...s.balances });
      after.set(e.txnId, byGroup);
      for (const op of s.txns[e.txnId]?.ops ?? []) {
        if (op.group !== g) continue;
        perKey.set(op.key, [...(perKey.get(op.key) ?? []), e.txnId]);
      }
    }
    Object.assign(finals, s.balances);
  }
  return { after, perKey, specs, finals };
}

/** Kahn's algorithm: a topological order, or the nodes left on a cycle. */
export function topoOrder(nodes: readonly string[], edges: ReadonlyMap<string, Set<string>>):
  { ok: true; order: string[] } | { ok: false; stuck: string[] } {
  const indeg = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const [, tos] of edges) for (const t of tos) indeg.set(t, (indeg.get(t) ?? 0) + 1);
  const ready = nodes.filter((n) => indeg.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.pop()!;
    order.push(n);
    for (const t of edges.get(n) ?? []) {
      const d = (indeg.get(t) ?? 0) - 1;
      indeg.set(t, d);
      if (d === 0) ready.push(t);
    }
  }
  if (order.length === nodes.length) return { ok: true, order };
  return { ok: false, stuck: nodes.filter((n) => (indeg.get(n) ?? 0) > 0) };
}

function addEdge(edges: Map<string, Set<string>>, from: string, to: string): void {
  if (from === to) return;
  const s = edges.get(from) ?? new Set<string>();
  s.add(to);
  edges.set(from, s);
}

function replaySerial(order: readonly string[], c: Commits,
  initial: Readonly<Record<string, Readonly<Record<string, number>>>>): string[] {
  const bal: Record<string, number> = Object.assign({}, ...Object.values(initial));
  const total = (): number => Object.values(bal).reduce((a, b) => a + b, 0);
  const start = total();
  const problems: string[] = [];
  for (const t of order) {
    const spec = c.specs.get(t);
    for (const op of spec?.ops ?? []) bal[op.key] = (bal[op.key] ?? 0) + op.delta;
    for (const op of spec?.ops ?? []) {
      const want = c.after.get(t)?.get(op.group)?.[op.key];
      if (want !== bal[op.key]) {
        problems.push(`${t}: ${op.key} is ${bal[op.key]} in the serial replay, ${want} in `
          + `${op.group}'s log after its Commit`);
      }
    }
    if (total() !== start) problems.push(`${t}: total ${total()} != ${start} after it`);
  }
  for (const [k, v] of Object.entries(c.finals)) {
    if (bal[k] !== v) problems.push(`final ${k}: serial ${bal[k]}, WAL replica ${v}`);
  }
  return problems;
}

function realTimeEdges(edges: Map<string, Set<string>>, committed: ReadonlySet<string>,
  observed: readonly Observation[]): number {
  const told = observed.filter((o) => o.outcome === 'committed' && committed.has(o.txnId))
    .sort((a, b) => a.resolvedAtMs - b.resolvedAtMs);
  const later = observed.filter((o) => committed.has(o.txnId));
  let added = 0;
  for (const u of later) {
    for (const t of told) {
      if (t.resolvedAtMs >= u.startedAtMs) break;
      addEdge(edges, t.txnId, u.txnId);
      added += 1;
    }
  }
  return added;
}

function cycleDetail(stuck: readonly string[]): string {
  return `${stuck.length} transactions on a cycle, e.g. ${stuck.slice(0, 6).join(', ')}`;
}

/** The serial order check and the real-time order check (see the module comment). */
export function serialChecks(logs: Readonly<Record<string, GroupLog>>,
  initial: Readonly<Record<string, Readonly<Record<string, number>>>>,
  observed: readonly Observation[]): HistoryCheck[] {
  const c = commitsOf(logs, initial);
  const committed = [...c.after.keys()].filter((t) => {
    const spec = c.specs.get(t);
    return spec !== undefined && spec.ops.every((op) => c.after.get(t)?.has(op.group));
  });
  const edges = new Map<string, Set<string>>();
  for (const ts of c.perKey.values()) {
    for (let i = 1; i < ts.length; i += 1) addEdge(edges, ts[i - 1]!, ts[i]!);
  }
  const serial = topoOrder(committed, edges);
  const serialCheck: HistoryCheck = serial.ok
    ? ((problems) => ({ name: 'Serializable', ok: problems.length === 0,
      detail: problems.length === 0
        ? `${committed.length} committed transfers replayed in one serial order consistent `
          + `with every group's log; every balance matched after each commit`
        : `${problems.length}: ${problems.slice(0, 3).join('; ')}` }))(
      replaySerial(serial.order, c, initial))
    : { name: 'Serializable', ok: false, detail: `the groups' commit orders conflict: `
      + cycleDetail(serial.stuck) };
  const rtAdded = realTimeEdges(edges, new Set(committed), observed);
  const strict = topoOrder(committed, edges);
  const rtCheck: HistoryCheck = { name: 'RealTimeOrder', ok: strict.ok,
    detail: strict.ok ? `log order + ${rtAdded} client-observed precedences stay acyclic`
      : `a transfer told committed is ordered after one submitted later: `
        + cycleDetail(strict.stuck) };
  return [serialCheck, rtCheck];
}

/** Final balances against the clients' ledger (see the module comment). */
export function ledgerCheck(finals: Readonly<Record<string, number>>,
  initial: Readonly<Record<string, Readonly<Record<string, number>>>>,
  observed: readonly Observation[]): HistoryCheck {
  const base: Record<string, number> = Object.assign({}, ...Object.values(initial));
  const lo: Record<string, number> = {};
  const hi: Record<string, number> = {};
  for (const o of observed) {
    for (const op of o.ops) {
      if (o.outcome === 'committed') base[op.key] = (base[op.key] ?? 0) + op.delta;
      if (o.outcome !== 'in-doubt') continue;
      if (op.delta < 0) lo[op.key] = (lo[op.key] ?? 0) + op.delta;
      else hi[op.key] = (hi[op.key] ?? 0) + op.delta;
    }
  }
  const problems: string[] = [];
  for (const [k, v] of Object.entries(finals)) {
    const diff = v - (base[k] ?? 0);
    if (diff < (lo[k] ?? 0) || diff > (hi[k] ?? 0)) {
      problems.push(`${k}: final ${v}, told-committed ledger ${base[k]}, in-doubt range `
        + `[${lo[k] ?? 0}, ${hi[k] ?? 0}]`);
    }
  }
  const inDoubt = observed.filter((o) => o.outcome === 'in-doubt').length;
  return { name: 'BalancesMatchClients', ok: problems.length === 0,
    detail: problems.length === 0
      ? `${Object.keys(finals).length} accounts match the clients' ledger `
        + `(${inDoubt} in-doubt transfers bounded)`
      : `${problems.length}: ${problems.slice(0, 3).join('; ')}` };
}
