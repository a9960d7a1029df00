/**
 * The abstraction function: a cluster's state as the values of the variables of
 * spec/consensus-txn/CrossGroupTxn.tla (log, rep, owner, alive, told) in the shared JSON form of
 * src/tla/value.ts. Groups, accounts and transactions are strings (as in MCCrossGroupTxn.tla);
 * proposers and None are model values.
 */
import { fn, model, set, type TlaState, type TlaValue } from '../tla/value.ts';
import { entryTxnId, type Entry } from './entries.ts';
import type { Cluster } from './cluster.ts';

export const NONE_MODEL = 'None';
export const SPEC_VARIABLES = ['log', 'rep', 'owner', 'alive', 'told'] as const;

const rec = (ids: readonly string[], f: (id: string) => TlaValue): Record<string, TlaValue> =>
  Object.fromEntries(ids.map((id) => [id, f(id)]));

export function specEntry(e: Entry): TlaValue {
  return { type: e.type, txn: entryTxnId(e) };
}

function replicaValue(c: Cluster, g: string): TlaValue {
  const r = c.groups[g]!.replica;
  const txns = c.config.txns.map((t) => t.id);
  const accounts = Object.keys(c.config.accounts).sort();
  return {
    vote: rec(txns, (t) => r.votes[t] ?? 'none'),
    dec: rec(txns, (t) => r.decisions[t] ?? 'none'),
    locked: set(Object.keys(r.locked).sort()),
    bal: rec(accounts, (a) => {
      const acct = c.config.accounts[a]!;
      return acct.group === g ? (r.balances[a] ?? 0) : acct.initial;
    }),
  };
}

export function specState(c: Cluster): TlaState {
  const txns = c.config.txns.map((t) => t.id);
  return {
    log: rec(c.config.groups, (g) => c.groups[g]!.log.map(specEntry)),
    rep: rec(c.config.groups, (g) => replicaValue(c, g)),
    owner: rec(txns, (t) => model(c.owner[t] ?? NONE_MODEL)),
    alive: fn(c.config.proposers.map((p) =>
      [model(p), c.alive[p] ?? false] as [TlaValue, TlaValue])),
    told: rec(txns, (t) => c.told[t] ?? 'none'),
  };
}
