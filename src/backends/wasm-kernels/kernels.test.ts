import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { registerWasmTrainingKernels, wasmKernelMemoryBytes } from '.';
import { type Conv2DPad, conv2dBackpropFilterWasm, conv2dFilterGradient } from './conv2d-backprop-filter';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input';
import { createRng } from '../../core/rng';
import { initialTheta, paramOffsets, paramSize } from '../../models/spec';
import { sequenceLosses, transformerForward, transformerSpec } from '../../models/transformer';
import { maxPoolGradWasm } from './max-pool-grad';
import { naiveFilterGradient } from './simd/reference';
import { compileWasmKernels } from './simd/wat';
import { integers, values } from './test-values';

type Backend = 'wasm' | 'cpu';
type Shape4 = [number, number, number, number];

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  pad: Conv2DPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Relative tolerance: float32 sums of thousands of terms in a different order. */
const REL_TOL = 1e-4;

beforeAll(async () => {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const binaries = await compileWasmKernels();
  await registerWasmTrainingKernels(binaries);
  const warn = vi.spyOn(console, 'warn');
  await registerWasmTrainingKernels(binaries); // idempotent: a second call must not throw or warn
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
  expect(await tf.setBackend('wasm')).toBe(true);
});

async function onBackend<T>(name: Backend, fn: () => T): Promise<T> {
  if (tf.getBackend() !== name) expect(await tf.setBackend(name)).toBe(true);
  return fn();
}

function seeded(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** Largest |a - b| and largest |b|, so callers can assert a relative bound. */
function compare(actual: Float32Array, reference: Float32Array): { err: number; scale: number } {
  expect(actual.length).toBe(reference.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] ?? NaN;
    err = Math.max(err, Math.abs((actual[i] ?? NaN) - r));
    scale = Math.max(scale, Math.abs(r));
  }
  return { err, scale };
}

function expectClose(actual: Float32Array, reference: Float32Array, label: string): void {
  const { err, scale } = compare(actual, reference);
  expect(Number.isFinite(err), `${label}: non-finite values`).toBe(true);
  expect(err, `${label}: max abs error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(REL_TOL * scale);
}

/** dW through the public gradient path, so the registered kernel is what runs on wasm. */
function filterGradViaTape(c: ConvCase, xData: Float32Array, fData: Float32Array, dyData: Float32Array): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(xData, c.x);
    const f = tf.tensor4d(fData, c.filter);
    const outShape = tf.conv2d(x, f, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode).shape;
    const dy = tf.tensor(dyData.subarray(0, outShape.reduce((a, b) => a * b, 1)), outShape);
    const loss = (ff: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(tf.conv2d(x, ff as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), dy));
    const [dW] = tf.grads(loss)([f]);
    if (dW === undefined) throw new Error('no gradient');
    return dW.dataSync() as Float32Array;
  });
}

async function checkCase(c: ConvCase, seed: number): Promise<void> {
  const xData = seeded(c.x, seed);
  const fData = seeded(c.filter, seed + 1);
  // Large enough for any output shape of this case.
  const dyData = seeded([c.x[0] * c.x[1] * c.x[2] * c.filter[3] * 4], seed + 2);
  const label = JSON.stringify(c);
  const ref = await onBackend('cpu', () => filterGradViaTape(c, xData, fData, dyData));
  const got = await onBackend('wasm', () => filterGradViaTape(c, xData, fData, dyData));
  expectClose(got, ref, label);
}

/** Small deterministic PRNG for picking shapes. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCases(count: number, seed: number): ConvCase[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const kh = pick([1, 2, 3, 4, 5]);
    const kw = pick([1, 2, 3, 4, 5]);
    const h = Math.max(kh, pick([5, 6, 7, 9, 12, 13, 14]));
    const w = Math.max(kw, pick([5, 6, 7, 9, 12, 13, 14]));
    const s = pick([1, 2]);
    cases.push({
      x: [pick([1, 2, 3, 8]), h, w, 1 + Math.floor(rand() * 16)],
      filter: [kh, kw, 0, 1 + Math.floor(rand() * 16)],
      strides: [s, s],
      pad: pick(['same', 'valid'] as const),
    });
    const last = cases[cases.length - 1];
    if (last !== undefined) last.filter[2] = last.x[3];
  }
  return cases;
}

describe('Conv2DBackpropFilter on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterWasm);
  });

  it('matches cpu on random shapes, strides 1 and 2, same and valid', async () => {
    const cases = randomCases(40, 8474);
    for (const [i, c] of cases.entries()) await checkCase(c, 100 + 3 * i);
  });

  it('matches cpu on the CNN layer shapes and edge cases', async () => {
    const cases: ConvCase[] = [
      { x: [32, 28, 28, 1], filter: [5, 5, 1, 8], strides: [1, 1], pad: 'same' },
      { x: [32, 14, 14, 8], filter: [5, 5, 8, 16], strides: [1, 1], pad: 'same' },
      // 'valid' with stride 2 leaves the last row and column of x unread.
      { x: [4, 28, 28, 3], filter: [3, 3, 3, 5], strides: [2, 2], pad: 'valid' },
      { x: [2, 13, 11, 4], filter: [4, 2, 4, 3], strides: [2, 1], pad: 'same' },
      { x: [2, 9, 10, 3], filter: [3, 3, 3, 2], strides: [3, 2], pad: 'valid' },
      { x: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: [2, 2], pad: 1 },
      { x: [2, 10, 10, 3], filter: [4, 4, 3, 2], strides: [2, 2], pad: 1, dimRoundingMode: 'ceil' },
      { x: [2, 10, 10, 3], filter: [4, 4, 3, 2], strides: [2, 2], pad: 2, dimRoundingMode: 'floor' },
      {
        x: [3, 8, 7, 2],
        filter: [3, 2, 2, 4],
        strides: [2, 2],
        pad: [
          [0, 0],
          [2, 0],
          [1, 3],
          [0, 0],
        ],
      },
      { x: [1, 5, 5, 16], filter: [5, 5, 16, 16], strides: [1, 1], pad: 'valid' },
      { x: [5, 6, 6, 2], filter: [1, 1, 2, 3], strides: [2, 2], pad: 'valid' },
      // One input channel: the depthwise form, with cropping and explicit padding.
      { x: [4, 28, 28, 1], filter: [5, 5, 1, 8], strides: [2, 2], pad: 'valid' },
      {
        x: [3, 9, 8, 1],
        filter: [3, 2, 1, 4],
        strides: [2, 1],
        pad: [
          [0, 0],
          [1, 2],
          [0, 1],
          [0, 0],
        ],
      },
    ];
    for (const [i, c] of cases.entries()) await checkCase(c, 900 + 3 * i);
  });

  it('handles dilation, also together with strides', async () => {
    await onBackend('wasm', () => undefined);
    const cases: { x: Shape4; filter: Shape4; pad: Conv2DPad; strides: number; dilations: [number, number] }[] = [
      { x: [2, 11, 12, 3], filter: [3, 3, 3, 4], pad: 'valid', strides: 1, dilations: [2, 2] },
      { x: [2, 11, 12, 3], filter: [3, 2, 3, 4], pad: 'same', strides: 1, dilations: [2, 3] },
      { x: [3, 10, 9, 1], filter: [3, 3, 1, 5], pad: 'same', strides: 1, dilations: [2, 2] },
      {
        x: [3, 9, 9, 2],
        filter: [2, 3, 2, 2],
        pad: [
          [0, 0],
          [1, 2],
          [2, 1],
          [0, 0],
        ],
        strides: 1,
        dilations: [3, 1],
      },
      { x: [2, 13, 12, 3], filter: [3, 3, 3, 9], pad: 'same', strides: 2, dilations: [2, 2] },
    ];
    for (const [i, c] of cases.entries()) {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 40 + i) as tf.Tensor4D;
      const info = tf.backend_util.computeConv2DInfo(x.shape, c.filter, c.strides, c.dilations, c.pad);
      const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 50 + i) as tf.Tensor4D;
      const got = conv2dFilterGradient(x, dy, c.filter, c.strides, c.pad, undefined, c.dilations);
      const ref = naiveFilterGradient(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, {
        batch: c.x[0],
        inHeight: c.x[1],
        inWidth: c.x[2],
        inChannels: c.x[3],
        outHeight: info.outHeight,
        outWidth: info.outWidth,
        outChannels: c.filter[3],
        filterHeight: c.filter[0],
        filterWidth: c.filter[1],
        strideHeight: info.strideHeight,
        strideWidth: info.strideWidth,
        dilationHeight: info.dilationHeight,
        dilationWidth: info.dilationWidth,
        top: info.padInfo.top,
        left: info.padInfo.left,
      });
      expectClose(got.dataSync() as Float32Array, ref, JSON.stringify(c));
      tf.dispose([x, dy, got]);
    }
  });

  it('runs as one kernel: no other tfjs kernel, no tensor left behind', async () => {
    await onBackend('wasm', () => undefined);
    const x = tf.randomNormal([4, 12, 12, 8], 0, 1, 'float32', 5) as tf.Tensor4D;
    const dy = tf.randomNormal([4, 12, 12, 16], 0, 1, 'float32', 6) as tf.Tensor4D;
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 16] };
    const tensorsBefore = tf.memory().numTensors;
    const profile = await tf.profile(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor);
    expect(profile.kernelNames).toEqual([tf.Conv2DBackpropFilter]);
    expect(tf.memory().numTensors).toBe(tensorsBefore + 1); // the result alone
    tf.dispose(profile.result as tf.Tensor);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    tf.dispose([x, dy]);
  });

  it('follows the cpu semantics for numeric pad with a non-square filter', async () => {
    // tfjs-core 4.22 sizes both output dims from the filter height and stride
    // height when pad is a number, and the wasm forward Conv2D then writes
    // past its output (XNNPACK sizes it correctly). dy comes from cpu here and
    // the wasm side calls the kernel directly, so no wasm forward conv runs.
    const c: ConvCase = { x: [2, 9, 11, 3], filter: [3, 1, 3, 4], strides: [1, 2], pad: 1 };
    const xData = seeded(c.x, 61);
    let ref: Float32Array = new Float32Array(0);
    let dyData: Float32Array = new Float32Array(0);
    let dyShape: Shape4 = [0, 0, 0, 0];
    await onBackend('cpu', () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, c.x);
        const f = tf.randomNormal(c.filter, 0, 1, 'float32', 62) as tf.Tensor4D;
        dyShape = tf.conv2d(x, f, c.strides, c.pad).shape;
        const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 63);
        const loss = (ff: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.conv2d(x, ff as tf.Tensor4D, c.strides, c.pad), dy));
        const [dW] = tf.grads(loss)([f]);
        ref = dW?.dataSync() as Float32Array;
        dyData = dy.dataSync() as Float32Array;
      }),
    );
    expect(dyShape).toEqual([2, 9, 11, 4]); // the true width is 7; a change here means tfjs fixed it
    const got = await onBackend('wasm', () =>
      tf.tidy(() => {
        const g = conv2dFilterGradient(tf.tensor4d(xData, c.x), tf.tensor4d(dyData, dyShape), c.filter, c.strides, c.pad);
        return g.dataSync() as Float32Array;
      }),
    );
    expectClose(got, ref, JSON.stringify(c));
  });

  it('names what it does not support: channels that do not fit the filter, other ranks, data formats and dtypes', async () => {
    await onBackend('wasm', () => undefined);
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    const call = (inputs: { x: tf.Tensor; dy: tf.Tensor }, dataFormat = 'NHWC') => () =>
      conv2dBackpropFilterWasm({
        inputs,
        backend: tf.backend(),
        attrs: { strides: 1, pad: 'same', dataFormat, filterShape: [3, 3, 2, 3] },
      });
    expect(call({ x, dy }, 'NWC')).toThrow(/dataFormat is "NWC"; NHWC or NCHW is allowed/);
    // In NCHW the same shapes have 4 channels, not the filter's 2.
    expect(call({ x, dy }, 'NCHW')).toThrow(/x \[1,4,4,2\] and dy \[1,4,4,3\] \(NCHW\) do not fit filter \[3,3,2,3\]; x must have 2 channels and dy 3/);
    expect(call({ x, dy: tf.zeros([1, 4, 4, 5]) })).toThrow(/x must have 2 channels and dy 3/);
    expect(call({ x: tf.zeros([4, 4, 2]), dy })).toThrow(/x has shape \[4,4,2\]; only rank 4 is allowed/);
    const strings = tf.tensor(new Array<string>(32).fill('a'), [1, 4, 4, 2]);
    expect(call({ x: strings, dy })).toThrow(/x has dtype string; float32, int32 or bool is allowed/);
    tf.dispose([x, dy, strings]);
  });

  it('keeps the tensor count and the wasm heap flat across training steps', async () => {
    await onBackend('wasm', () => undefined);
    const model = makeCnn(7);
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const step = (): void => {
      const { grads, value } = tf.variableGrads(() => cnnLoss(model, x, labels), Object.values(model));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    step();
    // The module's typings omit Emscripten's heap views.
    const wasmModule = (tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array };
    const heap = (): number => wasmModule.HEAPU8.buffer.byteLength;
    const before = {
      tensors: tf.memory().numTensors,
      buffers: tf.memory().numDataBuffers,
      heap: heap(),
      kernelMemory: wasmKernelMemoryBytes(),
    };
    for (let i = 0; i < 20; i++) {
      step();
      expect(tf.memory().numTensors).toBe(before.tensors);
      expect(tf.memory().numDataBuffers).toBe(before.buffers);
    }
    // A leak in the backend's heap or a kernel memory that grows per call would show here.
    expect(heap()).toBe(before.heap);
    expect(wasmKernelMemoryBytes()).toBe(before.kernelMemory);
    tf.dispose([x, labels, ...Object.values(model)]);
  });

  it('gives the same full CNN gradient on wasm as on cpu (variableGrads)', async () => {
    const xData = seeded([16, 28, 28, 1], 3);
    const labelIdx = Array.from({ length: 16 }, (_, i) => (i * 7) % 10);
    const run = (): Record<string, Float32Array> =>
      tf.tidy(() => {
        const model = makeCnn(11);
        const x = tf.tensor4d(xData, [16, 28, 28, 1]);
        const labels = tf.oneHot(tf.tensor1d(labelIdx, 'int32'), 10);
        const { grads } = tf.variableGrads(() => cnnLoss(model, x, labels), Object.values(model));
        const out: Record<string, Float32Array> = {};
        for (const [field, variable] of Object.entries(model)) {
          const g = grads[variable.name];
          if (g !== undefined) out[field] = g.dataSync() as Float32Array;
        }
        tf.dispose(Object.values(model));
        return out;
      });
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    expect(Object.keys(got).sort()).toEqual(Object.keys(ref).sort());
    for (const [name, r] of Object.entries(ref)) {
      const g = got[name];
      if (g === undefined) throw new Error(`missing gradient ${name}`);
      expectClose(g, r, name);
    }
  });
});

/** dx of sum(op(x) * dy) through the public gradient path, on the active backend. */
function inputGradViaTape(
  xData: Float32Array,
  xShape: Shape4,
  dyData: Float32Array,
  op: (x: tf.Tensor4D) => tf.Tensor4D,
): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(xData, xShape);
    const outShape = op(x).shape;
    const dy = tf.tensor(dyData.subarray(0, outShape.reduce((a, b) => a * b, 1)), outShape);
    const [dx] = tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(op(xx as tf.Tensor4D), dy)))([x]);
    if (dx === undefined) throw new Error('no gradient');
    return dx.dataSync() as Float32Array;
  });
}

async function checkInputGrad(label: string, xData: Float32Array, xShape: Shape4, dyData: Float32Array, op: (x: tf.Tensor4D) => tf.Tensor4D): Promise<void> {
  const ref = await onBackend('cpu', () => inputGradViaTape(xData, xShape, dyData, op));
  const got = await onBackend('wasm', () => inputGradViaTape(xData, xShape, dyData, op));
  expectClose(got, ref, label);
}

describe('Conv2DBackpropInput on wasm', () => {
  it('replaces the backend kernel', () => {
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc).toBe(conv2dBackpropInputWasm);
  });

  it('matches cpu on random shapes, strides 1 and 2, same and valid', async () => {
    const cases = randomCases(30, 2024);
    for (const [i, c] of cases.entries()) {
      const f = seeded(c.filter, 300 + i);
      const filter = (): tf.Tensor4D => tf.tensor4d(f, c.filter);
      await checkInputGrad(
        JSON.stringify(c),
        seeded(c.x, 400 + i),
        c.x,
        seeded([c.x[0] * c.x[1] * c.x[2] * c.filter[3] * 4], 500 + i),
        (x) => tf.conv2d(x, filter(), c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode),
      );
    }
  });

  it('matches cpu with even filters, numeric and explicit padding, larger strides', async () => {
    const cases: ConvCase[] = [
      { x: [2, 9, 9, 3], filter: [2, 2, 3, 4], strides: [1, 1], pad: 'same' },
      { x: [2, 8, 10, 2], filter: [4, 3, 2, 5], strides: [1, 1], pad: 'same' },
      { x: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: [1, 1], pad: 1 },
      { x: [2, 9, 9, 3], filter: [3, 3, 3, 2], strides: [1, 1], pad: 3 },
      { x: [1, 7, 8, 2], filter: [3, 2, 2, 3], strides: [1, 1], pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
      { x: [32, 14, 14, 8], filter: [3, 3, 8, 16], strides: [1, 1], pad: 'same' },
      // ResNet-20's stride-2 layers, and strides that leave rows of x unread.
      { x: [4, 32, 32, 16], filter: [3, 3, 16, 32], strides: [2, 2], pad: 'same' },
      { x: [2, 11, 10, 3], filter: [3, 2, 3, 4], strides: [3, 2], pad: 'valid' },
      { x: [2, 10, 9, 2], filter: [4, 4, 2, 3], strides: [2, 3], pad: 'same' },
    ];
    for (const [i, c] of cases.entries()) {
      const f = seeded(c.filter, 600 + i);
      await checkInputGrad(
        JSON.stringify(c),
        seeded(c.x, 700 + i),
        c.x,
        seeded([c.x[0] * (c.x[1] + 8) * (c.x[2] + 8) * c.filter[3]], 800 + i),
        (x) => tf.conv2d(x, tf.tensor4d(f, c.filter), c.strides, c.pad),
      );
    }
  });

  it('takes bare TensorInfos (a kernel calling it) and leaves their data to their owner', async () => {
    await onBackend('wasm', () => undefined);
    const dy = tf.randomNormal([2, 6, 6, 5], 0, 1, 'float32', 3);
    const filter = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 4);
    const bare = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 6, 4] };
    const before = tf.memory().numTensors;
    const info = conv2dBackpropInputWasm({ inputs: { dy: bare(dy), filter: bare(filter) }, backend: tf.backend(), attrs });
    const viaTensors = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs) as tf.Tensor;
    // A kernel composed of ops returns a Tensor, which the engine takes as is.
    const out = info as tf.Tensor;
    expect(out).toBeInstanceOf(tf.Tensor);
    expect(Array.from(out.dataSync())).toEqual(Array.from(viaTensors.dataSync()));
    tf.dispose([out, viaTensors]);
    expect(tf.memory().numTensors).toBe(before);
    // The inputs still hold their data.
    expect(dy.dataSync().length).toBe(360);
    expect(filter.dataSync().length).toBe(180);
    tf.dispose([dy, filter]);
  });

  it('gives zeros for empty channels and names a dy whose channels do not fit the filter', async () => {
    await onBackend('wasm', () => undefined);
    const empty = tf.engine().runKernel(
      tf.Conv2DBackpropInput,
      { dy: tf.zeros([1, 4, 4, 0]), filter: tf.zeros([3, 3, 2, 0]) },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 4, 4, 2] },
    ) as tf.Tensor;
    expect(Array.from(empty.dataSync())).toEqual(new Array(32).fill(0));
    const call = (dyShape: number[], dataFormat = 'NHWC') => () =>
      tf.engine().runKernel(
        tf.Conv2DBackpropInput,
        { dy: tf.zeros(dyShape), filter: tf.zeros([3, 3, 2, 3]) },
        { strides: 1, pad: 'same', dataFormat, inputShape: [1, 4, 4, 2] },
      );
    expect(call([1, 4, 4, 5])).toThrow(
      /Conv2DBackpropInput: dy \[1,4,4,5\] and filter \[3,3,2,3\] do not fit an input of shape \[1,4,4,2\].*dy must have 3 channels/,
    );
    expect(call([1, 4, 4, 3], 'NWC')).toThrow(/dataFormat is "NWC"; NHWC or NCHW is allowed/);
    expect(call([4, 4, 3])).toThrow(/dy has shape \[4,4,3\]; only rank 4 is allowed/);
    tf.dispose(empty);
  });

  it('runs one forward Conv2D at strides 1 and 2, and the backend kernel where the padding would be negative', async () => {
    await onBackend('wasm', () => undefined);
    const kernelsRun = async (strides: number, pad: 'same' | number, dySide: number): Promise<string[]> => {
      const filter = tf.randomNormal([3, 3, 4, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
      const dy = tf.randomNormal([2, dySide, dySide, 6], 0, 1, 'float32', 2) as tf.Tensor4D;
      const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: [2, 8, 8, 4] };
      const profile = await tf.profile(() => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs) as tf.Tensor);
      tf.dispose([filter, dy, profile.result as tf.Tensor]);
      return profile.kernelNames;
    };
    expect(await kernelsRun(1, 'same', 8)).toEqual(['Conv2D', tf.Conv2DBackpropInput]); // the inner kernel finishes first
    expect(await kernelsRun(2, 'same', 4)).toEqual(['Conv2D', tf.Conv2DBackpropInput]); // the inner kernel finishes first
    // pad 3 > KH - 1: the flipped conv would need a negative padding.
    expect(await kernelsRun(1, 3, 12)).toEqual([tf.Conv2DBackpropInput]);
  });
});

describe('MaxPoolGrad on wasm', () => {
  it('replaces the backend kernel', () => {
    expect(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc).toBe(maxPoolGradWasm);
  });

  it('matches cpu on random pools, ties included: same and valid, overlapping windows', async () => {
    const rand = mulberry32(77);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let i = 0; i < 30; i++) {
      const k: [number, number] = [pick([1, 2, 3]), pick([1, 2, 3])];
      const s: [number, number] = [pick([1, 2, 3]), pick([1, 2, 3])];
      const shape: Shape4 = [pick([1, 2, 4]), pick([3, 4, 5, 7, 8]), pick([3, 4, 6, 7]), pick([1, 3, 4, 8, 9])];
      const pad = pick(['same', 'valid'] as const);
      // Rounded values make ties common: the first maximum must win, as on cpu.
      const xData = seeded(shape, 1000 + i).map((v) => Math.round(v * 2));
      await checkInputGrad(
        JSON.stringify({ shape, k, s, pad }),
        xData,
        shape,
        seeded([shape[0] * shape[1] * shape[2] * shape[3]], 2000 + i),
        (x) => tf.maxPool(x, k, s, pad),
      );
    }
  });

  it('names a dy smaller than the pool', async () => {
    await onBackend('wasm', () => undefined);
    const input = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 2, 1, 2]);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    expect(() => maxPoolGradWasm({ inputs: { dy, input }, backend: tf.backend(), attrs })).toThrow(
      /dy shape \[1,2,1,2\] is smaller than the pool of \[1,4,4,2\] gives; dy must be at least \[1,2,2,2\]/,
    );
    tf.dispose([input, dy]);
  });
});

interface Cnn {
  conv1: tf.Variable;
  conv2: tf.Variable;
  dense: tf.Variable;
  bias: tf.Variable;
}

let variableCount = 0;

/** The project's CNN: conv8-relu-pool-conv16-relu-pool-dense10, weights from fixed seeds. */
function makeCnn(seed: number): Cnn {
  const v = (shape: number[], std: number, s: number, name: string): tf.Variable =>
    tf.variable(tf.tensor(seeded(shape, s), shape).mul(std), true, `${name}_${variableCount++}`);
  return {
    conv1: v([5, 5, 1, 8], 0.2, seed, 'conv1'),
    conv2: v([5, 5, 8, 16], 0.07, seed + 1, 'conv2'),
    dense: v([7 * 7 * 16, 10], 0.03, seed + 2, 'dense'),
    bias: v([10], 0.1, seed + 3, 'bias'),
  };
}

function cnnLoss(m: Cnn, x: tf.Tensor4D, labels: tf.Tensor): tf.Scalar {
  let h = tf.maxPool(tf.relu(tf.conv2d(x, m.conv1 as tf.Tensor4D, 1, 'same')), 2, 2, 'same');
  h = tf.maxPool(tf.relu(tf.conv2d(h, m.conv2 as tf.Tensor4D, 1, 'same')), 2, 2, 'same');
  const logits = tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), m.dense), m.bias);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

/**
 * What a character transformer needs on wasm: every op it uses, forward and
 * gradient, gives the cpu backend's answer (UnsortedSegmentSum, for the
 * embedding's gradient, BatchMatMul and GatherV2 are ours; the rest are the
 * backend's own).
 */
describe('a small transformer on wasm', () => {
  type Inputs = { shape: number[]; dtype?: 'float32' | 'int32' | 'bool'; positive?: boolean }[];

  interface OpCase {
    name: string;
    inputs: Inputs;
    op: (...xs: tf.Tensor[]) => tf.Tensor;
    /** Also compare the gradient of sum(op * w) with respect to every float32 input. */
    grad: boolean;
  }

  function makeInputs(inputs: Inputs, seed: number): tf.Tensor[] {
    return inputs.map(({ shape, dtype = 'float32', positive = false }, i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      if (dtype === 'float32') {
        const v = values(size, seed + i);
        return tf.tensor(positive ? v.map((x) => 0.25 + Math.abs(x)) : v, shape);
      }
      return dtype === 'int32' ? tf.tensor(integers(size, 0, 4, seed + i), shape, 'int32') : tf.tensor(integers(size, 0, 1, seed + i), shape, 'bool');
    });
  }

  /** The op's output and, if asked, its gradients, as float32 arrays. */
  function runOp(c: OpCase, seed: number): Float32Array[] {
    return tf.tidy(() => {
      const xs = makeInputs(c.inputs, seed);
      const y = c.op(...xs);
      const outs = [tf.cast(y, 'float32').dataSync() as Float32Array];
      if (!c.grad) return outs;
      const w = tf.tensor(values(y.size, seed + 99), y.shape);
      const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float32');
      const grads = tf.grads((...fs: tf.Tensor[]) => {
        const all = [...xs];
        floats.forEach(([, i], k) => (all[i] = fs[k] as tf.Tensor));
        return tf.sum(tf.mul(c.op(...all), w));
      })(floats.map(([x]) => x));
      return [...outs, ...grads.map((g) => g.dataSync() as Float32Array)];
    });
  }

  const causal = (t: number): tf.Tensor2D => tf.cast(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 'bool') as tf.Tensor2D;

  const ops: OpCase[] = [
    { name: 'GatherV2 (embedding)', inputs: [{ shape: [5, 6] }, { shape: [3, 4], dtype: 'int32' }], op: (t, i) => tf.gather(t as tf.Tensor, i as tf.Tensor), grad: true },
    { name: 'BatchMatMul 2-D', inputs: [{ shape: [5, 7] }, { shape: [7, 3] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), grad: true },
    { name: 'BatchMatMul 2-D, a transposed', inputs: [{ shape: [7, 5] }, { shape: [7, 3] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false), grad: true },
    { name: 'BatchMatMul 2-D, b transposed', inputs: [{ shape: [5, 7] }, { shape: [3, 7] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), grad: true },
    { name: 'BatchMatMul 2-D, both transposed', inputs: [{ shape: [7, 5] }, { shape: [3, 7] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true), grad: true },
    { name: 'BatchMatMul 3-D, q kT', inputs: [{ shape: [6, 8, 4] }, { shape: [6, 8, 4] }], op: (q, k) => tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true), grad: true },
    { name: 'BatchMatMul 3-D, a transposed', inputs: [{ shape: [6, 8, 4] }, { shape: [6, 8, 5] }], op: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false), grad: true },
    { name: 'BatchMatMul 4-D', inputs: [{ shape: [2, 3, 8, 4] }, { shape: [2, 3, 8, 4] }], op: (q, k) => tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), grad: true },
    {
      name: 'BatchMatMul 4-D via reshape to 3-D',
      inputs: [{ shape: [2, 3, 8, 8] }, { shape: [2, 3, 8, 4] }],
      op: (p, v) => tf.reshape(tf.matMul(tf.reshape(p as tf.Tensor, [6, 8, 8]) as tf.Tensor3D, tf.reshape(v as tf.Tensor, [6, 8, 4]) as tf.Tensor3D), [2, 3, 8, 4]),
      grad: true,
    },
    { name: 'Softmax', inputs: [{ shape: [2, 3, 8, 8] }], op: (x) => tf.softmax(x as tf.Tensor), grad: true },
    { name: 'LogSoftmax', inputs: [{ shape: [6, 11] }], op: (x) => tf.logSoftmax(x as tf.Tensor), grad: true },
    { name: 'Tanh', inputs: [{ shape: [4, 9] }], op: (x) => tf.tanh(x as tf.Tensor), grad: true },
    { name: 'Pow (cube, negative bases)', inputs: [{ shape: [4, 9] }], op: (x) => tf.pow(x as tf.Tensor, tf.scalar(3)), grad: true },
    { name: 'Pow (tensor exponent)', inputs: [{ shape: [4, 9], positive: true }, { shape: [9] }], op: (x, e) => tf.pow(x as tf.Tensor, e as tf.Tensor), grad: true },
    { name: 'Square', inputs: [{ shape: [4, 9] }], op: (x) => tf.square(x as tf.Tensor), grad: true },
    { name: 'Mean over the last axis', inputs: [{ shape: [4, 9] }], op: (x) => tf.mean(x as tf.Tensor, -1, true), grad: true },
    { name: 'Sub, broadcast', inputs: [{ shape: [4, 9] }, { shape: [4, 1] }], op: (a, b) => tf.sub(a as tf.Tensor, b as tf.Tensor), grad: true },
    { name: 'Rsqrt', inputs: [{ shape: [4, 9], positive: true }], op: (x) => tf.rsqrt(x as tf.Tensor), grad: true },
    { name: 'Sqrt', inputs: [{ shape: [4, 9], positive: true }], op: (x) => tf.sqrt(x as tf.Tensor), grad: true },
    {
      name: 'Select (causal mask, broadcast)',
      inputs: [{ shape: [3, 8, 8] }],
      op: (s) => tf.where(tf.broadcastTo(causal(8), [3, 8, 8]), s as tf.Tensor, tf.fill([3, 8, 8], -1e9)),
      grad: true,
    },
    { name: 'Transpose [0, 2, 1, 3]', inputs: [{ shape: [2, 5, 3, 4] }], op: (x) => tf.transpose(x as tf.Tensor, [0, 2, 1, 3]), grad: true },
    { name: 'Reshape', inputs: [{ shape: [2, 5, 12] }], op: (x) => tf.reshape(x as tf.Tensor, [10, 3, 4]), grad: true },
    { name: 'Tile', inputs: [{ shape: [2, 3] }], op: (x) => tf.tile(x as tf.Tensor, [3, 2]), grad: true },
    { name: 'BroadcastTo', inputs: [{ shape: [1, 8, 4] }], op: (x) => tf.broadcastTo(x as tf.Tensor, [3, 8, 4]), grad: true },
    { name: 'Split', inputs: [{ shape: [4, 12] }], op: (x) => tf.concat(tf.split(x as tf.Tensor, 3, 1).reverse(), 1), grad: true },
    { name: 'Slice (positions)', inputs: [{ shape: [8, 4] }], op: (x) => tf.slice(x as tf.Tensor, [0, 0], [5, 4]), grad: true },
    { name: 'Sum', inputs: [{ shape: [3, 4, 5] }], op: (x) => tf.sum(x as tf.Tensor, -1), grad: true },
    {
      name: 'softmaxCrossEntropy with one-hot int labels',
      inputs: [{ shape: [6, 5] }, { shape: [6], dtype: 'int32' }],
      op: (logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels as tf.Tensor1D, 5), logits as tf.Tensor),
      grad: true,
    },
    { name: 'OneHot', inputs: [{ shape: [7], dtype: 'int32' }], op: (i) => tf.oneHot(i as tf.Tensor1D, 6), grad: false },
    { name: 'ArgMax', inputs: [{ shape: [6, 5] }], op: (x) => tf.argMax(x as tf.Tensor, -1), grad: false },
    { name: 'Equal', inputs: [{ shape: [9], dtype: 'int32' }, { shape: [9], dtype: 'int32' }], op: (a, b) => tf.equal(a as tf.Tensor, b as tf.Tensor), grad: false },
    { name: 'Cast', inputs: [{ shape: [9], dtype: 'bool' }], op: (b) => tf.cast(b as tf.Tensor, 'float32'), grad: false },
  ];

  it.each(ops)('$name gives the cpu backend result (and gradient, where it has one)', async (c) => {
    const ref = await onBackend('cpu', () => runOp(c, 31));
    const got = await onBackend('wasm', () => runOp(c, 31));
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, `${c.name}, ${i === 0 ? 'output' : `gradient ${i - 1}`}`));
  });

  /** A one-block transformer in plain ops: B 2, T 8, vocab 11, dModel 16, 4 heads, MLP 32. */
  const [B, T, V, D, H, M] = [2, 8, 11, 16, 4, 32];
  const BLOCK_PARAMS: Record<string, number[]> = {
    tokens: [V, D],
    positions: [T, D],
    gamma1: [D],
    beta1: [D],
    qkv: [D, 3 * D],
    proj: [D, D],
    gamma2: [D],
    beta2: [D],
    mlpIn: [D, M],
    mlpInBias: [M],
    mlpOut: [M, D],
    out: [D, V],
  };
  const ids = integers(B * T, 0, V - 1, 5);
  const targets = integers(B * T, 0, V - 1, 6);

  function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
  }

  /** The block's logits [B * T, V]; `p` in BLOCK_PARAMS order. */
  function blockLogits(p: Record<string, tf.Tensor>): tf.Tensor2D {
    const get = (name: string): tf.Tensor => {
      const t = p[name];
      if (t === undefined) throw new Error(`no parameter ${name}`);
      return t;
    };
    const x = tf.reshape(tf.add(tf.gather(get('tokens'), tf.tensor2d(ids, [B, T], 'int32')), get('positions')), [B * T, D]);
    const heads = (part: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(part, [B, T, H, D / H]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(tf.matMul(layerNorm(x, get('gamma1'), get('beta1')) as tf.Tensor2D, get('qkv') as tf.Tensor2D), 3, 1).map(heads) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D / H));
    const masked = tf.where(tf.broadcastTo(causal(T), [B, H, T, T]), scores, tf.fill([B, H, T, T], -1e9));
    const attended = tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), v), [0, 2, 1, 3]), [B * T, D]);
    const x1 = tf.add(x, tf.matMul(attended as tf.Tensor2D, get('proj') as tf.Tensor2D));
    const u = tf.add(tf.matMul(layerNorm(x1, get('gamma2'), get('beta2')) as tf.Tensor2D, get('mlpIn') as tf.Tensor2D), get('mlpInBias'));
    const gelu = tf.mul(tf.mul(u, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))))));
    const x2 = tf.add(x1, tf.matMul(gelu as tf.Tensor2D, get('mlpOut') as tf.Tensor2D));
    return tf.matMul(x2 as tf.Tensor2D, get('out') as tf.Tensor2D);
  }

  /** Cross-entropy both ways tfjs offers it with int labels: softmaxCrossEntropy of one-hot, and logSoftmax. */
  function blockLoss(logits: tf.Tensor2D): tf.Scalar {
    const labels = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
    const nll = tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
    return tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.mul(0.5, nll)) as tf.Scalar;
  }

  function blockParams(): Record<string, tf.Tensor> {
    return Object.fromEntries(
      Object.entries(BLOCK_PARAMS).map(([name, shape], i) => {
        const v = values(shape.reduce((a, b) => a * b, 1), 70 + i);
        // LayerNorm gains near 1, the rest small, as initialised for training.
        const init = name.startsWith('gamma') ? v.map((x) => 1 + 0.1 * x) : v.map((x) => 0.3 * x);
        return [name, tf.tensor(init, shape)];
      }),
    );
  }

  /** The block's loss, its gradient for every parameter in BLOCK_PARAMS order, and the hit count. */
  function blockRun(): Float32Array[] {
    return tf.tidy(() => {
      const p = blockParams();
      const names = Object.keys(BLOCK_PARAMS);
      const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) =>
        blockLoss(blockLogits(Object.fromEntries(names.map((n, i) => [n, ts[i] as tf.Tensor])))),
      )(names.map((n) => p[n] as tf.Tensor));
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(blockLogits(p), -1), tf.tensor1d(targets, 'int32')), 'float32'));
      return [value, ...grads, hits].map((t) => t.dataSync() as Float32Array);
    });
  }

  it('has a wasm kernel for every kernel the block runs, forward and backward', async () => {
    const profile = await onBackend('cpu', () => tf.profile(() => blockRun().length));
    // customGrad ops (logSoftmax, softmaxCrossEntropy) are recorded as "<name>__op"; their insides are kernels.
    const used = [...new Set(profile.kernelNames)].filter((name) => !name.endsWith('__op')).sort();
    expect(used).toContain(tf.UnsortedSegmentSum);
    const missing = used.filter((name) => tf.getKernel(name, 'wasm') === undefined);
    expect(missing, `kernels without a wasm implementation among ${used.join(', ')}`).toEqual([]);
  });

  it('gives the block loss and every parameter gradient of the cpu backend within 1e-4', async () => {
    const ref = await onBackend('cpu', blockRun);
    const got = await onBackend('wasm', blockRun);
    const labels = ['loss', ...Object.keys(BLOCK_PARAMS).map((n) => `d${n}`), 'hits'];
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));
    // The gradient of the embedding reaches only the rows of ids present, here fewer than all 11.
    expect(new Set(ids).size).toBeLessThan(V);
  });

  it('gives the project transformer (src/models/transformer.ts) forward pass and gradients of the cpu backend', async () => {
    const spec = transformerSpec({ vocab: 13, contextLength: 8, layers: 2, dModel: 16, heads: 4, mlpWidth: 32 });
    const theta = initialTheta(spec, createRng(3));
    const offsets = paramOffsets(spec);
    const [batch, time] = [3, 8];
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const params = spec.params.map((p, i) => {
          const at = offsets[i] ?? 0;
          return tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape);
        });
        const inputs = tf.tensor2d(integers(batch * time, 0, 12, 8), [batch, time], 'int32');
        const next = tf.tensor2d(integers(batch * time, 0, 12, 9), [batch, time], 'int32');
        const logits = transformerForward(spec, params, inputs, true);
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
          tf.mean(sequenceLosses(transformerForward(spec, ps, inputs, true), next).perSample),
        )(params);
        return [logits, value, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    expect(got.length).toBe(spec.params.length + 2);
    const labels = ['logits', 'loss', ...spec.params.map((p) => `d${p.name}`)];
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));
  });

  it('gives the default transformer (vocab 89, context 64) the gradients of the cpu backend, and leaks nothing across steps', async () => {
    // Default sizes: 2 blocks, dModel 64, 4 heads, MLP 256. At batch 4 every product of a step runs here:
    // 2-D with either input transposed, and attention's batched ones with 16 matrices of 64 x 16 and 64 x 64.
    const spec = transformerSpec({ vocab: 89, contextLength: 64 });
    const theta = initialTheta(spec, createRng(5));
    const offsets = paramOffsets(spec);
    const [batch, time] = [4, 64];
    const ids = integers(batch * time, 0, 88, 12);
    const next = integers(batch * time, 0, 88, 13);
    const lossOf = (params: tf.Tensor[]): tf.Scalar =>
      tf.mean(sequenceLosses(transformerForward(spec, params, tf.tensor2d(ids, [batch, time], 'int32'), true), tf.tensor2d(next, [batch, time], 'int32')).perSample);
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const params = spec.params.map((p, i) => {
          const at = offsets[i] ?? 0;
          return tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape);
        });
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => lossOf(ps))(params);
        return [value, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    expect(got.length).toBe(spec.params.length + 1);
    const labels = ['loss', ...spec.params.map((p) => `d${p.name}`)];
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));

    // Training steps as the worker takes them: variables, variableGrads, an SGD update.
    const variables = spec.params.map((p, i) => {
      const at = offsets[i] ?? 0;
      return tf.variable(tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape), true, `default-transformer-${i}-${variableCount++}`);
    });
    const optimizer = tf.train.sgd(0.1);
    const step = (): void =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => lossOf(variables), variables);
        optimizer.applyGradients(grads);
        value.dataSync();
      });
    step();
    const wasmModule = (tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array };
    const before = { tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: wasmModule.HEAPU8.buffer.byteLength };
    for (let i = 0; i < 5; i++) step();
    expect({ tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: wasmModule.HEAPU8.buffer.byteLength }).toEqual(before);
    tf.dispose(variables);
    optimizer.dispose();
  });
});
