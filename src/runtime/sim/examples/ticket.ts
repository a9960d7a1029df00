/**
 * A toy protocol for the simulator's own tests and benchmark: a ticket service. One server
 * hands out tickets (integers) that must be unique; clients request tickets one at a time and
 * retry on a timer until answered.
 *
 * To avoid a disk write per ticket, the server reserves tickets in blocks:
 *   - `reserve-ahead` (correct): persist `reserved = next + blockSize - 1` BEFORE issuing from a
 *     new block; after a restart, continue from `reserved + 1`.
 *   - `persist-behind` (buggy): issue first and persist `reserved = next - 1` after every
 *     `blockSize` tickets; after a restart, continue from `reserved + 1`, re-issuing the tickets
 *     handed out since the last write. Only a crash at the wrong moment exposes it.
 */
import type { NodeBehavior, SimWorld, Violation } from '../types.ts';
import type { NodeId } from '../schema.ts';

export type TicketMsg =
  | { type: 'req'; reqId: number }
  | { type: 'ticket'; reqId: number; ticket: number };

export type ServerDurable = { role: 'server'; reserved: number };
export type ServerVolatile = { role: 'server'; next: number; limit: number; sinceWrite: number };
export type ClientDurable = {
  role: 'client';
  /** Requests started (a request id is never reused, even across restarts). */
  issued: number;
  accepted: number;
  lastTicket: number;
  /** Every accepted ticket, when `recordTickets` is on. */
  tickets: readonly number[];
};
export type ClientVolatile = { role: 'client'; pending: number | undefined };
export type TicketDurable = ServerDurable | ClientDurable;
export type TicketVolatile = ServerVolatile | ClientVolatile;

export interface TicketConfig {
  clients: number;
  variant: 'reserve-ahead' | 'persist-behind';
  blockSize?: number;
  retryMs?: number;
  thinkMsMax?: number;
  /** Requests per client (default unbounded). */
  maxRequests?: number;
  /** Keep every accepted ticket in client state (needed by `UniqueTickets`). */
  recordTickets?: boolean;
  /** Invariants to check (default: NoReissue, plus UniqueTickets when recordTickets). */
  check?: readonly ('NoReissue' | 'UniqueTickets')[];
}

export const SERVER: NodeId = 'server';

type Behavior = NodeBehavior<TicketMsg, TicketDurable, TicketVolatile, never>;

export function ticketService(cfg: TicketConfig): {
  nodes: NodeId[];
  behavior: Behavior;
  invariants: (world: SimWorld<TicketDurable, TicketVolatile>) => Violation[];
} {
  const nodes = [SERVER];
  for (let i = 1; i <= cfg.clients; i++) nodes.push(`c${i}`);
  const server = serverBehavior(cfg.variant, cfg.blockSize ?? 4);
  const client = clientBehavior(cfg);
  const behavior: Behavior = {
    init: (id, ctx) => (id === SERVER ? server.init(id, ctx) : client.init(id, ctx)),
    recover: (id, d, ctx) =>
      id === SERVER ? server.recover(id, d, ctx) : client.recover(id, d, ctx),
    onMessage: (n, from, m, ctx) =>
      n.id === SERVER ? server.onMessage(n, from, m, ctx) : client.onMessage(n, from, m, ctx),
    onTimer: (n, name, ctx) =>
      n.id === SERVER ? server.onTimer(n, name, ctx) : client.onTimer(n, name, ctx),
    onInput: () => ({}),
  };
  const record = cfg.recordTickets === true;
  const check = cfg.check ?? (record ? ['NoReissue', 'UniqueTickets'] : ['NoReissue']);
  if (check.includes('UniqueTickets') && !record) {
    throw new Error('assertion: UniqueTickets needs recordTickets');
  }
  return { nodes, behavior, invariants: ticketInvariants(nodes, check) };
}

function serverBehavior(variant: TicketConfig['variant'], blockSize: number): Behavior {
  const fresh = (reserved: number): ServerVolatile =>
    ({ role: 'server', next: reserved + 1, limit: reserved, sinceWrite: 0 });
  return {
    init: () => ({ durable: { role: 'server', reserved: 0 }, volatile: fresh(0) }),
    recover: (_id, d) => ({ volatile: fresh(d.role === 'server' ? d.reserved : 0) }),
    onMessage: (node, from, msg) => {
      const v = node.volatile;
      if (msg.type !== 'req' || v.role !== 'server') return {};
      const ticket = v.next;
      const reply = { type: 'send' as const, to: from, msg: { type: 'ticket' as const,
        reqId: msg.reqId, ticket } };
      if (variant === 'reserve-ahead') {
        if (ticket <= v.limit) return { volatile: { ...v, next: ticket + 1 }, effects: [reply] };
        const limit = ticket + blockSize - 1;
        return { durable: { role: 'server', reserved: limit },
          volatile: { ...v, next: ticket + 1, limit }, effects: [reply] };
      }
      const sinceWrite = v.sinceWrite + 1;
      if (sinceWrite < blockSize) {
        return { volatile: { ...v, next: ticket + 1, sinceWrite }, effects: [reply] };
      }
      return { durable: { role: 'server', reserved: ticket },
        volatile: { ...v, next: ticket + 1, sinceWrite: 0 }, effects: [reply] };
    },
    onTimer: () => ({}),
    onInput: () => ({}),
  };
}

function clientBehavior(cfg: TicketConfig): Behavior {
  const retryMs = cfg.retryMs ?? 50;
  const thinkMsMax = cfg.thinkMsMax ?? 20;
  const maxRequests = cfg.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const record = cfg.recordTickets === true;
  return {
    init: (_id, ctx) => ({
      durable: { role: 'client', issued: 0, accepted: 0, lastTicket: 0, tickets: [] },
      volatile: { role: 'client', pending: undefined },
      effects: [{ type: 'setTimer', name: 'next', afterMs: ctx.rng.int(0, thinkMsMax) }],
    }),
    recover: (_id, _d, ctx) => ({
      volatile: { role: 'client', pending: undefined },
      effects: [{ type: 'setTimer', name: 'next', afterMs: ctx.rng.int(0, thinkMsMax) }],
    }),
    onMessage: (node, _from, msg, ctx) => {
      const d = node.durable;
      const v = node.volatile;
      if (msg.type !== 'ticket' || d.role !== 'client' || v.role !== 'client') return {};
      if (msg.reqId !== v.pending) return {}; // a duplicate or a late answer
      const tickets = record ? [...d.tickets, msg.ticket] : d.tickets;
      return {
        durable: { ...d, accepted: d.accepted + 1, lastTicket: msg.ticket, tickets },
        volatile: { role: 'client', pending: undefined },
        effects: [
          { type: 'cancelTimer', name: 'retry' },
          { type: 'setTimer', name: 'next', afterMs: ctx.rng.int(0, thinkMsMax) },
        ],
      };
    },
    onTimer: (node, name) => {
      const d = node.durable;
      const v = node.volatile;
      if (d.role !== 'client' || v.role !== 'client') return {};
      const retry = { type: 'setTimer' as const, name: 'retry', afterMs: retryMs };
      if (name === 'retry' && v.pending !== undefined) {
        return { effects: [{ type: 'send', to: SERVER, msg: { type: 'req', reqId: v.pending } },
          retry] };
      }
      if (name !== 'next' || d.issued >= maxRequests) return {};
      const reqId = d.issued + 1;
      return {
        durable: { ...d, issued: reqId },
        volatile: { role: 'client', pending: reqId },
        effects: [{ type: 'send', to: SERVER, msg: { type: 'req', reqId } }, retry],
      };
    },
    onInput: () => ({}),
  };
}

/**
 * `NoReissue`: while the server is up, its next ticket is above every ticket a client holds.
 * `UniqueTickets` (with recordTickets): no ticket was accepted twice, across all clients.
 */
function ticketInvariants(
  nodes: readonly NodeId[],
  check: readonly ('NoReissue' | 'UniqueTickets')[],
) {
  const clients = nodes.filter((id) => id !== SERVER);
  const noReissue = check.includes('NoReissue');
  const unique = check.includes('UniqueTickets');
  return (world: SimWorld<TicketDurable, TicketVolatile>): Violation[] => {
    const out: Violation[] = [];
    const sv = noReissue ? world.node(SERVER).volatile : undefined;
    if (sv !== undefined && sv.role === 'server') {
      for (const id of clients) {
        const d = world.node(id).durable;
        if (d.role === 'client' && d.lastTicket >= sv.next) {
          out.push({ name: 'NoReissue', detail: `${id} holds ${d.lastTicket}, next ${sv.next}` });
          break;
        }
      }
    }
    if (unique) {
      const seen = new Map<number, NodeId>();
      for (const id of clients) {
        const d = world.node(id).durable;
        if (d.role !== 'client') continue;
        for (const t of d.tickets) {
          const other = seen.get(t);
          if (other !== undefined) {
            out.push({ name: 'UniqueTickets', detail: `ticket ${t} held by ${other} and ${id}` });
            return out;
          }
          seen.set(t, id);
        }
      }
    }
    return out;
  };
}
