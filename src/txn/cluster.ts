/**
 * A pure, deterministic composition of groups (abstract consensus: a chosen log per group and
 * its replica), proposers and clients, mirroring spec/consensus-txn/CrossGroupTxn.tla action
 * by action: Begin, Prepare, AbortVote, Decide, Tell, Crash. Random walks, graph replay and
 * trace validation drive the real cores through it. `steps` holds the replaceable core steps
 * (the participant's apply steps and the proposers' decision rule) for bug injection.
 */
import { entryTxnId, groupsOf, type Entry, type TxnSpec } from './entries.ts';
import {
  apply, initParticipant, participantSteps, type ParticipantState, type ParticipantSteps,
} from './participant.ts';
import {
  allPreparedOutcome, applied, begin, initProposer, wanted, type OutcomeFn, type ProposerState,
} from './proposer.ts';
import { recover } from './recovery.ts';
import type { Outcome, ProposerEffect } from './messages.ts';

export interface AccountConfig {
  readonly group: string;
  readonly initial: number;
}
export interface ClusterConfig {
  readonly groups: readonly string[];
  readonly proposers: readonly string[];
  readonly accounts: Readonly<Record<string, AccountConfig>>;
  readonly txns: readonly TxnSpec[];
}
export interface ClusterSteps {
  readonly participant: ParticipantSteps;
  readonly outcome: OutcomeFn;
}
export const defaultSteps: ClusterSteps =
  { participant: participantSteps, outcome: allPreparedOutcome };

export interface GroupState {
  readonly log: readonly Entry[];
  readonly replica: ParticipantState;
}
export type Told = 'none' | Outcome;
export interface Cluster {
  readonly config: ClusterConfig;
  readonly steps: ClusterSteps;
  readonly groups: Readonly<Record<string, GroupState>>;
  readonly proposers: Readonly<Record<string, ProposerState>>;
  readonly alive: Readonly<Record<string, boolean>>;
  readonly owner: Readonly<Record<string, string | null>>;
  readonly told: Readonly<Record<string, Told>>;
  /** The network's Prepare proposals (key `txn|group` -> sender): a sent proposal may be
   * chosen later, after its sender crashed or gave up (the spec's Prepare has no alive[p]). */
  readonly sent: Readonly<Record<string, string>>;
  /** Outcome effects the owners emitted, not yet delivered to the clients. */
  readonly outbox: Readonly<Record<string, Outcome>>;
  /** Logical time: the number of actions taken (the driver's clock). */
  readonly nowMs: number;
}

type P = { p: string; t: string };
type PG = { p: string; t: string; g: string };
export type ClusterAction =
  | { action: 'Begin'; params: P; label: string }
  | { action: 'Prepare'; params: PG; label: string }
  | { action: 'AbortVote'; params: PG; label: string }
  | { action: 'Decide'; params: PG; label: string }
  | { action: 'Tell'; params: P; label: string }
  | { action: 'Crash'; params: { p: string }; label: string };
export type ActionName = ClusterAction['action'];
export const ACTION_NAMES: readonly ActionName[] =
  ['Begin', 'Prepare', 'AbortVote', 'Decide', 'Tell', 'Crash'];

const PROPOSER_TIMEOUTS = { retryMs: 1_000_000, recoverAfterMs: 1_000_000 };

function byId<T>(ids: readonly string[], f: (id: string) => T): Record<string, T> {
  return Object.fromEntries(ids.map((id) => [id, f(id)]));
}
function get<T>(rec: Readonly<Record<string, T>>, id: string): T {
  const v = rec[id];
  if (v === undefined) throw new Error(`assertion: unknown id ${id}`);
  return v;
}

/** The initial balances of the accounts group g stores. */
export function groupBalances(config: ClusterConfig, g: string): Record<string, number> {
  return Object.fromEntries(Object.entries(config.accounts)
    .filter(([, a]) => a.group === g).map(([k, a]) => [k, a.initial]));
}

export function txnSpec(c: Cluster, t: string): TxnSpec {
  const spec = c.config.txns.find((x) => x.id === t);
  if (spec === undefined) throw new Error(`assertion: unknown txn ${t}`);
  return spec;
}

function newProposer(c: { steps: ClusterSteps }, id: string): ProposerState {
  return initProposer({ id, ...PROPOSER_TIMEOUTS, outcome: c.steps.outcome });
}

export function initCluster(config: ClusterConfig, steps: ClusterSteps = defaultSteps): Cluster {
  for (const t of config.txns) {
    for (const op of t.ops) {
      if (config.accounts[op.key]?.group !== op.group) throw new Error(`assertion: ${op.key}`);
    }
  }
  const txnIds = config.txns.map((t) => t.id);
  return {
    config, steps,
    groups: byId(config.groups, (g) =>
      ({ log: [], replica: initParticipant(g, groupBalances(config, g)) })),
    proposers: byId(config.proposers, (p) => newProposer({ steps }, p)),
    alive: byId(config.proposers, () => true),
    owner: byId(txnIds, () => null),
    told: byId(txnIds, () => 'none' as Told),
    sent: {},
    outbox: {},
    nowMs: 0,
  };
}

/** Some group chose Prepare(t): any proposer can learn t and finish it (the spec's Known). */
export function known(c: Cluster, t: string): boolean {
  return Object.values(c.groups).some((g) =>
    g.log.some((e) => e.type === 'Prepare' && e.txn.id === t));
}

const sentKey = (t: string, g: string): string => `${t}|${g}`;

/** Prepare(p, t, g): g chooses the Prepare(t) p sent it, while g has no vote for t (p alive
 * or not, given up or not: the proposal is in the network). */
function prepareActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = [];
  for (const t of c.config.txns) {
    for (const g of groupsOf(t)) {
      const p = c.sent[sentKey(t.id, g)];
      if (p === undefined || get(c.groups, g).replica.votes[t.id] !== undefined) continue;
      const params = { p, t: t.id, g };
      out.push({ action: 'Prepare', params, label: `Prepare(${p}, ${t.id}, ${g})` });
    }
  }
  return out;
}

/** Records the Prepare proposals among `effects`, sent by p. */
function recordSent(c: Cluster, p: string, effects: readonly ProposerEffect[]): Cluster {
  const sent = { ...c.sent };
  for (const e of effects) {
    if (e.type !== 'propose' || e.entry.type !== 'Prepare') continue;
    sent[sentKey(e.entry.txn.id, e.group)] = p;
  }
  return { ...c, sent };
}

function pgActions(c: Cluster, p: string, t: string): ClusterAction[] {
  const out: ClusterAction[] = [];
  const ps = get(c.proposers, p);
  const v = ps.txns[t];
  for (const g of groupsOf(txnSpec(c, t))) {
    const params = { p, t, g };
    if (v !== undefined && known(c, t) && v.votes[g] === undefined) {
      out.push({ action: 'AbortVote', params, label: `AbortVote(${p}, ${t}, ${g})` });
    }
    if (v !== undefined && v.outcome !== null && v.decisions[g] === undefined) {
      out.push({ action: 'Decide', params, label: `Decide(${p}, ${t}, ${g})` });
    }
  }
  return out;
}

/** The actions the spec enables in c, evaluated on the cores' own state. */
export function enabledActions(c: Cluster): ClusterAction[] {
  const out: ClusterAction[] = prepareActions(c);
  const alive = c.config.proposers.filter((p) => c.alive[p]);
  for (const p of alive) {
    for (const t of c.config.txns.map((x) => x.id)) {
      if (c.owner[t] === null) {
        out.push({ action: 'Begin', params: { p, t }, label: `Begin(${p}, ${t})` });
      }
      out.push(...pgActions(c, p, t));
      if (c.owner[t] === p && c.told[t] === 'none' && c.outbox[t] !== undefined) {
        out.push({ action: 'Tell', params: { p, t }, label: `Tell(${p}, ${t})` });
      }
    }
    if (alive.length > 1) out.push({ action: 'Crash', params: { p }, label: `Crash(${p})` });
  }
  return out;
}

function collectOutcomes(
  outbox: Record<string, Outcome>, effects: readonly ProposerEffect[],
): void {
  for (const e of effects) if (e.type === 'outcome') outbox[e.txnId] = e.outcome;
}

/** Group g chooses e in its next slot; its replica applies it; every live proposer learns it. */
function choose(c: Cluster, g: string, e: Entry): Cluster {
  const gs = get(c.groups, g);
  const { state: replica, result } = apply(gs.replica, e, c.steps.participant);
  const proposers = { ...c.proposers };
  const outbox = { ...c.outbox };
  let next: Cluster = c;
  for (const p of c.config.proposers.filter((q) => c.alive[q])) {
    const r = applied(get(proposers, p), g, e, result, c.nowMs);
    proposers[p] = r.state;
    collectOutcomes(outbox, r.effects);
    next = recordSent(next, p, r.effects);
  }
  const groups = { ...c.groups, [g]: { log: [...gs.log, e], replica } };
  return { ...next, groups, proposers, outbox };
}

function proposeAndChoose(
  c: Cluster, p: string, t: string, g: string, type: Entry['type'],
): Cluster {
  const v = get(c.proposers, p).txns[t];
  const w = v === undefined ? undefined :
    wanted(v).find((x) => x.group === g && x.entry.type === type);
  if (w === undefined) throw new Error(`assertion: ${p} does not propose ${type}(${t}) to ${g}`);
  if (entryTxnId(w.entry) !== t) throw new Error('assertion: proposal for another txn');
  return choose(c, g, w.entry);
}

function withProposer(c: Cluster, p: string, ps: ProposerState): Cluster {
  return { ...c, proposers: { ...c.proposers, [p]: ps } };
}

/** Applies an enabled action (the caller takes it from enabledActions). */
export function applyAction(c0: Cluster, a: ClusterAction): Cluster {
  const c = { ...c0, nowMs: c0.nowMs + 1 };
  switch (a.action) {
    case 'Begin': {
      const { p, t } = a.params;
      const r = begin(get(c.proposers, p), txnSpec(c, t), c.nowMs);
      const next = recordSent(withProposer(c, p, r.state), p, r.effects);
      return { ...next, owner: { ...c.owner, [t]: p } };
    }
    case 'Prepare': {
      const { p, t, g } = a.params;
      if (c.sent[sentKey(t, g)] !== p) throw new Error(`assertion: ${p} sent no Prepare(${t})`);
      return choose(c, g, { type: 'Prepare', txn: txnSpec(c, t) });
    }
    case 'AbortVote':
    case 'Decide': {
      const { p, t, g } = a.params;
      const r = recover(get(c.proposers, p), t, c.nowMs);
      const type = a.action === 'AbortVote' ? 'AbortVote'
        : r.state.txns[t]?.outcome === 'commit' ? 'Commit' : 'Abort';
      return proposeAndChoose(withProposer(c, p, r.state), p, t, g, type);
    }
    case 'Tell': {
      const { t } = a.params;
      const outcome = c.outbox[t];
      if (outcome === undefined) throw new Error(`assertion: nothing to tell for ${t}`);
      return { ...c, told: { ...c.told, [t]: outcome } };
    }
    case 'Crash': {
      const { p } = a.params;
      const outbox = Object.fromEntries(Object.entries(c.outbox).filter(([t]) => c.owner[t] !== p));
      const alive = { ...c.alive, [p]: false };
      return { ...withProposer(c, p, newProposer(c, p)), alive, outbox };
    }
    default: {
      const never: never = a;
      throw new Error(`unknown action ${JSON.stringify(never)}`);
    }
  }
}
