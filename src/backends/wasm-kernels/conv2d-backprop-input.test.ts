/** Conv2DBackpropInput on wasm against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dBackpropInputWasm } from './conv2d-backprop-input';
import { type ConvCase, checkInputGrad, onBackend, randomCases, seeded, useWasmKernels } from './kernel-testing';

beforeAll(useWasmKernels);

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
