/**
 * The store on a single durable log, as a simulator composition: a stand-in for a consensus
 * group (one member holds the log; it crashes and restarts with its log intact), lagging
 * read replicas that pull the log, and clients running the client core. Messages are lost,
 * duplicated and reordered by the simulator's network.
 *
 * Nodes: `log`, replicas `r1..rR`, clients `c1..cC`. Inputs: a `KvCommand` for a client; a
 * client queues inputs (bounded) and runs them one at a time.
 *
 * `hooks.route(entry)` picks the node a client sends an entry to (default: the log). A test can
 * replace it, e.g. to send reads to a lagging replica (a broken store).
 */
import type { NodeBehavior, NodeId } from '../../runtime/sim/index.ts';
import { KvCommandSchema, type KvCommand, type KvEntry, type KvReply } from './commands.ts';
import {
  initKvClient,
  kvClientSteps,
  type KvClientConfig,
  type KvClientEffect,
  type KvClientState,
  type KvClientSteps,
} from './client.ts';
import { applyCommand, applyEntry, emptyKvState, type KvState } from './store.ts';

export const LOG_NODE: NodeId = 'log';
export const MAX_QUEUED_INPUTS = 64;
export const MAX_LOG_ENTRIES = 100_000;

export type SingleLogMsg =
  | { type: 'request'; entry: KvEntry }
  | { type: 'reply'; reply: KvReply }
  | { type: 'fetch'; fromIndex: number }
  | { type: 'entries'; startIndex: number; entries: KvEntry[] };

export type SingleLogDurable =
  | { role: 'log'; log: readonly KvEntry[] }
  | { role: 'replica' }
  | { role: 'client'; seq: number };

export type SingleLogVolatile =
  | { role: 'log'; state: KvState }
  | { role: 'replica'; state: KvState; logLength: number }
  | { role: 'client'; core: KvClientState; queue: readonly KvCommand[];
      /** The newest resolved command, for history recording. */
      lastResolved: Extract<KvClientEffect, { type: 'resolved' }> | undefined };

export type SingleLogHooks = {
  route: (entry: KvEntry, replicas: readonly NodeId[]) => NodeId;
  client: KvClientSteps;
};

export type SingleLogConfig = {
  clients: number;
  replicas: number;
  client: KvClientConfig;
  syncMs: number;
  hooks?: Partial<SingleLogHooks>;
};

type Behavior = NodeBehavior<SingleLogMsg, SingleLogDurable, SingleLogVolatile, KvCommand>;
type Tr = ReturnType<Behavior['onMessage']>;

export function singleLogStore(config: SingleLogConfig): { nodes: NodeId[]; behavior: Behavior;
  clients: NodeId[]; replicas: NodeId[] } {
  const replicas = Array.from({ length: config.replicas }, (_, i) => `r${i + 1}`);
  const clients = Array.from({ length: config.clients }, (_, i) => `c${i + 1}`);
  const hooks: SingleLogHooks = { route: () => LOG_NODE, client: kvClientSteps,
    ...config.hooks };
  const role = (id: NodeId): 'log' | 'replica' | 'client' =>
    id === LOG_NODE ? 'log' : replicas.includes(id) ? 'replica' : 'client';
  const behavior: Behavior = {
    init: (id) => {
      switch (role(id)) {
        case 'log': return { durable: { role: 'log', log: [] },
          volatile: { role: 'log', state: emptyKvState() } };
        case 'replica': return { durable: { role: 'replica' },
          volatile: { role: 'replica', state: emptyKvState(), logLength: 0 },
          effects: [{ type: 'setTimer', name: 'sync', afterMs: config.syncMs }] };
        case 'client': return { durable: { role: 'client', seq: 0 },
          volatile: { role: 'client', core: initKvClient(id), queue: [],
            lastResolved: undefined } };
      }
    },
    recover: (id, durable) => recover(id, durable, config),
    onMessage: (node, from, msg) => {
      const d = node.durable;
      const v = node.volatile;
      if (d.role === 'log' && v.role === 'log') return logOnMessage(d, v, from, msg);
      if (v.role === 'replica') return replicaOnMessage(v, from, msg);
      if (d.role === 'client' && v.role === 'client' && msg.type === 'reply') {
        return clientRun(config, hooks, replicas, d, v, hooks.client.onReply(v.core, msg.reply));
      }
      return {};
    },
    onTimer: (node, name) => {
      const d = node.durable;
      const v = node.volatile;
      if (v.role === 'replica' && name === 'sync') {
        return { effects: [{ type: 'send', to: LOG_NODE,
          msg: { type: 'fetch', fromIndex: v.logLength } },
        { type: 'setTimer', name: 'sync', afterMs: config.syncMs }] };
      }
      if (d.role === 'client' && v.role === 'client' && name === 'retry') {
        const step = hooks.client.onRetry(config.client, v.core);
        return clientRun(config, hooks, replicas, d, v, step);
      }
      return {};
    },
    onInput: (node, input) => {
      const d = node.durable;
      const v = node.volatile;
      const parsed = KvCommandSchema.safeParse(input);
      if (d.role !== 'client' || v.role !== 'client' || !parsed.success) return {};
      if (v.queue.length >= MAX_QUEUED_INPUTS) return {};
      return clientRun(config, hooks, replicas, d, { ...v, queue: [...v.queue, parsed.data] },
        { state: v.core, effects: [] });
    },
  };
  return { nodes: [LOG_NODE, ...replicas, ...clients], behavior, clients, replicas };
}

function recover(id: NodeId, durable: SingleLogDurable, config: SingleLogConfig) {
  switch (durable.role) {
    case 'log': {
      let state = emptyKvState();
      for (const entry of durable.log) state = applyEntry(state, entry).state;
      return { volatile: { role: 'log' as const, state } };
    }
    case 'replica':
      return { volatile: { role: 'replica' as const, state: emptyKvState(), logLength: 0 },
        effects: [{ type: 'setTimer' as const, name: 'sync', afterMs: config.syncMs }] };
    case 'client':
      // Commands in flight at the crash stay pending forever; the sequence number goes on.
      return { volatile: { role: 'client' as const, core: initKvClient(id, durable.seq),
        queue: [], lastResolved: undefined } };
  }
}

function logOnMessage(
  d: Extract<SingleLogDurable, { role: 'log' }>,
  v: Extract<SingleLogVolatile, { role: 'log' }>,
  from: NodeId,
  msg: SingleLogMsg,
): Tr {
  if (msg.type === 'fetch') {
    const entries = d.log.slice(msg.fromIndex, msg.fromIndex + 256);
    return { effects: [{ type: 'send', to: from,
      msg: { type: 'entries', startIndex: msg.fromIndex, entries } }] };
  }
  if (msg.type !== 'request' || d.log.length >= MAX_LOG_ENTRIES) return {};
  const { state, result } = applyEntry(v.state, msg.entry);
  const log = [...d.log, msg.entry];
  const effects = result === undefined ? [] : [{ type: 'send' as const, to: from, msg:
    { type: 'reply' as const, reply: { clientId: msg.entry.clientId, seq: msg.entry.seq,
      result } } }];
  return { durable: { role: 'log', log }, volatile: { role: 'log', state }, effects };
}

/** A replica applies fetched entries in order; it answers reads from its (lagging) state. */
function replicaOnMessage(
  v: Extract<SingleLogVolatile, { role: 'replica' }>,
  from: NodeId,
  msg: SingleLogMsg,
): Tr {
  if (msg.type === 'entries') {
    if (msg.startIndex !== v.logLength) return {};
    let state = v.state;
    for (const entry of msg.entries) state = applyEntry(state, entry).state;
    return { volatile: { ...v, state, logLength: v.logLength + msg.entries.length } };
  }
  if (msg.type !== 'request' || msg.entry.command.type !== 'get') return {};
  const { result } = applyCommand(v.state.data, msg.entry.command);
  const reply = { clientId: msg.entry.clientId, seq: msg.entry.seq, result };
  return { effects: [{ type: 'send', to: from, msg: { type: 'reply', reply } }] };
}

/** Run the client core's effects, then start the next queued command if idle. */
function clientRun(
  config: SingleLogConfig,
  hooks: SingleLogHooks,
  replicas: readonly NodeId[],
  d: Extract<SingleLogDurable, { role: 'client' }>,
  v: Extract<SingleLogVolatile, { role: 'client' }>,
  step: { state: KvClientState; effects: KvClientEffect[] },
): Tr {
  let core = step.state;
  let queue = v.queue;
  let lastResolved = v.lastResolved;
  const pendingEffects = [...step.effects];
  const out: NonNullable<Tr['effects']>[number][] = [];
  for (let guard = 0; guard < 2 * MAX_QUEUED_INPUTS; guard++) {
    for (const e of pendingEffects.splice(0)) {
      switch (e.type) {
        case 'propose':
          out.push({ type: 'send', to: hooks.route(e.entry, replicas),
            msg: { type: 'request', entry: e.entry } });
          break;
        case 'setTimer':
        case 'cancelTimer':
          out.push(e);
          break;
        case 'resolved':
          lastResolved = e;
          break;
      }
    }
    const next = queue[0];
    if (core.pending !== undefined || next === undefined) break;
    const started = hooks.client.submit(config.client, core, next);
    if (!started.ok) break;
    queue = queue.slice(1);
    core = started.value.state;
    pendingEffects.push(...started.value.effects);
  }
  return { durable: { ...d, seq: core.seq }, volatile: { role: 'client', core, queue,
    lastResolved }, effects: out };
}
