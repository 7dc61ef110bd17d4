import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { MaxPoolGradKernel, type PoolGeometry } from './max-pool-grad';
import { naiveMaxPoolGradient } from './reference';
import { MAX_POOL_GRAD_WAT, compileWatFile } from './wat';

let kernel: MaxPoolGradKernel;

beforeAll(async () => {
  kernel = await MaxPoolGradKernel.create(await compileWatFile(MAX_POOL_GRAD_WAT));
});

/** A pool geometry whose windows each hold at least one pixel of x, as tfjs' padding gives. */
const geometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inHeight: fc.integer({ min: 1, max: 8 }),
    inWidth: fc.integer({ min: 1, max: 8 }),
    channels: fc.integer({ min: 1, max: 10 }),
    filterHeight: fc.integer({ min: 1, max: 3 }),
    filterWidth: fc.integer({ min: 1, max: 3 }),
    strideHeight: fc.integer({ min: 1, max: 3 }),
    strideWidth: fc.integer({ min: 1, max: 3 }),
    same: fc.boolean(),
  })
  .map(({ same, ...g }): PoolGeometry | null => {
    const side = (n: number, k: number, s: number): [number, number] => {
      if (!same) return [Math.floor((n - k) / s) + 1, 0];
      const out = Math.ceil(n / s);
      return [out, Math.floor(Math.max(0, (out - 1) * s + k - n) / 2)];
    };
    const [outHeight, top] = side(g.inHeight, g.filterHeight, g.strideHeight);
    const [outWidth, left] = side(g.inWidth, g.filterWidth, g.strideWidth);
    return outHeight >= 1 && outWidth >= 1 ? { ...g, outHeight, outWidth, top, left } : null;
  })
  .filter((g): g is PoolGeometry => g !== null);

/** Values from a small set (many ties), with some -Infinity and NaN. */
const cell = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -2, max: 2 }) },
  { weight: 1, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constant(NaN) },
);

function check(g: PoolGeometry, x: Float32Array, dy: Float32Array): void {
  const got = new Float32Array(x.length).fill(NaN);
  kernel.run(g, x, dy, got);
  expect(Array.from(got)).toEqual(Array.from(naiveMaxPoolGradient(x, dy, g)));
}

describe('MaxPoolGradKernel (WebAssembly SIMD)', () => {
  it('gives exactly the cpu semantics: first strict maximum, ties, -Infinity and NaN, overlaps, padding', () => {
    fc.assert(
      fc.property(
        geometry.chain((g) =>
          fc.tuple(
            fc.constant(g),
            fc.array(cell, { minLength: g.batch * g.inHeight * g.inWidth * g.channels, maxLength: g.batch * g.inHeight * g.inWidth * g.channels }),
            fc.array(fc.integer({ min: -8, max: 8 }), { minLength: g.batch * g.outHeight * g.outWidth * g.channels, maxLength: g.batch * g.outHeight * g.outWidth * g.channels }),
          ),
        ),
        ([g, x, dy]) => check(g, Float32Array.from(x), Float32Array.from(dy)),
      ),
      { numRuns: 200, seed: 2 },
    );
  });

  it('takes explicit padding, negative (it crops x) or wider than the window (windows of padding alone)', () => {
    const explicit = fc
      .record({
        batch: fc.integer({ min: 1, max: 2 }),
        inHeight: fc.integer({ min: 1, max: 7 }),
        inWidth: fc.integer({ min: 1, max: 7 }),
        channels: fc.integer({ min: 1, max: 6 }),
        filterHeight: fc.integer({ min: 1, max: 3 }),
        filterWidth: fc.integer({ min: 1, max: 3 }),
        strideHeight: fc.integer({ min: 1, max: 3 }),
        strideWidth: fc.integer({ min: 1, max: 3 }),
        top: fc.integer({ min: -2, max: 3 }),
        left: fc.integer({ min: -2, max: 3 }),
        bottom: fc.integer({ min: -2, max: 3 }),
        right: fc.integer({ min: -2, max: 3 }),
      })
      .map(({ bottom, right, ...g }): PoolGeometry | null => {
        const outHeight = Math.floor((g.inHeight + g.top + bottom - g.filterHeight) / g.strideHeight) + 1;
        const outWidth = Math.floor((g.inWidth + g.left + right - g.filterWidth) / g.strideWidth) + 1;
        return outHeight >= 1 && outWidth >= 1 ? { ...g, outHeight, outWidth } : null;
      })
      .filter((g): g is PoolGeometry => g !== null);
    fc.assert(
      fc.property(explicit, fc.integer({ min: 1, max: 1000 }), (g, seed) => {
        const x = Float32Array.from({ length: g.batch * g.inHeight * g.inWidth * g.channels }, (_, i) => Math.round(3 * Math.sin(seed + i)));
        const dy = Float32Array.from({ length: g.batch * g.outHeight * g.outWidth * g.channels }, (_, i) => Math.cos(seed * i));
        check(g, x, dy);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('handles the CNN pools (2x2 stride 2, 28x28x8 and odd 7x7 same) and keeps its memory after the largest', () => {
    const pool = (inHeight: number, channels: number, top: number): PoolGeometry => ({
      batch: 4, inHeight, inWidth: inHeight, channels, outHeight: Math.ceil(inHeight / 2), outWidth: Math.ceil(inHeight / 2),
      filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, top, left: top,
    });
    for (const g of [pool(28, 8, 0), pool(14, 16, 0), pool(7, 16, 0)]) {
      const x = Float32Array.from({ length: g.batch * g.inHeight * g.inWidth * g.channels }, (_, i) => Math.sin(i));
      const dy = Float32Array.from({ length: g.batch * g.outHeight * g.outWidth * g.channels }, (_, i) => Math.cos(i));
      check(g, x, dy);
    }
    const bytes = kernel.memoryBytes;
    const small = pool(14, 16, 0);
    check(small, new Float32Array(4 * 14 * 14 * 16).fill(1), new Float32Array(4 * 7 * 7 * 16).fill(2));
    expect(kernel.memoryBytes).toBe(bytes);
  });

  it('names arrays of the wrong size and bad geometry', () => {
    const g: PoolGeometry = { batch: 1, inHeight: 4, inWidth: 4, channels: 2, outHeight: 2, outWidth: 2, filterHeight: 2, filterWidth: 2, strideHeight: 2, strideWidth: 2, top: 0, left: 0 };
    expect(() => kernel.run(g, new Float32Array(31), new Float32Array(8), new Float32Array(32))).toThrow(/x holds 31 values; its shape needs 32/);
    expect(() => kernel.run(g, new Float32Array(32), new Float32Array(8), new Float32Array(3))).toThrow(/dx holds 3 values; its shape needs 32/);
    expect(() => kernel.run({ ...g, filterHeight: 0 }, new Float32Array(32), new Float32Array(8), new Float32Array(32))).toThrow(/filterHeight is 0; it must be an integer >= 1/);
  });
});
