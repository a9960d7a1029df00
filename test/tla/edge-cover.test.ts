import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverEdges } from '../../src/tla/edge-cover.ts';
import type { EdgeCover } from '../../src/tla/edge-cover.ts';
import type { StateEdge, StateGraph, StateNode } from '../../src/tla/graph.ts';

type EdgeSpec = [number, number, string];

function graphOf(nodeCount: number, initials: number[], edges: EdgeSpec[]): StateGraph {
  const nodes = new Map<string, StateNode>();
  for (let i = 0; i < nodeCount; i++) {
    nodes.set(`${i}`, { id: `${i}`, initial: initials.includes(i), text: '' });
  }
  const list: StateEdge[] = edges.map(([a, b, action]) => ({ from: `${a}`, to: `${b}`, action }));
  return { nodes, edges: list, repeatedEdges: 0 };
}

/** Paths start at initial states and are connected; returns the set of edges taken. */
function checkPaths(g: StateGraph, cover: EdgeCover): Set<StateEdge> {
  const taken = new Set<StateEdge>();
  for (const path of cover.paths) {
    expect(path.length).toBeGreaterThan(0);
    expect(g.nodes.get(path[0]!.from)?.initial).toBe(true);
    path.forEach((e, i) => {
      if (i > 0) expect(e.from).toBe(path[i - 1]!.to);
      taken.add(e);
    });
  }
  expect(cover.stats.edgesCovered).toBe(taken.size);
  expect(cover.stats.stepsTotal).toBe(cover.paths.reduce((n, p) => n + p.length, 0));
  return taken;
}

describe('coverEdges', () => {
  it('covers parallel edges, self loops and dead ends, restarting at initial states', () => {
    const g = graphOf(5, [0], [
      [0, 1, 'A'], [0, 1, 'B'], [1, 1, 'Stay'], [1, 2, 'A'], [0, 3, 'C'], [3, 0, 'D'],
      [2, 4, 'E'], [4, 4, 'Stay'],
    ]);
    const cover = coverEdges(g);
    expect(checkPaths(g, cover).size).toBe(8);
    expect(cover.stats).toMatchObject({
      edgesTotal: 8, edgesCovered: 8, actionsTotal: 6, actionsCovered: 6, bounded: false,
    });
  });

  it('leaves out what initial states cannot reach, and what the bounds exclude', () => {
    const g = graphOf(6, [0], [
      [0, 1, 'A'], [1, 2, 'A'], [2, 3, 'B'], [3, 3, 'C'], [4, 5, 'Z'],
    ]);
    const all = coverEdges(g);
    expect(all.stats).toMatchObject({ edgesTotal: 4, edgesCovered: 4, actionsTotal: 3 });
    const short = coverEdges(g, { maxPathLength: 2 });
    expect(short.stats).toMatchObject({ edgesCovered: 2, actionsCovered: 1, bounded: true });
    expect(short.actionsUncovered).toEqual(['B', 'C']);
    expect(short.paths.every((p) => p.length <= 2)).toBe(true);
    const one = coverEdges(graphOf(3, [0], [[0, 1, 'A'], [0, 2, 'B']]), { maxPaths: 1 });
    expect([one.paths.length, one.stats.edgesCovered, one.stats.bounded]).toEqual([1, 1, true]);
  });

  it('covers every reachable edge of random graphs, within maxPathLength', () => {
    const arb = fc.integer({ min: 1, max: 30 }).chain((n) => fc.record({
      n: fc.constant(n),
      initials: fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: 3 }),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.constantFrom('A', 'B', 'C')),
        { maxLength: 80 }),
      maxPathLength: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    }));
    fc.assert(fc.property(arb, ({ n, initials, edges, maxPathLength }) => {
      const unique = [...new Map(edges.map((e) => [e.join(' '), e])).values()];
      const g = graphOf(n, initials, unique);
      const cover = coverEdges(g, maxPathLength === undefined ? {} : { maxPathLength });
      checkPaths(g, cover);
      const dist = distances(n, initials, unique);
      const reachable = unique.filter(([a]) => dist[a]! < Infinity);
      expect(cover.stats.edgesTotal).toBe(reachable.length);
      // An edge is coverable within the bound when its source is near enough to an initial.
      const limit = maxPathLength ?? Infinity;
      const coverable = reachable.filter(([a]) => dist[a]! + 1 <= limit).length;
      expect(cover.stats.edgesCovered).toBe(coverable);
      if (maxPathLength !== undefined) {
        expect(cover.paths.every((p) => p.length <= maxPathLength)).toBe(true);
      }
    }), { numRuns: 300 });
  });

  it('covers every edge of a large random graph (20k nodes, 200k edges)', () => {
    // Speed at 1M edges is measured by bench/tla.bench.ts, never asserted here.
    const n = 20_000;
    const edges: [number, number, string][] = [];
    let x = 7;
    const rand = (): number => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x % n);
    for (let i = 0; i < n; i++) {
      edges.push([i, (i + 1) % n, 'Next']);
      for (let k = 0; k < 9; k++) edges.push([i, rand(), `A${k}`]);
    }
    const cover = coverEdges(graphOf(n, [0], edges));
    expect(cover.stats.edgesTotal).toBeGreaterThan(198_000);
    expect(cover.stats.edgesCovered).toBe(cover.stats.edgesTotal);
  });
});

function distances(n: number, initials: number[], edges: [number, number, string][]): number[] {
  const dist = new Array<number>(n).fill(Infinity);
  const queue = [...initials];
  for (const i of initials) dist[i] = 0;
  for (let h = 0; h < queue.length; h++) {
    const a = queue[h]!;
    for (const [from, to] of edges) {
      if (from === a && dist[to] === Infinity) (dist[to] = dist[a]! + 1, queue.push(to));
    }
  }
  return dist;
}
