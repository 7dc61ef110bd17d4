import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { asTensor, replaceWasmKernel } from './registry';
import { broadcastOffsets } from './unsorted-segment-sum';

/**
 * BatchMatMul for the wasm backend, keeping every product on XNNPACK.
 *
 * tfjs-backend-wasm 4.22 sends a matMul to XNNPACK only when neither input
 * is transposed and neither has a batch; everything else runs a plain C++
 * triple loop at 1-2 GFLOP/s. That is every gradient of a dense layer
 * (dX = dy . W^T, dW = x^T . dy) and all of attention (q . k^T and the
 * batched products of its gradient): 7-34 ms each at the character
 * transformer's shapes (batch 32), 8-9 ms for attention's, against 0.7-4.4
 * and 1.2-1.7 ms here; a training step takes 175 ms instead of 600
 * (npm run bench:kernels).
 *
 * - Transposed inputs are transposed first (the backend's Transpose
 *   kernel; tall matrices in tiles here, see tiledTranspose), the product
 *   then runs untransposed. A . B and (B^T A^T)^T transpose and pack
 *   different inputs, so the one that moves fewer values is taken (see
 *   transposeOrder): dW = x^T . dy packs the narrower of x and dy.
 * - Batched products whose second input has no batch are one 2-D product
 *   of the stacked rows of the first.
 * - Other batched products run one XNNPACK product per matrix, on the
 *   inputs where they lie: each matrix is registered with the backend's C++
 *   side as a tensor of its own for the call (see SliceCaller). At the
 *   attention's 128 matrices of 64x16 by 16x64 that is 1.3 ms against 9.
 *   Each call costs about 3 us, so matrices of fewer than LOOP_MIN_MACS
 *   multiply-adds stay on the backend's own loop when it handles them.
 *
 * Batch dimensions broadcast as in TensorFlow (any dimension of size 1).
 * The backend's own kernel reads past the second input when only the first
 * has a batch, and the cpu backend pairs batches by flat index modulo each
 * side's count, which is the same where one side has one batch or both the
 * same shape, and wrong for [2, 1] by [2, 3]. Non-float32 inputs and rank
 * below 2 go to the backend's kernel (it refuses non-float32).
 *
 * tf.matMul only ever runs this kernel; _FusedMatMul (tf.fused.matMul, and
 * tf.layers' dense) is another kernel and is left as it is.
 */

const KERNEL = 'BatchMatMul';

/**
 * Below this many multiply-adds per matrix, a batch with equal counts on
 * both sides runs the backend's own loop: a call per matrix costs about
 * 3 us, what the loop takes for 2048 multiply-adds (measured on batches of
 * 64 matrices from 4x4x4 to 64x64x64: even at 16x8x16, 4x faster at 64x16x64).
 */
export const LOOP_MIN_MACS = 2048;

/** The backend's own BatchMatMul, kept for what is handed to it. */
let original: tf.KernelConfig | undefined;

/** The sizes of one product, after the transposes the attributes ask for. */
export interface MatMulShapes {
  /** Rows of op(a) and of the result. */
  M: number;
  /** The shared dimension. */
  K: number;
  /** Columns of op(b) and of the result. */
  N: number;
  aBatch: number[];
  bBatch: number[];
  /** The broadcast of aBatch and bBatch. */
  batch: number[];
  out: number[];
}

/** The shapes of op(a) . op(b); names the dimensions that do not fit. */
export function matMulShapes(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): MatMulShapes {
  const [ar, br] = [a.length, b.length];
  const [aRows = 0, aColumns = 0] = a.slice(ar - 2);
  const [bRows = 0, bColumns = 0] = b.slice(br - 2);
  const [M, K] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
  const [bK, N] = transposeB ? [bColumns, bRows] : [bRows, bColumns];
  if (K !== bK) {
    throw new Error(
      `${KERNEL}: a [${a}] (transposeA ${transposeA}) and b [${b}] (transposeB ${transposeB}) share no inner ` +
        `dimension: ${K} against ${bK}; they must be equal.`,
    );
  }
  const aBatch = a.slice(0, ar - 2);
  const bBatch = b.slice(0, br - 2);
  let batch: number[];
  try {
    batch = tf.backend_util.assertAndGetBroadcastShape(aBatch, bBatch);
  } catch {
    throw new Error(`${KERNEL}: the batch dimensions of a [${a}] and b [${b}] do not broadcast; each pair must be equal or one of them 1.`);
  }
  return { M, K, N, aBatch, bBatch, batch, out: [...batch, M, N] };
}

/**
 * XNNPACK repacks the right-hand input of every product with new values
 * (all of them, in training), reading it a column at a time: that costs
 * about twice a transpose per value (3.3 ms for [2048, 256], 0.45 ms for
 * [2048, 64], against 1.2 and 0.3 ms transposed in tiles).
 */
const PACK_COST = 2;

/**
 * 'direct' computes op(a) . op(b), transposing each input the attributes
 * mark and packing op(b); 'swapped' computes (op(b)^T . op(a)^T)^T,
 * transposing each input they do not mark and the result, and packing
 * op(a)^T. The cheaper in values moved wins (a tie stays direct): dW =
 * x^T . dy packs the narrower of x and dy, dX = dy . W^T transposes W.
 */
export function transposeOrder(aSize: number, bSize: number, outSize: number, transposeA: boolean, transposeB: boolean): 'direct' | 'swapped' {
  const direct = (transposeA ? aSize : 0) + (transposeB ? bSize : 0) + PACK_COST * bSize;
  const swapped = (transposeA ? 0 : aSize) + (transposeB ? 0 : bSize) + outSize + PACK_COST * aSize;
  return swapped < direct ? 'swapped' : 'direct';
}

/** The Emscripten module's functions this kernel calls; the package's typings omit cwrap. */
interface WasmModule {
  cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
}

/**
 * Runs the backend's C++ BatchMatMul on single matrices inside larger
 * tensors. Its C++ side finds a tensor's data by an id registered with a
 * heap address; three ids reserved from the backend's counter (so no
 * tensor gets them) are registered at each matrix for one call and
 * unregistered at once. Unregistering also deletes the XNNPACK operator
 * the call made for that right-hand matrix, so nothing outlives the call.
 */
interface SliceCaller {
  matMul: (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, transposeA: number, transposeB: number, outId: number) => void;
  module: WasmModule;
  ids: readonly [number, number, number];
}

const callers = new WeakMap<BackendWasm, SliceCaller>();

function sliceCaller(backend: BackendWasm): SliceCaller {
  const known = callers.get(backend);
  if (known !== undefined) return known;
  const module = backend.wasm as unknown as Partial<WasmModule>;
  const counter = backend as unknown as { dataIdNextNumber?: unknown };
  if (typeof module.cwrap !== 'function' || typeof module.tfjs?.registerTensor !== 'function' || typeof counter.dataIdNextNumber !== 'number') {
    throw new Error(
      `${KERNEL} on wasm: this tfjs-backend-wasm has no cwrap, tfjs.registerTensor or dataIdNextNumber; ` +
        `the batched product needs those of tfjs-backend-wasm 4.22.`,
    );
  }
  const first = counter.dataIdNextNumber;
  counter.dataIdNextNumber = first + 3;
  const caller: SliceCaller = {
    matMul: module.cwrap(KERNEL, null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']),
    module: module as WasmModule,
    ids: [first, first + 1, first + 2],
  };
  callers.set(backend, caller);
  return caller;
}

const shapeBytes = (shape: readonly number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/** Where a tensor's values start on the heap; looking it up first moves it there from another backend. */
function heapAddress(backend: BackendWasm, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error(`${KERNEL} on wasm: an input has no data on the wasm backend.`);
  return data.memoryOffset;
}

/**
 * x [...xBatch, M, K] . y [...yBatch, K, N] as out [...batch, M, N], one
 * XNNPACK product per output matrix, each input matrix picked by
 * broadcasting. Heap addresses, unlike views, stay good when the heap grows
 * (XNNPACK allocates packed weights there).
 */
function productPerMatrix(backend: BackendWasm, x: tf.TensorInfo, y: tf.TensorInfo, s: MatMulShapes): tf.TensorInfo {
  const { M, K, N } = s;
  const caller = sliceCaller(backend);
  const result = backend.makeOutput(s.out, 'float32');
  const [xAt, yAt, outAt] = [x, y, result].map((t) => heapAddress(backend, t)) as [number, number, number];
  const xMatrix = broadcastOffsets(s.aBatch, s.batch);
  const yMatrix = broadcastOffsets(s.bBatch, s.batch);
  const [xId, yId, outId] = caller.ids;
  const { registerTensor, disposeData } = caller.module.tfjs;
  const xShape = shapeBytes([1, M, K]);
  const yShape = shapeBytes([1, K, N]);
  for (let i = 0; i < xMatrix.length; i++) {
    registerTensor(xId, M * K, xAt + 4 * M * K * (xMatrix[i] ?? 0));
    registerTensor(yId, K * N, yAt + 4 * K * N * (yMatrix[i] ?? 0));
    registerTensor(outId, M * N, outAt + 4 * M * N * i);
    try {
      caller.matMul(xId, xShape, 3, yId, yShape, 3, 0, 0, outId);
    } finally {
      // An id left registered would make the next registerTensor a no-op.
      disposeData(xId);
      disposeData(yId);
      disposeData(outId);
    }
  }
  return result;
}

/**
 * From this many rows on, a matrix is transposed here rather than by the
 * backend's Transpose kernel, which reads a tall matrix a column at a time:
 * 3.3 ms for [2048, 256] and 0.6 ms for [2048, 64], against 1.2 and 0.3 ms
 * in tiles below. It is the faster one on short matrices (0.9 against 1.3 ms
 * for [256, 2048]; 0.3 against 1.1 ms for attention's [128, 64, 64]).
 */
export const TILED_TRANSPOSE_MIN_ROWS = 1024;

/** Side of the square tiles of tiledTranspose: a 32x32 tile of each side stays in L1. */
const TILE = 32;

/**
 * dst[b, c, r] = src[b, r, c] for `batch` matrices of `rows` x `columns`,
 * a tile at a time so that both the reads and the writes stay in cache.
 */
export function tiledTranspose(src: Float32Array, dst: Float32Array, batch: number, rows: number, columns: number): void {
  for (let b = 0, base = 0; b < batch; b++, base += rows * columns) {
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE);
      for (let c0 = 0; c0 < columns; c0 += TILE) {
        const c1 = Math.min(columns, c0 + TILE);
        for (let c = c0; c < c1; c++) {
          let to = base + c * rows + r0;
          let from = base + r0 * columns + c;
          for (let r = r0; r < r1; r++, to++, from += columns) dst[to] = src[from] as number;
        }
      }
    }
  }
}

/** `t` (float32) with its last two dimensions swapped. */
function swapLast(backend: BackendWasm, t: tf.Tensor): tf.Tensor {
  const rank = t.shape.length;
  const [rows = 0, columns = 0] = t.shape.slice(rank - 2);
  if (rows < TILED_TRANSPOSE_MIN_ROWS) {
    const perm = t.shape.map((_, i) => i);
    [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
    return tf.transpose(t, perm);
  }
  const out = backend.makeOutput([...t.shape.slice(0, rank - 2), columns, rows], 'float32');
  backend.dataIdMap.get(t.dataId); // moves t onto the heap first if another backend holds it
  const [src, dst] = [backend.typedArrayFromHeap(t), backend.typedArrayFromHeap(out)] as [Float32Array, Float32Array];
  tiledTranspose(src, dst, tf.util.sizeFromShape(t.shape.slice(0, rank - 2)), rows, columns);
  return tf.engine().makeTensorFromTensorInfo(out, backend);
}

/** The backend's own kernel on untransposed inputs with no batch: XNNPACK. */
function xnnpack2d(backend: BackendWasm, x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const out = kernelOf(original).kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } });
  return tf.engine().makeTensorFromTensorInfo(out as tf.TensorInfo, backend);
}

/** x [...xBatch, M, K] . y [...yBatch, K, N], neither transposed, on XNNPACK. */
function untransposed(backend: BackendWasm, x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const s = matMulShapes(x.shape, y.shape, false, false);
  const xCount = tf.util.sizeFromShape(s.aBatch);
  const yCount = tf.util.sizeFromShape(s.bBatch);
  if (yCount === 1) {
    // One right-hand matrix for every batch: the rows of all batches are one product.
    const rows = xnnpack2d(backend, tf.reshape(x, [xCount * s.M, s.K]), tf.reshape(y, [s.K, s.N]));
    return tf.reshape(rows, s.out);
  }
  return tf.engine().makeTensorFromTensorInfo(productPerMatrix(backend, x, y, s), backend);
}

function kernelOf(config: tf.KernelConfig | undefined): tf.KernelConfig {
  if (config === undefined) throw new Error(`${KERNEL} on wasm: the backend's own kernel is missing; register the wasm backend first.`);
  return config;
}

/** BatchMatMul on wasm: inputs a and b, attributes transposeA and transposeB, as tf.matMul passes them. */
export const batchMatMulWasm: tf.KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = args.backend as BackendWasm;
  const { a, b } = inputs;
  if (a === undefined || b === undefined) throw new Error(`${KERNEL}: inputs a and b are required.`);
  const { transposeA = false, transposeB = false } = attrs as unknown as Partial<tf.BatchMatMulAttrs>;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return kernelOf(original).kernelFunc(args);
  }
  const s = matMulShapes(a.shape, b.shape, transposeA, transposeB);
  const aCount = tf.util.sizeFromShape(s.aBatch);
  const bCount = tf.util.sizeFromShape(s.bBatch);
  const outSize = tf.util.sizeFromShape(s.out);
  if (outSize === 0 || s.K === 0) {
    // XNNPACK refuses empty products (the backend's kernel then leaves its output unwritten); no terms sum to zeros.
    const out = backend.makeOutput(s.out, 'float32');
    if (outSize > 0) (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
    return out;
  }
  const untransposedSingle = !transposeA && !transposeB && aCount === 1 && bCount === 1;
  const smallMatrices = aCount === bCount && s.M * s.K * s.N < LOOP_MIN_MACS;
  if (untransposedSingle || smallMatrices) return kernelOf(original).kernelFunc(args);
  // A batch against one matrix stays direct: it is then one product of the stacked rows.
  const order =
    aCount > 1 && bCount === 1
      ? 'direct'
      : transposeOrder(tf.util.sizeFromShape(a.shape), tf.util.sizeFromShape(b.shape), outSize, transposeA, transposeB);
  return tf.tidy(() => {
    const at = asTensor(a, backend);
    const bt = asTensor(b, backend);
    if (order === 'direct') {
      return untransposed(backend, transposeA ? swapLast(backend, at) : at, transposeB ? swapLast(backend, bt) : bt);
    }
    return swapLast(backend, untransposed(backend, transposeB ? bt : swapLast(backend, bt), transposeA ? at : swapLast(backend, at)));
  });
};

/** Puts the kernel above in place of the backend's own, which stays the fallback. Idempotent. */
export function registerBatchMatMul(): void {
  original = replaceWasmKernel(tf.BatchMatMul, batchMatMulWasm);
}
