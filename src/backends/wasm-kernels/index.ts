/**
 * Training kernels for tfjs' wasm backend. tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter (tfjs issue 8474), so without one no conv net trains
 * there, and its Conv2DBackpropInput and MaxPoolGrad are plain C++ loops that
 * took two thirds of a CNN step. Registered here:
 *
 * - Conv2DBackpropFilter: our SIMD kernel (simd/filter-grad.wat);
 * - Conv2DBackpropInput: one XNNPACK forward conv of dy, spread by the
 *   stride, with the flipped filter (NCHW and a numeric pad larger than the
 *   filter keep the backend's own);
 * - MaxPoolGrad: our SIMD kernel (simd/max-pool-grad.wat);
 * - UnsortedSegmentSum, which the backend lacks: the gradient of tf.gather
 *   (an embedding lookup), a loop over the heap (unsorted-segment-sum.ts);
 * - BatchMatMul: every product on XNNPACK, where the backend's own runs
 *   transposed and batched ones (every dense layer's gradient, all of
 *   attention) in a plain C++ loop: transposes first, batched products as
 *   one 2-D product or one XNNPACK call per matrix (batch-matmul.ts);
 * - GatherV2: one copy per row (per slice on other axes) instead of per
 *   element, and right for batchDims > 0, where the backend's is not
 *   (gather.ts).
 *
 * The gradient kernels refuse nothing tfjs accepts (fallbacks.test.ts):
 * int32 and bool inputs are cast to float32, and a dy larger than the
 * output the attributes give (tfjs' Conv2D and MaxPool gradients drop
 * dimRoundingMode; conv2dTranspose takes any outputShape) is cut to it, as
 * the cpu backend reads it. A smaller dy is zero-extended in the conv
 * gradients, where the cpu backend reads past it, and named in MaxPoolGrad,
 * which no op hands one. NCHW goes to the backend's own
 * Conv2DBackpropInput and is transposed for the filter gradient; negative
 * explicit padding crops x in the SIMD kernels.
 * BatchMatMul and GatherV2 hand what they do not take to the backend's own
 * kernels: int32 products (refused there, as before) and string gathers.
 *
 * `npm run bench:kernels` times each against the forward op at the same
 * shape or the backend's own kernel, and a transformer training step.
 */
// The backend registers its own kernels on import; ours must come after them.
import '@tensorflow/tfjs-backend-wasm';

import { registerBatchMatMul } from './batch-matmul';
import { filterGradMemoryBytes, registerConv2dBackpropFilter } from './conv2d-backprop-filter';
import { registerConv2dBackpropInput } from './conv2d-backprop-input';
import { registerGatherV2 } from './gather';
import { maxPoolGradMemoryBytes, registerMaxPoolGrad } from './max-pool-grad';
import type { WasmKernelBinaries } from './simd/module';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum';

export type { WasmKernelBinaries } from './simd/module';

/** Registers every kernel above for the wasm backend, before or after it starts. Idempotent. */
export async function registerWasmTrainingKernels(binaries: WasmKernelBinaries): Promise<void> {
  await registerConv2dBackpropFilter(binaries.filterGrad);
  await registerMaxPoolGrad(binaries.maxPoolGrad);
  registerConv2dBackpropInput();
  registerUnsortedSegmentSum();
  registerBatchMatMul();
  registerGatherV2();
}

/** Bytes held by the SIMD kernels' own memories; they grow to the largest shapes seen and stay. */
export function wasmKernelMemoryBytes(): number {
  return filterGradMemoryBytes() + maxPoolGradMemoryBytes();
}
