/**
 * Connection tracker with both ends (US11943093B1): for every connection of an instance, what
 * the instance believes and what the peer believes. Before a halt or restore the host sends a
 * termination to each end, formatted as if from the other party, so both sides agree it is
 * closed; a restore then makes the instance forget its side (S had no connections).
 */
import type { ConnEnd } from './messages.ts';

export type EndState = 'none' | 'open' | 'closed';
export interface Connection {
  readonly instance: string;
  readonly instEnd: EndState;
  readonly peerEnd: EndState;
}
/** connId -> connection. */
export type ConnTable = Readonly<Record<string, Connection>>;

export const MAX_CONNECTIONS = 4096;

/** An execution opens a connection: both ends open. Error value when the table is full. */
export function openConnection(t: ConnTable, connId: string, instance: string):
  | { ok: true; table: ConnTable }
  | { ok: false; code: 'TOO_MANY_CONNECTIONS' | 'CONNECTION_OPEN'; message: string } {
  const c = t[connId];
  if (c !== undefined && (c.instEnd === 'open' || c.peerEnd === 'open')) {
    return { ok: false, code: 'CONNECTION_OPEN', message: `${connId} is open` };
  }
  if (c === undefined && Object.keys(t).length >= MAX_CONNECTIONS) {
    return { ok: false, code: 'TOO_MANY_CONNECTIONS', message: `${MAX_CONNECTIONS} tracked` };
  }
  return { ok: true, table: { ...t, [connId]: { instance, instEnd: 'open', peerEnd: 'open' } } };
}

/** A normal close: both ends closed. */
export function closeConnection(t: ConnTable, connId: string): ConnTable {
  const c = t[connId];
  if (c === undefined) return t;
  return { ...t, [connId]: { ...c, instEnd: 'closed', peerEnd: 'closed' } };
}

const closeEnd = (e: EndState): EndState => (e === 'open' ? 'closed' : e);

/** Termination signals to the given ends of every connection of the instance. */
export function terminateConnections(
  t: ConnTable, instance: string, ends: readonly ConnEnd[],
): ConnTable {
  const out: Record<string, Connection> = {};
  for (const [id, c] of Object.entries(t)) {
    if (c.instance !== instance) {
      out[id] = c;
      continue;
    }
    out[id] = {
      ...c,
      instEnd: ends.includes('instance') ? closeEnd(c.instEnd) : c.instEnd,
      peerEnd: ends.includes('peer') ? closeEnd(c.peerEnd) : c.peerEnd,
    };
  }
  return out;
}

/** A restore: the instance's side of its connections is what S knew, i.e. nothing. */
export function forgetInstanceSide(t: ConnTable, instance: string): ConnTable {
  const out: Record<string, Connection> = {};
  for (const [id, c] of Object.entries(t)) {
    out[id] = c.instance === instance ? { ...c, instEnd: 'none' } : c;
  }
  return out;
}

/** Connections of the instance open at one end only. */
export function halfOpen(t: ConnTable, instance: string): string[] {
  return Object.entries(t)
    .filter(([, c]) => c.instance === instance && (c.instEnd === 'open') !== (c.peerEnd === 'open'))
    .map(([id]) => id);
}

export function openConnections(t: ConnTable, instance: string): string[] {
  return Object.entries(t)
    .filter(([, c]) => c.instance === instance && (c.instEnd === 'open' || c.peerEnd === 'open'))
    .map(([id]) => id);
}
