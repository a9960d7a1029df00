/**
 * State-graph replay of the fencing cores: TLC explores spec/fencing/Replay.cfg and dumps the
 * graph with action labels; `coverEdges` finds paths that take every edge; each path drives
 * the cores through cluster.ts (`enabledActions` / `applyAction`), and at each edge one enabled
 * code action of the edge's action name must reach the edge's target state.
 *
 * Labels: TLC names an edge by the operator it split `Next` into. The spec wraps each
 * message-driven action as `X(s) == \E m \in msgs : XOn(s, m)` so that the label is `X`; a
 * disjunct quantified over a variable directly cannot be split before the run and this TLC
 * labels it `Next`: such an edge, should one appear, matches any message-handling action, and
 * coverage counts the action the code matched it with.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coverEdges, readStateGraph, runTlc } from '../../tla/index.ts';
import type { StateGraph } from '../../tla/index.ts';
import { applyAction, enabledActions, initCluster, specState } from '../index.ts';
import type { Cluster, ClusterAction, ClusterConfig } from '../index.ts';
import { replayPaths } from './graph-replay.ts';
import type { ReplayMismatch, ReplayTarget } from './graph-replay.ts';
import { REPLAY_CONFIG_PATH, SPEC_ACTION_NAMES, SPEC_PATH } from './spec-binding.ts';
import { SIM_KEY } from './traces.ts';

/** Actions quantified over `msgs`, which this TLC labels `Next`. */
const MESSAGE_ACTIONS = new Set([
  'SledFence', 'HeadFenced', 'SledWrite', 'HeadAck', 'HeadFencedOff',
]);
const UNSPLIT_LABEL = 'Next';

export interface ReplayResult {
  config: string;
  ok: boolean;
  error?: string;
  distinctStates: number;
  tlcSeconds: number;
  actionsTotal: number;
  actionsCovered: number;
  actionsUncovered: string[];
  edgesTotal: number;
  edgesCovered: number;
  paths: number;
  steps: number;
  mismatches: ReplayMismatch[];
}

type ConstValue = number | string[];

/** The CONSTANTS of a cfg: `N = 2` and `S = {a, b}` forms (model values map to themselves). */
export function parseCfgConstants(cfg: string): Record<string, ConstValue> {
  const out: Record<string, ConstValue> = {};
  const text = cfg.replace(/\\\*.*$/gm, '');
  for (const m of text.matchAll(/^\s*([A-Za-z_]\w*)\s*=\s*(\{[^}]*\}|\d+)\s*$/gm)) {
    const raw = m[2]!;
    out[m[1]!] = raw.startsWith('{')
      ? raw.slice(1, -1).split(',').map((x) => x.trim()).filter((x) => x.length > 0)
      : Number(raw);
  }
  return out;
}

/** The cluster configuration that matches a cfg's constants. */
export function clusterConfigFromCfg(cfg: string): ClusterConfig {
  const c = parseCfgConstants(cfg);
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number') throw new Error(`assertion: cfg constant ${k} is no number`);
    return v;
  };
  const ids = (k: string): string[] => {
    const v = c[k];
    if (!Array.isArray(v)) throw new Error(`assertion: cfg constant ${k} is no set`);
    return v;
  };
  const config: ClusterConfig = {
    sleds: ids('Sleds'), heads: ids('Heads'), values: ids('Values'), w: num('W'), f: num('F'),
    maxEpoch: num('MaxEpoch'), maxSeq: num('MaxSeq'), maxCrashes: num('MaxCrashes'),
    key: SIM_KEY, volume: 'vol', extent: 'x0',
  };
  return c.MaxMsgs === undefined ? config : { ...config, maxMsgs: num('MaxMsgs') };
}

/** cluster.ts as a replay target; an edge label `Next` matches any message action. */
export function clusterTarget(config: ClusterConfig): ReplayTarget<Cluster, ClusterAction> {
  return {
    init: () => initCluster(config),
    enabled: (c) => enabledActions(c),
    apply: (c, a) => applyAction(c, a),
    actionName: (a) => a.action,
    matches: (a, label) =>
      a.action === label || (label === UNSPLIT_LABEL && MESSAGE_ACTIONS.has(a.action)),
    specState: (c) => specState(c),
    describe: (a) => a.label,
  };
}

async function dumpGraph(dir: string): Promise<
  { ok: true; graph: StateGraph; distinctStates: number; seconds: number } |
  { ok: false; error: string }> {
  const dumpPath = join(dir, 'replay');
  const tlc = await runTlc({
    spec: SPEC_PATH, config: REPLAY_CONFIG_PATH, workers: 1, checkDeadlock: false,
    dump: { path: dumpPath, dot: true },
  });
  if (tlc.outcome !== 'ok') {
    const first = tlc.errors?.[0]?.message.split('\n')[0] ?? '';
    const error = `TLC on Replay.cfg: ${tlc.outcome} (exit ${tlc.exitCode}) ${first}`;
    return { ok: false, error };
  }
  const g = await readStateGraph(tlc.dumpFile ?? `${dumpPath}.dot`, { states: 'lazy' });
  if (!g.ok) return { ok: false, error: `state graph: ${g.error.message}` };
  return { ok: true, graph: g.graph, distinctStates: tlc.distinctStates, seconds: tlc.seconds };
}

function emptyResult(error: string): ReplayResult {
  return {
    config: 'spec/fencing/Replay.cfg', ok: false, error, distinctStates: 0, tlcSeconds: 0,
    actionsTotal: SPEC_ACTION_NAMES.length, actionsCovered: 0,
    actionsUncovered: [...SPEC_ACTION_NAMES], edgesTotal: 0, edgesCovered: 0, paths: 0, steps: 0,
    mismatches: [],
  };
}

/** Runs TLC on Replay.cfg, covers the graph's edges and replays every path on the cores. */
export async function replayFencing(opts: { onPhase?: (p: 'dump' | 'replay') => void } = {}):
  Promise<ReplayResult> {
  const dir = await mkdtemp(join(tmpdir(), 'plumbline-fencing-replay-'));
  try {
    opts.onPhase?.('dump');
    const dumped = await dumpGraph(dir);
    if (!dumped.ok) return emptyResult(dumped.error);
    opts.onPhase?.('replay');
    const config = clusterConfigFromCfg(await readFile(REPLAY_CONFIG_PATH, 'utf8'));
    const cover = coverEdges(dumped.graph);
    const r = replayPaths(clusterTarget(config), dumped.graph, cover.paths);
    // Spec actions: those on the graph's edges (labels resolved by the code) and any never seen.
    const seen = new Set(r.actionsFollowed);
    const uncovered = SPEC_ACTION_NAMES.filter((a) => !seen.has(a));
    return {
      config: 'spec/fencing/Replay.cfg', ok: r.mismatches.length === 0,
      distinctStates: dumped.distinctStates, tlcSeconds: dumped.seconds,
      actionsTotal: SPEC_ACTION_NAMES.length,
      actionsCovered: SPEC_ACTION_NAMES.length - uncovered.length,
      actionsUncovered: uncovered, edgesTotal: cover.stats.edgesTotal,
      edgesCovered: r.edgesFollowed, paths: r.paths, steps: r.steps, mismatches: r.mismatches,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
