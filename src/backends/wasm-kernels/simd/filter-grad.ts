/**
 * Host side of the SIMD filter-gradient kernel (filter-grad.wat): lays out
 * the padded input, dy and the tap offsets in the kernel's own memory, runs
 * it and copies dW out. Pure: plain arrays in and out, no tfjs, so it is
 * tested in Node against a direct sum.
 */

import { align16, checkIntegers, checkSizes, instantiateKernel, type KernelModule, reserve } from './module';

/** Geometry of one conv2d (NHWC, filter [KH, KW, Ci, Co]), as tfjs' Conv2DInfo gives it. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Zero rows above and columns left of x; the rest of the padding follows from the output size. */
  top: number;
  left: number;
}

const KERNEL = 'Conv2DBackpropFilter on wasm';
/** Output channels per register tile in the kernel. */
const CHANNEL_TILE = 8;
/** Rows of dW per register tile in the kernel. */
const ROW_TILE = 4;

export class FilterGradKernel {
  private constructor(private readonly module: KernelModule) {}

  /** Instantiates the compiled kernel (the bytes of filter-grad.wat). */
  static async create(wasm: BufferSource): Promise<FilterGradKernel> {
    return new FilterGradKernel(await instantiateKernel(wasm, 'filterGrad'));
  }

  /** Bytes of the kernel's memory; it grows to the largest shape seen and stays. */
  get memoryBytes(): number {
    return this.module.memory.buffer.byteLength;
  }

  /**
   * dW [KH, KW, Ci, Co] into `out`, from x [N, H, W, Ci] and dy [N, OH, OW, Co].
   * `x`, `dy` and `out` may be views on another module's heap: they are read
   * and written only by copies, before and after the kernel runs.
   */
  run(g: ConvGeometry, x: Float32Array, dy: Float32Array, out: Float32Array): void {
    checkGeometry(g, x, dy, out);
    const { batch: N, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = g;
    const K = g.filterHeight * g.filterWidth * Ci;
    if (N === 0 || OH === 0 || OW === 0 || K === 0 || Co === 0) {
      out.fill(0);
      return;
    }
    // Rows and columns of padded x that the windows reach; x beyond them is never read.
    const Hp = (OH - 1) * g.strideHeight + (g.filterHeight - 1) * g.dilationHeight + 1;
    const Wp = (OW - 1) * g.strideWidth + (g.filterWidth - 1) * g.dilationWidth + 1;
    const CoP = Math.ceil(Co / CHANNEL_TILE) * CHANNEL_TILE;

    const offsetsAt = 0;
    const xAt = align16(offsetsAt + K * 4);
    const dyAt = align16(xAt + N * Hp * Wp * Ci * 4);
    const outAt = align16(dyAt + N * OH * OW * CoP * 4);
    const end = outAt + Math.ceil(K / ROW_TILE) * ROW_TILE * CoP * 4;
    const { memory } = this.module;
    reserve(memory, end, `${KERNEL}: x [${N},${H},${W},${Ci}] with dy [${N},${OH},${OW},${Co}]`);
    const heap = new Float32Array(memory.buffer);

    const offsets = new Int32Array(memory.buffer, offsetsAt, K);
    let k = 0;
    for (let kh = 0; kh < g.filterHeight; kh++)
      for (let kw = 0; kw < g.filterWidth; kw++)
        for (let ci = 0; ci < Ci; ci++) offsets[k++] = ((kh * g.dilationHeight * Wp + kw * g.dilationWidth) * Ci + ci) * 4;

    copyPadded(heap, xAt / 4, x, g, Hp, Wp);
    if (CoP === Co) {
      heap.set(dy, dyAt / 4);
    } else {
      const base = dyAt / 4;
      heap.fill(0, base, base + N * OH * OW * CoP);
      for (let p = 0; p < N * OH * OW; p++) heap.set(dy.subarray(p * Co, (p + 1) * Co), base + p * CoP);
    }

    this.module.run(
      xAt,
      dyAt,
      outAt,
      offsetsAt,
      K,
      N,
      OH,
      OW,
      CoP,
      Hp * Wp * Ci * 4,
      g.strideHeight * Wp * Ci * 4,
      g.strideWidth * Ci * 4,
    );

    const result = new Float32Array(memory.buffer, outAt, K * CoP);
    if (CoP === Co) {
      out.set(result);
    } else {
      for (let r = 0; r < K; r++) out.set(result.subarray(r * CoP, r * CoP + Co), r * Co);
    }
  }
}

/** x into [N, Hp, Wp, Ci] at `at` (in floats): shifted by top/left, zero around, cropped past Hp/Wp. */
function copyPadded(heap: Float32Array, at: number, x: Float32Array, g: ConvGeometry, Hp: number, Wp: number): void {
  const { batch: N, inHeight: H, inWidth: W, inChannels: Ci, top, left } = g;
  if (top === 0 && left === 0 && Hp === H && Wp === W) {
    heap.set(x, at);
    return;
  }
  heap.fill(0, at, at + N * Hp * Wp * Ci);
  const rows = Math.min(H, Hp - top);
  const rowFloats = Math.min(W, Wp - left) * Ci;
  if (rows <= 0 || rowFloats <= 0) return;
  for (let n = 0; n < N; n++)
    for (let h = 0; h < rows; h++) {
      const src = (n * H + h) * W * Ci;
      heap.set(x.subarray(src, src + rowFloats), at + ((n * Hp + h + top) * Wp + left) * Ci);
    }
}

function checkGeometry(g: ConvGeometry, x: Float32Array, dy: Float32Array, out: Float32Array): void {
  checkIntegers(KERNEL, g, (name) => name.startsWith('stride') || name.startsWith('dilation'));
  checkSizes(KERNEL, [
    ['x', x, g.batch * g.inHeight * g.inWidth * g.inChannels],
    ['dy', dy, g.batch * g.outHeight * g.outWidth * g.outChannels],
    ['dW', out, g.filterHeight * g.filterWidth * g.inChannels * g.outChannels],
  ]);
}
