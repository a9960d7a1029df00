/**
 * Graph replay when the spec's Init has several states (GroupPaxos: any majority of the target
 * membership may start active): covering paths are grouped by their first state and each group
 * is replayed on the target whose initial state abstracts to it. Paths from different inits
 * meet later, so covered edges are counted as a set; a group with a mismatch counts only the
 * paths before its first mismatched one.
 */
import { nodeState } from '../tla/index.ts';
import type { StateEdge, StateGraph } from '../tla/index.ts';
import { replayPaths, stateKey } from './graph-replay.ts';
import type { GraphReplayResult, ReplayMismatch, ReplayTarget } from './graph-replay.ts';

export function replayPathsFromEveryInit<C, A>(targets: readonly ReplayTarget<C, A>[],
  graph: StateGraph, paths: readonly StateEdge[][]):
  { ok: true; result: GraphReplayResult } | { ok: false; error: string } {
  const byInit = new Map<string, StateEdge[][]>();
  for (const p of paths) {
    if (p.length === 0) continue;
    byInit.set(p[0]!.from, [...(byInit.get(p[0]!.from) ?? []), p]);
  }
  const keyed = targets.map((t) => ({ t, key: stateKey(t.specState(t.init())) }));
  const mismatches: ReplayMismatch[] = [];
  const actions = new Set<string>();
  const edges = new Set<string>();
  let steps = 0;
  for (const [from, group] of byInit) {
    const s = nodeState(graph, from);
    if (!s.ok) return { ok: false, error: `graph state ${from}: ${s.error.message}` };
    const target = keyed.find((k) => k.key === stateKey(s.state))?.t;
    if (target === undefined) {
      mismatches.push({ path: -1, step: 0, action: 'Init', detail: `no code init for ${from}` });
      continue;
    }
    const r = replayPaths(target, graph, group);
    const upTo = r.mismatches.length === 0
      ? group.length : Math.min(...r.mismatches.map((m) => m.path));
    for (const p of group.slice(0, upTo)) {
      for (const e of p) edges.add(`${e.from} ${e.to} ${e.action}`);
    }
    steps += r.steps;
    r.actionsFollowed.forEach((a) => actions.add(a));
    mismatches.push(...r.mismatches);
  }
  return { ok: true, result: { paths: paths.length, steps, edgesFollowed: edges.size,
    actionsFollowed: [...actions], mismatches } };
}
