/** Conv2DBackpropFilter on wasm against the cpu backend, and a small CNN trained through it. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelMemoryBytes } from '.';
import { type Conv2DPad, conv2dBackpropFilterWasm, conv2dFilterGradient, geometryOf } from './conv2d-backprop-filter';
import { type ConvCase, type Shape4, expectClose, onBackend, randomCases, seeded, useWasmKernels } from './kernel-testing';
import { naiveFilterGradient } from './simd/reference';

beforeAll(useWasmKernels);

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
      const ref = naiveFilterGradient(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, geometryOf(info));
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
