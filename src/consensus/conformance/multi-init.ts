/**
 * State-graph replay of a spec whose Init has several states (GroupPaxos: any majority of the
 * target membership may start active). The kit's `replayBinding` asks the target for one
 * initial state; here the covering paths are grouped by their first state and each group is
 * replayed on the target built for the code's initial state with that abstraction. The result
 * has the kit's `ReplayResult` shape, so `judge` reads it unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayPaths, stateKey } from '../../conform/index.ts';
import type { ReplayMismatch, ReplayResult, ReplayTarget, SpecBinding }
  from '../../conform/index.ts';
import { coverEdges, nodeState, readStateGraph, runTlc } from '../../tla/index.ts';
import type { StateEdge } from '../../tla/index.ts';

function failed(spec: SpecBinding, error: string): ReplayResult {
  const names = Object.keys(spec.actions);
  return { config: spec.replayConfigLabel, ok: false, error, distinctStates: 0, tlcSeconds: 0,
    actionsTotal: names.length, actionsCovered: 0, actionsUncovered: names, edgesTotal: 0,
    edgesCovered: 0, paths: 0, steps: 0, mismatches: [] };
}

/** Dumps the replay cfg's graph, covers its edges and replays each path from its own init. */
export async function replayFromEveryInit<C, A>(spec: SpecBinding,
  targets: readonly ReplayTarget<C, A>[]): Promise<ReplayResult> {
  const dir = await mkdtemp(join(tmpdir(), `plumbline-${spec.protocol}-replay-`));
  try {
    const tlc = await runTlc({ spec: spec.specPath, config: spec.replayConfigPath, workers: 1,
      checkDeadlock: false, dump: { path: join(dir, 'replay'), dot: true } });
    if (tlc.outcome !== 'ok') {
      return failed(spec, `TLC on ${spec.replayConfigLabel}: ${tlc.outcome}`);
    }
    const g = await readStateGraph(tlc.dumpFile ?? join(dir, 'replay.dot'), { states: 'lazy' });
    if (!g.ok) return failed(spec, `state graph: ${g.error.message}`);
    const cover = coverEdges(g.graph);
    const byInit = new Map<string, StateEdge[][]>();
    for (const p of cover.paths) {
      if (p.length === 0) continue;
      byInit.set(p[0]!.from, [...(byInit.get(p[0]!.from) ?? []), p]);
    }
    const keyed = targets.map((t) => ({ t, key: stateKey(t.specState(t.init())) }));
    const mismatches: ReplayMismatch[] = [];
    const actions = new Set<string>();
    const edges = new Set<string>();
    let steps = 0;
    for (const [from, paths] of byInit) {
      const s = nodeState(g.graph, from);
      if (!s.ok) return failed(spec, `graph state ${from}: ${s.error.message}`);
      const target = keyed.find((k) => k.key === stateKey(s.state))?.t;
      if (target === undefined) {
        mismatches.push({ path: -1, step: 0, action: 'Init',
          detail: `no code init for ${from}` });
        continue;
      }
      const r = replayPaths(target, g.graph, paths);
      // Paths from different inits meet after joins: count distinct edges; a group with a
      // mismatch counts only the paths before its first mismatched one.
      const upTo = r.mismatches.length === 0
        ? paths.length : Math.min(...r.mismatches.map((m) => m.path));
      for (const p of paths.slice(0, upTo)) {
        for (const e of p) edges.add(`${e.from} ${e.to} ${e.action}`);
      }
      steps += r.steps;
      r.actionsFollowed.forEach((a) => actions.add(a));
      mismatches.push(...r.mismatches);
    }
    const names = Object.keys(spec.actions);
    const uncovered = names.filter((a) => !actions.has(a));
    return {
      config: spec.replayConfigLabel, ok: mismatches.length === 0,
      distinctStates: tlc.distinctStates, tlcSeconds: tlc.seconds, actionsTotal: names.length,
      actionsCovered: names.length - uncovered.length, actionsUncovered: uncovered,
      edgesTotal: cover.stats.edgesTotal, edgesCovered: edges.size, paths: cover.paths.length,
      steps, mismatches,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
