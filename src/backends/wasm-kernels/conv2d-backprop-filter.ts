import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { asFloat32, asTensor, checkRank4, fitShape, heapViews, loaded, outputTensor, WASM } from './registry';
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

type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

const KERNEL = 'Conv2DBackpropFilter';

let kernel: FilterGradKernel | null = null;

/** Bytes of the kernel's own memory (it grows to the largest shape seen), or 0 before loading. */
export function filterGradMemoryBytes(): number {
  return kernel?.memoryBytes ?? 0;
}

/** The same padding for the conv in NHWC: an explicit padding lists its dims in the tensor's order. */
function nhwcPad(pad: Conv2DPad): Conv2DPad {
  if (typeof pad !== 'object') return pad;
  const [batch, channels, height, width] = pad;
  return [batch, height, width, channels];
}

/** The SIMD kernel's geometry for a conv whose dy has exactly the shape `info` gives. */
export function geometryOf(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * dW on the wasm heap. Float32 NHWC inputs whose dy has the shape the conv
 * gives go straight to the SIMD kernel; the backend has no kernel of its own
 * to hand the rest to, so they are brought to that form first: NCHW
 * transposed (dW has one layout for both), other dtypes cast, and dy fitted
 * to the conv's output. tfjs-core 4.22 sizes both output dims of a conv with
 * a numeric pad from the filter height and stride height; the forward op's
 * dy has that shape too, and the kernel reads x as zeros past its edge, so
 * such shapes keep the cpu backend's answer.
 */
function filterGradient(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  filterShape: readonly [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DPad,
  dimRoundingMode: RoundingMode,
  dilations: [number, number] | number,
  dataFormat: 'NHWC' | 'NCHW',
): tf.TensorInfo {
  checkRank4(KERNEL, { x: x.shape, dy: dy.shape, filterShape });
  const channelAxis = dataFormat === 'NHWC' ? 3 : 1;
  if (x.shape[channelAxis] !== filterShape[2] || dy.shape[channelAxis] !== filterShape[3]) {
    throw new Error(
      `${KERNEL}: x [${x.shape}] and dy [${dy.shape}] (${dataFormat}) do not fit filter [${filterShape}]; ` +
        `x must have ${filterShape[2]} channels and dy ${filterShape[3]}.`,
    );
  }
  if (dataFormat === 'NCHW') {
    return tf.tidy(() => {
      const nhwc = (t: tf.TensorInfo): tf.Tensor => tf.transpose(asTensor(t, backend), [0, 2, 3, 1]);
      const dW = filterGradient(backend, nhwc(x), nhwc(dy), filterShape, strides, nhwcPad(pad), dimRoundingMode, dilations, 'NHWC');
      return outputTensor(dW, backend);
    });
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    [...filterShape],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  // A conv whose window is larger than its padded input has no outputs (the cpu backend's dW is then zeros).
  const outShape = info.outShape.map((d) => Math.max(0, d));
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, outShape)) {
    return tf.tidy(() => {
      const xs = asFloat32(asTensor(x, backend), KERNEL, 'x');
      const dys = fitShape(asFloat32(asTensor(dy, backend), KERNEL, 'dy'), outShape);
      return outputTensor(
        filterGradient(backend, xs, dys, filterShape, strides, pad, dimRoundingMode, dilations, 'NHWC'),
        backend,
      );
    });
  }
  const geometry = geometryOf({ ...info, outHeight: outShape[1] ?? 0, outWidth: outShape[2] ?? 0 });
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
 * dW for a conv2d in NHWC on the wasm backend, as a tensor, with the
 * kernel's fallbacks. `dilations` is accepted although tfjs never asks for
 * it (its Conv2D gradient asserts dilation 1).
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
  const wasm = backend as BackendWasm;
  const info = filterGradient(wasm, x, dy, filterShape, strides, pad, dimRoundingMode, dilations, 'NHWC');
  return outputTensor(info, wasm) as tf.Tensor4D;
}

/** Conv2DBackpropFilter kernel for the wasm backend. */
export const conv2dBackpropFilterWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  if (x === undefined || dy === undefined) {
    throw new Error('Conv2DBackpropFilter: inputs x and dy are required.');
  }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new Error(`${KERNEL}: dataFormat is "${String(dataFormat)}"; NHWC or NCHW is allowed.`);
  }
  return filterGradient(backend as BackendWasm, x, dy, filterShape, strides, pad, dimRoundingMode, 1, dataFormat);
};

/** Instantiates the SIMD kernel and registers the filter gradient for wasm, unless one is already there. */
export async function registerConv2dBackpropFilter(filterGradWasm: BufferSource): Promise<void> {
  kernel ??= await FilterGradKernel.create(filterGradWasm);
  if (tf.getKernel(tf.Conv2DBackpropFilter, WASM) !== undefined) return;
  tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2dBackpropFilterWasm });
}
