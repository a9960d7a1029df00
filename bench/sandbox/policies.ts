/**
 * The placement policies the benchmark compares. Every ask of a worker manager (for an idle
 * sandbox, or to provision) counts as one probe.
 *
 * - seed:       src/sandbox/placement.ts's `nextPlacementStep`, the policy of US11144359B1:
 *               random not-yet-asked workers for an idle sandbox; after `maxProbes` misses,
 *               the next one asked provisions if it has no idle one; everyone asked: throttle.
 * - random:     one random worker: warm there if it has an idle sandbox, else provision there;
 *               if all its slots are busy, throttle (no second chance).
 * - best-of-two: ask two random workers; a warm one if either has one, else provision at the
 *               less busy one that can host; neither can: throttle.
 * - sticky:     the function's home worker (a hash of the function): warm there, else provision
 *               there if it can host; else fall back to the seed policy over the other workers.
 */
import { mix32, type Prng } from '../../src/runtime/sim/index.ts';
import { nextPlacementStep } from '../../src/sandbox/placement.ts';
import type { ClusterView, Decision, Policy } from './sim.ts';

export type PolicyName = 'seed' | 'random' | 'best-of-two' | 'sticky' | 'seed-core';
/** The policies of the sweep ('seed-core' is the cross-check of 'seed', see below). */
export const POLICY_NAMES: readonly PolicyName[] = ['seed', 'random', 'best-of-two', 'sticky'];

/** Worker ids as the seed's core wants them ("wm-0" …), and the way back. */
function workerIds(count: number): { ids: string[]; index: Map<string, number> } {
  const ids = Array.from({ length: count }, (_, i) => `wm-${i}`);
  return { ids, index: new Map(ids.map((id, i) => [id, i])) };
}

/**
 * The seed's policy at benchmark speed: the same decisions as `nextPlacementStep`, draw for
 * draw. The core picks `remaining[randomIndex(remaining.length)]` where `remaining` is the
 * workers not yet asked, in order; that costs O(W) per step (and O(W^2) per throttled
 * invocation, which asks everyone). Here a Fenwick tree over "not yet asked" finds the same
 * k-th remaining worker in O(log W). The 'seed-core' policy runs the core itself; the tests and
 * the benchmark check that both give identical metrics for the same seed.
 */
class UnaskedSet {
  private readonly tree: Int32Array;
  private readonly topBit: number;
  private readonly marked: number[] = [];
  constructor(readonly size: number) {
    this.tree = new Int32Array(size + 1);
    for (let i = 1; i <= size; i++) {
      this.tree[i]! += 1;
      const parent = i + (i & -i);
      if (parent <= size) this.tree[parent]! += this.tree[i]!;
    }
    this.topBit = size === 0 ? 0 : 2 ** Math.floor(Math.log2(size));
  }
  get remaining(): number {
    return this.size - this.marked.length;
  }
  /** The index of the k-th (0-based) worker not yet asked. */
  kth(k: number): number {
    let pos = 0;
    let rest = k + 1;
    for (let bit = this.topBit; bit > 0; bit >>= 1) {
      const next = pos + bit;
      if (next <= this.size && this.tree[next]! < rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    return pos; // 0-based index = (1-based position pos + 1) - 1
  }
  mark(index: number): void {
    this.marked.push(index);
    for (let i = index + 1; i <= this.size; i += i & -i) this.tree[i]! -= 1;
  }
  /** Forget every mark (after each invocation). */
  clear(): void {
    for (const index of this.marked) {
      for (let i = index + 1; i <= this.size; i += i & -i) this.tree[i]! += 1;
    }
    this.marked.length = 0;
  }
}

function fastSeedDecide(fn: number, cluster: ClusterView, rng: Prng, maxProbes: number,
  unasked: UnaskedSet): Decision {
  for (;;) {
    const asks = unasked.size - unasked.remaining;
    if (unasked.remaining === 0) return { mode: 'throttle', asks };
    const worker = unasked.kth(rng.int(0, unasked.remaining - 1));
    unasked.mark(worker);
    const provision = asks >= maxProbes;
    if (cluster.hasIdle(worker, fn)) return { mode: 'warm', worker, asks: asks + 1 };
    if (provision && cluster.canHost(worker)) return { mode: 'provision', worker, asks: asks + 1 };
  }
}

/** Drive `nextPlacementStep` to a decision; `asked` may hold workers asked before. */
function seedDecide(fn: number, cluster: ClusterView, rng: Prng, maxProbes: number,
  names: { ids: string[]; index: Map<string, number> }, asked: string[]): Decision {
  const randomIndex = (n: number): number => rng.int(0, n - 1);
  for (;;) {
    const step = nextPlacementStep({ workers: names.ids, asked, maxProbes }, randomIndex);
    if (step.kind === 'throttle') return { mode: 'throttle', asks: asked.length };
    asked.push(step.worker);
    if (asked.length > cluster.workers) throw new Error('assertion: a worker asked twice');
    const worker = names.index.get(step.worker)!;
    if (cluster.hasIdle(worker, fn)) return { mode: 'warm', worker, asks: asked.length };
    if (step.kind === 'provision' && cluster.canHost(worker)) {
      return { mode: 'provision', worker, asks: asked.length };
    }
  }
}

export function makePolicy(name: PolicyName, workers: number, maxProbes: number): Policy {
  const names = workerIds(workers);
  switch (name) {
    case 'seed-core':
      return { name, decide: (fn, c, rng) => seedDecide(fn, c, rng, maxProbes, names, []) };
    case 'seed': {
      const unasked = new UnaskedSet(workers);
      return { name, decide: (fn, c, rng) => {
        const decision = fastSeedDecide(fn, c, rng, maxProbes, unasked);
        unasked.clear();
        return decision;
      } };
    }
    case 'random':
      return { name, decide: randomDecide };
    case 'best-of-two':
      return { name, decide: bestOfTwoDecide };
    case 'sticky': {
      const unasked = new UnaskedSet(workers);
      return {
        name,
        decide: (fn, c, rng) => {
          const home = mix32(fn ^ 0x5bd1_e995) % c.workers;
          if (c.hasIdle(home, fn)) return { mode: 'warm', worker: home, asks: 1 };
          if (c.canHost(home)) return { mode: 'provision', worker: home, asks: 1 };
          unasked.mark(home);
          const decision = fastSeedDecide(fn, c, rng, maxProbes, unasked);
          unasked.clear();
          return decision;
        },
      };
    }
    default: {
      const unreachable: never = name;
      throw new Error(`unknown policy ${String(unreachable)}`);
    }
  }
}

function randomDecide(fn: number, c: ClusterView, rng: Prng): Decision {
  const worker = rng.int(0, c.workers - 1);
  if (c.hasIdle(worker, fn)) return { mode: 'warm', worker, asks: 1 };
  if (c.canHost(worker)) return { mode: 'provision', worker, asks: 1 };
  return { mode: 'throttle', asks: 1 };
}

function bestOfTwoDecide(fn: number, c: ClusterView, rng: Prng): Decision {
  if (c.workers === 1) return randomDecide(fn, c, rng);
  const a = rng.int(0, c.workers - 1);
  let b = rng.int(0, c.workers - 2);
  if (b >= a) b += 1;
  if (c.hasIdle(a, fn)) return { mode: 'warm', worker: a, asks: 2 };
  if (c.hasIdle(b, fn)) return { mode: 'warm', worker: b, asks: 2 };
  const hostA = c.canHost(a);
  const hostB = c.canHost(b);
  if (hostA && (!hostB || c.busy(a) <= c.busy(b))) return { mode: 'provision', worker: a, asks: 2 };
  if (hostB) return { mode: 'provision', worker: b, asks: 2 };
  return { mode: 'throttle', asks: 2 };
}
