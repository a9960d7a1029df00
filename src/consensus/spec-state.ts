/**
 * The abstraction function: a cluster's state as the values of the variables of
 * spec/consensus-txn/GroupPaxos.tla (active, proposed, maxBal, accepted, msgs, log) in the
 * shared JSON form of src/tla/value.ts. Members and values are model values; None is the
 * spec's model value of that name; ballots are spec ballot numbers (see cluster.ts).
 */
import { fn, model, set, type TlaState, type TlaValue } from '../tla/value.ts';
import { ballotNumber, get, type Cluster, type ClusterConfig } from './cluster.ts';
import type { Entry, Message, Vote } from './messages.ts';

export const NONE_MODEL = 'None';
export const SPEC_VARIABLES = ['active', 'proposed', 'maxBal', 'accepted', 'msgs', 'log'] as const;

/** A cluster entry as a model value (the cluster's entries are the names of Values). */
function entryValue(e: Entry): TlaValue {
  if (typeof e !== 'string') throw new Error(`assertion: cluster entries are names: ${String(e)}`);
  return model(e);
}

const NO_VOTE: TlaValue = { bal: -1, val: model(NONE_MODEL) };

function votesValue(config: ClusterConfig, votes: readonly Vote[]): TlaValue {
  const pairs: [TlaValue, TlaValue][] = [];
  for (let s = 1; s <= config.numSlots; s += 1) {
    const v = votes.find((x) => x.slot === s);
    pairs.push([s, v === undefined ? NO_VOTE : {
      bal: ballotNumber(config, v.ballot), val: entryValue(v.value),
    }]);
  }
  return fn(pairs);
}

/** A message as the spec's record, or null for the code-only Preempted. */
export function specMessage(config: ClusterConfig, m: Message): TlaValue | null {
  switch (m.type) {
    case 'Prepare':
      return { type: '1a', bal: ballotNumber(config, m.ballot) };
    case 'Promise':
      return {
        type: '1b', acc: model(m.from), bal: ballotNumber(config, m.ballot),
        votes: votesValue(config, m.votes),
      };
    case 'Accept':
      return {
        type: '2a', bal: ballotNumber(config, m.ballot), slot: m.slot, val: entryValue(m.value),
      };
    case 'Accepted':
      return {
        type: '2b', acc: model(m.from), bal: ballotNumber(config, m.ballot), slot: m.slot,
        val: entryValue(m.value),
      };
    case 'Preempted':
      return null;
    default: {
      const never: never = m;
      throw new Error(`assertion: unknown message ${JSON.stringify(never)}`);
    }
  }
}

function perMember(c: Cluster, f: (a: string) => TlaValue): TlaValue {
  return fn(c.config.members.map((a) => [model(a), f(a)] as [TlaValue, TlaValue]));
}

/** The cluster as GroupPaxos's variables. */
export function specState(c: Cluster): TlaState {
  const { config } = c;
  const msgs: TlaValue[] = [];
  for (const m of Object.values(c.msgs)) {
    const v = specMessage(config, m);
    if (v !== null) msgs.push(v);
  }
  return {
    active: set(c.membership.active.map(model)),
    proposed: set(c.proposed.map(model)),
    maxBal: perMember(c, (a) => {
      const p = get(c.acceptors, a).durable.promised;
      return p === null ? -1 : ballotNumber(config, p);
    }),
    accepted: perMember(c, (a) =>
      votesValue(config, Object.values(get(c.acceptors, a).durable.accepted))),
    msgs: set(msgs),
    log: perMember(c, (a) => get(c.replicas, a).applied.map(entryValue)),
  };
}
