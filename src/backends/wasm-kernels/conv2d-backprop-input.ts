import * as tf from '@tensorflow/tfjs';

import { asTensor, replaceWasmKernel } from './registry';

/**
 * Conv2DBackpropInput for the wasm backend at stride 1, as one forward conv.
 *
 * tfjs-backend-wasm's own kernel is a plain C++ loop: 6.1 ms of a 17 ms CNN
 * step (3x3 8->16 on 14x14, batch 32), 2.4 GFLOP/s where the forward conv
 * runs at 25. At stride 1 the input gradient is a "full" correlation of dy
 * with the filter turned 180 degrees and its channels swapped,
 *
 *   dx[b, ih, iw, ci] = sum_{kh,kw,co} dyPad[b, ih + kh, iw + kw, co] * W[KH-1-kh, KW-1-kw, ci, co]
 *
 * with dy padded by KH-1-top rows above (KW-1-left columns left) and enough
 * below (right) to give x's size back. That runs on the backend's XNNPACK
 * convolution; flipping the filter is tiny. Strides above 1 (which would
 * need a dy with zeros between its pixels) and shapes whose padding would be
 * negative keep the backend's own kernel.
 */

/** The backend's own Conv2DBackpropInput, kept for the shapes handled there. */
let original: tf.KernelConfig | undefined;

/** The explicit padding of dy that makes the flipped-filter conv give dx, or null if it does not exist. */
export function flippedConvPadding(
  info: tf.backend_util.Conv2DInfo,
  dyHeight: number,
  dyWidth: number,
): tf.backend_util.ExplicitPadding | null {
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return null;
  }
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.filterHeight - 1 - dyHeight - top;
  const right = info.inWidth + info.filterWidth - 1 - dyWidth - left;
  if (Math.min(top, left, bottom, right) < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

export const conv2dBackpropInputWasm: tf.KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = args.backend as tf.KernelBackend;
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) {
    throw new Error('Conv2DBackpropInput: inputs dy and filter are required.');
  }
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info =
    dataFormat === 'NHWC' && dy.shape.length === 4 && filter.shape.length === 4
      ? tf.backend_util.computeConv2DInfo(
          inputShape,
          filter.shape as [number, number, number, number],
          strides,
          1,
          pad,
          dimRoundingMode,
          false,
          'channelsLast',
        )
      : null;
  const padding = info === null ? null : flippedConvPadding(info, dy.shape[1] ?? 0, dy.shape[2] ?? 0);
  if (padding === null) {
    if (original === undefined) throw new Error('Conv2DBackpropInput: the wasm backend has no kernel of its own.');
    return original.kernelFunc(args);
  }
  return tf.tidy(() => {
    const w = asTensor(filter, backend) as tf.Tensor4D;
    const flipped = tf.reverse(tf.transpose(w, [0, 1, 3, 2]), [0, 1]); // [KH, KW, Co, Ci]
    return tf.conv2d(asTensor(dy, backend) as tf.Tensor4D, flipped, 1, padding, 'NHWC');
  });
};

/** Puts the kernel above in place of the backend's own, which stays the fallback. Idempotent. */
export function registerConv2dBackpropInput(): void {
  original = replaceWasmKernel(tf.Conv2DBackpropInput, conv2dBackpropInputWasm);
}
