import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { heapViews, loaded, WASM } from './registry';
import { type ConvGeometry, FilterGradKernel } from './simd/filter-grad';

/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22
 * lacks (tfjs issue 8474): without it no conv layer trains there.
 *
 * The arithmetic runs in our own WebAssembly SIMD kernel (filter-grad.wat)
 * on copies of x (padded) and dy taken straight from the backend's heap. Composing it
 * from tfjs ops instead costs more than the sums themselves at a small CNN's
 * shapes: an im2col (pad + strided slices + concat + matMul) spent 37.6 ms of
 * a 53 ms step copying, and the filter gradient as one forward conv (x with
 * batch and channels swapped, by dy as the filter) pays two transposes and
 * XNNPACK repacking dy as weights on every call, 1.6-3.8x a forward conv.
 * The copies are plain memcpys, and the kernel keeps its result tile in
 * registers for a whole pass over dy (npm run bench:kernels has the figures).
 */

/** Padding as the Conv2D op accepts it. */
export type Conv2DPad = tf.Conv2DBackpropFilterAttrs['pad'];

const KERNEL = 'Conv2DBackpropFilter';

let kernel: FilterGradKernel | null = null;

/** Bytes of the kernel's own memory (it grows to the largest shape seen), or 0 before loading. */
export function filterGradMemoryBytes(): number {
  return kernel?.memoryBytes ?? 0;
}

/**
 * The geometry of the conv whose filter gradient is wanted, checked against
 * dy. tfjs-core 4.22 sizes both output dims of a conv with a numeric pad from
 * the filter height and stride height; dy then has that shape, and using
 * dy's own size keeps the cpu backend's answer for such shapes.
 */
function geometryOf(
  xShape: readonly number[],
  dyShape: readonly number[],
  filterShape: readonly [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dilations: [number, number] | number,
): ConvGeometry {
  if (xShape.length !== 4 || dyShape.length !== 4) {
    throw new Error(
      `Conv2DBackpropFilter: x and dy must be rank 4, got x [${xShape}] and dy [${dyShape}].`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    [...filterShape],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const [batch = 0, outHeight = 0, outWidth = 0, outChannels = 0] = dyShape;
  if (
    batch !== xShape[0] ||
    outHeight !== info.outHeight ||
    outWidth !== info.outWidth ||
    outChannels !== filterShape[3] ||
    xShape[3] !== filterShape[2]
  ) {
    throw new Error(
      `Conv2DBackpropFilter: dy shape [${dyShape}] does not match x [${xShape}] ` +
        `and filter [${filterShape}]; expected [${info.outShape}].`,
    );
  }
  const { top, left } = info.padInfo;
  if (top < 0 || left < 0) {
    throw new Error(`Conv2DBackpropFilter: negative padding top=${top} left=${left} is not supported.`);
  }
  return {
    batch,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    top,
    left,
  };
}

function filterGradientInfo(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: readonly [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DPad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dilations: [number, number] | number,
): tf.TensorInfo {
  const geometry = geometryOf(x.shape, dy.shape, filterShape, strides, pad, dimRoundingMode, dilations);
  const impl = loaded(kernel, KERNEL);
  const out = backend.makeOutput([...filterShape], 'float32');
  const [xs, dys, dW] = heapViews(backend, KERNEL, [
    ['x', x],
    ['dy', dy],
    ['dW', out],
  ]);
  impl.run(geometry, xs, dys, dW);
  return out;
}

/**
 * dW for a conv2d in NHWC on the wasm backend, as a tensor. `dilations` is
 * accepted although tfjs never asks for it (its Conv2D gradient asserts
 * dilation 1).
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
  const backend = tf.backend();
  if (tf.getBackend() !== WASM) {
    throw new Error(`conv2dFilterGradient runs on the wasm backend; the active backend is ${tf.getBackend()}.`);
  }
  const info = filterGradientInfo(
    backend as BackendWasm,
    x,
    dy,
    filterShape,
    strides,
    pad,
    dimRoundingMode,
    dilations,
  );
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}

/** Conv2DBackpropFilter kernel for the wasm backend. */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
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
  return filterGradientInfo(backend as BackendWasm, x, dy, filterShape, strides, pad, dimRoundingMode, 1);
};

/** Instantiates the SIMD kernel and registers the filter gradient for wasm, unless one is already there. */
export async function registerConv2dBackpropFilter(filterGradWasm: BufferSource): Promise<void> {
  kernel ??= await FilterGradKernel.create(filterGradWasm);
  if (tf.getKernel(tf.Conv2DBackpropFilter, WASM) !== undefined) return;
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2dBackpropFilterWasm });
}
