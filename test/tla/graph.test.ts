import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverEdges } from '../../src/tla/edge-cover.ts';
import { initialNodes, nodeState, parseStateGraph, readStateGraph } from '../../src/tla/graph.ts';
import { runTlc } from '../../src/tla/runner.ts';
import { model } from '../../src/tla/value.ts';

const FIXTURES = new URL('../fixtures/tla-trace/', import.meta.url).pathname;

const DOT = [
  'strict digraph DiskGraph {',
  'nodesep=0.35;',
  'subgraph cluster_graph {',
  'color="white";',
  '12 [label="/\\\\ x = 0\\n/\\\\ s = \\"a\\\\\\"b\\"",style = filled]',
  '12 -> -9223372036854775808 [label="Inc",color="black",fontcolor="black"];',
  '12 -> -9223372036854775808 [label="Inc",color="black",fontcolor="black"];',
  '12 -> -9223372036854775808 [label="Jump",color="black",fontcolor="black"];',
  '-9223372036854775808 [label="/\\\\ x = 1\\n/\\\\ s = \\"\\""];',
  '-9223372036854775808 -> -9223372036854775808 [label="Stay",color="black",fontcolor="black"];',
  '{rank = same; 12;}',
  '{rank = same; -9223372036854775808;}',
  '}',
  '}',
].join('\n');

describe('parseStateGraph', () => {
  it('reads ids as text, marks initial states, undoes escapes, merges only repeated edges', () => {
    const r = parseStateGraph(DOT);
    if (!r.ok) throw new Error(r.error.message);
    const { nodes, edges, repeatedEdges } = r.graph;
    expect([...nodes.keys()]).toEqual(['12', '-9223372036854775808']);
    expect(nodes.get('12')).toMatchObject({ initial: true, state: { x: 0, s: 'a"b' } });
    expect(nodes.get('12')?.text).toBe('/\\ x = 0\n/\\ s = "a\\"b"');
    expect(nodes.get('-9223372036854775808'))
      .toMatchObject({ initial: false, state: { x: 1, s: '' } });
    expect(edges.map((e) => e.action)).toEqual(['Inc', 'Jump', 'Stay']);
    expect(repeatedEdges).toBe(1);
  });

  it('parses states lazily when asked', () => {
    const r = parseStateGraph(DOT, { states: 'lazy' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.graph.nodes.get('12')?.state).toBeUndefined();
    expect(nodeState(r.graph, '12')).toEqual({ ok: true, state: { x: 0, s: 'a"b' } });
    expect(r.graph.nodes.get('12')?.state).toEqual({ x: 0, s: 'a"b' });
  });

  it('reports lines it does not know, dangling edges and bad states as errors', () => {
    const syntax = parseStateGraph(DOT.replace('nodesep=0.35;', 'what is this'));
    expect(!syntax.ok && [syntax.error.code, syntax.error.line]).toEqual(['graph-syntax', 2]);
    const dangling = parseStateGraph(DOT.replace(/^-9223372036854775808 \[label.*$/m, ''));
    expect(!dangling.ok && dangling.error.code).toBe('graph-dangling-edge');
    const state = parseStateGraph(DOT.replace('x = 0', 'x = {'));
    expect(!state.ok && state.error.code).toBe('graph-state');
  });
});

describe('readStateGraph on a TLC dump of the Counter spec', () => {
  it('has one node per distinct state and covers every edge', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plumbline-graph-'));
    try {
      const r = await runTlc({
        spec: join(FIXTURES, 'Counter.tla'), config: join(FIXTURES, 'MC.cfg'), workers: 1,
        dump: { path: join(dir, 'counter'), dot: true },
      });
      expect(r.outcome).toBe('ok');
      const read = await readStateGraph(join(dir, 'counter.dot'));
      if (!read.ok) throw new Error(read.error.message);
      const g = read.graph;
      expect(g.nodes.size).toBe(r.distinctStates);
      const inits = initialNodes(g);
      const init = { count: 0, flag: false, holder: model('Nobody') };
      expect(inits.map((n) => n.state)).toEqual([init]);
      // TLC writes one edge line per generated successor (repeats merged on reading).
      expect(g.edges.length + g.repeatedEdges).toBe(r.generatedStates - inits.length);
      expect(new Set(g.edges.map((e) => e.action))).toEqual(new Set(['Inc', 'Toggle', 'Grab']));
      for (const e of g.edges) {
        const [from, to] = [g.nodes.get(e.from)!.state!, g.nodes.get(e.to)!.state!];
        const grew = (to.count as number) - (from.count as number);
        if (e.action === 'Inc') expect([1, 2]).toContain(grew);
        else expect(grew).toBe(0);
      }
      const cover = coverEdges(g);
      expect(cover.stats).toMatchObject({
        edgesTotal: g.edges.length, edgesCovered: g.edges.length, actionsTotal: 3,
        actionsCovered: 3, bounded: false,
      });
      const initIds = new Set(inits.map((n) => n.id));
      for (const path of cover.paths) {
        expect(initIds.has(path[0]!.from)).toBe(true);
        path.forEach((e, i) => i > 0 && expect(e.from).toBe(path[i - 1]!.to));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
