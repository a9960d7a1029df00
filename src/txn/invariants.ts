/**
 * The spec's invariants as TS predicates over a cluster, named exactly as in
 * spec/consensus-txn/CrossGroupTxn.tla. Each states the same formula on the code's own fields.
 */
import { groupsOf, type TxnSpec } from './entries.ts';
import { replay } from './participant.ts';
import { groupBalances, type Cluster } from './cluster.ts';

const VOTES = new Set(['prepared', 'aborted']);
const DECS = new Set(['commit', 'abort']);

function typeOK(c: Cluster): boolean {
  const groupsOk = c.config.groups.every((g) => {
    const r = c.groups[g]?.replica;
    return r !== undefined && Object.values(r.votes).every((v) => VOTES.has(v)) &&
      Object.values(r.decisions).every((d) => DECS.has(d)) &&
      Object.values(r.balances).every((b) => Number.isSafeInteger(b)) &&
      r.applied === c.groups[g]!.log.length;
  });
  const txnsOk = c.config.txns.every((t) => {
    const o = c.owner[t.id];
    return (o === null || c.config.proposers.includes(o ?? '')) &&
      ['none', 'committed', 'aborted'].includes(c.told[t.id] ?? '');
  });
  return groupsOk && txnsOk && c.config.proposers.every((p) => typeof c.alive[p] === 'boolean');
}

const dec = (c: Cluster, g: string, t: string) => c.groups[g]?.replica.decisions[t];
const vote = (c: Cluster, g: string, t: string) => c.groups[g]?.replica.votes[t];

function atomicity(c: Cluster): boolean {
  return c.config.txns.every((t) => {
    const ds = groupsOf(t).map((g) => dec(c, g, t.id));
    return !(ds.includes('commit') && ds.includes('abort'));
  });
}

function commitNeedsAllVotes(c: Cluster): boolean {
  return c.config.txns.every((t) => !groupsOf(t).some((g) => dec(c, g, t.id) === 'commit') ||
    groupsOf(t).every((g) => vote(c, g, t.id) === 'prepared'));
}

function agreement(c: Cluster): boolean {
  return c.config.groups.every((g) => {
    const gs = c.groups[g]!;
    const again = replay(g, groupBalances(c.config, g), gs.log, c.steps.participant);
    return JSON.stringify(again) === JSON.stringify(gs.replica);
  });
}

/** Slot of Commit(t) in g's log, or -1. */
function commitSlot(c: Cluster, g: string, t: string): number {
  return c.groups[g]!.log.findIndex((e) => e.type === 'Commit' && e.txnId === t);
}

/** The precedence graph: t before u when they share an account whose group committed t first. */
export function precedence(c: Cluster): [string, string][] {
  const edges: [string, string][] = [];
  const keysOf = (t: TxnSpec) => new Map(t.ops.map((o) => [o.key, o.group]));
  for (const t of c.config.txns) {
    for (const u of c.config.txns) {
      if (t.id === u.id) continue;
      const uk = keysOf(u);
      const before = [...keysOf(t)].some(([k, g]) => {
        if (!uk.has(k)) return false;
        const [st, su] = [commitSlot(c, g, t.id), commitSlot(c, g, u.id)];
        return st >= 0 && su >= 0 && st < su;
      });
      if (before) edges.push([t.id, u.id]);
    }
  }
  return edges;
}

function serializable(c: Cluster): boolean {
  const edges = precedence(c);
  const reach = new Map<string, Set<string>>();
  for (const [a, b] of edges) reach.set(a, (reach.get(a) ?? new Set()).add(b));
  const ids = c.config.txns.map((t) => t.id);
  for (let i = 0; i < ids.length; i += 1) {
    for (const [, set] of reach) {
      for (const b of [...set]) for (const x of reach.get(b) ?? []) set.add(x);
    }
  }
  return ids.every((t) => !(reach.get(t)?.has(t) ?? false));
}

function durableCommit(c: Cluster): boolean {
  return c.config.txns.every((t) => c.told[t.id] !== 'committed' ||
    groupsOf(t).every((g) => commitSlot(c, g, t.id) >= 0 && dec(c, g, t.id) === 'commit'));
}

function abortedNeverCommits(c: Cluster): boolean {
  return c.config.txns.every((t) => c.told[t.id] !== 'aborted' ||
    groupsOf(t).every((g) => dec(c, g, t.id) !== 'commit'));
}

function conservation(c: Cluster): boolean {
  let sum = 0;
  let initial = 0;
  for (const [k, a] of Object.entries(c.config.accounts)) {
    sum += c.groups[a.group]!.replica.balances[k] ?? 0;
    initial += a.initial;
  }
  for (const t of c.config.txns) {
    if (!groupsOf(t).some((g) => dec(c, g, t.id) === 'commit')) continue;
    for (const op of t.ops) if (dec(c, op.group, t.id) === undefined) sum += op.delta;
  }
  return sum === initial;
}

export const invariants = {
  TypeOK: typeOK,
  Atomicity: atomicity,
  CommitNeedsAllVotes: commitNeedsAllVotes,
  Agreement: agreement,
  Serializable: serializable,
  DurableCommit: durableCommit,
  AbortedNeverCommits: abortedNeverCommits,
  Conservation: conservation,
} as const satisfies Record<string, (c: Cluster) => boolean>;
export type InvariantName = keyof typeof invariants;

/** The names of the invariants c violates, in the spec's order. */
export function violatedInvariants(c: Cluster): InvariantName[] {
  return (Object.keys(invariants) as InvariantName[]).filter((n) => !invariants[n](c));
}
