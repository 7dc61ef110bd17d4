/**
 * The order the trainer worker uses (start the wasm backend, then register),
 * and inputs still held by another backend: their move onto the wasm heap
 * grows it, which must not leave a kernel with detached views.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { registerWasmTrainingKernels } from '.';
import { batchMatMulWasm, TILED_TRANSPOSE_MIN_ROWS } from './batch-matmul';
import { conv2dBackpropFilterWasm } from './conv2d-backprop-filter';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input';
import { gatherV2Wasm } from './gather';
import { maxPoolGradWasm } from './max-pool-grad';
import { compileWasmKernels } from './simd/wat';
import { integers } from './test-values';
import { unsortedSegmentSumWasm } from './unsorted-segment-sum';

beforeAll(async () => {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  expect(await tf.setBackend('wasm')).toBe(true);
  await registerWasmTrainingKernels(await compileWasmKernels());
});

/** The wasm heap's size now; the module's typings omit Emscripten's heap views. */
function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

describe('wasm training kernels registered after the backend started', () => {
  it('register again without throwing or warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    await registerWasmTrainingKernels(await compileWasmKernels());
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterWasm);
  });

  it('are in place and give the gradient of the cpu backend', async () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterWasm);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc).toBe(conv2dBackpropInputWasm);
    expect(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc).toBe(maxPoolGradWasm);
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')?.kernelFunc).toBe(unsortedSegmentSumWasm);
    expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(batchMatMulWasm);
    expect(tf.getKernel(tf.GatherV2, 'wasm')?.kernelFunc).toBe(gatherV2Wasm);
    // conv -> pool -> conv, so all three gradient kernels run.
    const grads = (): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w1 = tf.randomNormal([3, 3, 3, 8], 0, 0.3, 'float32', 2);
        const w2 = tf.randomNormal([3, 3, 8, 4], 0, 0.3, 'float32', 3);
        const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
          tf.sum(tf.conv2d(tf.maxPool(tf.conv2d(x, a as tf.Tensor4D, 1, 'same'), 2, 2, 'same'), b as tf.Tensor4D, 1, 'same'));
        return tf.grads(loss)([w1, w2]).map((g) => g.dataSync() as Float32Array);
      });
    const onWasm = grads();
    expect(await tf.setBackend('cpu')).toBe(true);
    const onCpu = grads();
    expect(await tf.setBackend('wasm')).toBe(true);
    onCpu.forEach((ref, i) => {
      const got = onWasm[i] ?? new Float32Array(0);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const err = ref.reduce((m, v, k) => Math.max(m, Math.abs(v - (got[k] ?? NaN))), 0);
      expect(err, `gradient ${i}: max abs error ${err}, max |ref| ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
    });
  });

  // First in the file: the heap is smallest before the tests below grow it, so the inputs that outgrow it stay small.
  it('BatchMatMul and GatherV2 read inputs that another backend held, even when moving them grows the heap', async () => {
    // Each product's inputs together are larger than the heap is when it runs, so moving them onto it must grow it.
    type Product = [label: string, make: (floats: number) => tf.Tensor[], product: (ts: tf.Tensor[]) => tf.Tensor];
    const products: Product[] = [
      [
        'a product per matrix, [n, 8, 64] by [n, 64, 8]',
        (floats) => {
          const n = Math.ceil(floats / (2 * 8 * 64));
          return [tf.randomUniform([n, 8, 64], -1, 1, 'float32', 32), tf.randomUniform([n, 64, 8], -1, 1, 'float32', 33)];
        },
        ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
      ],
      [
        'x^T dy over tall matrices (the tiled transpose)',
        (floats) => {
          const rows = Math.max(TILED_TRANSPOSE_MIN_ROWS, Math.ceil(floats / 19));
          return [tf.randomUniform([rows, 16], -1, 1, 'float32', 34), tf.randomUniform([rows, 3], -1, 1, 'float32', 35)];
        },
        ([x, dy]) => tf.matMul(x as tf.Tensor2D, dy as tf.Tensor2D, true, false),
      ],
      [
        'an embedding lookup',
        (floats) => {
          const rows = Math.ceil(floats / 64);
          return [tf.randomUniform([rows, 64], -1, 1, 'float32', 36), tf.tensor1d(integers(300, 0, rows - 1, 31), 'int32')];
        },
        ([table, ids]) => tf.gather(table as tf.Tensor2D, ids as tf.Tensor1D),
      ],
    ];
    for (const [label, make, product] of products) {
      const floats = Math.ceil(heapBytes() / 4) + 4096;
      expect(await tf.setBackend('cpu')).toBe(true);
      const onCpu = make(floats);
      expect(await tf.setBackend('wasm')).toBe(true);
      const heapBefore = heapBytes();
      const out = product(onCpu);
      const moved = out.dataSync() as Float32Array;
      expect(heapBytes(), label).toBeGreaterThan(heapBefore); // the case that detaches views taken too early
      tf.dispose([...onCpu, out]);
      // The same seeds made on wasm directly give the same answer.
      const direct = tf.tidy(() => product(make(floats)).dataSync() as Float32Array);
      expect(moved.length, label).toBe(direct.length);
      let differing = 0;
      for (let k = 0; k < moved.length; k++) if (moved[k] !== direct[k]) differing++;
      expect(differing, `${label}: values that differ`).toBe(0);
    }
  });

  it('read inputs that another backend held, even when moving them grows the heap', async () => {
    type Shape = [number, number, number, number];
    const shapes: Record<'x' | 'dy' | 'filter' | 'pooled', Shape> = {
      x: [8, 256, 256, 16],
      dy: [8, 256, 256, 16],
      filter: [3, 3, 16, 16],
      pooled: [8, 128, 128, 16],
    };
    const run = (): Float32Array[] => {
      const [x, dy, filter, pooled] = [shapes.x, shapes.dy, shapes.filter, shapes.pooled].map((s, i) =>
        tf.randomUniform(s, -1, 1, 'float32', 10 + i),
      ) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const outs = [
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: shapes.filter }),
        tf.engine().runKernel(tf.MaxPoolGrad, { dy: pooled, input: x }, { filterSize: 2, strides: 2, pad: 'same' }),
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: shapes.x }),
      ] as tf.Tensor[];
      const values = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose([x, dy, filter, pooled, ...outs]);
      return values;
    };
    // Inputs made on cpu, then the kernels run on wasm: the first lookup moves 32 MB (x, dy).
    expect(await tf.setBackend('cpu')).toBe(true);
    const makeOnCpu = (): tf.Tensor[] =>
      [shapes.x, shapes.dy, shapes.filter, shapes.pooled].map((s, i) => tf.randomUniform(s, -1, 1, 'float32', 10 + i));
    const onCpu = makeOnCpu();
    expect(await tf.setBackend('wasm')).toBe(true);
    const heapBefore = heapBytes();
    const [x, dy, filter, pooled] = onCpu as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const moved = [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: shapes.filter }),
      tf.engine().runKernel(tf.MaxPoolGrad, { dy: pooled, input: x }, { filterSize: 2, strides: 2, pad: 'same' }),
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: shapes.x }),
    ].map((t) => (t as tf.Tensor).dataSync() as Float32Array);
    expect(heapBytes()).toBeGreaterThan(heapBefore); // the case that detaches views taken too early
    tf.dispose(onCpu);
    // The same seeds made on wasm directly give the same answers.
    const direct = run();
    moved.forEach((values, i) => {
      const expected = direct[i] ?? new Float32Array(0);
      expect(values.length).toBe(expected.length);
      let differing = 0;
      for (let k = 0; k < values.length; k++) if (values[k] !== expected[k]) differing++;
      expect(differing, `output ${i}: values that differ`).toBe(0);
    });
  });

  it('UnsortedSegmentSum reads x and ids that another backend held, even when moving them grows the heap', async () => {
    const columns = 64;
    // More rows than the heap now holds bytes, so moving x onto it must grow it.
    const rows = Math.ceil(heapBytes() / (4 * columns)) + 1024;
    const segments = 97;
    const ids = integers(rows, -1, segments, 21);
    const make = (): [tf.Tensor2D, tf.Tensor1D] => [
      tf.randomUniform([rows, columns], -1, 1, 'float32', 22) as tf.Tensor2D,
      tf.tensor1d(ids, 'int32'),
    ];
    expect(await tf.setBackend('cpu')).toBe(true);
    const [x, segmentIds] = make();
    expect(await tf.setBackend('wasm')).toBe(true);
    const heapBefore = heapBytes();
    const moved = tf.unsortedSegmentSum(x, segmentIds, segments);
    expect(heapBytes()).toBeGreaterThan(heapBefore); // the case that detaches views taken too early
    const got = moved.dataSync();
    tf.dispose([x, segmentIds, moved]);
    // The same inputs made on wasm directly give the same answer.
    const direct = tf.tidy(() => {
      const [wx, wids] = make();
      return tf.unsortedSegmentSum(wx, wids, segments).dataSync();
    });
    expect(got.length).toBe(segments * columns);
    let differing = 0;
    for (let k = 0; k < got.length; k++) if (got[k] !== direct[k]) differing++;
    expect(differing, 'values that differ').toBe(0);
  });

});
