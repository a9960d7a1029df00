/**
 * Paths through a TLC state graph that together take every edge reachable from an initial
 * state, for state-graph replay (DESIGN.md, "Tying code to spec", check 3).
 *
 * Greedy: walk from an initial state taking uncovered edges while the current node has one;
 * when it has none, go by a shortest path (BFS) to the nearest node that has one; when no
 * uncovered edge is reachable from here (or the path would grow past `maxPathLength`), end the
 * path and start the next one at the initial state nearest to an uncovered edge. Nodes and
 * edges are numbered and kept in typed arrays (CSR adjacency) so that graphs of ~100k nodes and
 * ~1M edges fit; a BFS stops at the first node with an uncovered edge and marks visits with a
 * generation counter instead of clearing.
 */
import type { StateEdge, StateGraph } from './graph.ts';

export interface CoverOptions {
  /** Longest path, in edges; edges farther than this from every initial state stay uncovered. */
  maxPathLength?: number;
  /** Most paths; the cover stops early (and says so in the stats) when reached. */
  maxPaths?: number;
}

export interface CoverStats {
  /** Edges reachable from an initial state (each distinct (from, to, action) once). */
  edgesTotal: number;
  edgesCovered: number;
  /** Distinct action names on reachable edges. */
  actionsTotal: number;
  actionsCovered: number;
  /** Edges taken by all paths together, repeats included (the replay's cost). */
  stepsTotal: number;
  /** Whether a bound (maxPathLength, maxPaths) left reachable edges uncovered. */
  bounded: boolean;
}

export interface EdgeCover {
  /** Each path starts at an initial state; consecutive edges meet (e[i].to === e[i+1].from). */
  paths: StateEdge[][];
  stats: CoverStats;
  /** Action names on reachable edges that no path takes (empty unless bounded). */
  actionsUncovered: string[];
}

/** The graph numbered: node i's out-edges are edgeIds[outStart[i] .. outStart[i+1]). */
interface Indexed {
  edges: StateEdge[];
  nodeCount: number;
  edgeFrom: Int32Array;
  edgeTo: Int32Array;
  outStart: Int32Array;
  edgeIds: Int32Array;
  initials: number[];
}

function indexGraph(graph: StateGraph): Indexed {
  const index = new Map<string, number>();
  const initials: number[] = [];
  for (const node of graph.nodes.values()) {
    if (node.initial) initials.push(index.size);
    index.set(node.id, index.size);
  }
  const edges = graph.edges;
  const edgeFrom = new Int32Array(edges.length);
  const edgeTo = new Int32Array(edges.length);
  const outStart = new Int32Array(index.size + 1);
  edges.forEach((e, i) => {
    const [from, to] = [index.get(e.from), index.get(e.to)];
    if (from === undefined || to === undefined) {
      throw new Error(`state graph: edge ${e.from} -> ${e.to} has an end that is no node`);
    }
    edgeFrom[i] = from;
    edgeTo[i] = to;
    outStart[from + 1]!++;
  });
  for (let n = 0; n < index.size; n++) outStart[n + 1]! += outStart[n]!;
  const fill = outStart.slice(0, index.size);
  const edgeIds = new Int32Array(edges.length);
  for (let i = 0; i < edges.length; i++) edgeIds[fill[edgeFrom[i]!]!++] = i;
  return { edges, nodeCount: index.size, edgeFrom, edgeTo, outStart, edgeIds, initials };
}

/** Marks nodes reachable from the initial states; returns the reachable-node flags. */
function reachableNodes(g: Indexed): Uint8Array {
  const seen = new Uint8Array(g.nodeCount);
  const queue = new Int32Array(g.nodeCount);
  let tail = 0;
  for (const n of g.initials) if (!seen[n]) (seen[n] = 1, (queue[tail++] = n));
  for (let head = 0; head < tail; head++) {
    const n = queue[head]!;
    for (let k = g.outStart[n]!; k < g.outStart[n + 1]!; k++) {
      const to = g.edgeTo[g.edgeIds[k]!]!;
      if (!seen[to]) (seen[to] = 1, (queue[tail++] = to));
    }
  }
  return seen;
}

/** Mutable search state of one cover computation. */
class Coverer {
  readonly covered: Uint8Array;
  /** Per node: the first out-edge slot that may still be uncovered. */
  private readonly next: Int32Array;
  private readonly stamp: Int32Array;
  private generation = 0;
  private readonly queue: Int32Array;
  /** BFS tree: the edge by which a node was reached. */
  private readonly via: Int32Array;

  constructor(private readonly g: Indexed) {
    this.covered = new Uint8Array(g.edges.length);
    this.next = g.outStart.slice(0, g.nodeCount);
    this.stamp = new Int32Array(g.nodeCount);
    this.queue = new Int32Array(g.nodeCount);
    this.via = new Int32Array(g.nodeCount);
  }

  /** An uncovered out-edge of node n, or -1; prefers one whose target has uncovered edges. */
  uncoveredOut(n: number): number {
    const { outStart, edgeIds, edgeTo } = this.g;
    while (this.next[n]! < outStart[n + 1]! && this.covered[edgeIds[this.next[n]!]!]) {
      this.next[n]!++;
    }
    const first = this.next[n]!;
    if (first >= outStart[n + 1]!) return -1;
    for (let k = first; k < outStart[n + 1]!; k++) {
      const e = edgeIds[k]!;
      if (!this.covered[e] && this.hasUncovered(edgeTo[e]!)) return e;
    }
    return edgeIds[first]!;
  }

  private hasUncovered(n: number): boolean {
    const { outStart, edgeIds } = this.g;
    while (this.next[n]! < outStart[n + 1]! && this.covered[edgeIds[this.next[n]!]!]) {
      this.next[n]!++;
    }
    return this.next[n]! < outStart[n + 1]!;
  }

  /**
   * Shortest path (edge ids) from any of `sources` to the nearest node with an uncovered
   * out-edge, at most `maxEdges` long; null when there is none.
   */
  nearest(sources: number[], maxEdges: number): { at: number; path: number[] } | null {
    const { outStart, edgeIds, edgeTo } = this.g;
    const gen = ++this.generation;
    let tail = 0;
    for (const s of sources) {
      if (this.stamp[s] === gen) continue;
      if (this.hasUncovered(s)) return { at: s, path: [] };
      this.stamp[s] = gen;
      this.via[s] = -1;
      this.queue[tail++] = s;
    }
    // Nodes are tested when discovered, so the search stops one level earlier than it would
    // when testing them on leaving the queue; discovery order is BFS order, so still nearest.
    let levelEnd = tail;
    let level = 0;
    for (let head = 0; head < tail; head++) {
      if (head === levelEnd) (level++, (levelEnd = tail));
      if (level >= maxEdges) break;
      const n = this.queue[head]!;
      for (let k = outStart[n]!; k < outStart[n + 1]!; k++) {
        const to = edgeTo[edgeIds[k]!]!;
        if (this.stamp[to] === gen) continue;
        this.stamp[to] = gen;
        this.via[to] = edgeIds[k]!;
        if (this.hasUncovered(to)) return { at: to, path: this.pathTo(to) };
        this.queue[tail++] = to;
      }
    }
    return null;
  }

  private pathTo(n: number): number[] {
    const path: number[] = [];
    for (let e = this.via[n]!; e >= 0; e = this.via[this.g.edgeFrom[e]!]!) path.push(e);
    return path.reverse();
  }
}

/** Paths from initial states covering every reachable edge (within the bounds); see above. */
export function coverEdges(graph: StateGraph, opts: CoverOptions = {}): EdgeCover {
  const maxPathLength = opts.maxPathLength ?? Number.MAX_SAFE_INTEGER;
  const maxPaths = opts.maxPaths ?? Number.MAX_SAFE_INTEGER;
  if (maxPathLength < 1 || maxPaths < 0) throw new Error('coverEdges: bounds must be positive');
  const g = indexGraph(graph);
  const c = new Coverer(g);
  const paths: number[][] = [];
  while (paths.length < maxPaths) {
    const lead = c.nearest(g.initials, maxPathLength - 1);
    if (lead === null) break;
    paths.push(walk(g, c, lead, maxPathLength));
  }
  return summarise(g, c, paths);
}

/** One path: `lead` to a node with an uncovered edge, then greedy steps within the bound. */
function walk(
  g: Indexed,
  c: Coverer,
  lead: { at: number; path: number[] },
  maxPathLength: number,
): number[] {
  const path: number[] = [];
  let at = lead.at;
  for (const e of lead.path) (path.push(e), (c.covered[e] = 1));
  while (path.length < maxPathLength) {
    let e = c.uncoveredOut(at);
    if (e < 0) {
      const detour = c.nearest([at], maxPathLength - path.length - 1);
      if (detour === null) break;
      for (const d of detour.path) (path.push(d), (c.covered[d] = 1));
      at = detour.at;
      e = c.uncoveredOut(at);
    }
    c.covered[e] = 1;
    path.push(e);
    at = g.edgeTo[e]!;
  }
  return path;
}

function summarise(g: Indexed, c: Coverer, paths: number[][]): EdgeCover {
  const reachable = reachableNodes(g);
  let [edgesTotal, edgesCovered] = [0, 0];
  const actionsAll = new Set<string>();
  const actionsTaken = new Set<string>();
  for (let e = 0; e < g.edges.length; e++) {
    if (!reachable[g.edgeFrom[e]!]) continue;
    edgesTotal++;
    actionsAll.add(g.edges[e]!.action);
    if (c.covered[e]) (edgesCovered++, actionsTaken.add(g.edges[e]!.action));
  }
  const stepsTotal = paths.reduce((sum, p) => sum + p.length, 0);
  const stats: CoverStats = {
    edgesTotal, edgesCovered, actionsTotal: actionsAll.size, actionsCovered: actionsTaken.size,
    stepsTotal, bounded: edgesCovered < edgesTotal,
  };
  const actionsUncovered = [...actionsAll].filter((a) => !actionsTaken.has(a)).sort();
  return { paths: paths.map((p) => p.map((e) => g.edges[e]!)), stats, actionsUncovered };
}
