/**
 * Seeded randomness for everything that must replay from a run's seed:
 * shard assignment, the train/test split, weight initialisation.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator,
 * 128-bit state, passes PractRand), seeded from a 64-bit key by a
 * murmur-style integer mixer. Not cryptographic.
 */

/** A deterministic stream of random numbers; every method advances it except `fork`. */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [0, n); n an integer in [1, 2^32]. */
  int(n: number): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends Int32Array | number[]>(array: T): T;
  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array;
  /** k distinct integers from [0, n) in uniformly random order (partial Fisher–Yates). */
  sampleWithoutReplacement(n: number, k: number): Int32Array;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /**
   * An independent stream named by `label`. Depends only on this stream's
   * seed lineage and the label, never on how much has been drawn, so
   * `createRng(s).fork('init')` is the same stream wherever it is called.
   * String and number labels never collide (`1` differs from `'1'`).
   */
  fork(label: string | number): Rng;
}

const TWO_POW_32 = 4_294_967_296;
/** Outputs discarded after seeding so that similar keys have diverged. */
const SFC32_WARMUP = 12;
const GOLDEN_GAMMA = 0x9e3779b9;

/** A 32-bit avalanche mixer (hash32 constants found by Chris Wellons' hash-prospector). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** A stream's identity: two 32-bit words, so thousands of forks stay collision-free in practice. */
type Key = readonly [number, number];

function absorb(key: Key, word: number): Key {
  const k0 = mix32(key[0] ^ mix32((word ^ 0x85ebca6b) >>> 0));
  const k1 = mix32((key[1] ^ mix32((word ^ 0xc2b2ae35) >>> 0) ^ k0) >>> 0);
  return [k0, k1];
}

function labelKey(parent: Key, label: string | number): Key {
  let key: Key;
  let text: string;
  if (typeof label === 'number') {
    if (!Number.isFinite(label)) {
      throw new Error(`Invalid fork label: ${label}. Should be a finite number or a string.`);
    }
    key = absorb(parent, 1);
    text = String(label);
  } else {
    key = absorb(parent, 2);
    text = label;
  }
  for (let i = 0; i < text.length; i++) key = absorb(key, text.charCodeAt(i));
  return absorb(key, text.length);
}

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second Box–Muller value, kept for the next `normal()` call. */
  private spareNormal: number | null = null;

  constructor(private readonly key: Key) {
    this.a = mix32((key[0] + GOLDEN_GAMMA) >>> 0);
    this.b = mix32((key[1] + 2 * GOLDEN_GAMMA) >>> 0);
    this.c = mix32((key[0] ^ key[1] ^ 0x6a09e667) >>> 0);
    this.d = 1;
    for (let i = 0; i < SFC32_WARMUP; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new Error(`Invalid range for int(n): ${n}. Should be an integer from 1 to 2^32.`);
    }
    // Rejection keeps the result exactly uniform (plain modulo favours small values).
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const r = this.uint32();
      if (r < limit) return r % n;
    }
  }

  shuffle<T extends Int32Array | number[]>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i] as number;
      array[i] = array[j] as number;
      array[j] = tmp;
    }
    return array;
  }

  permutation(n: number): Int32Array {
    assertCount('permutation(n)', n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  sampleWithoutReplacement(n: number, k: number): Int32Array {
    assertCount('sampleWithoutReplacement(n, k): n', n);
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new Error(`Invalid sample size k: ${k}. Should be an integer from 0 to n = ${n}.`);
    }
    const pool = new Int32Array(n);
    for (let i = 0; i < n; i++) pool[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }

  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    // 1 - next() is in (0, 1], so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fork(label: string | number): Rng {
    return new Sfc32(labelKey(this.key, label));
  }
}

function assertCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new Error(`Invalid ${what}: ${n}. Should be an integer from 0 to 2^31 - 1.`);
  }
}

/** A stream for `seed`, any safe integer (negative and > 2^32 seeds are distinct too). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`Invalid seed: ${seed}. Should be a safe integer.`);
  }
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  return new Sfc32(absorb(absorb([0x243f6a88, 0x85a308d3], low), high));
}
