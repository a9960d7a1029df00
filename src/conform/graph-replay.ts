/**
 * State-graph replay, independent of the protocol: walk paths of a TLC state graph and drive
 * an implementation along them. At each edge, of the implementation's enabled actions with the
 * edge's action name, one must lead to a state whose abstraction equals the edge's target
 * state; when none does, the mismatch is reported with the closest candidate's differences.
 *
 * States are compared by a key: the JSON text of the canonical form (TLC's equality), so each
 * graph state is canonicalised once and each candidate once.
 */
import { canonical, describeDiffs, diffStates, nodeState } from '../tla/index.ts';
import type { StateEdge, StateGraph, TlaState, TlaValue } from '../tla/index.ts';

/** An implementation seen as a state machine with named, enumerable actions. */
export interface ReplayTarget<C, A> {
  /** The implementation's initial state (must abstract to an initial state of the graph). */
  init(): C;
  /** The actions enabled in `c`; each `apply` must leave `c` itself unchanged. */
  enabled(c: C): readonly A[];
  apply(c: C, a: A): C;
  actionName(a: A): string;
  /** Whether action `a` may take an edge labelled `label` (default: its name is the label). */
  matches?(a: A, label: string): boolean;
  specState(c: C): TlaState;
  /** A short text for reports, e.g. `SledWrite(s1, Write h1 e1 #1)`. */
  describe(a: A): string;
}

export interface ReplayMismatch {
  path: number;
  /** 1-based index of the edge in the path; 0 = the initial state. */
  step: number;
  action: string;
  detail: string;
}

export interface GraphReplayResult {
  paths: number;
  steps: number;
  /** Distinct edges the code followed (every edge of every path up to a mismatch). */
  edgesFollowed: number;
  actionsFollowed: string[];
  mismatches: ReplayMismatch[];
}

export interface GraphReplayOptions {
  /** Stop after this many mismatches (default 10). */
  mismatchesMax?: number;
}

/** The key under which two TLA+ states compare equal exactly when TLC says they are equal. */
export function stateKey(state: TlaState): string {
  return JSON.stringify(canonical(state as TlaValue));
}

class GraphKeys {
  private readonly keys = new Map<string, string>();
  constructor(private readonly graph: StateGraph) {}

  state(id: string): TlaState {
    const r = nodeState(this.graph, id);
    if (!r.ok) throw new Error(`assertion: graph state ${id}: ${r.error.message}`);
    return r.state;
  }

  key(id: string): string {
    let k = this.keys.get(id);
    if (k === undefined) {
      k = stateKey(this.state(id));
      this.keys.set(id, k);
    }
    return k;
  }
}

type Step<C> = { ok: true; next: C; action: string } | { ok: false; detail: string };

function followEdge<C, A>(
  target: ReplayTarget<C, A>,
  keys: GraphKeys,
  current: C,
  edge: StateEdge,
): Step<C> {
  const want = keys.key(edge.to);
  const fits = target.matches ?? ((a: A, label: string) => target.actionName(a) === label);
  const candidates = target.enabled(current).filter((a) => fits(a, edge.action));
  let closest: { a: A; state: TlaState; diffs: number } | undefined;
  for (const a of candidates) {
    const next = target.apply(current, a);
    const state = target.specState(next);
    if (stateKey(state) === want) return { ok: true, next, action: target.actionName(a) };
    const diffs = diffStates(keys.state(edge.to), state).length;
    if (closest === undefined || diffs < closest.diffs) closest = { a, state, diffs };
  }
  if (closest === undefined) {
    const names = [...new Set(target.enabled(current).map((a) => target.actionName(a)))];
    return { ok: false, detail: `no enabled ${edge.action} in the code (enabled: ` +
      `${names.sort().join(', ') || 'none'})` };
  }
  const diff = describeDiffs(diffStates(keys.state(edge.to), closest.state));
  return { ok: false, detail: `${candidates.length} enabled ${edge.action} step(s), none ` +
    `reaches the spec's state; closest ${target.describe(closest.a)}: spec vs code: ${diff}` };
}

/** Replays `paths` (from `coverEdges`) of `graph` on `target`. */
export function replayPaths<C, A>(
  target: ReplayTarget<C, A>,
  graph: StateGraph,
  paths: readonly StateEdge[][],
  opts: GraphReplayOptions = {},
): GraphReplayResult {
  const mismatchesMax = opts.mismatchesMax ?? 10;
  const keys = new GraphKeys(graph);
  const followed = new Set<string>();
  const actions = new Set<string>();
  const mismatches: ReplayMismatch[] = [];
  let steps = 0;
  for (const [p, path] of paths.entries()) {
    if (mismatches.length >= mismatchesMax || path.length === 0) continue;
    let current = target.init();
    const initKey = stateKey(target.specState(current));
    if (initKey !== keys.key(path[0]!.from)) {
      const diff = describeDiffs(diffStates(keys.state(path[0]!.from),
        target.specState(current)));
      mismatches.push({ path: p, step: 0, action: 'Init', detail: `spec vs code: ${diff}` });
      continue;
    }
    for (const [i, edge] of path.entries()) {
      const r = followEdge(target, keys, current, edge);
      steps++;
      if (!r.ok) {
        mismatches.push({ path: p, step: i + 1, action: edge.action, detail: r.detail });
        break;
      }
      current = r.next;
      followed.add(`${edge.from} ${edge.to} ${edge.action}`);
      actions.add(r.action);
    }
  }
  return { paths: paths.length, steps, edgesFollowed: followed.size,
    actionsFollowed: [...actions].sort(), mismatches };
}
