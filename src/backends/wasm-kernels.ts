import * as tf from '@tensorflow/tfjs';

/**
 * Kernels the wasm backend lacks for training, composed from kernels it has.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (tfjs issue 8474), so no
 * conv layer can train on it. The filter gradient is itself a correlation:
 *
 *   dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh + kh*dh - top, ow*sw + kw*dw - left, ci]
 *                                   * dy[b, oh, ow, co]
 *
 * Read x as a batch of Ci images with B channels ([Ci,H,W,B]) and dy as a
 * filter of OHxOW taps mapping B channels to Co ([OH,OW,B,Co]): this is a
 * forward conv2d whose taps step by the original stride (its dilation) and
 * whose outputs step by the original dilation (its stride), with the
 * original top/left padding. One XNNPACK conv then does all the arithmetic;
 * the only extra traffic is two transposes in and a small one out. The older
 * im2col composition (pad + strided slices + concat + matMul) spent most of
 * a training step copying.
 *
 * The price is that dy becomes XNNPACK weights, which are transposed and
 * packed anew on every call (about 5-7 ns per element here). When each
 * element of dy feeds few multiply-adds (Ci*KH*KW small, e.g. a first layer
 * on one-channel images) that packing dominates, and a depthwise conv (one
 * filter per channel b, summed over b afterwards) is faster because its
 * weights skip tfjs's filter transpose: 25-50% faster at Ci = 1, about even
 * at Ci*KH*KW = 36-50, slower from 72 (batch 32, 14x14 and 28x28 inputs).
 */

/** Padding as the Conv2D op accepts it. */
export type Conv2DPad = tf.Conv2DBackpropFilterAttrs['pad'];

const WASM = 'wasm';

/** Ci*KH*KW at or below which the depthwise form is used (see the module comment). */
const DEPTHWISE_MAX_MACS_PER_DY = 32;

/**
 * dW for a conv2d in NHWC, computed as one forward (or depthwise) conv; see
 * the module comment. `dilations` is accepted although tfjs never asks for it
 * (its Conv2D gradient asserts dilation 1): with dilation d and stride 1 the
 * taps step by d in x, so the transposed conv runs with stride d.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DPad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dilations: [number, number] | number = 1,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    [...filterShape],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { filterHeight, filterWidth, inHeight, inWidth, inChannels } = info;
  const { top, left } = info.padInfo;
  // For a numeric pad tfjs-core 4.22 sizes both output dims from the filter
  // height and stride height; dy has that same shape, and the padding below is
  // derived from dy, so such shapes give the cpu backend's answer too.
  const [batch, outHeight, outWidth, outChannels] = dy.shape;
  if (
    batch !== x.shape[0] ||
    outHeight !== info.outHeight ||
    outWidth !== info.outWidth ||
    outChannels !== filterShape[3] ||
    x.shape[3] !== filterShape[2]
  ) {
    throw new Error(
      `Conv2DBackpropFilter: dy shape [${dy.shape}] does not match x [${x.shape}] ` +
        `and filter [${filterShape}]; expected [${info.outShape}].`,
    );
  }
  if ((strideHeight > 1 || strideWidth > 1) && (dilationHeight > 1 || dilationWidth > 1)) {
    throw new Error(
      `Conv2DBackpropFilter: strides [${strideHeight},${strideWidth}] and dilations ` +
        `[${dilationHeight},${dilationWidth}] are both > 1; one of them must be 1.`,
    );
  }
  if (top < 0 || left < 0) {
    throw new Error(
      `Conv2DBackpropFilter: negative padding top=${top} left=${left} is not supported.`,
    );
  }
  // Bottom/right padding that makes the transposed conv output exactly
  // KHxKW. It is negative when the original conv never reads the last rows or
  // columns of x (e.g. 'valid' with stride 2); those are cropped instead, since
  // XNNPACK takes only non-negative padding.
  const bottom = (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - top;
  const right = (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - left;

  return tf.tidy(() => {
    const xUsed =
      bottom < 0 || right < 0
        ? tf.slice(x, [0, 0, 0, 0], [-1, inHeight + Math.min(bottom, 0), inWidth + Math.min(right, 0), -1])
        : x;
    const images = tf.transpose(xUsed, [3, 1, 2, 0]); // [Ci, H, W, B]
    const taps = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Co]
    const strides2: [number, number] = [dilationHeight, dilationWidth];
    const dilations2: [number, number] = [strideHeight, strideWidth];
    const pad2: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, Math.max(bottom, 0)],
      [left, Math.max(right, 0)],
      [0, 0],
    ];
    let grad: tf.Tensor4D; // [Ci, KH, KW, Co]
    if (inChannels * filterHeight * filterWidth <= DEPTHWISE_MAX_MACS_PER_DY) {
      const perImage = tf.depthwiseConv2d(images, taps, strides2, pad2, 'NHWC', dilations2); // [Ci, KH, KW, B*Co]
      grad = tf.sum(tf.reshape(perImage, [inChannels, filterHeight, filterWidth, batch, outChannels]), 3);
    } else {
      grad = tf.conv2d(images, taps, strides2, pad2, 'NHWC', dilations2);
    }
    return tf.transpose(grad, [1, 2, 0, 3]);
  });
}

/** Engine inputs are Tensors when they come from ops, but a kernel may be handed bare TensorInfos. */
function asTensor4D(info: tf.TensorInfo, name: string): tf.Tensor4D {
  if (info.shape.length !== 4) {
    throw new Error(`Conv2DBackpropFilter: ${name} must be rank 4, got shape [${info.shape}].`);
  }
  const tensor = info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info);
  return tensor as tf.Tensor4D;
}

/**
 * Conv2DBackpropFilter kernel for the wasm backend. It runs tf ops inside the
 * kernel and returns a Tensor, which the engine accepts as is; ops run inside
 * a kernel are not recorded on a gradient tape.
 */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, attrs }) => {
  const { x, dy } = inputs;
  if (x === undefined || dy === undefined) {
    throw new Error('Conv2DBackpropFilter: inputs x and dy are required.');
  }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(
      `Conv2DBackpropFilter on wasm: unsupported dataFormat: "${String(dataFormat)}". Should be one of: NHWC.`,
    );
  }
  return tf.tidy(() =>
    conv2dFilterGradient(
      asTensor4D(x, 'x'),
      asTensor4D(dy, 'dy'),
      filterShape,
      strides,
      pad,
      dimRoundingMode,
    ),
  );
};

/**
 * Registers the missing training kernels for the 'wasm' backend. Idempotent,
 * and leaves any kernel already registered (a later tfjs may ship its own)
 * in place.
 */
export function registerWasmGradientKernels(): void {
  if (tf.getKernel(tf.Conv2DBackpropFilter, WASM) !== undefined) return;
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: WASM,
    kernelFunc: conv2dBackpropFilterWasm,
  });
}
