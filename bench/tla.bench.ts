/**
 * The TLC toolchain's own costs: parsing TLC's printed states (every counterexample and trace
 * validation answer goes through it) and covering a large state graph's edges with paths (graph
 * replay). Targets: 20k states/s of 20 variables; a 1M-edge graph covered in under 30 s.
 */
import { parseTlaState } from '../src/tla/index.ts';
import { coverEdges } from '../src/tla/edge-cover.ts';
import type { StateEdge, StateGraph, StateNode } from '../src/tla/graph.ts';
import type { BenchResult } from './types.ts';

function parseRate(): BenchResult {
  const text = Array.from({ length: 20 }, (_, i) =>
    `/\\ v${i} = ${['42', '"str\\"ing"', '{1, 2, 3}', '<<h1, h2>>',
      '[a |-> 1, b |-> {<<1, "x">>}]', '(h1 :> 0 @@ h2 :> -1)', 'TRUE'][i % 7]}`).join('\n');
  const n = 4000;
  for (let i = 0; i < n; i++) parseTlaState(text);
  const rounds = [0, 1, 2].map(() => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseTlaState(text);
    return n / ((performance.now() - t0) / 1000);
  });
  return { name: 'parseTlaState, 20 variables (best of 3)', unit: 'states/s',
    value: Math.max(...rounds), samples: 3, target: { op: '>=', value: 20_000 } };
}

function coverMillionEdges(): BenchResult {
  const n = 100_000;
  const nodes = new Map<string, StateNode>();
  for (let i = 0; i < n; i++) nodes.set(`${i}`, { id: `${i}`, initial: i === 0, text: '' });
  const edges: StateEdge[] = [];
  let x = 7;
  const rand = (): number => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x % n);
  for (let i = 0; i < n; i++) {
    edges.push({ from: `${i}`, to: `${(i + 1) % n}`, action: 'Next' });
    for (let k = 0; k < 9; k++) edges.push({ from: `${i}`, to: `${rand()}`, action: `A${k}` });
  }
  const g: StateGraph = { nodes, edges, repeatedEdges: 0 };
  const t0 = performance.now();
  const cover = coverEdges(g);
  const ms = performance.now() - t0;
  return { name: 'coverEdges, 100k nodes / 1M edges', unit: 'ms', value: ms,
    target: { op: '<=', value: 30_000 },
    detail: { paths: cover.paths.length, steps: cover.stats.stepsTotal,
      covered: cover.stats.edgesCovered, total: cover.stats.edgesTotal } };
}

export async function run(): Promise<BenchResult[]> {
  return [parseRate(), coverMillionEdges()];
}
