/**
 * What tfjs hands the training kernels beyond a conv's or pool's own dy:
 * each case runs through tf ops where one reaches it on wasm (runKernel
 * where none does: NCHW, int32 pool inputs) and must give the cpu backend's
 * answer, or where the cpu backend has none (it reads past a smaller dy),
 * the answer for that dy zero-extended.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';

import { useWasmKernels } from './kernel-testing';
import { values } from './test-values';

type Shape4 = [number, number, number, number];
type Pad = tf.Conv2DBackpropFilterAttrs['pad'];
type Rounding = 'ceil' | 'round' | 'floor' | undefined;

/** Relative tolerance: float32 sums in a different order. */
const REL_TOL = 1e-4;

beforeAll(useWasmKernels);


const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const t4 = (shape: Shape4, seed: number): tf.Tensor4D => tf.tensor4d(values(size(shape), seed), shape);
/** Small integers: exact in float32, and many ties for the pool. */
const ints = (shape: Shape4, seed: number): tf.Tensor4D =>
  tf.tensor4d(Int32Array.from(values(size(shape), seed), (v) => Math.round(v * 3)), shape, 'int32');

type Run = () => tf.Tensor | tf.Tensor[];

async function on(backend: 'cpu' | 'wasm', run: Run): Promise<Float32Array[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  return tf.tidy(() => {
    const out = run();
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/** `run` on wasm against `reference` (by default `run` itself) on cpu. */
async function expectAsOnCpu(label: string, run: Run, reference: Run = run): Promise<void> {
  const ref = await on('cpu', reference);
  const got = await on('wasm', run);
  expect(got.length, label).toBe(ref.length);
  ref.forEach((r, i) => {
    const g = got[i] ?? new Float32Array(0);
    expect(g.length, `${label}, output ${i}: length`).toBe(r.length);
    let err = 0;
    let scale = 0;
    for (let k = 0; k < r.length; k++) {
      err = Math.max(err, Math.abs((g[k] ?? NaN) - (r[k] ?? NaN)));
      scale = Math.max(scale, Math.abs(r[k] ?? NaN));
    }
    expect(Number.isFinite(err), `${label}, output ${i}: non-finite values`).toBe(true);
    expect(err, `${label}, output ${i}: max abs error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(REL_TOL * scale);
  });
}

interface RoundedConv {
  x: Shape4;
  filter: Shape4;
  strides: number;
  pad: Pad;
  dimRoundingMode: Rounding;
}

/** Forward convs whose output the rounding mode enlarges; tfjs' Conv2D gradient drops the mode. */
const roundedConvs: RoundedConv[] = [
  { x: [2, 9, 9, 3], filter: [4, 4, 3, 2], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { x: [2, 9, 8, 3], filter: [4, 3, 3, 2], strides: 2, pad: [[0, 0], [1, 2], [0, 2], [0, 0]], dimRoundingMode: 'round' },
];

/** Gradients of sum(conv2d(x, f) * g) with respect to `wrt`, for one of the cases above. */
function roundedConvGrad(c: RoundedConv, wrt: 'x' | 'filter'): Run {
  return () => {
    const x = t4(c.x, 1);
    const f = t4(c.filter, 2);
    const outShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode).outShape;
    const g = t4(outShape, 3);
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Scalar =>
      tf.sum(tf.mul(tf.conv2d(a, b, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), g));
    return wrt === 'x'
      ? tf.grad((a: tf.Tensor) => conv(a as tf.Tensor4D, f))(x)
      : tf.grad((b: tf.Tensor) => conv(x, b as tf.Tensor4D))(f);
  };
}

/** x [2, 4, 4, 3] into [2, 9, 9, 2] at stride 2 'same': a 9x9 input convolves to 5x5, one more than x. */
const SHORT_X: Shape4 = [2, 4, 4, 3];
const SHORT_OUT: Shape4 = [2, 9, 9, 2];
const TRANSPOSE_FILTER: Shape4 = [3, 3, 2, 3];
/** SHORT_X with the row and column a 9x9 input's conv has beyond it, as zeros. */
const extended = (x: tf.Tensor4D): tf.Tensor4D => tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]);

describe('Conv2DBackpropInput fallbacks', () => {
  it('conv2d input gradient after a forward conv rounded up: dy past the unrounded output is ignored, as on cpu', async () => {
    for (const c of roundedConvs) await expectAsOnCpu(JSON.stringify(c), roundedConvGrad(c, 'x'));
  });

  it('conv2dTranspose with x larger than its outputShape convolves to: the extra rows, columns and images are ignored', async () => {
    await expectAsOnCpu('5x5 into 8x8, stride 2 same', () =>
      tf.conv2dTranspose(t4([2, 5, 5, 3], 1), t4(TRANSPOSE_FILTER, 2), [2, 8, 8, 2], 2, 'same'),
    );
    await expectAsOnCpu('3 images of 6x5 into 2 of 7x9, stride 2 valid', () =>
      tf.conv2dTranspose(t4([3, 6, 5, 3], 1), t4(TRANSPOSE_FILTER, 2), [2, 7, 9, 2], 2, 'valid'),
    );
  });

  it('conv2dTranspose with x smaller than its outputShape convolves to: x is zero-extended (cpu reads past it)', async () => {
    await expectAsOnCpu(
      '4x4 into 9x9, stride 2 same',
      () => tf.conv2dTranspose(t4(SHORT_X, 1), t4(TRANSPOSE_FILTER, 2), SHORT_OUT, 2, 'same'),
      () => tf.conv2dTranspose(extended(t4(SHORT_X, 1)), t4(TRANSPOSE_FILTER, 2), SHORT_OUT, 2, 'same'),
    );
    // 8x9 convolves to 4x5: x has a row too many and two columns too few.
    await expectAsOnCpu(
      '5x3 into 8x9, stride 2 same',
      () => tf.conv2dTranspose(t4([2, 5, 3, 3], 1), t4(TRANSPOSE_FILTER, 2), [2, 8, 9, 2], 2, 'same'),
      () => {
        const fitted = tf.pad(tf.slice(t4([2, 5, 3, 3], 1), 0, [2, 4, 3, 3]), [[0, 0], [0, 0], [0, 2], [0, 0]]);
        return tf.conv2dTranspose(fitted, t4(TRANSPOSE_FILTER, 2), [2, 8, 9, 2], 2, 'same');
      },
    );
  });

  it('conv2dTranspose of int32 and bool tensors gives the float32 answer of the cpu backend', async () => {
    await expectAsOnCpu('int32 x and filter', () =>
      tf.conv2dTranspose(ints([2, 4, 4, 3], 1), ints(TRANSPOSE_FILTER, 2), [2, 8, 8, 2], 2, 'same'),
    );
    await expectAsOnCpu('bool x', () =>
      tf.conv2dTranspose(tf.greater(t4([2, 4, 4, 3], 1), 0) as tf.Tensor4D, t4(TRANSPOSE_FILTER, 2), [2, 8, 8, 2], 2, 'same'),
    );
  });

  it('conv2dTranspose into an output smaller than the filter gives zeros, as on cpu', async () => {
    // A 2x2 input has no 'valid' 5x5 windows: the conv's output would be -2 rows high.
    await expectAsOnCpu('1x1 into 2x2 with a 5x5 filter', () =>
      tf.conv2dTranspose(t4([1, 1, 1, 3], 1), t4([5, 5, 2, 3], 2), [1, 2, 2, 2], 1, 'valid'),
    );
  });

  it('NCHW goes to the backend kernel, also with a dy to fit (no op reaches NCHW on wasm: runKernel)', async () => {
    const run = (dyShape: Shape4) => (): tf.Tensor =>
      tf.engine().runKernel(
        tf.Conv2DBackpropInput,
        { dy: t4(dyShape, 1), filter: t4([3, 3, 3, 4], 2) },
        { strides: 2, pad: [[0, 0], [0, 0], [1, 1], [0, 1]], dataFormat: 'NCHW', inputShape: [2, 3, 8, 7] },
      ) as tf.Tensor;
    await expectAsOnCpu('NCHW', run([2, 4, 4, 4]));
    await expectAsOnCpu('NCHW, dy with an extra row and column', run([2, 4, 5, 5]));
  });
});

/** dW of sum(conv2dTranspose(x, f) * g). */
function transposeFilterGrad(x: () => tf.Tensor4D, outputShape: Shape4, strides: number, pad: 'same' | 'valid'): Run {
  return () => {
    const g = t4(outputShape, 3);
    return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(x(), f as tf.Tensor4D, outputShape, strides, pad), g)))(
      t4(TRANSPOSE_FILTER, 2),
    );
  };
}

describe('Conv2DBackpropFilter fallbacks (the wasm backend has no kernel of its own)', () => {
  it('conv2d filter gradient after a forward conv rounded up: dy past the unrounded output is ignored, as on cpu', async () => {
    for (const c of roundedConvs) await expectAsOnCpu(JSON.stringify(c), roundedConvGrad(c, 'filter'));
  });

  it('conv2dTranspose filter gradient with x larger than its outputShape convolves to, as on cpu', async () => {
    await expectAsOnCpu('5x5 into 8x8', transposeFilterGrad(() => t4([2, 5, 5, 3], 1), [2, 8, 8, 2], 2, 'same'));
    await expectAsOnCpu('3 images of 6x5 into 2 of 7x9', transposeFilterGrad(() => t4([3, 6, 5, 3], 1), [2, 7, 9, 2], 2, 'valid'));
  });

  it('conv2dTranspose filter gradient with x smaller than its outputShape convolves to: x zero-extended (cpu refuses)', async () => {
    await expectAsOnCpu(
      '4x4 into 9x9',
      transposeFilterGrad(() => t4(SHORT_X, 1), SHORT_OUT, 2, 'same'),
      transposeFilterGrad(() => extended(t4(SHORT_X, 1)), SHORT_OUT, 2, 'same'),
    );
  });

  it('takes int32 dy: the filter gradient of conv2dTranspose of an int32 x', async () => {
    await expectAsOnCpu('int32 x', transposeFilterGrad(() => ints([2, 4, 4, 3], 1), [2, 8, 8, 2], 2, 'same'));
  });

  it('negative explicit padding (it crops x), with the input gradient too', async () => {
    const cases: { x: Shape4; strides: number; pad: Pad }[] = [
      { x: [2, 6, 6, 2], strides: 1, pad: [[0, 0], [-1, 0], [0, -1], [0, 0]] },
      { x: [2, 9, 8, 2], strides: 2, pad: [[0, 0], [-2, 1], [1, -1], [0, 0]] },
    ];
    for (const c of cases) {
      const outShape = tf.backend_util.computeConv2DInfo(c.x, [3, 3, 2, 3], c.strides, 1, c.pad).outShape;
      await expectAsOnCpu(JSON.stringify(c), () => {
        const g = t4(outShape, 3);
        const loss = (x: tf.Tensor, f: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad), g));
        return tf.grads(loss)([t4(c.x, 1), t4([3, 3, 2, 3], 2)]);
      });
    }
  });

  it('NCHW, with explicit padding in NCHW order (no op reaches NCHW on wasm: runKernel)', async () => {
    const run = (pad: Pad, dyShape: Shape4) => (): tf.Tensor =>
      tf.engine().runKernel(
        tf.Conv2DBackpropFilter,
        { x: t4([2, 3, 8, 7], 1), dy: t4(dyShape, 2) },
        { strides: 2, pad, dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
      ) as tf.Tensor;
    await expectAsOnCpu('same', run('same', [2, 4, 4, 4]));
    await expectAsOnCpu('explicit', run([[0, 0], [0, 0], [1, 2], [0, 1]], [2, 4, 5, 3]));
  });

  it('conv2dTranspose into an output smaller than the filter: zero filter gradient, as on cpu', async () => {
    await expectAsOnCpu('1x1 into 2x2 with a 5x5 filter', () => {
      const g = t4([1, 2, 2, 2], 3);
      const loss = (f: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.conv2dTranspose(t4([1, 1, 1, 3], 1), f as tf.Tensor4D, [1, 2, 2, 2], 1, 'valid'), g));
      return tf.grad(loss)(t4([5, 5, 2, 3], 2));
    });
  });
});

/** dx of sum(maxPool(x) * g), for x of small integers (ties) as float32. */
function poolGrad(xShape: Shape4, filterSize: number, strides: number, pad: Pad, dimRoundingMode?: Rounding): Run {
  return () => {
    const x = tf.cast(ints(xShape, 1), 'float32') as tf.Tensor4D;
    const outShape = tf.backend_util.computePool2DInfo(xShape, filterSize, strides, 1, pad, dimRoundingMode).outShape;
    const g = t4(outShape, 2);
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, filterSize, strides, pad, dimRoundingMode), g)))(x);
  };
}

describe('MaxPoolGrad fallbacks', () => {
  it('maxPool gradient after a forward pool rounded up: dy past the unrounded output is ignored, as on cpu', async () => {
    await expectAsOnCpu('2x2/2 on 9x9, ceil', poolGrad([2, 9, 9, 3], 2, 2, 0, 'ceil'));
    await expectAsOnCpu('3x3/2 on 9x8, explicit, round', poolGrad([2, 9, 8, 3], 3, 2, [[0, 0], [1, 1], [0, 2], [0, 0]], 'round'));
  });

  it('negative explicit padding (it crops x)', async () => {
    await expectAsOnCpu('2x2/1', poolGrad([2, 6, 7, 3], 2, 1, [[0, 0], [-1, 0], [0, -2], [0, 0]]));
    await expectAsOnCpu('3x3/2', poolGrad([2, 9, 8, 5], 3, 2, [[0, 0], [-1, 1], [1, -1], [0, 0]]));
  });

  it('int32 and bool input, as float32 like the cpu backend (the wasm MaxPool refuses them: runKernel)', async () => {
    const attrs = { filterSize: 2, strides: 2, pad: 'same' };
    const run = (input: () => tf.Tensor4D) => (): tf.Tensor =>
      tf.engine().runKernel(tf.MaxPoolGrad, { dy: t4([2, 3, 3, 4], 2), input: input(), output: tf.zeros([2, 3, 3, 4]) }, attrs) as tf.Tensor;
    await expectAsOnCpu('int32', run(() => ints([2, 5, 6, 4], 1)));
    await expectAsOnCpu('bool', run(() => tf.greater(t4([2, 5, 6, 4], 1), 0) as tf.Tensor4D));
  });

  it('names a dy smaller than the pool, which the cpu backend refuses too', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const input = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 1, 2, 2]);
    expect(() =>
      tf.engine().runKernel(tf.MaxPoolGrad, { dy, input, output: dy }, { filterSize: 2, strides: 2, pad: 'valid' }),
    ).toThrow(/dy shape \[1,1,2,2\] is smaller than the pool of \[1,4,4,2\] gives; dy must be at least \[1,2,2,2\]/);
    tf.dispose([input, dy]);
  });
});

describe('fallback bookkeeping', () => {
  it('leaves no tensor behind, also for bare TensorInfo inputs (a kernel calling another)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const bare = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const x = ints([2, 9, 9, 3], 1);
    const dy = ints([2, 5, 5, 3], 2);
    const filter = t4([3, 3, 3, 3], 3);
    const backend = tf.backend();
    const calls: [string, tf.NamedTensorInfoMap, tf.NamedAttrMap][] = [
      [tf.Conv2DBackpropInput, { dy: bare(dy), filter: bare(filter) }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 8, 8, 3] }],
      [tf.Conv2DBackpropFilter, { x: bare(x), dy: bare(dy) }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 3, 3] }],
      [tf.MaxPoolGrad, { dy: bare(dy), input: bare(x), output: bare(dy) }, { filterSize: 2, strides: 2, pad: 'valid' }],
    ];
    for (const [name, inputs, attrs] of calls) {
      const before = tf.memory().numTensors;
      const buffers = tf.memory().numDataBuffers;
      const kernel = tf.getKernel(name, 'wasm');
      if (kernel === undefined) throw new Error(`no ${name} for wasm`);
      const out = kernel.kernelFunc({ inputs, backend, attrs }) as tf.Tensor;
      expect(out, name).toBeInstanceOf(tf.Tensor);
      expect(out.dtype, name).toBe('float32');
      expect(tf.memory().numTensors, `${name}: the result alone`).toBe(before + 1);
      out.dispose();
      expect(tf.memory().numDataBuffers, `${name}: data buffers`).toBe(buffers);
    }
    // The inputs still hold their data.
    expect(x.dataSync().length + dy.dataSync().length + filter.dataSync().length).toBe(486 + 150 + 81);
    tf.dispose([x, dy, filter]);
  });

  it('BatchMatMul and GatherV2 leave only their result for bare TensorInfo inputs, on every path', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const bare = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(values(size(shape), seed), shape);
    const [tall, wide, w, q, k, small, table] = [t([1100, 8], 1), t([1100, 12], 2), t([8, 12], 3), t([6, 20, 8], 4), t([6, 20, 8], 5), t([6, 3, 3], 6), t([9, 5], 7)];
    const ids = tf.tensor2d([0, 8, 8, 3], [2, 2], 'int32');
    const backend = tf.backend();
    const calls: [string, string, tf.NamedTensorInfoMap, tf.NamedAttrMap][] = [
      ['untransposed 2-D (backend kernel)', tf.BatchMatMul, { a: bare(tall), b: bare(w) }, { transposeA: false, transposeB: false }],
      ['x^T dy (tiled transpose)', tf.BatchMatMul, { a: bare(tall), b: bare(wide) }, { transposeA: true, transposeB: false }],
      ['dy W^T', tf.BatchMatMul, { a: bare(wide), b: bare(w) }, { transposeA: false, transposeB: true }],
      ['q k^T (a product per matrix)', tf.BatchMatMul, { a: bare(q), b: bare(k) }, { transposeA: false, transposeB: true }],
      ['batch by one matrix (stacked rows)', tf.BatchMatMul, { a: bare(q), b: bare(w) }, { transposeA: false, transposeB: false }],
      ['small matrices (backend loop)', tf.BatchMatMul, { a: bare(small), b: bare(small) }, { transposeA: true, transposeB: false }],
      ['gather', tf.GatherV2, { x: bare(table), indices: bare(ids) }, { axis: 0, batchDims: 0 }],
    ];
    for (const [label, name, inputs, attrs] of calls) {
      const before = tf.memory().numTensors;
      const buffers = tf.memory().numDataBuffers;
      const kernel = tf.getKernel(name, 'wasm');
      if (kernel === undefined) throw new Error(`no ${name} for wasm`);
      const out = kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
      const result = out instanceof tf.Tensor ? out : tf.engine().makeTensorFromTensorInfo(out);
      expect(tf.memory().numTensors, `${label}: the result alone`).toBe(before + 1);
      expect(tf.memory().numDataBuffers, `${label}: the result's buffer alone`).toBe(buffers + 1);
      result.dispose();
      expect(tf.memory().numDataBuffers, `${label}: data buffers`).toBe(buffers);
    }
    const kept = [tall, wide, w, q, k, small, table, ids];
    expect(kept.map((x) => x.dataSync().length)).toEqual(kept.map((x) => x.size));
    tf.dispose(kept);
  });
});

describe('BatchMatMul and GatherV2 hand-offs to the backend kernels', () => {
  it('int32 matMul goes to the backend kernel, which refuses it as it always has', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(a, a)).toThrow(/non-float32/);
    a.dispose();
  });

  it('matMul of int32 on cpu and of the same as float32 on wasm agree (the cast callers need)', async () => {
    const ints = (): tf.Tensor2D => tf.tensor2d(Int32Array.from(values(12, 4), (v) => Math.round(v * 5)), [3, 4], 'int32');
    await expectAsOnCpu(
      'int32 product',
      () => tf.matMul(tf.cast(ints(), 'float32'), tf.cast(ints(), 'float32'), false, true),
      () => tf.cast(tf.matMul(ints(), ints(), false, true), 'float32'),
    );
  });
});
