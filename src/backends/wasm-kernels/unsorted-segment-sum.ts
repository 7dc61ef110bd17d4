import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { replaceWasmKernel } from './registry';

/**
 * UnsortedSegmentSum for the wasm backend, which has none in tfjs 4.22: the
 * gradient of tf.gather (an embedding lookup) is one, so without it no
 * model with an embedding trains there.
 *
 * A loop over the wasm heap. The embedding's gradient at the transformer's
 * shapes (2048 dy rows of 64 into 80-100 segments) is 131k additions:
 * 0.4-0.5 ms on one core, under the output projection's matMul (1 ms) and
 * far under the forward Gather (5-6 ms, tfjs-wasm's element-wise loop). A
 * one-hot matMul does 100x that work: 2.9-3.3 ms with the one-hot matrix
 * transposed first, 12 ms as matMul(oneHot, dy, true, false), which
 * tfjs-wasm runs outside XNNPACK. `npm run bench:kernels` times all of them.
 *
 * Same results as the cpu backend, bit for bit: it sums each segment's rows
 * in row order in float64 and rounds once, as the cpu's Sum does, reads
 * int32 x through float32 as its Multiply does, answers float32 for every x
 * dtype, and drops negative, out-of-range and (from a direct kernel call)
 * non-integer ids. Segment ids of another shape than x's first dimension
 * are broadcast against x as the cpu does (see broadcastShapes). One
 * deliberate difference: a NaN or infinite value stays in its own segment,
 * as in TensorFlow, where the cpu's mask-times-x makes every segment NaN.
 */

const KERNEL = 'UnsortedSegmentSum';

type HeapArray = Float32Array | Int32Array | Uint8Array;

interface SegmentShapes {
  /** The segment ids' shape after the cpu's expandDims: ones inserted after the first dimension. */
  ids: number[];
  /** The shape ids and x broadcast to; segments run along its first dimension. */
  broadcast: number[];
  /** [numSegments, ...broadcast.slice(1)]. */
  out: number[];
}

/**
 * The cpu backend's shapes: it expands the ids at dimension 1, then 2, ...
 * until they have x's rank (so ids [a, b] against x [a, b, c] become
 * [a, 1, b] and do not broadcast), multiplies the mask by x with broadcasting
 * and sums over dimension 0.
 */
export function broadcastShapes(idsShape: readonly number[], xShape: readonly number[], numSegments: number): SegmentShapes {
  const ids = [...idsShape];
  for (let i = 0; i < xShape.length - idsShape.length; i++) ids.splice(i + 1, 0, 1);
  let broadcast: number[];
  try {
    broadcast = tf.backend_util.assertAndGetBroadcastShape(ids, [...xShape]);
  } catch {
    throw new Error(
      `${KERNEL}: segmentIds [${idsShape}] (as [${ids}]) and x [${xShape}] do not broadcast together; ` +
        `segmentIds of shape [${xShape[0] ?? ''}] (x's first dimension) is what tf.gather's gradient passes.`,
    );
  }
  if (broadcast.length === 0) {
    throw new Error(`${KERNEL}: x and segmentIds are both scalars; at least one must have rank 1 or more.`);
  }
  return { ids, broadcast, out: [numSegments, ...broadcast.slice(1)] };
}

/**
 * out[s, j] = sum over rows k with id(k) = s of x[k, j], rows in order, in
 * float64 rounded once. `ids` holds one id per row, or one for all rows
 * when `idStride` is 0. A counting sort groups the rows by segment (stably,
 * so each segment's order is the rows'), so the only scratch is O(rows +
 * segments + columns) and each segment's running sum stays in cache.
 */
export function segmentSumRows(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  idStride: 0 | 1,
  rows: number,
  columns: number,
  numSegments: number,
  out: Float32Array,
): void {
  // starts[s] .. starts[s + 1]: segment s's rows in `order`.
  const starts = new Int32Array(numSegments + 1);
  for (let k = 0; k < rows; k++) {
    const id = ids[k * idStride] ?? -1;
    if (isSegment(id, numSegments)) starts[id + 1] = (starts[id + 1] ?? 0) + 1;
  }
  for (let s = 0; s < numSegments; s++) starts[s + 1] = (starts[s + 1] ?? 0) + (starts[s] ?? 0);
  const order = new Int32Array(starts[numSegments] ?? 0);
  const next = starts.slice(0, numSegments);
  for (let k = 0; k < rows; k++) {
    const id = ids[k * idStride] ?? -1;
    if (!isSegment(id, numSegments)) continue;
    const at = next[id] ?? 0;
    order[at] = k;
    next[id] = at + 1;
  }
  const sum = new Float64Array(columns);
  for (let s = 0; s < numSegments; s++) {
    sum.fill(0);
    const end = starts[s + 1] ?? 0;
    for (let p = starts[s] ?? 0; p < end; p++) {
      const row = (order[p] ?? 0) * columns;
      // fround: int32 values pass through float32, as in the cpu's Multiply.
      for (let j = 0; j < columns; j++) sum[j] = (sum[j] ?? 0) + Math.fround(x[row + j] ?? 0);
    }
    out.set(sum, s * columns);
  }
}

/** True for an integer id in [0, numSegments); the cpu's Equal matches nothing else. */
function isSegment(id: number, numSegments: number): boolean {
  return id >= 0 && id < numSegments && Number.isInteger(id);
}

/**
 * The flat offset into a tensor of shape `from` of each element of
 * `from` broadcast to `to`, in row-major order of `to`.
 */
export function broadcastOffsets(from: readonly number[], to: readonly number[]): Int32Array {
  const rank = to.length;
  const padded = [...new Array<number>(rank - from.length).fill(1), ...from];
  const strides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, stride = 1; d >= 0; d--) {
    const size = padded[d] ?? 1;
    strides[d] = size === 1 ? 0 : stride;
    stride *= size;
  }
  const offsets = new Int32Array(to.reduce((a, b) => a * b, 1));
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < offsets.length; i++) {
    offsets[i] = offset;
    for (let d = rank - 1; d >= 0; d--) {
      const stride = strides[d] ?? 0;
      index[d] = (index[d] ?? 0) + 1;
      offset += stride;
      if ((index[d] ?? 0) < (to[d] ?? 0)) break;
      offset -= stride * (to[d] ?? 0);
      index[d] = 0;
    }
  }
  return offsets;
}

/**
 * The general case, where ids or x are broadcast along more than the rows
 * (no tfjs op passes one): every element of the broadcast shape is added
 * into its own segment, rows in order, in float64 rounded once.
 */
function segmentSumBroadcast(x: HeapArray, ids: HeapArray, shapes: SegmentShapes, xShape: readonly number[], out: Float32Array): void {
  const rows = shapes.broadcast[0] ?? 0;
  const columns = tf.util.sizeFromShape(shapes.broadcast.slice(1));
  const numSegments = shapes.out[0] ?? 0;
  const xAt = broadcastOffsets(xShape, shapes.broadcast);
  const idAt = broadcastOffsets(shapes.ids, shapes.broadcast);
  const sums = new Float64Array(numSegments * columns);
  for (let k = 0, f = 0; k < rows; k++) {
    for (let j = 0; j < columns; j++, f++) {
      const id = ids[idAt[f] ?? 0] ?? -1;
      if (!isSegment(id, numSegments)) continue;
      const at = id * columns + j;
      sums[at] = (sums[at] ?? 0) + Math.fround(x[xAt[f] ?? 0] ?? 0);
    }
  }
  out.set(sums);
}

/** Names an x or segmentIds dtype the kernel cannot read; the cpu backend takes these three. */
function checkDtype(name: string, dtype: tf.DataType): void {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`${KERNEL} on wasm: ${name} has dtype ${dtype}; float32, int32 or bool is allowed.`);
  }
}

/**
 * UnsortedSegmentSum on wasm: inputs x and segmentIds, attr numSegments.
 * The output is [numSegments, ...x.shape.slice(1)] in float32 when the ids
 * have x's first dimension (as in tf.gather's gradient); see
 * broadcastShapes for other shapes. numSegments 0 gives an empty tensor
 * (the cpu backend throws a TypeError).
 */
export const unsortedSegmentSumWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs;
  if (x === undefined || segmentIds === undefined) throw new Error(`${KERNEL}: inputs x and segmentIds are required.`);
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`${KERNEL}: numSegments is ${String(numSegments)}; it must be an integer >= 0.`);
  }
  checkDtype('x', x.dtype);
  checkDtype('segmentIds', segmentIds.dtype);
  const shapes = broadcastShapes(segmentIds.shape, x.shape, numSegments);
  const wasm = backend as BackendWasm;
  const result = wasm.makeOutput(shapes.out, 'float32');
  // Looking an input up moves it onto the heap if another backend holds it,
  // which may grow the heap and detach views: every lookup before any view.
  for (const info of [x, segmentIds, result]) wasm.dataIdMap.get(info.dataId);
  const xs = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const out = wasm.typedArrayFromHeap(result) as Float32Array;
  const idsPerRow = shapes.ids.slice(1).every((d) => d === 1);
  if (idsPerRow && tf.util.arraysEqual(x.shape, shapes.broadcast)) {
    // The ids' one dimension is the rows' (or 1: every row in one segment).
    const rows = shapes.broadcast[0] ?? 0;
    const columns = tf.util.sizeFromShape(shapes.broadcast.slice(1));
    segmentSumRows(xs, ids, shapes.ids[0] === 1 ? 0 : 1, rows, columns, numSegments, out);
  } else {
    segmentSumBroadcast(xs, ids, shapes, x.shape, out);
  }
  return result;
};

/** Registers the kernel above for the wasm backend. Idempotent. */
export function registerUnsortedSegmentSum(): void {
  replaceWasmKernel(tf.UnsortedSegmentSum, unsortedSegmentSumWasm);
}
