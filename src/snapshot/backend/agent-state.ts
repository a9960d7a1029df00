/**
 * The agent's in-memory instance state and the pure operations on it: building the ready
 * state, allocating garbage, the PRNG, digests and the image a snapshot writes. No I/O here.
 */
import { createHash } from 'node:crypto';
import type { InstanceImage } from './agent-wire.ts';
import type { ReadySpec } from './types.ts';

export type Garbage = { bytes: number; fill: number; buffer: Buffer };
export type LiveConnection = { connectionId: string; localPort: number;
  socket: import('node:net').Socket | null; open: boolean };

export type AgentState = {
  slot: string;
  generation: number;
  executions: number;
  prngState: Buffer;
  table: string[];
  garbage: Garbage[];
  connections: Map<string, LiveConnection>;
  nextConnection: number;
};

function sha256(...parts: (string | Uint8Array)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The slow part of a cold start: `tableEntries` entries of `hashRounds` chained hashes. */
export function buildReadyTable(ready: ReadySpec): string[] {
  const table: string[] = [];
  for (let i = 0; i < ready.tableEntries; i++) {
    let h = sha256(`entry-${i}`);
    for (let r = 1; r < ready.hashRounds; r++) h = sha256(h);
    table.push(h.toString('hex'));
  }
  return table;
}

export function coldState(slot: string, ready: ReadySpec, generation: number,
  entropy: Buffer): AgentState {
  return {
    slot, generation, executions: 0, prngState: sha256('cold', entropy),
    table: buildReadyTable(ready), garbage: [], connections: new Map(), nextConnection: 1,
  };
}

/** VMGenID: mix the fresh entropy and the generation into the PRNG before anything runs. */
export function reseed(state: AgentState, generation: number, entropy: Buffer): void {
  state.prngState = sha256(state.prngState, entropy, `generation-${generation}`);
  state.generation = generation;
}

export function draw(state: AgentState, bytes: number): Buffer {
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < bytes) {
    const block = sha256(state.prngState, 'out');
    state.prngState = sha256(state.prngState, 'next');
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, bytes);
}

export function allocateGarbage(state: AgentState, bytes: number): void {
  if (bytes === 0) return;
  const fill = (state.executions % 251) + 1;
  state.garbage.push({ bytes, fill, buffer: Buffer.alloc(bytes, fill) });
}

export function garbageBytes(state: AgentState): number {
  return state.garbage.reduce((sum, g) => sum + g.bytes, 0);
}

export function readyDigest(table: string[]): string {
  return sha256(table.join('')).toString('hex').slice(0, 32);
}

/**
 * The digest of every non-preserved state component that a restore must reset to the
 * snapshot's: the table, garbage, execution count and believed-open connections. The PRNG and
 * the generation are left out on purpose: a restore changes them by design.
 */
export function stateDigest(state: AgentState): string {
  const connections = [...state.connections.values()].filter((c) => c.open)
    .map((c) => c.connectionId).sort();
  const garbage = state.garbage.map((g) => [g.bytes, g.fill]);
  const text = JSON.stringify({ table: readyDigest(state.table), garbage,
    executions: state.executions, connections });
  return sha256(text).toString('hex').slice(0, 32);
}

export function toImage(state: AgentState): InstanceImage {
  return {
    format: 'plumbline-process-image/1',
    slot: state.slot,
    generation: state.generation,
    executions: state.executions,
    prngStateHex: state.prngState.toString('hex'),
    table: state.table,
    garbage: state.garbage.map((g) => ({ bytes: g.bytes, fill: g.fill })),
    connections: [...state.connections.values()].filter((c) => c.open)
      .map((c) => ({ connectionId: c.connectionId, localPort: c.localPort })),
    nextConnection: state.nextConnection,
  };
}

/** Rebuild the state from an image; believed-open connections come back without sockets. */
export function fromImage(image: InstanceImage, slot: string): AgentState {
  const connections = new Map<string, LiveConnection>();
  for (const c of image.connections) {
    connections.set(c.connectionId, { ...c, socket: null, open: true });
  }
  return {
    slot, generation: image.generation, executions: image.executions,
    prngState: Buffer.from(image.prngStateHex, 'hex'), table: image.table,
    garbage: image.garbage.map((g) => ({ ...g, buffer: Buffer.alloc(g.bytes, g.fill) })),
    connections, nextConnection: image.nextConnection,
  };
}

export function imageDigest(image: InstanceImage): string {
  return sha256(JSON.stringify(image)).toString('hex');
}
