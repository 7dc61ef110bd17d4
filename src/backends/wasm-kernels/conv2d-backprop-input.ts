import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { asFloat32, asTensor, checkRank4, fitShape, heapViews, outputTensor, replaceWasmKernel } from './registry';

/**
 * Conv2DBackpropInput for the wasm backend as one forward conv.
 *
 * tfjs-backend-wasm's own kernel is a plain C++ loop: 6.1 ms of a 17 ms CNN
 * step (3x3 8->16 on 14x14, batch 32), 2.4 GFLOP/s where the forward conv
 * runs at 25. The input gradient is a "full" correlation of dy, spread out by
 * the stride, with the filter turned 180 degrees and its channels swapped:
 *
 *   dx[b, ih, iw, ci] = sum_{kh,kw,co} dyPad[b, ih + kh, iw + kw, co] * W[KH-1-kh, KW-1-kw, ci, co]
 *
 * where dyPad is dy with stride-1 zeros between its pixels, KH-1-top zero
 * rows above (KW-1-left columns left) and enough below (right) to give x's
 * size back. That runs on the backend's XNNPACK convolution. Flipping the
 * filter and spreading dy are plain copies done here on the heap: tfjs-wasm's
 * Reverse kernel alone took 0.6 ms per ResNet-20 layer. At stride 2 three
 * quarters of the spread dy are zeros, which XNNPACK multiplies anyway, and
 * it still beats the C++ loop.
 *
 * Whatever else tfjs hands the kernel is brought to a float32 dy of the
 * conv's output shape first (see conv2dBackpropInputWasm); the backend's own
 * kernel then takes what the flipped conv cannot: NCHW, and padding that
 * would be negative (a numeric pad larger than the filter).
 */

const KERNEL = 'Conv2DBackpropInput';

/** The backend's own Conv2DBackpropInput, kept for the shapes handled there. */
let original: tf.KernelConfig | undefined;

/** Height and width of dy spread by the strides: (OH-1)*sh+1 by (OW-1)*sw+1. */
function spreadSize(info: tf.backend_util.Conv2DInfo, dyHeight: number, dyWidth: number): [number, number] {
  return [(dyHeight - 1) * info.strideHeight + 1, (dyWidth - 1) * info.strideWidth + 1];
}

/** The explicit padding of the spread dy that makes the flipped-filter conv give dx, or null if none does. */
export function flippedConvPadding(
  info: tf.backend_util.Conv2DInfo,
  dyHeight: number,
  dyWidth: number,
): tf.backend_util.ExplicitPadding | null {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || dyHeight < 1 || dyWidth < 1) return null;
  const [height, width] = spreadSize(info, dyHeight, dyWidth);
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.filterHeight - 1 - height - top;
  const right = info.inWidth + info.filterWidth - 1 - width - left;
  if (Math.min(top, left, bottom, right) < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** W [KH, KW, Ci, Co] turned 180 degrees with its channels swapped: [KH, KW, Co, Ci]. */
function flipFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo {
  const [KH = 0, KW = 0, Ci = 0, Co = 0] = filter.shape;
  const out = backend.makeOutput([KH, KW, Co, Ci], 'float32');
  const [w, f] = heapViews(backend, KERNEL, [
    ['filter', filter],
    ['flipped filter', out],
  ]);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++) {
      const src = ((KH - 1 - kh) * KW + (KW - 1 - kw)) * Ci * Co;
      const dst = (kh * KW + kw) * Co * Ci;
      for (let ci = 0; ci < Ci; ci++) for (let co = 0; co < Co; co++) f[dst + co * Ci + ci] = w[src + ci * Co + co] ?? 0;
    }
  return out;
}

/** dy [N, OH, OW, C] with sh-1 zero rows and sw-1 zero columns between its pixels. */
function spreadDy(backend: BackendWasm, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const [N = 0, OH = 0, OW = 0, C = 0] = dy.shape;
  const [height, width] = spreadSize(info, OH, OW);
  const out = backend.makeOutput([N, height, width, C], 'float32');
  const [src, dst] = heapViews(backend, KERNEL, [
    ['dy', dy],
    ['spread dy', out],
  ]);
  dst.fill(0);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const from = ((n * OH + oh) * OW + ow) * C;
        const to = ((n * height + oh * info.strideHeight) * width + ow * info.strideWidth) * C;
        dst.set(src.subarray(from, from + C), to);
      }
  return out;
}

/** The filter must take the input's channels and dy must have the filter's output channels. */
function checkChannels(info: tf.backend_util.Conv2DInfo, dy: tf.TensorInfo, filter: tf.TensorInfo): void {
  const dyChannels = info.dataFormat === 'channelsLast' ? dy.shape[3] : dy.shape[1];
  if (filter.shape[2] !== info.inChannels || dyChannels !== filter.shape[3]) {
    throw new Error(
      `${KERNEL}: dy [${dy.shape}] and filter [${filter.shape}] do not fit an input of shape [${info.inShape}] ` +
        `(${info.dataFormat}); the filter must take ${info.inChannels} input channels and dy must have ` +
        `${filter.shape[3] ?? 0} channels.`,
    );
  }
}

/**
 * Conv2DBackpropInput on wasm. tfjs hands it more than a conv's own dy:
 * conv2dTranspose takes any outputShape, and the Conv2D gradient drops the
 * forward op's dimRoundingMode, so dy can be larger or smaller than the
 * output the attributes give. Such a dy is fitted to that output first (see
 * fitShape), int32 and bool inputs are cast, and the backend's own kernel
 * only ever sees float32 inputs of the shapes it expects.
 */
export const conv2dBackpropInputWasm: tf.KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = args.backend as BackendWasm;
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) {
    throw new Error(`${KERNEL}: inputs dy and filter are required.`);
  }
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  checkRank4(KERNEL, { dy: dy.shape, filter: filter.shape, inputShape });
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new Error(`${KERNEL}: dataFormat is "${String(dataFormat)}"; NHWC or NCHW is allowed.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  checkChannels(info, dy, filter);
  // A conv whose window is larger than its padded input has no outputs (the cpu backend's dx is then zeros).
  const outShape = info.outShape.map((d) => Math.max(0, d));
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, outShape)) {
    return tf.tidy(() => {
      const dys = fitShape(asFloat32(asTensor(dy, backend), KERNEL, 'dy'), outShape);
      const filters = asFloat32(asTensor(filter, backend), KERNEL, 'filter');
      return outputTensor(conv2dBackpropInputWasm({ inputs: { dy: dys, filter: filters }, backend, attrs }), backend);
    });
  }
  if (outShape.includes(0) || inputShape.includes(0)) {
    // Nothing to sum (XNNPACK refuses empty convolutions): dx is zeros.
    const dx = backend.makeOutput([...inputShape], 'float32');
    const [zeros] = heapViews(backend, KERNEL, [['dx', dx]]);
    zeros.fill(0);
    return dx;
  }
  const padding = dataFormat === 'NHWC' ? flippedConvPadding(info, info.outHeight, info.outWidth) : null;
  if (padding === null) {
    if (original === undefined) {
      throw new Error(
        `${KERNEL}: the wasm backend has no kernel of its own for dataFormat ${dataFormat} with pad ` +
          `${JSON.stringify(pad)}; without it only NHWC with a pad no larger than the filter is allowed.`,
      );
    }
    return original.kernelFunc(args);
  }
  return tf.tidy(() => {
    const engine = tf.engine();
    const flipped = engine.makeTensorFromTensorInfo(flipFilter(backend, filter)) as tf.Tensor4D;
    const spread =
      info.strideHeight === 1 && info.strideWidth === 1
        ? (asTensor(dy, backend) as tf.Tensor4D)
        : (engine.makeTensorFromTensorInfo(spreadDy(backend, dy, info)) as tf.Tensor4D);
    return tf.conv2d(spread, flipped, 1, padding, 'NHWC');
  });
};

/** Puts the kernel above in place of the backend's own, which stays the fallback. Idempotent. */
export function registerConv2dBackpropInput(): void {
  original = replaceWasmKernel(tf.Conv2DBackpropInput, conv2dBackpropInputWasm);
}
