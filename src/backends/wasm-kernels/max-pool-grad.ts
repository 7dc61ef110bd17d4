import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { asFloat32, asTensor, checkRank4, fitShape, heapViews, loaded, outputTensor, replaceWasmKernel } from './registry';
import { MaxPoolGradKernel, type PoolGeometry } from './simd/max-pool-grad';

/**
 * MaxPoolGrad for the wasm backend through our SIMD kernel
 * (simd/max-pool-grad.wat). The backend's own is a plain C++ loop: 5.6 ms
 * of a 17 ms CNN step for the two 2x2 pools (batch 32), about 18 ns per
 * output value. Same results as the cpu backend, ties included.
 */

const KERNEL = 'MaxPoolGrad';

let kernel: MaxPoolGradKernel | null = null;

/** Bytes of the kernel's own memory, or 0 before loading. */
export function maxPoolGradMemoryBytes(): number {
  return kernel?.memoryBytes ?? 0;
}

function poolGeometry(info: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.effectiveFilterHeight,
    filterWidth: info.effectiveFilterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * MaxPoolGrad on wasm. tfjs' MaxPool gradient drops the forward op's
 * dimRoundingMode, so after a pool rounded up dy is larger than the pool the
 * attributes give; the cpu backend then ignores dy's extra rows and columns
 * (the backend's own wasm kernel misreads them), and so does this one. It
 * also takes int32 and bool inputs, as float32 like the cpu backend.
 */
export const maxPoolGradWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs;
  if (dy === undefined || input === undefined) throw new Error(`${KERNEL}: inputs dy and input are required.`);
  checkRank4(KERNEL, { input: input.shape, dy: dy.shape });
  const wasm = backend as BackendWasm;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  // A window larger than the padded input gives no outputs (the cpu backend's dx is then zeros).
  const outShape = info.outShape.map((d) => Math.max(0, d));
  if (dy.shape.some((d, i) => d < (outShape[i] ?? 0))) {
    // The cpu backend refuses these too ("Requested out of range element"); no tfjs op makes one.
    throw new Error(
      `${KERNEL}: dy shape [${dy.shape}] is smaller than the pool of [${input.shape}] gives; ` +
        `dy must be at least [${outShape}] in every dimension.`,
    );
  }
  if (input.dtype !== 'float32' || dy.dtype !== 'float32' || !tf.util.arraysEqual(dy.shape, outShape)) {
    return tf.tidy(() => {
      const fitted = {
        input: asFloat32(asTensor(input, wasm), KERNEL, 'input'),
        dy: fitShape(asFloat32(asTensor(dy, wasm), KERNEL, 'dy'), outShape),
      };
      return outputTensor(maxPoolGradWasm({ inputs: fitted, backend, attrs }), wasm);
    });
  }
  const impl = loaded(kernel, KERNEL);
  const geometry = poolGeometry({ ...info, outHeight: outShape[1] ?? 0, outWidth: outShape[2] ?? 0 });
  const dx = wasm.makeOutput([...input.shape], 'float32');
  const [xs, dys, dxs] = heapViews(wasm, KERNEL, [
    ['input', input],
    ['dy', dy],
    ['dx', dx],
  ]);
  impl.run(geometry, xs, dys, dxs);
  return dx;
};

/** Instantiates the SIMD kernel and puts it in place of the backend's MaxPoolGrad. Idempotent. */
export async function registerMaxPoolGrad(binary: BufferSource): Promise<void> {
  kernel ??= await MaxPoolGradKernel.create(binary);
  replaceWasmKernel(tf.MaxPoolGrad, maxPoolGradWasm);
}
