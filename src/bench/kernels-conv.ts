/**
 * Convolution and pooling entries of the kernel benchmark (src/bench/kernels.ts):
 * the forward op against our Conv2DBackpropFilter, Conv2DBackpropInput and
 * MaxPoolGrad, and tfjs-wasm's own where it has one, at each layer shape.
 */
import * as tf from '@tensorflow/tfjs';

import { type BackendKernels, interleavedMedians, runDirect } from './kernels-timing';

export interface ConvShape {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

export const CONV_SHAPES: readonly ConvShape[] = [
  // The engine's CNN (src/models/spec.ts) at batch 32.
  { name: 'cnn conv1 3x3 1->8 same', x: [32, 28, 28, 1], filter: [3, 3, 1, 8], strides: 1, pad: 'same' },
  { name: 'cnn conv2 3x3 8->16 same', x: [32, 14, 14, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'same' },
  // Wider shapes: 5x5 filters, a stride-2 layer, a 16->32 layer.
  { name: 'layer1 5x5 1->8 same', x: [32, 28, 28, 1], filter: [5, 5, 1, 8], strides: 1, pad: 'same' },
  { name: 'layer2 5x5 8->16 same', x: [32, 14, 14, 8], filter: [5, 5, 8, 16], strides: 1, pad: 'same' },
  { name: 'stride2 3x3 8->16 same', x: [32, 28, 28, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { name: '3x3 16->32 same', x: [32, 14, 14, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
  // ResNet-20 (src/models/spec.ts) on 32x32 colour images: stage 1 and stage 3.
  { name: 'resnet20 stage1 3x3 16->16', x: [32, 32, 32, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { name: 'resnet20 stage3 3x3 64->64', x: [32, 8, 8, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
];

export interface ConvResult {
  name: string;
  x: number[];
  filter: number[];
  strides: number;
  pad: string;
  mflop: number;
  forwardMs: number;
  /** Forward with a new filter tensor each call, as in training: XNNPACK repacks the weights. */
  forwardNewFilterMs: number;
  filterGradMs: number;
  /** filterGradMs / forwardMs: the target is at most TARGET_RATIO. */
  ratio: number;
  inputGradMs: number;
  /** tfjs-wasm's own Conv2DBackpropInput. */
  backendInputGradMs: number;
  forwardGflops: number;
  filterGradGflops: number;
}

export interface PoolShape {
  name: string;
  x: [number, number, number, number];
  size: number;
  strides: number;
  pad: 'same' | 'valid';
}

export const POOL_SHAPES: readonly PoolShape[] = [
  // The CNN's two pools at batch 32.
  { name: 'cnn pool1 2x2/2 on 28x28x8', x: [32, 28, 28, 8], size: 2, strides: 2, pad: 'same' },
  { name: 'cnn pool2 2x2/2 on 14x14x16', x: [32, 14, 14, 16], size: 2, strides: 2, pad: 'same' },
  { name: 'overlapping 3x3/2 on 28x28x8', x: [32, 28, 28, 8], size: 3, strides: 2, pad: 'same' },
];

export interface PoolResult {
  name: string;
  forwardMs: number;
  gradMs: number;
  /** tfjs-wasm's own MaxPoolGrad. */
  backendGradMs: number;
}

export function benchConv(s: ConvShape, reps: number, own: BackendKernels): ConvResult {
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal(s.filter, 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, filter, s.strides, s.pad).shape, 0, 1, 'float32', 3));
  const [, oh, ow, co] = dy.shape as [number, number, number, number];
  const [kh, kw, ci] = s.filter;
  const flop = 2 * s.x[0] * oh * ow * co * kh * kw * ci;

  const attrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', filterShape: s.filter };
  const inputAttrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', inputShape: s.x };
  const [forwardMs = NaN, forwardNewFilterMs = NaN, filterGradMs = NaN, inputGradMs = NaN, backendInputGradMs = NaN] =
    interleavedMedians(reps, [
      () => tf.conv2d(x, filter, s.strides, s.pad),
      () => tf.tidy(() => tf.conv2d(x, tf.clone(filter), s.strides, s.pad)),
      () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor,
      () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, inputAttrs) as tf.Tensor,
      () => runDirect(own.inputGrad, { dy, filter }, inputAttrs),
    ]);
  tf.dispose([x, filter, dy]);
  return {
    name: s.name,
    x: s.x,
    filter: s.filter,
    strides: s.strides,
    pad: s.pad,
    mflop: flop / 1e6,
    forwardMs,
    forwardNewFilterMs,
    filterGradMs,
    ratio: filterGradMs / forwardMs,
    inputGradMs,
    backendInputGradMs,
    forwardGflops: flop / forwardMs / 1e6,
    filterGradGflops: flop / filterGradMs / 1e6,
  };
}

export function benchPool(s: PoolShape, reps: number, own: BackendKernels): PoolResult {
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 7) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.maxPool(x, s.size, s.strides, s.pad).shape, 0, 1, 'float32', 8));
  const attrs = { filterSize: s.size, strides: s.strides, pad: s.pad };
  const [forwardMs = NaN, gradMs = NaN, backendGradMs = NaN] = interleavedMedians(reps, [
    () => tf.maxPool(x, s.size, s.strides, s.pad),
    () => tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x }, attrs) as tf.Tensor,
    () => runDirect(own.maxPoolGrad, { dy, input: x }, attrs),
  ]);
  tf.dispose([x, dy]);
  return { name: s.name, forwardMs, gradMs, backendGradMs };
}
