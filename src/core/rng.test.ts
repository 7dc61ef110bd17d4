import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

function draws(seed: number, count: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => rng.next());
}

function isPermutation(values: ArrayLike<number>, n: number): boolean {
  if (values.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v] === 1) return false;
    seen[v] = 1;
  }
  return true;
}

describe('createRng', () => {
  it('replays the same stream for the same seed and differs across seeds', () => {
    expect(draws(42, 20)).toEqual(draws(42, 20));
    expect(draws(42, 20)).not.toEqual(draws(43, 20));
    // Seeds that differ only above 32 bits, or in sign, are distinct streams.
    expect(draws(2 ** 32 + 5, 5)).not.toEqual(draws(5, 5));
    expect(draws(-1, 5)).not.toEqual(draws(2 ** 32 - 1, 5));
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => createRng(1.5)).toThrow(/seed: 1.5/);
    expect(() => createRng(Number.NaN)).toThrow(/seed: NaN/);
  });

  it('next() stays in [0, 1) with a mean near 1/2', () => {
    const values = draws(7, 20_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    // sd of the mean is 1 / sqrt(12 * 20000) ~ 0.002.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });

  it('int(n) covers [0, n) evenly (chi-square)', () => {
    const rng = createRng(11);
    const n = 10;
    const draws = 50_000;
    const counts = new Array<number>(n).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const v = rng.int(n);
      if (!(Number.isInteger(v) && v >= 0 && v < n)) outOfRange++;
      else counts[v] = (counts[v] as number) + 1;
    }
    expect(outOfRange).toBe(0);
    const expected = draws / n;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: p = 0.001 at 27.9.
    expect(chi2).toBeLessThan(27.9);
  });

  it('int(n) rejects empty or fractional ranges', () => {
    const rng = createRng(1);
    expect(() => rng.int(0)).toThrow(/int\(n\): 0/);
    expect(() => rng.int(2.5)).toThrow(/2\.5/);
    expect(rng.int(1)).toBe(0);
  });

  it('shuffle, permutation and sampleWithoutReplacement yield distinct in-range values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const rng = createRng(seed);
        const array = Array.from({ length: n }, (_, i) => i);
        expect(isPermutation(rng.shuffle(array), n)).toBe(true);
        expect(isPermutation(rng.permutation(n), n)).toBe(true);
        const k = rng.int(n + 1);
        const sample = rng.sampleWithoutReplacement(n, k);
        expect(sample.length).toBe(k);
        expect(new Set(sample).size).toBe(k);
        expect(sample.every((v) => v >= 0 && v < n)).toBe(true);
      }),
    );
  });

  it('shuffle actually reorders, and every position is reachable', () => {
    const rng = createRng(3);
    const firstValues = new Set<number>();
    for (let t = 0; t < 200; t++) firstValues.add(rng.permutation(5)[0] as number);
    expect([...firstValues].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('sampleWithoutReplacement rejects k > n', () => {
    expect(() => createRng(1).sampleWithoutReplacement(3, 4)).toThrow(/k: 4.*n = 3/);
    expect(() => createRng(1).sampleWithoutReplacement(3, -1)).toThrow(/k: -1/);
  });

  it('sampleWithoutReplacement is uniform over elements', () => {
    const rng = createRng(5);
    const counts = new Array<number>(20).fill(0);
    for (let t = 0; t < 5000; t++) {
      for (const v of rng.sampleWithoutReplacement(20, 3)) counts[v] = (counts[v] as number) + 1;
    }
    // Each element expected 750 times; sd ~ 26.
    for (const c of counts) expect(Math.abs(c - 750)).toBeLessThan(130);
  });

  it('normal() has mean 0 and variance 1', () => {
    const rng = createRng(9);
    const values = Array.from({ length: 40_000 }, () => rng.normal());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('fork', () => {
  it('depends on the seed and label only, not on draws already made', () => {
    const fresh = createRng(100).fork('worker-1');
    const used = createRng(100);
    for (let i = 0; i < 57; i++) used.next();
    const late = used.fork('worker-1');
    expect(Array.from({ length: 10 }, () => late.next())).toEqual(Array.from({ length: 10 }, () => fresh.next()));
  });

  it('gives distinct streams per label, per seed, and distinct from the parent', () => {
    const first = (rng: ReturnType<typeof createRng>): number[] => Array.from({ length: 4 }, () => rng.uint32());
    const root = createRng(100);
    const streams = [
      first(createRng(100)),
      first(root.fork(0)),
      first(root.fork(1)),
      first(root.fork('1')),
      first(root.fork('init')),
      first(root.fork('init').fork(0)),
      first(root.fork(0).fork('init')),
      first(createRng(101).fork(0)),
    ];
    expect(new Set(streams.map((s) => s.join(','))).size).toBe(streams.length);
  });

  it('rejects non-finite number labels', () => {
    expect(() => createRng(1).fork(Number.POSITIVE_INFINITY)).toThrow(/fork label: Infinity/);
  });

  it('forked streams are uncorrelated with each other', () => {
    const root = createRng(8);
    const a = root.fork(0);
    const b = root.fork(1);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (a.next() - 0.5) * (b.next() - 0.5);
    // Correlation estimate: sd ~ 1 / sqrt(n) ~ 0.007.
    const correlation = sum / n / (1 / 12);
    expect(Math.abs(correlation)).toBeLessThan(0.035);
  });
});
