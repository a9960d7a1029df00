/**
 * Seeded pseudo-random numbers for the simulator: xoshiro128** (Blackman and Vigna), a small,
 * fast generator with 128 bits of state, seeded through splitmix32 from a 32-bit seed and a
 * 32-bit stream key.
 *
 * `fork(label)` derives an independent sub-stream from the parent's seed and key and the label.
 * It consumes nothing from the parent, so a stream's numbers do not depend on how many numbers
 * other streams drew: the network's delays stay the same when a node's behaviour draws more.
 * Forking the same label twice gives the same stream.
 *
 * Nothing in the simulator uses Math.random.
 */

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

/** A simulation seed: an unsigned 32-bit integer. */
export type SimSeed = number;

/** Asserts that `seed` is a valid unsigned 32-bit seed. */
export function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new Error(`assertion: seed must be an integer in [0, 2^32), got ${seed}`);
  }
}

/** Murmur3's 32-bit finaliser: a bijective mixer of 32-bit integers. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string, finalised with mix32. */
export function hashLabel32(label: string): number {
  let h = 0x811c_9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x0100_0193);
  }
  return mix32(h);
}

export class Prng {
  readonly seed: SimSeed;
  /** Identifies the sub-stream: 0 for the root, derived from the labels for forks. */
  readonly streamKey: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: SimSeed, streamKey = 0) {
    assertSeed(seed);
    this.seed = seed;
    this.streamKey = streamKey >>> 0;
    // splitmix32 over a starting point that mixes seed and key.
    let sm = (mix32(seed) ^ mix32(this.streamKey ^ 0x9e37_79b9) ^ 0x6a09_e667) | 0;
    const next = (): number => {
      sm = (sm + 0x9e37_79b9) | 0;
      let t = sm ^ (sm >>> 16);
      t = Math.imul(t, 0x21f0_aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a_2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixpoint
  }

  /** A generator with the given raw xoshiro128** state (for known-answer tests). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Prng {
    const rng = new Prng(0);
    rng.s0 = s0 | 0;
    rng.s1 = s1 | 0;
    rng.s2 = s2 | 0;
    rng.s3 = s3 | 0;
    return rng;
  }

  /** The next unsigned 32-bit integer. */
  u32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  /** A float uniform in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67_108_864 + lo) / TWO_POW_53;
  }

  /** An integer uniform in [lo, hi], both included, without modulo bias. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new Error(`assertion: int(${lo}, ${hi}) needs safe integers with lo <= hi`);
    }
    const span = hi - lo + 1;
    if (span > TWO_POW_32) return lo + Math.floor(this.float() * span);
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let u = this.u32();
    while (u >= limit) u = this.u32();
    return lo + (u % span);
  }

  /** True with probability `p` (0 never, 1 always); always draws one number. */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new Error(`assertion: chance(${p}) needs p in [0, 1]`);
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('assertion: pick() from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A shuffled copy (Fisher-Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent sub-stream named by `label`; draws nothing from this stream. */
  fork(label: string): Prng {
    const key = mix32(Math.imul(this.streamKey ^ 0x2545_f491, 0x9e37_79b9) ^ hashLabel32(label));
    return new Prng(this.seed, key);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
