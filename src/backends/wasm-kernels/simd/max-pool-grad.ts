/**
 * Host side of the SIMD max-pool gradient kernel (max-pool-grad.wat): pads x
 * with -Infinity and the channels to a multiple of 4 in the kernel's own
 * memory, runs it and crops dx out. Pure: plain arrays in and out, no tfjs.
 */

import { align16, checkIntegers, checkSizes, instantiateKernel, type KernelModule, reserve } from './module';

/** Geometry of one 2-D max pool (NHWC), as tfjs' Conv2DInfo for a pool gives it. */
export interface PoolGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Rows above and columns left of x that windows reach outside it. */
  top: number;
  left: number;
}

const KERNEL = 'MaxPoolGrad on wasm';
const LANES = 4;
const SCRATCH_BYTES = 16;

export class MaxPoolGradKernel {
  private constructor(private readonly module: KernelModule) {}

  /** Instantiates the compiled kernel (the bytes of max-pool-grad.wat). */
  static async create(wasm: BufferSource): Promise<MaxPoolGradKernel> {
    return new MaxPoolGradKernel(await instantiateKernel(wasm, 'maxPoolGrad'));
  }

  /** Bytes of the kernel's memory; it grows to the largest shape seen and stays. */
  get memoryBytes(): number {
    return this.module.memory.buffer.byteLength;
  }

  /** dx [N, H, W, C] into `dx`, from the pool's input x [N, H, W, C] and dy [N, OH, OW, C]. */
  run(g: PoolGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
    checkIntegers(KERNEL, g, (name) => name.startsWith('filter') || name.startsWith('stride'));
    const { batch: N, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW, top, left } = g;
    checkSizes(KERNEL, [
      ['x', x, N * H * W * C],
      ['dy', dy, N * OH * OW * C],
      ['dx', dx, N * H * W * C],
    ]);
    dx.fill(0);
    if (N === 0 || OH === 0 || OW === 0 || C === 0 || H === 0 || W === 0) return;
    // Every window inside the buffer, and every pixel of x in it.
    const Hp = Math.max(top + H, (OH - 1) * g.strideHeight + g.filterHeight);
    const Wp = Math.max(left + W, (OW - 1) * g.strideWidth + g.filterWidth);
    const Cp = Math.ceil(C / LANES) * LANES;
    const padded = N * Hp * Wp * Cp;

    const scratchAt = 0;
    const xAt = align16(scratchAt + SCRATCH_BYTES);
    const dyAt = align16(xAt + padded * 4);
    const dxAt = align16(dyAt + N * OH * OW * Cp * 4);
    const end = dxAt + padded * 4;
    const { memory } = this.module;
    reserve(memory, end, `${KERNEL}: x [${N},${H},${W},${C}] with dy [${N},${OH},${OW},${C}]`);
    const heap = new Float32Array(memory.buffer);

    const xBase = xAt / 4;
    heap.fill(-Infinity, xBase, xBase + padded);
    forEachRow(N, H, W, C, Hp, Wp, Cp, top, left, (src, dst, length) =>
      heap.set(x.subarray(src, src + length), xBase + dst),
    );
    const dyBase = dyAt / 4;
    if (Cp === C) {
      heap.set(dy, dyBase);
    } else {
      heap.fill(0, dyBase, dyBase + N * OH * OW * Cp);
      for (let p = 0; p < N * OH * OW; p++) heap.set(dy.subarray(p * C, (p + 1) * C), dyBase + p * Cp);
    }
    const dxBase = dxAt / 4;
    heap.fill(0, dxBase, dxBase + padded);

    this.module.run(
      xAt,
      dyAt,
      dxAt,
      scratchAt,
      N,
      OH,
      OW,
      g.filterHeight,
      g.filterWidth,
      Cp * 4,
      Hp * Wp * Cp * 4,
      Wp * Cp * 4,
      g.strideHeight * Wp * Cp * 4,
      g.strideWidth * Cp * 4,
    );

    forEachRow(N, H, W, C, Hp, Wp, Cp, top, left, (src, dst, length) =>
      dx.set(heap.subarray(dxBase + dst, dxBase + dst + length), src),
    );
  }
}

/**
 * Visits the runs of x that are contiguous both in x [N, H, W, C] and in the
 * padded buffer [N, Hp, Wp, Cp]: whole rows when C = Cp, else single pixels.
 * `src` and `dst` are float offsets in x and in the buffer.
 */
function forEachRow(
  N: number,
  H: number,
  W: number,
  C: number,
  Hp: number,
  Wp: number,
  Cp: number,
  top: number,
  left: number,
  visit: (src: number, dst: number, length: number) => void,
): void {
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++) {
      const src = (n * H + h) * W * C;
      const dst = ((n * Hp + h + top) * Wp + left) * Cp;
      if (C === Cp) {
        visit(src, dst, W * C);
      } else {
        for (let w = 0; w < W; w++) visit(src + w * C, dst + w * Cp, C);
      }
    }
}
