import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { replaceWasmKernel } from './registry';

/**
 * GatherV2 for the wasm backend as copies of whole slices: an embedding
 * lookup (tf.gather(table, ids)) copies one row of the table per id.
 * tfjs-backend-wasm 4.22 copies element by element, recomputing each
 * element's index: 4.8 ms for the transformer's 2048 rows of 64 from an
 * [89, 64] table, where one copyWithin per row on the heap (a memmove)
 * takes 0.09 ms (npm run bench:kernels). Its batchDims > 0 is also wrong:
 * it reads the wrong rows and leaves part of the output zero.
 *
 * Taken here: any axis and batchDims, int32 or float32 indices (only
 * runKernel passes float32; the backend's kernel reads their bits as int32
 * and may crash), and float32, int32 or bool values. Other dtypes go to the
 * backend's own kernel. Same results as the cpu backend, bit for bit
 * (values are copied, never computed), the same errors for bad batchDims,
 * and an index below 0 or past the axis throws the cpu's (and the
 * backend's) error before any output is made. One difference: a batch
 * dimension of size 0 gives an empty result, where the cpu and the
 * backend's kernel fail to reshape to a NaN-sized batch.
 */

const KERNEL = 'GatherV2';

/** The backend's own GatherV2, kept for the dtypes this one does not take. */
let original: tf.KernelConfig | undefined;

const COPIED_DTYPES: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

/** Below this many values, a slice is copied value by value: a copyWithin call costs more. */
const MIN_COPY_WITHIN = 16;

/** Throws the cpu backend's error for the first index outside [0, axisSize). */
export function checkIndices(indices: ArrayLike<number>, axisSize: number): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] ?? -1;
    if (!(index >= 0 && index <= axisSize - 1)) {
      throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisSize - 1}]`);
    }
  }
}

/** The gather as tfjs' collectGatherOpShapeInfo lays it out: x [batch, outer, dim, slice], indices [batch, perBatch]. */
export interface GatherLayout {
  batchSize: number;
  outerSize: number;
  dimSize: number;
  sliceSize: number;
  /** Indices per batch. */
  perBatch: number;
}

/** The bits of float32 NaN, as the cpu backend stores a value it cannot read. */
const FLOAT32_NAN_BITS = 0x7fc00000;

/**
 * out[b, o, i, :] = x[b, o, indices[b, i], :], with `x` and `out` views of
 * one heap (as values of one element size) at element offsets `xAt` and
 * `outAt`. The indices must be checked first. A fractional index (float32
 * indices, which only runKernel passes) reads as the cpu backend does:
 * x at the flat offset it gives where that is whole, else `missing` (the
 * cpu reads undefined there).
 */
export function copySlices(
  heap: Int32Array | Uint8Array,
  xAt: number,
  indices: ArrayLike<number>,
  g: GatherLayout,
  outAt: number,
  missing: number,
): void {
  const { batchSize, outerSize, dimSize, sliceSize, perBatch } = g;
  let to = outAt;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = xAt + (b * outerSize + o) * dimSize * sliceSize;
      for (let i = 0; i < perBatch; i++, to += sliceSize) {
        const index = indices[b * perBatch + i] ?? 0;
        const from = base + index * sliceSize;
        if (!Number.isInteger(index)) {
          // The cpu's flat offset index * sliceSize + k may still be a whole number.
          for (let k = 0; k < sliceSize; k++) heap[to + k] = Number.isInteger(from + k) ? (heap[from + k] ?? 0) : missing;
        } else if (sliceSize >= MIN_COPY_WITHIN) {
          heap.copyWithin(to, from, from + sliceSize);
        } else {
          for (let k = 0; k < sliceSize; k++) heap[to + k] = heap[from + k] ?? 0;
        }
      }
    }
  }
}

function kernelOf(config: tf.KernelConfig | undefined): tf.KernelConfig {
  if (config === undefined) throw new Error(`${KERNEL} on wasm: the backend's own kernel is missing; register the wasm backend first.`);
  return config;
}

/** GatherV2 on wasm: inputs x and indices, attributes axis and batchDims, as tf.gather passes them. */
export const gatherV2Wasm: tf.KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = args.backend as BackendWasm;
  const { x, indices } = inputs;
  if (x === undefined || indices === undefined) throw new Error(`${KERNEL}: inputs x and indices are required.`);
  const indexDtypeTaken = indices.dtype === 'int32' || indices.dtype === 'float32';
  if (!indexDtypeTaken || !COPIED_DTYPES.includes(x.dtype)) return kernelOf(original).kernelFunc(args);
  const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
  // In the cpu backend's order, so that the same call fails with the same error.
  const [parsedAxis = 0] = tf.util.parseAxisParam(axis, x.shape);
  // Looking an input up moves it onto the heap if another backend holds it, which may grow the heap.
  for (const info of [x, indices]) backend.dataIdMap.get(info.dataId);
  const indexValues = backend.typedArrayFromHeap(indices);
  checkIndices(indexValues, x.shape[parsedAxis] ?? 0);
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, parsedAxis, batchDims ?? 0);
  const indexCount = tf.util.sizeFromShape(indices.shape);
  const layout: GatherLayout = { ...info, perBatch: info.batchSize === 0 ? 0 : indexCount / info.batchSize };
  const result = backend.makeOutput(info.outputShape, x.dtype);
  // Views after makeOutput, which may grow the heap too.
  const ids = backend.typedArrayFromHeap(indices);
  const table = backend.typedArrayFromHeap(x);
  const out = backend.typedArrayFromHeap(result);
  // float32 is copied as int32: the same bytes, NaN payloads included.
  const heap = x.dtype === 'bool' ? new Uint8Array(out.buffer) : new Int32Array(out.buffer);
  const missing = x.dtype === 'float32' ? FLOAT32_NAN_BITS : 0;
  copySlices(heap, table.byteOffset / heap.BYTES_PER_ELEMENT, ids, layout, out.byteOffset / heap.BYTES_PER_ELEMENT, missing);
  return result;
};

/** Puts the kernel above in place of the backend's own, which stays the fallback. Idempotent. */
export function registerGatherV2(): void {
  original = replaceWasmKernel(tf.GatherV2, gatherV2Wasm);
}
