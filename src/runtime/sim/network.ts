/**
 * The simulated network's decisions: which links are blocked, whether a message is lost or
 * duplicated, and when each copy arrives. All randomness comes from the network's own stream.
 */
import type { Prng } from './prng.ts';
import type { Delay, NetworkConfig, NodeId } from './schema.ts';

export type SendVerdict =
  | { kind: 'drop'; reason: 'lost' | 'partitioned' }
  /** Arrival times of each copy (two when duplicated). */
  | { kind: 'deliver'; arrivalsMs: number[] };

export class Network {
  readonly config: NetworkConfig;
  private readonly blocked = new Set<string>();
  /** Per directed link, the latest arrival scheduled so far (only used when fifo). */
  private readonly lastArrivalMs = new Map<string, number>();

  constructor(
    config: NetworkConfig,
    private readonly rng: Prng,
    private readonly nodeIds: readonly NodeId[],
  ) {
    this.config = { ...config };
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  /** Blocks from -> to; returns whether anything changed. */
  block(from: NodeId, to: NodeId): boolean {
    const key = linkKey(from, to);
    if (from === to || this.blocked.has(key)) return false;
    this.blocked.add(key);
    return true;
  }

  unblock(from: NodeId, to: NodeId): boolean {
    return this.blocked.delete(linkKey(from, to));
  }

  isolate(node: NodeId): boolean {
    let changed = false;
    for (const other of this.nodeIds) {
      changed = this.block(node, other) || changed;
      changed = this.block(other, node) || changed;
    }
    return changed;
  }

  rejoin(node: NodeId): boolean {
    let changed = false;
    for (const other of this.nodeIds) {
      changed = this.unblock(node, other) || changed;
      changed = this.unblock(other, node) || changed;
    }
    return changed;
  }

  healAll(): boolean {
    const changed = this.blocked.size > 0;
    this.blocked.clear();
    return changed;
  }

  setRates(lossRate: number | undefined, dupRate: number | undefined): void {
    if (lossRate !== undefined) this.config.lossRate = lossRate;
    if (dupRate !== undefined) this.config.dupRate = dupRate;
  }

  /** Decides the fate of a message sent now. */
  send(from: NodeId, to: NodeId, nowMs: number): SendVerdict {
    if (this.isBlocked(from, to)) return { kind: 'drop', reason: 'partitioned' };
    const cfg = this.config;
    if (cfg.lossRate > 0 && this.rng.chance(cfg.lossRate)) return { kind: 'drop', reason: 'lost' };
    const copies = cfg.dupRate > 0 && this.rng.chance(cfg.dupRate) ? 2 : 1;
    const arrivalsMs: number[] = [];
    for (let i = 0; i < copies; i++) arrivalsMs.push(this.arrival(from, to, nowMs));
    return { kind: 'deliver', arrivalsMs };
  }

  private arrival(from: NodeId, to: NodeId, nowMs: number): number {
    const cfg = this.config;
    let atMs = nowMs + sampleDelayMs(cfg.delay, this.rng);
    if (cfg.reorder.rate > 0 && this.rng.chance(cfg.reorder.rate)) {
      atMs += this.rng.int(0, cfg.reorder.extraMsMax);
    }
    if (cfg.fifo) {
      const key = linkKey(from, to);
      atMs = Math.max(atMs, this.lastArrivalMs.get(key) ?? 0);
      this.lastArrivalMs.set(key, atMs);
    }
    return atMs;
  }
}

export function sampleDelayMs(delay: Delay, rng: Prng): number {
  switch (delay.kind) {
    case 'fixed':
      return delay.ms;
    case 'uniform':
      return rng.int(delay.minMs, delay.maxMs);
    case 'exponential': {
      const u = rng.float();
      const ms = Math.round(-Math.log(1 - u) * delay.meanMs);
      return Math.min(ms, delay.maxMs);
    }
    default: {
      const never: never = delay;
      throw new Error(`assertion: unknown delay ${JSON.stringify(never)}`);
    }
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}
