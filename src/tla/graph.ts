/**
 * Reads the state graph TLC writes with `-dump dot,actionlabels F`.
 *
 * What this TLC (tools 1.7.3) writes, seen on small specs (test/fixtures/tla-trace):
 *
 *   strict digraph DiskGraph {
 *   nodesep=0.35;
 *   subgraph cluster_graph {
 *   color="white";
 *   1099141974270706748 [label="/\\ m = (p1 :> 0 @@ p2 :> 0)\n/\\ x = 0",style = filled]
 *   -8228199034962155940 [label="/\\ m = …\n/\\ x = 1"];
 *   1099141974270706748 -> -8228199034962155940 [label="Tog",color="black",fontcolor="black"];
 *   {rank = same; 1099141974270706748;1920085103608720055;}
 *   }
 *   }
 *
 * - Node ids are TLC's 64-bit fingerprints, negative ones too: kept as strings.
 * - Initial states, and only they, carry `style = filled` (and no `;` after the `]`); every
 *   node line comes once, the initial ones first, the others when first reached (an edge line
 *   may precede its target's node line). `{rank = same; …}` lines group nodes by BFS level
 *   and are ignored.
 * - A label holds the state as TLC prints it, escaped for dot: `\\` for a backslash, `\"` for a
 *   quote, `\n` for a line break (long values wrap onto indented lines as in TLC's output).
 * - One edge line per successor TLC generated (edges = generated states - initial states):
 *   self loops are written (UNCHANGED steps, `x' = x`), and the same (from, to, action) comes
 *   several times when different parameters lead to the same successor (`\E n : Reset(n)`).
 *   Those repeats are merged here; edges with the same ends and different actions are kept.
 * - The label is the action's name only, without parameters.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { tryParseTlaState } from './parse-value.ts';
import type { TlaParseErrorInfo } from './parse-value.ts';
import type { TlaState } from './value.ts';

export interface StateNode {
  /** TLC's fingerprint, as the decimal text TLC wrote. */
  id: string;
  initial: boolean;
  /** The state as TLC printed it (dot escapes undone). */
  text: string;
  /** The parsed state: set when read eagerly, or after `nodeState`. */
  state?: TlaState;
}

export interface StateEdge {
  from: string;
  to: string;
  /** The action's name; '' when the dump carries no action labels. */
  action: string;
}

export interface StateGraph {
  nodes: Map<string, StateNode>;
  edges: StateEdge[];
  /** Edge lines that repeated an edge already read (same ends, same action). */
  repeatedEdges: number;
}

export type GraphError = {
  code: 'graph-unreadable' | 'graph-syntax' | 'graph-dangling-edge' | 'graph-state';
  message: string;
  line?: number;
  parse?: TlaParseErrorInfo;
};

export type GraphResult = { ok: true; graph: StateGraph } | { ok: false; error: GraphError };

export interface ReadGraphOptions {
  /** 'eager' parses every state while reading (the default); 'lazy' leaves it to nodeState. */
  states?: 'eager' | 'lazy';
}

const NODE_LINE = /^(-?\d+) \[label="((?:[^"\\]|\\.)*)"(,style = filled)?\];?$/;
const EDGE_LINE = /^(-?\d+) -> (-?\d+)(?: \[label="((?:[^"\\]|\\.)*)"[^\]]*\])?;$/;
const IGNORED_LINE = /^(strict digraph |nodesep=|subgraph |color=|\{rank = same;|\}$|$)/;

/** Undoes dot's escapes in a label: \n is a line break, \x is x. */
function unescapeLabel(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Accumulates a graph line by line; `finish` checks that every edge end is a node. */
class GraphBuilder {
  readonly nodes = new Map<string, StateNode>();
  readonly edges: StateEdge[] = [];
  private readonly seen = new Set<string>();
  private repeated = 0;
  private lineNo = 0;

  constructor(private readonly eager: boolean) {}

  line(line: string): GraphError | null {
    this.lineNo++;
    const edge = EDGE_LINE.exec(line);
    if (edge) return this.edge(edge[1]!, edge[2]!, unescapeLabel(edge[3] ?? ''));
    const node = NODE_LINE.exec(line);
    if (node) return this.node(node[1]!, unescapeLabel(node[2]!), node[3] !== undefined);
    if (IGNORED_LINE.test(line)) return null;
    const message = `unexpected line in TLC's dot dump: ${line.slice(0, 80)}`;
    return { code: 'graph-syntax', message, line: this.lineNo };
  }

  private node(id: string, text: string, initial: boolean): GraphError | null {
    const node: StateNode = { id, initial, text };
    if (this.eager) {
      const parsed = tryParseTlaState(text);
      if (!parsed.ok) {
        const message = `state ${id}: ${parsed.error.message}`;
        return { code: 'graph-state', message, line: this.lineNo, parse: parsed.error };
      }
      node.state = parsed.value;
    }
    this.nodes.set(id, node);
    return null;
  }

  private edge(from: string, to: string, action: string): GraphError | null {
    const key = `${from} ${to} ${action}`;
    if (this.seen.has(key)) {
      this.repeated++;
      return null;
    }
    this.seen.add(key);
    this.edges.push({ from, to, action });
    return null;
  }

  finish(): GraphResult {
    for (const e of this.edges) {
      for (const end of [e.from, e.to]) {
        const node = this.nodes.get(end);
        if (node === undefined) {
          const message = `edge ${e.from} -> ${e.to} (${e.action}): no node ${end}`;
          return { ok: false, error: { code: 'graph-dangling-edge', message } };
        }
        // Share one string per id across nodes and edges.
        if (end === e.from) e.from = node.id;
        else e.to = node.id;
      }
    }
    this.seen.clear();
    const graph = { nodes: this.nodes, edges: this.edges, repeatedEdges: this.repeated };
    return { ok: true, graph };
  }
}

/** Parses the text of a dot dump (see the module comment). */
export function parseStateGraph(text: string, opts: ReadGraphOptions = {}): GraphResult {
  const builder = new GraphBuilder((opts.states ?? 'eager') === 'eager');
  for (const line of text.split('\n')) {
    const error = builder.line(line);
    if (error) return { ok: false, error };
  }
  return builder.finish();
}

/** Reads a dot dump file, streaming it line by line. */
export async function readStateGraph(
  path: string,
  opts: ReadGraphOptions = {},
): Promise<GraphResult> {
  const builder = new GraphBuilder((opts.states ?? 'eager') === 'eager');
  try {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    for await (const line of lines) {
      const error = builder.line(line);
      if (error) {
        lines.close();
        return { ok: false, error };
      }
    }
  } catch (e) {
    const message = `cannot read ${path}: ${(e as Error).message}`;
    return { ok: false, error: { code: 'graph-unreadable', message } };
  }
  return builder.finish();
}

/** The parsed state of node `id`, parsing (and caching) it on first use. */
export function nodeState(
  graph: StateGraph,
  id: string,
): { ok: true; state: TlaState } | { ok: false; error: GraphError } {
  const node = graph.nodes.get(id);
  if (node === undefined) {
    return { ok: false, error: { code: 'graph-dangling-edge', message: `no node ${id}` } };
  }
  if (node.state !== undefined) return { ok: true, state: node.state };
  const parsed = tryParseTlaState(node.text);
  if (!parsed.ok) {
    const error: GraphError = {
      code: 'graph-state', message: `state ${id}: ${parsed.error.message}`, parse: parsed.error,
    };
    return { ok: false, error };
  }
  node.state = parsed.value;
  return { ok: true, state: parsed.value };
}

/** Initial nodes, in the order TLC wrote them. */
export function initialNodes(graph: StateGraph): StateNode[] {
  return [...graph.nodes.values()].filter((n) => n.initial);
}
