import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { type ConvGeometry, FilterGradKernel } from './filter-grad';
import { naiveFilterGradient } from './reference';
import { compileWatFile, FILTER_GRAD_WAT } from './wat';
import { values } from '../test-values';

let kernel: FilterGradKernel;

beforeAll(async () => {
  kernel = await FilterGradKernel.create(await compileWatFile(FILTER_GRAD_WAT));
});


function sizes(g: ConvGeometry): { x: number; dy: number; dW: number } {
  return {
    x: g.batch * g.inHeight * g.inWidth * g.inChannels,
    dy: g.batch * g.outHeight * g.outWidth * g.outChannels,
    dW: g.filterHeight * g.filterWidth * g.inChannels * g.outChannels,
  };
}

function expectMatchesReference(g: ConvGeometry, seed: number): void {
  const n = sizes(g);
  const x = values(n.x, seed);
  const dy = values(n.dy, seed + 7);
  const got = new Float32Array(n.dW).fill(NaN);
  kernel.run(g, x, dy, got);
  const ref = naiveFilterGradient(x, dy, g);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs((got[i] ?? NaN) - (ref[i] ?? NaN)));
  expect(Number.isFinite(err), `${JSON.stringify(g)}: non-finite result`).toBe(true);
  expect(err, `${JSON.stringify(g)}: max abs error ${err}, max |ref| ${scale}`).toBeLessThanOrEqual(1e-4 * Math.max(scale, 1e-6));
}

/** A conv geometry whose windows fit the padded input, from independent draws. */
const geometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inHeight: fc.integer({ min: 1, max: 9 }),
    inWidth: fc.integer({ min: 1, max: 9 }),
    inChannels: fc.integer({ min: 1, max: 9 }),
    outChannels: fc.integer({ min: 1, max: 20 }),
    filterHeight: fc.integer({ min: 1, max: 4 }),
    filterWidth: fc.integer({ min: 1, max: 4 }),
    strideHeight: fc.integer({ min: 1, max: 3 }),
    strideWidth: fc.integer({ min: 1, max: 3 }),
    dilationHeight: fc.integer({ min: 1, max: 2 }),
    dilationWidth: fc.integer({ min: 1, max: 2 }),
    // Negative: tfjs takes negative explicit padding, which crops x.
    top: fc.integer({ min: -2, max: 2 }),
    left: fc.integer({ min: -2, max: 2 }),
    bottom: fc.integer({ min: 0, max: 2 }),
    right: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ bottom, right, ...g }): ConvGeometry | null => {
    const reachH = (g.filterHeight - 1) * g.dilationHeight + 1;
    const reachW = (g.filterWidth - 1) * g.dilationWidth + 1;
    const outHeight = Math.floor((g.inHeight + g.top + bottom - reachH) / g.strideHeight) + 1;
    const outWidth = Math.floor((g.inWidth + g.left + right - reachW) / g.strideWidth) + 1;
    return outHeight >= 1 && outWidth >= 1 ? { ...g, outHeight, outWidth } : null;
  })
  .filter((g): g is ConvGeometry => g !== null);

describe('FilterGradKernel (WebAssembly SIMD)', () => {
  it('matches the direct sum on random geometries: strides, dilations, padding (negative too), any channel counts', () => {
    fc.assert(
      fc.property(geometry, fc.integer({ min: 1, max: 1000 }), (g, seed) => expectMatchesReference(g, seed)),
      { numRuns: 150, seed: 8474 },
    );
  });

  it('matches at the CNN layer shapes, where the fast paths (no padding copy, no channel padding) run', () => {
    const base = { strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1 };
    const cases: ConvGeometry[] = [
      // 3x3 same on 28x28, one input channel: K = 9 leaves a tile of one row.
      { ...base, batch: 4, inHeight: 28, inWidth: 28, inChannels: 1, outHeight: 28, outWidth: 28, outChannels: 8, filterHeight: 3, filterWidth: 3, top: 1, left: 1 },
      { ...base, batch: 4, inHeight: 14, inWidth: 14, inChannels: 8, outHeight: 14, outWidth: 14, outChannels: 16, filterHeight: 3, filterWidth: 3, top: 1, left: 1 },
      // 'valid', no padding: x is copied as it is.
      { ...base, batch: 2, inHeight: 10, inWidth: 10, inChannels: 16, outHeight: 8, outWidth: 8, outChannels: 32, filterHeight: 3, filterWidth: 3, top: 0, left: 0 },
      // stride 2 'valid': the last row and column of x are never read.
      { ...base, strideHeight: 2, strideWidth: 2, batch: 2, inHeight: 28, inWidth: 28, inChannels: 3, outHeight: 13, outWidth: 13, outChannels: 8, filterHeight: 3, filterWidth: 3, top: 0, left: 0 },
    ];
    cases.forEach((g, i) => expectMatchesReference(g, 31 + i));
  });

  it('overwrites stale memory: a padded call after a larger unpadded one gives the same answer as alone', () => {
    const big: ConvGeometry = { batch: 3, inHeight: 12, inWidth: 12, inChannels: 5, outHeight: 10, outWidth: 10, outChannels: 16, filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, top: 0, left: 0 };
    const padded: ConvGeometry = { ...big, batch: 2, inHeight: 6, inWidth: 6, outHeight: 6, outWidth: 6, outChannels: 5, top: 1, left: 1 };
    expectMatchesReference(big, 3);
    expectMatchesReference(padded, 4);
    const bytes = kernel.memoryBytes;
    expectMatchesReference(big, 5);
    expect(kernel.memoryBytes).toBe(bytes);
  });

  it('gives zeros for an empty batch and names arrays of the wrong size', () => {
    const g: ConvGeometry = { batch: 0, inHeight: 4, inWidth: 4, inChannels: 2, outHeight: 4, outWidth: 4, outChannels: 3, filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, top: 1, left: 1 };
    const out = new Float32Array(54).fill(7);
    kernel.run(g, new Float32Array(0), new Float32Array(0), out);
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
    const one = { ...g, batch: 1 };
    expect(() => kernel.run(one, new Float32Array(31), new Float32Array(48), out)).toThrow(/x holds 31 values; its shape needs 32/);
    expect(() => kernel.run(one, new Float32Array(32), new Float32Array(48), new Float32Array(5))).toThrow(/dW holds 5 values; its shape needs 54/);
    expect(() => kernel.run({ ...one, strideHeight: 0 }, new Float32Array(32), new Float32Array(48), out)).toThrow(/strideHeight is 0; it must be an integer >= 1/);
  });

  it('refuses a module without the kernel', async () => {
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(FilterGradKernel.create(empty)).rejects.toThrow(/must export "memory" and "filterGrad"/);
  });
});
