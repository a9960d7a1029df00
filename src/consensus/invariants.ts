/**
 * The spec's invariants as TS predicates over a cluster, named as in GroupPaxos.tla and
 * MCGroupPaxos.tla, plus the refinement's step check (every step of the cluster is a step of
 * Consensus under the mapping chosenBar, or a stutter).
 */
import { ballotKey, canonicalEntry, type Entry } from './messages.ts';
import { get, type Cluster } from './cluster.ts';

const isBallot = (c: Cluster, round: number, proposer: string): boolean =>
  Number.isInteger(round) && round >= 0 && c.config.proposers.includes(proposer);

function typeOK(c: Cluster): boolean {
  const { members, values, numSlots } = c.config;
  const isValue = (e: Entry) => typeof e === 'string' && values.includes(e);
  const activeOk = c.membership.active.every((a) => members.includes(a));
  const proposedOk = c.proposed.every(isValue);
  const accOk = members.every((a) => {
    const d = get(c.acceptors, a).durable;
    const p = d.promised;
    return (p === null || isBallot(c, p.round, p.proposer)) &&
      Object.values(d.accepted).every((v) =>
        v.slot >= 1 && v.slot <= numSlots && isValue(v.value));
  });
  const logOk = members.every((a) => {
    const applied = get(c.replicas, a).applied;
    return applied.length <= numSlots && applied.every(isValue);
  });
  return activeOk && proposedOk && accOk && logOk;
}

function agreement(c: Cluster): boolean {
  const logs = c.config.members.map((a) => get(c.replicas, a).applied.map(canonicalEntry));
  return logs.every((l1) => logs.every((l2) =>
    l1.every((e, i) => i >= l2.length || l2[i] === e)));
}

function appliedWereProposed(c: Cluster): boolean {
  return c.config.members.every((a) => get(c.replicas, a).applied.every((e) =>
    typeof e === 'string' && c.proposed.includes(e)));
}

/** The refinement mapping: per slot, the entries a quorum accepted in one ballot. */
export function chosenBar(c: Cluster): string[][] {
  const q = c.steps.quorumSize(c.config.members.length);
  const out: string[][] = [];
  for (let s = 1; s <= c.config.numSlots; s += 1) {
    const by = new Map<string, { value: string; from: Set<string> }>();
    for (const m of Object.values(c.msgs)) {
      if (m.type !== 'Accepted' || m.slot !== s) continue;
      const k = `${ballotKey(m.ballot)}|${canonicalEntry(m.value)}`;
      const e = by.get(k) ?? { value: canonicalEntry(m.value), from: new Set<string>() };
      e.from.add(m.from);
      by.set(k, e);
    }
    const vals = new Set([...by.values()].filter((e) => e.from.size >= q).map((e) => e.value));
    out.push([...vals].sort());
  }
  return out;
}

/** C!Consistent: at most one entry chosen per slot, and only a proposed one. */
function chosenConsistent(c: Cluster): boolean {
  const proposed = new Set(c.proposed.map((v) => JSON.stringify(v)));
  return chosenBar(c).every((vs) => vs.length <= 1 && vs.every((v) => proposed.has(v)));
}

export const invariants = {
  TypeOK: typeOK,
  Agreement: agreement,
  AppliedWereProposed: appliedWereProposed,
  ChosenConsistent: chosenConsistent,
};
export type InvariantName = keyof typeof invariants;

export function violatedInvariants(c: Cluster): InvariantName[] {
  return (Object.keys(invariants) as InvariantName[]).filter((n) => !invariants[n](c));
}

/**
 * ConsensusSpec as a step check: `before -> after` is Propose(v) (proposed grows by one, chosen
 * unchanged), Choose(s, v) (one empty slot gets one proposed entry), or a stutter.
 */
export function refinesConsensusStep(before: Cluster, after: Cluster): boolean {
  const c0 = chosenBar(before);
  const c1 = chosenBar(after);
  const p0 = new Set(before.proposed);
  const newProposed = after.proposed.filter((v) => !p0.has(v));
  const changed = c1.map((vs, i) => JSON.stringify(vs) !== JSON.stringify(c0[i])).flatMap(
    (d, i) => (d ? [i] : []));
  if (newProposed.length + changed.length === 0) return after.proposed.length === p0.size;
  if (newProposed.length === 1 && changed.length === 0) return true;
  if (newProposed.length > 0 || changed.length !== 1) return false;
  const i = changed[0]!;
  const vs = c1[i]!;
  const proposed = new Set(after.proposed.map((v) => JSON.stringify(v)));
  return c0[i]!.length === 0 && vs.length === 1 && proposed.has(vs[0]!);
}
