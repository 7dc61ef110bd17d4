/**
 * BatchMatMul on wasm against the cpu backend and against the definition,
 * on random shapes, every transpose combination and broadcast batches, and
 * the bookkeeping of the per-matrix path (ids registered with the backend's
 * C++ side for one call each, XNNPACK operators deleted with them).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { batchMatMulWasm, LOOP_MIN_MACS, matMulShapes, TILED_TRANSPOSE_MIN_ROWS, tiledTranspose, transposeOrder } from './batch-matmul';
import { useWasmKernels } from './kernel-testing';
import { values } from './test-values';

type Backend = 'cpu' | 'wasm';

/** Error bound relative to the largest result (at least 1): float32 sums of up to 1100 terms in another order. */
const TOL = 1e-5;

beforeAll(useWasmKernels);

async function onBackend(name: Backend): Promise<void> {
  if (tf.getBackend() !== name) expect(await tf.setBackend(name)).toBe(true);
}

/** One product's inputs as plain data, so each backend makes its own tensors. */
interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  seed: number;
}

const size = (shape: readonly number[]): number => shape.reduce((x, y) => x * y, 1);

function inputs(c: Case): [tf.Tensor, tf.Tensor] {
  return [tf.tensor(values(size(c.a), c.seed), c.a), tf.tensor(values(size(c.b), c.seed + 1), c.b)];
}

/** The kernel as tf.matMul calls it. */
const product = (c: Case): tf.Tensor => {
  const [a, b] = inputs(c);
  return tf.matMul(a, b, c.transposeA, c.transposeB);
};

/** The same product with both batches broadcast to the output's first: the cpu pairs them right then. */
const broadcastProduct = (c: Case): tf.Tensor => {
  const [a, b] = inputs(c);
  const { batch } = matMulShapes(c.a, c.b, c.transposeA, c.transposeB);
  const full = (t: tf.Tensor): tf.Tensor => tf.broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
  return tf.matMul(full(a), full(b), c.transposeA, c.transposeB);
};

async function run(backend: Backend, c: Case, f: (c: Case) => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await onBackend(backend);
  return tf.tidy(() => {
    const out = f(c);
    return { shape: out.shape, values: out.dataSync() as Float32Array };
  });
}

/** `f` on wasm gives the shape and, within TOL, the values of `reference` on cpu. */
async function expectAsOnCpu(c: Case, reference: (c: Case) => tf.Tensor = product, f: (c: Case) => tf.Tensor = product): Promise<void> {
  const ref = await run('cpu', c, reference);
  const got = await run('wasm', c, f);
  const label = JSON.stringify(c);
  expect(got.shape, label).toEqual(ref.shape);
  let err = 0;
  let scale = 1;
  ref.values.forEach((r, i) => {
    err = Math.max(err, Math.abs(r - (got.values[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(r));
  });
  expect(err, `${label}: max abs error (max |ref| ${scale})`).toBeLessThanOrEqual(TOL * scale);
}

/** A matrix side: 0 now and then, else up to 20 (so some matrices pass LOOP_MIN_MACS and some do not). */
const side = fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: 20 }), weight: 12 });

/** Stored shapes [rows, columns] of op(x) = [rows, columns], transposed if asked. */
const stored = (rows: number, columns: number, transposed: boolean): number[] => (transposed ? [columns, rows] : [rows, columns]);

/** Random 2-D products, every transpose combination. */
const matrixCase: fc.Arbitrary<Case> = fc
  .record({ M: side, K: side, N: side, transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) })
  .map(({ M, K, N, transposeA, transposeB, seed }) => ({ a: stored(M, K, transposeA), b: stored(K, N, transposeB), transposeA, transposeB, seed }));

/**
 * Random batched products: an output batch of rank 0 to 2, and for each
 * input its trailing dimensions with any of them 1 (broadcast), so one side
 * can have no batch, a batch of 1, part of the other's or all of it.
 */
const batchedCase: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
    M: side,
    K: side,
    N: side,
    transposeA: fc.boolean(),
    transposeB: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1e6 }),
  })
  .chain((r) =>
    fc
      .record({
        aRank: fc.integer({ min: 0, max: r.batch.length }),
        bRank: fc.integer({ min: 0, max: r.batch.length }),
        aOnes: fc.array(fc.boolean(), { minLength: r.batch.length, maxLength: r.batch.length }),
        bOnes: fc.array(fc.boolean(), { minLength: r.batch.length, maxLength: r.batch.length }),
      })
      .map(({ aRank, bRank, aOnes, bOnes }) => {
        const part = (rank: number, ones: boolean[]): number[] =>
          r.batch.map((d, i) => (ones[i] === true ? 1 : d)).slice(r.batch.length - rank);
        return {
          a: [...part(aRank, aOnes), ...stored(r.M, r.K, r.transposeA)],
          b: [...part(bRank, bOnes), ...stored(r.K, r.N, r.transposeB)],
          transposeA: r.transposeA,
          transposeB: r.transposeB,
          seed: r.seed,
        };
      }),
  );

/** True where the cpu backend pairs batches right: one side has one matrix, or both the same number. */
function cpuPairsRight(c: Case): boolean {
  const aCount = size(c.a.slice(0, -2));
  const bCount = size(c.b.slice(0, -2));
  return aCount === 1 || bCount === 1 || aCount === bCount;
}

describe('BatchMatMul on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(batchMatMulWasm);
  });

  it('gives the cpu backend result on random 2-D products, every transpose combination', async () => {
    await fc.assert(
      fc.asyncProperty(matrixCase, (c) => expectAsOnCpu(c)),
      { numRuns: 200, seed: 8102 },
    );
  });

  it('gives the result of the broadcast definition on random batched products, broadcast batches included', async () => {
    await fc.assert(
      fc.asyncProperty(batchedCase, (c) => expectAsOnCpu(c, broadcastProduct)),
      { numRuns: 200, seed: 3307 },
    );
  });

  it('gives the cpu backend result on batched products where the cpu pairs batches right', async () => {
    await fc.assert(
      fc.asyncProperty(batchedCase.filter(cpuPairsRight), (c) => expectAsOnCpu(c)),
      { numRuns: 100, seed: 4409 },
    );
  });

  it('the checks tell batch pairings apart: a [2, 1] batch against [2, 3] is paired by broadcasting, where the cpu pairs by index modulo 2', async () => {
    const c: Case = { a: [2, 1, 5, 6], b: [2, 3, 6, 7], transposeA: false, transposeB: false, seed: 5 };
    await expectAsOnCpu(c, broadcastProduct);
    // A change here means tfjs fixed its cpu backend.
    await expect(expectAsOnCpu(c)).rejects.toThrow(/max abs error/);
  });

  it('the checks catch a product that drops a transpose', async () => {
    // Square matrices, so the wrong product has the right shape.
    const square = matrixCase.map((c) => ({ ...c, a: [9, 9], b: [9, 9] })).filter((c) => c.transposeA || c.transposeB);
    const dropsTransposeA = (c: Case): tf.Tensor => {
      const [a, b] = inputs(c);
      return tf.matMul(a, b, false, c.transposeB);
    };
    const dropsTransposeB = (c: Case): tf.Tensor => {
      const [a, b] = inputs(c);
      return tf.matMul(a, b, c.transposeA, false);
    };
    await fc.assert(fc.asyncProperty(square, (c) => expectAsOnCpu(c)), { numRuns: 20, seed: 1 });
    for (const mutant of [dropsTransposeA, dropsTransposeB]) {
      await expect(
        fc.assert(fc.asyncProperty(square, (c) => expectAsOnCpu(c, product, mutant)), { numRuns: 20, seed: 1 }),
      ).rejects.toThrow(/Property failed/);
    }
  });

  it('gives the cpu result at the transformer shapes and on tall matrices, which are transposed in tiles', async () => {
    const tall = TILED_TRANSPOSE_MIN_ROWS + 37;
    const cases: Case[] = [];
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      // dW = x^T dy of a dense layer, over more rows than TILED_TRANSPOSE_MIN_ROWS, both orders.
      cases.push({ a: stored(9, tall, !transposeA), b: stored(tall, 13, transposeB), transposeA: !transposeA, transposeB, seed: 11 });
      cases.push({ a: stored(tall, 7, transposeA), b: stored(7, 5, transposeB), transposeA, transposeB, seed: 12 });
      // Attention: q k^T, (scores) v and their gradients, 8 heads of 16 by 16 positions.
      cases.push({ a: [8, ...stored(16, 4, transposeA)], b: [8, ...stored(4, 16, transposeB)], transposeA, transposeB, seed: 13 });
      cases.push({ a: [8, ...stored(16, 16, transposeA)], b: [8, ...stored(16, 4, transposeB)], transposeA, transposeB, seed: 14 });
      // A batch of tall matrices.
      cases.push({ a: [2, ...stored(tall, 3, transposeA)], b: [2, ...stored(3, 6, transposeB)], transposeA, transposeB, seed: 15 });
    }
    for (const c of cases) await expectAsOnCpu(c);
  });

  it('handles empty products: no rows, no columns, no batch, and no shared dimension (zeros)', async () => {
    const cases: Case[] = [
      { a: [0, 5], b: [5, 3], transposeA: false, transposeB: false, seed: 1 },
      { a: [4, 0], b: [0, 3], transposeA: false, transposeB: false, seed: 1 },
      { a: [0, 4], b: [3, 0], transposeA: true, transposeB: true, seed: 1 },
      { a: [0, 4, 5], b: [0, 5, 3], transposeA: false, transposeB: false, seed: 1 },
      { a: [3, 40, 0], b: [0, 60], transposeA: false, transposeB: false, seed: 1 },
    ];
    for (const c of cases) await expectAsOnCpu(c);
    await onBackend('wasm');
    const zeros = tf.tidy(() => Array.from(product(cases[1] as Case).dataSync()));
    expect(zeros).toEqual(new Array<number>(12).fill(0));
  });

  it('names shapes that do not fit, and leaves int32 to the backend kernel, which refuses it', async () => {
    await onBackend('wasm');
    const run = (a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false) => () =>
      tf.engine().runKernel(tf.BatchMatMul, { a, b }, { transposeA, transposeB });
    const [a, b, c3, ints] = [tf.zeros([2, 4, 3]), tf.zeros([3, 3, 5]), tf.zeros([2, 5]), tf.zeros([3, 3], 'int32')];
    expect(run(a, c3)).toThrow(/a \[2,4,3\] \(transposeA false\) and b \[2,5\] \(transposeB false\) share no inner dimension: 3 against 2/);
    expect(run(a, b)).toThrow(/batch dimensions of a \[2,4,3\] and b \[3,3,5\] do not broadcast/);
    expect(run(ints, ints)).toThrow(/non-float32/);
    tf.dispose([a, b, c3, ints]);
  });

  it('leaves no tensor, data buffer or XNNPACK operator behind, over many batched products', async () => {
    await onBackend('wasm');
    const q = tf.randomNormal([64, 32, 16], 0, 1, 'float32', 1);
    const k = tf.randomNormal([64, 32, 16], 0, 1, 'float32', 2);
    const scores = tf.randomNormal([64, 32, 32], 0, 1, 'float32', 3);
    const step = (): void =>
      tf.tidy(() => {
        // Forward and both gradients of q k^T and of scores v: NT, NN and TN.
        tf.matMul(q, k, false, true);
        tf.matMul(scores, k);
        tf.matMul(scores, q, true, false);
      });
    for (let i = 0; i < 3; i++) step();
    const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const before = { tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: heap() };
    // 40 rounds of 192 XNNPACK products: a kept operator (packed weights on the heap) each would grow it by megabytes.
    for (let i = 0; i < 40; i++) step();
    expect({ tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: heap() }).toEqual(before);
    tf.dispose([q, k, scores]);
  });

  it('runs the untransposed 2-D product as the backend kernel alone, and a batched one without a copy of its inputs', async () => {
    await onBackend('wasm');
    const x = tf.randomNormal([2048, 64], 0, 1, 'float32', 1);
    const w = tf.randomNormal([64, 256], 0, 1, 'float32', 2);
    const q = tf.randomNormal([128, 64, 16], 0, 1, 'float32', 3);
    const v = tf.randomNormal([128, 16, 64], 0, 1, 'float32', 4);
    const plain = await tf.profile(() => tf.matMul(x, w));
    expect(plain.kernelNames).toEqual([tf.BatchMatMul]);
    const batched = await tf.profile(() => tf.matMul(q, v));
    expect(batched.kernelNames).toEqual([tf.BatchMatMul]);
    expect(batched.newTensors).toBe(1);
    tf.dispose([plain.result as tf.Tensor, batched.result as tf.Tensor, x, w, q, v]);
  });
});

describe('the choices behind the kernel', () => {
  it('matMulShapes gives the sizes of the product and its broadcast batch', () => {
    expect(matMulShapes([5, 2, 3], [3, 4], false, false)).toEqual({ M: 2, K: 3, N: 4, aBatch: [5], bBatch: [], batch: [5], out: [5, 2, 4] });
    expect(matMulShapes([2, 1, 3, 2], [4, 5, 3], true, true)).toEqual({
      M: 2,
      K: 3,
      N: 5,
      aBatch: [2, 1],
      bBatch: [4],
      batch: [2, 4],
      out: [2, 4, 2, 5],
    });
  });

  it('transposeOrder packs the narrower input of dW = x^T dy and keeps dX = dy W^T and attention direct', () => {
    // dW of the MLP's first layer, x [2048, 64]^T dy [2048, 256]: pack x, transpose dy and dW.
    expect(transposeOrder(2048 * 64, 2048 * 256, 64 * 256, true, false)).toBe('swapped');
    // dW of its second layer, x [2048, 256]^T dy [2048, 64]: pack dy, transpose x.
    expect(transposeOrder(2048 * 256, 2048 * 64, 256 * 64, true, false)).toBe('direct');
    // Equal widths stay direct.
    expect(transposeOrder(2048 * 64, 2048 * 64, 64 * 64, true, false)).toBe('direct');
    // dX = dy W^T transposes only the small W.
    expect(transposeOrder(2048 * 89, 64 * 89, 2048 * 64, false, true)).toBe('direct');
    // Attention's batched products: q k^T, P^T dA, and both transposed.
    expect(transposeOrder(128 * 64 * 16, 128 * 64 * 16, 128 * 64 * 64, false, true)).toBe('direct');
    expect(transposeOrder(128 * 64 * 64, 128 * 64 * 16, 128 * 64 * 16, true, false)).toBe('direct');
    expect(transposeOrder(128 * 16 * 64, 128 * 64 * 16, 128 * 64 * 64, true, true)).toBe('direct');
    // Both transposed with a small result: (b a)^T transposes the result alone.
    expect(transposeOrder(1000, 1000, 64, true, true)).toBe('swapped');
    expect(transposeOrder(5, 5, 5, false, false)).toBe('direct');
  });

  it('tiledTranspose transposes each matrix of a batch, sides that are not multiples of the tile included', () => {
    for (const [batch, rows, columns] of [
      [1, 1, 1],
      [2, 33, 70],
      [3, 64, 31],
      [1, 100, 1],
    ] as const) {
      const src = values(batch * rows * columns, rows + columns);
      const dst = new Float32Array(src.length).fill(NaN);
      tiledTranspose(src, dst, batch, rows, columns);
      for (let b = 0; b < batch; b++)
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < columns; c++) {
            expect(dst[(b * columns + c) * rows + r]).toBe(src[(b * rows + r) * columns + c]);
          }
    }
  });

  it('LOOP_MIN_MACS keeps tiny batched matrices on the backend loop and sends the attention ones to XNNPACK', () => {
    expect(4 * 4 * 4).toBeLessThan(LOOP_MIN_MACS);
    expect(64 * 16 * 64).toBeGreaterThanOrEqual(LOOP_MIN_MACS);
  });
});
