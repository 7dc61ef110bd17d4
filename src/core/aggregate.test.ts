import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregationWeights, averageInto, weightedAverageInto, type AggregationMode } from './aggregate';

const MODES: AggregationMode[] = ['steps', 'samples', 'uniform'];

describe('aggregationWeights', () => {
  it('is proportional to steps, to samples, or equal', () => {
    expect([...aggregationWeights('steps', [32, 8, 8], [1024, 256, 512])]).toEqual([2 / 3, 1 / 6, 1 / 6]);
    expect([...aggregationWeights('samples', [32, 8, 8], [1024, 256, 768])]).toEqual([0.5, 0.125, 0.375]);
    expect([...aggregationWeights('uniform', [32, 8, 8, 1], [1, 1, 1, 1])]).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('gives excluded workers 0 and renormalises over the rest', () => {
    const included = [true, false, true];
    expect([...aggregationWeights('steps', [30, 8, 10], [0, 0, 0], included)]).toEqual([0.75, 0, 0.25]);
    expect([...aggregationWeights('uniform', [30, 8, 10], [0, 0, 0], included)]).toEqual([0.5, 0, 0.5]);
  });

  it('sums to 1 over included workers for every mode', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODES),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 1e6 }), fc.boolean()), {
          minLength: 1,
          maxLength: 8,
        }),
        (mode, workers) => {
          fc.pre(workers.some(([, , inc]) => inc));
          const included = workers.map(([, , inc]) => inc);
          const weights = aggregationWeights(
            mode,
            workers.map(([s]) => s),
            workers.map(([, n]) => n),
            included,
          );
          const total = weights.reduce((a, b) => a + b, 0);
          expect(total).toBeCloseTo(1, 12);
          weights.forEach((w, i) => (included[i] ? expect(w).toBeGreaterThan(0) : expect(w).toBe(0)));
        },
      ),
    );
  });

  it('refuses when nothing is included or every included weight is 0', () => {
    expect(() => aggregationWeights('steps', [1, 2], [1, 2], [false, false])).toThrow(/none included/);
    expect(() => aggregationWeights('samples', [1, 2], [0, 0])).toThrow(/"samples".*weight 0/);
    expect(() => aggregationWeights('uniform', [], [])).toThrow(/none included/);
  });

  it('rejects mismatched lengths, bad counts and unknown modes', () => {
    expect(() => aggregationWeights('steps', [1, 2], [1])).toThrow(/samples: length 1/);
    expect(() => aggregationWeights('steps', [1, 2], [1, 2], [true])).toThrow(/included: length 1/);
    expect(() => aggregationWeights('steps', [1, -2], [1, 2])).toThrow(/steps\[1\]: -2/);
    expect(() => aggregationWeights('samples', [1, 2], [1, Number.NaN])).toThrow(/samples\[1\]: NaN/);
    expect(() => aggregationWeights('mean' as AggregationMode, [1], [1])).toThrow(/"mean".*steps, samples, uniform/);
  });
});

describe('weightedAverageInto', () => {
  it('computes the weighted sum exactly on small vectors', () => {
    const out = new Float32Array(3);
    const slots = [Float32Array.from([1, 2, 3]), Float32Array.from([5, 6, -7])];
    weightedAverageInto(out, slots, Float64Array.from([0.75, 0.25]));
    expect([...out]).toEqual([2, 3, 0.5]);
  });

  it('skips zero-weight slots, so an excluded NaN slot does not poison the result', () => {
    const out = new Float32Array(2);
    const slots = [Float32Array.from([1, 2]), Float32Array.from([Number.NaN, Number.NaN]), Float32Array.from([3, 4])];
    weightedAverageInto(out, slots, Float64Array.from([0.5, 0, 0.5]));
    expect([...out]).toEqual([2, 3]);
  });

  it('may write into one of its slots, across chunk boundaries', () => {
    const length = 10_000;
    const a = Float32Array.from({ length }, (_, i) => i);
    const b = Float32Array.from({ length }, (_, i) => -i + 2);
    weightedAverageInto(a, [a, b], Float64Array.from([0.5, 0.5]));
    expect(a.every((v) => v === 1)).toBe(true);
  });

  it('accumulates in float64: many tiny contributions are not lost', () => {
    // In float32, 1 + 1e-8 rounds back to 1 at every step; in float64 the 1000 small slots add 1e-5.
    const slots = [Float32Array.from([1]), ...Array.from({ length: 1000 }, () => Float32Array.from([1e-8]))];
    const out = new Float32Array(1);
    weightedAverageInto(out, slots, new Float64Array(slots.length).fill(1));
    expect(out[0]).toBe(Math.fround(1 + 1000 * Math.fround(1e-8)));
    expect(out[0]).toBeGreaterThan(1);
  });

  it('rejects mismatched lengths and bad weights', () => {
    const out = new Float32Array(2);
    expect(() => weightedAverageInto(out, [new Float32Array(2)], Float64Array.from([0.5, 0.5]))).toThrow(
      /weights: length 2.*slots \(length 1\)/,
    );
    expect(() => weightedAverageInto(out, [new Float32Array(3)], Float64Array.from([1]))).toThrow(
      /slots\[0\]: length 3/,
    );
    expect(() => weightedAverageInto(out, [new Float32Array(2)], Float64Array.from([Number.NaN]))).toThrow(
      /weights\[0\]: NaN/,
    );
    expect(() => weightedAverageInto(out, [new Float32Array(2)], Float64Array.from([0]))).toThrow(/all 1 are 0/);
  });
});

describe('averageInto', () => {
  it('takes the plain mean of gradients', () => {
    const out = new Float32Array(2);
    averageInto(out, [Float32Array.from([1, -4]), Float32Array.from([3, 0]), Float32Array.from([2, 2]), Float32Array.from([6, 6])]);
    expect([...out]).toEqual([3, 1]);
  });

  it('rejects an empty slot list', () => {
    expect(() => averageInto(new Float32Array(1), [])).toThrow(/at least one slot/);
  });
});
