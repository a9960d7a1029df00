/**
 * A scriptable node behaviour for the simulator's tests: an input is a list of effects the node
 * performs; every message and timer is recorded in both durable and volatile logs.
 */
import type { Effect, NodeBehavior, SimOptions } from '../../src/runtime/sim/index.ts';

export type Msg = { tag: string };
export type Durable = { seen: string[]; recoveries: number };
export type Volatile = { seen: string[]; incarnation: number };
export type Input = Effect<Msg>[];

export const recorder: NodeBehavior<Msg, Durable, Volatile, Input> = {
  init: (_id, ctx) => ({
    durable: { seen: [], recoveries: 0 },
    volatile: { seen: [], incarnation: ctx.incarnation },
  }),
  recover: (_id, durable, ctx) => ({
    durable: { ...durable, recoveries: durable.recoveries + 1 },
    volatile: { seen: [], incarnation: ctx.incarnation },
  }),
  onMessage: (node, from, msg, ctx) => note(node, `msg:${from}:${msg.tag}@${ctx.nowMs}`),
  onTimer: (node, name, ctx) => note(node, `timer:${name}@${ctx.nowMs}`),
  onInput: (_node, input) => ({ effects: input }),
};

function note(node: { durable: Durable; volatile: Volatile }, line: string) {
  return {
    durable: { ...node.durable, seen: [...node.durable.seen, line] },
    volatile: { ...node.volatile, seen: [...node.volatile.seen, line] },
  };
}

export function send(to: string, tag: string): Effect<Msg> {
  return { type: 'send', to, msg: { tag } };
}

export function options(
  extra: Partial<SimOptions<Msg, Durable, Volatile, Input>> = {},
): SimOptions<Msg, Durable, Volatile, Input> {
  return {
    nodes: ['a', 'b', 'c'],
    behavior: recorder,
    network: { delay: { kind: 'fixed', ms: 10 } },
    ...extra,
  };
}

/** An input entry: node `node` performs `effects` at `atMs`. */
export function at(atMs: number, node: string, ...effects: Effect<Msg>[]) {
  return { atMs, node, input: effects };
}
