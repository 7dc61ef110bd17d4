import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import { buildShards, rankByLoss, selectBiasedWorkers, topLossIndices, type ShardInput } from './sampler';

/** Loss = sample index: the hardest samples are the highest indices. */
function indexLosses(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i);
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

function hasDuplicate(values: ArrayLike<number>): boolean {
  return new Set(Array.from(values)).size !== values.length;
}

/** Ranking key: NaN counts as the lowest loss. */
function key(loss: number): number {
  return Number.isNaN(loss) ? -Infinity : loss;
}

function input(overrides: Partial<ShardInput> & Pick<ShardInput, 'n'>): ShardInput {
  return {
    batchSize: 10,
    taus: [4, 1],
    rounds: 5,
    biased: [false, true],
    lambda: 0.25,
    losses: indexLosses(overrides.n),
    rng: createRng(1),
    ...overrides,
  };
}

const lossArb = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((v) => v), // small range: many ties
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(Number.NaN),
  fc.double({ min: 0, max: 10, noNaN: true }),
);

describe('rankByLoss', () => {
  it('orders by loss: any prefix holds losses >= every loss after it', () => {
    fc.assert(
      fc.property(
        fc.array(lossArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (lossList, seed) => {
          const losses = Float32Array.from(lossList);
          const rng = createRng(seed);
          const pool = rng.sampleWithoutReplacement(losses.length, 1 + rng.int(losses.length));
          const ranked = rankByLoss(pool, losses, rng);
          expect([...ranked].sort((a, b) => a - b)).toEqual([...pool].sort((a, b) => a - b));
          const q = rng.int(ranked.length + 1);
          const selected = Array.from(ranked.subarray(0, q), (s) => key(losses[s] as number));
          const rest = Array.from(ranked.subarray(q), (s) => key(losses[s] as number));
          if (selected.length > 0 && rest.length > 0) {
            expect(Math.min(...selected)).toBeGreaterThanOrEqual(Math.max(...rest));
          }
        },
      ),
    );
  });

  it('puts unseen (+Infinity) samples first and NaN last', () => {
    const losses = Float32Array.from([0.5, Number.POSITIVE_INFINITY, Number.NaN, 3, Number.POSITIVE_INFINITY]);
    const ranked = rankByLoss(Int32Array.from([0, 1, 2, 3, 4]), losses, createRng(2));
    expect([...ranked.subarray(0, 2)].sort()).toEqual([1, 4]);
    expect([...ranked.subarray(2)]).toEqual([3, 0, 2]);
  });

  it('breaks ties at random rather than by index', () => {
    const losses = new Float32Array(10).fill(1);
    const pool = Int32Array.from({ length: 10 }, (_, i) => i);
    const firsts = new Set<number>();
    for (let seed = 0; seed < 100; seed++) firsts.add(rankByLoss(pool, losses, createRng(seed))[0] as number);
    expect(firsts.size).toBeGreaterThan(5);
  });
});

describe('buildShards', () => {
  it('gives each worker exactly batchSize * tau * rounds samples, in range', () => {
    const shards = buildShards(input({ n: 1000, taus: [8, 3, 1], biased: [false, true, true], rounds: 4 }));
    expect(shards.map((s) => s.length)).toEqual([320, 120, 40]);
    for (const shard of shards) expect(shard.every((s) => s >= 0 && s < 1000)).toBe(true);
  });

  it('never repeats a sample within a shard of up to n samples, else not within any n-long window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (n, batchSize, workers, rounds, lambda, seed) => {
          const rng = createRng(seed);
          const losses = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? Number.POSITIVE_INFINITY : rng.int(4)));
          const taus = workers.map(([tau]) => tau);
          const shards = buildShards({ n, batchSize, taus, rounds, biased: workers.map(([, b]) => b), lambda, losses, rng });
          shards.forEach((shard, i) => {
            expect(shard.length).toBe(batchSize * (taus[i] as number) * rounds);
            expect(shard.every((s) => s >= 0 && s < n)).toBe(true);
            for (let start = 0; start === 0 || start + n <= shard.length; start++) {
              expect(hasDuplicate(shard.subarray(start, start + n))).toBe(false);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hands the biased workers the Q highest losses when the pool is the whole set', () => {
    const n = 1000;
    const rng = createRng(4);
    const losses = Float32Array.from({ length: n }, () => rng.next());
    // Q = 10 * (2 + 1) * 5 = 150; lambda = Q / n makes the pool all n samples (a global top-Q).
    const shards = buildShards(input({ n, taus: [4, 2, 1], biased: [false, true, true], lambda: 150 / n, losses, rng }));
    const selected = new Set([...(shards[1] as Int32Array), ...(shards[2] as Int32Array)]);
    expect(selected.size).toBe(150);
    let minSelected = Infinity;
    let maxOther = -Infinity;
    for (let s = 0; s < n; s++) {
      const loss = losses[s] as number;
      if (selected.has(s)) minSelected = Math.min(minSelected, loss);
      else maxOther = Math.max(maxOther, loss);
    }
    expect(minSelected).toBeGreaterThanOrEqual(maxOther);
  });

  it('splits the biased selection among biased workers without overlap, and unbiased slices are disjoint', () => {
    const shards = buildShards(input({ n: 2000, taus: [4, 4, 2, 1], biased: [false, false, true, true] }));
    expect(hasDuplicate([...(shards[2] as Int32Array), ...(shards[3] as Int32Array)])).toBe(false);
    expect(hasDuplicate([...(shards[0] as Int32Array), ...(shards[1] as Int32Array)])).toBe(false);
  });

  it('ranks unseen samples first', () => {
    const n = 1000;
    const losses = new Float32Array(n).fill(5);
    const unseen = [3, 77, 500, 999];
    for (const s of unseen) losses[s] = Number.POSITIVE_INFINITY;
    // Q = 50 from a pool of all n where every seen sample ties at 5: only the +Infinity rank picks these.
    const shards = buildShards(input({ n, lambda: 50 / n, losses }));
    for (const s of unseen) expect(shards[1]).toContain(s);
  });

  it('lambda = 1 samples uniformly; lambda = 0.25 clearly favours high losses', () => {
    const n = 10_000;
    // Q = 10 * 1 * 25 = 250 samples for the biased worker 1.
    const build = (lambda: number, seed: number): Int32Array =>
      buildShards(input({ n, rounds: 25, lambda, rng: createRng(seed) }))[1] as Int32Array;
    const uniformMean = mean(build(1, 10));
    const biasedMean = mean(build(0.25, 10));
    // Uniform: mean index n/2 with sd 2887 / sqrt(250) ~ 183; 4 sd tolerance.
    expect(Math.abs(uniformMean - n / 2)).toBeLessThan(730);
    // Top quarter of a uniform pool: mean index ~ 0.875 n.
    expect(biasedMean).toBeGreaterThan(0.8 * n);
    expect(biasedMean).toBeLessThan(0.95 * n);
  });

  it('biases the fast worker when the direction is fast', () => {
    const n = 10_000;
    const biased = selectBiasedWorkers('fast', 0, 2);
    const shards = buildShards(input({ n, taus: [8, 2], rounds: 10, biased }));
    expect(mean(shards[0] as Int32Array)).toBeGreaterThan(0.8 * n);
    expect(Math.abs(mean(shards[1] as Int32Array) - n / 2)).toBeLessThan(0.1 * n);
  });

  it('spreads ties uniformly: an all-unseen table gives an unbiased first period', () => {
    const n = 10_000;
    const losses = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
    const shard = buildShards(input({ n, rounds: 25, lambda: 250 / n, losses }))[1] as Int32Array;
    expect(Math.abs(mean(shard) - n / 2)).toBeLessThan(730);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const run = (seed: number): Int32Array[] => buildShards(input({ n: 500, rng: createRng(seed) }));
    expect(run(7)).toEqual(run(7));
    const [a, b] = [run(7), run(8)];
    expect(a[0]).not.toEqual(b[0]);
    expect(a[1]).not.toEqual(b[1]);
  });

  it('advances the rng, so the next period gets new shards', () => {
    const rng = createRng(3);
    const first = buildShards(input({ n: 500, rng }));
    const second = buildShards(input({ n: 500, rng }));
    expect(first[1]).not.toEqual(second[1]);
  });

  it('when the quota exceeds n, takes every sample floor(Q/n) times and the hardest of a pool once more', () => {
    const n = 30;
    // Q = 10 * 4 * 2 = 80 = 2 full passes + 20; lambda = 20 / 30 makes the remainder a global top 20.
    const shards = buildShards(input({ n, taus: [1, 4], rounds: 2, lambda: 20 / 30 }));
    const shard = shards[1] as Int32Array;
    const counts = new Array<number>(n).fill(0);
    for (const s of shard) counts[s] = (counts[s] as number) + 1;
    counts.forEach((count, s) => expect(count).toBe(s >= 10 ? 3 : 2));
    for (let start = 0; start + n <= shard.length; start++) {
      expect(hasDuplicate(shard.subarray(start, start + n))).toBe(false);
    }
    // The unbiased worker's 20 samples fit in one permutation: no repeats.
    expect(hasDuplicate(shards[0] as Int32Array)).toBe(false);
  });

  it('rejects inconsistent inputs, naming the value', () => {
    expect(() => buildShards(input({ n: 100, lambda: 0 }))).toThrow(/lambda: 0/);
    expect(() => buildShards(input({ n: 100, lambda: 1.5 }))).toThrow(/lambda: 1.5/);
    expect(() => buildShards(input({ n: 100, biased: [true] }))).toThrow(/biased: length 1/);
    expect(() => buildShards(input({ n: 100, losses: new Float32Array(99) }))).toThrow(/losses: length 99.*n = 100/);
    expect(() => buildShards(input({ n: 100, taus: [2, 0] }))).toThrow(/taus\[1\]: 0/);
    expect(() => buildShards(input({ n: 100, rounds: 0 }))).toThrow(/rounds: 0/);
    expect(() => buildShards(input({ n: 0 }))).toThrow(/n: 0/);
  });
});

describe('topLossIndices', () => {
  it('returns the k largest finite losses, highest first, skipping unseen and NaN', () => {
    const losses = Float32Array.from([0.1, Number.POSITIVE_INFINITY, 0.9, Number.NaN, 0.5, 0.9, 0.2]);
    expect([...topLossIndices(losses, 3)]).toEqual([2, 5, 4]);
    expect([...topLossIndices(losses, 10)]).toEqual([2, 5, 4, 6, 0]);
    expect(topLossIndices(losses, 0).length).toBe(0);
  });

  it('matches a full sort', () => {
    fc.assert(
      fc.property(fc.array(lossArb, { maxLength: 80 }), fc.integer({ min: 0, max: 90 }), (lossList, k) => {
        const losses = Float32Array.from(lossList);
        const expected = Array.from(losses.keys())
          .filter((i) => Number.isFinite(losses[i] as number))
          .sort((a, b) => (losses[b] as number) - (losses[a] as number) || a - b)
          .slice(0, k);
        expect([...topLossIndices(losses, k)]).toEqual(expected);
      }),
    );
  });

  it('rejects a bad k', () => {
    expect(() => topLossIndices(new Float32Array(3), -1)).toThrow(/k: -1/);
  });
});

describe('selectBiasedWorkers', () => {
  it('slow biases everyone but the fastest; fast only the fastest; none nobody', () => {
    expect(selectBiasedWorkers('slow', 1, 3)).toEqual([true, false, true]);
    expect(selectBiasedWorkers('fast', 1, 3)).toEqual([false, true, false]);
    expect(selectBiasedWorkers('none', 1, 3)).toEqual([false, false, false]);
  });

  it('with a single worker, slow biases nobody and fast biases it', () => {
    expect(selectBiasedWorkers('slow', 0, 1)).toEqual([false]);
    expect(selectBiasedWorkers('fast', 0, 1)).toEqual([true]);
  });

  it('rejects a fast index outside the pool and unknown directions', () => {
    expect(() => selectBiasedWorkers('slow', 3, 3)).toThrow(/fastIndex: 3/);
    expect(() => selectBiasedWorkers('slow', 0, 0)).toThrow(/k: 0/);
    expect(() => selectBiasedWorkers('both' as 'slow', 0, 2)).toThrow(/"both".*slow, fast, none/);
  });
});
