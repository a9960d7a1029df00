import { describe, expect, it } from 'vitest';
import {
  applyAction, enabledActions, initCluster, specState, violatedInvariants, type Cluster,
  type ClusterConfig,
} from '../../src/txn/index.ts';
import { T1, T3 } from './helpers.ts';

/** Breadth-first search of the code's cluster, states identified by their specState. */
function reachable(config: ClusterConfig): { states: number; edges: number; bad: string[] } {
  const seen = new Map<string, Cluster>();
  const init = initCluster(config);
  const key = (c: Cluster) => JSON.stringify(specState(c));
  seen.set(key(init), init);
  let frontier = [init];
  let edges = 0;
  const bad: string[] = [];
  while (frontier.length > 0) {
    const next: Cluster[] = [];
    for (const c of frontier) {
      for (const a of enabledActions(c)) {
        const d = applyAction(c, a);
        edges += 1;
        const k = key(d);
        if (seen.has(k)) continue;
        seen.set(k, d);
        next.push(d);
        if (violatedInvariants(d).length > 0) bad.push(a.label);
      }
    }
    frontier = next;
  }
  return { states: seen.size, edges, bad };
}

describe('the code reaches exactly the spec\'s states', () => {
  it('CrossGroupTxnReplay.cfg (3 groups, 2 proposers, t3): 747 distinct states, as TLC', () => {
    const r = reachable({
      groups: ['g1', 'g2', 'g3'], proposers: ['p1', 'p2'],
      accounts: { a1: { group: 'g1', initial: 2 }, a2: { group: 'g2', initial: 2 },
        a3: { group: 'g3', initial: 2 } },
      txns: [T3],
    });
    expect(r.bad).toEqual([]);
    expect(r.states).toBe(747);
  });
  it('2 groups, 2 proposers, t1: 147 distinct states, as TLC', () => {
    const r = reachable({
      groups: ['g1', 'g2'], proposers: ['p1', 'p2'],
      accounts: { a1: { group: 'g1', initial: 2 }, a2: { group: 'g2', initial: 2 } },
      txns: [T1],
    });
    expect(r.states).toBe(147);
  });
});
