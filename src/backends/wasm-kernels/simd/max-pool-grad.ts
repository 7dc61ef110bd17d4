/**
 * Host side of the SIMD max-pool gradient kernel (max-pool-grad.wat): pads x
 * with -Infinity and the channels to a multiple of 4 in the kernel's own
 * memory, runs it and crops dx out. Pure: plain arrays in and out, no tfjs.
 */

import {
  align16,
  channelPadding,
  checkIntegers,
  checkSizes,
  copyIn,
  copyOut,
  instantiateKernel,
  type PaddedLayout,
  paddedSize,
  reserve,
  SimdKernel,
} from './module';

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
  /** Rows above and columns left of x that windows reach outside it; negative values crop x instead. */
  top: number;
  left: number;
}

const KERNEL = 'MaxPoolGrad on wasm';
const LANES = 4;
const SCRATCH_BYTES = 16;

export class MaxPoolGradKernel extends SimdKernel {
  /** Instantiates the compiled kernel (the bytes of max-pool-grad.wat). */
  static async create(wasm: BufferSource): Promise<MaxPoolGradKernel> {
    return new MaxPoolGradKernel(await instantiateKernel(wasm, 'maxPoolGrad'));
  }

  /** dx [N, H, W, C] into `dx`, from the pool's input x [N, H, W, C] and dy [N, OH, OW, C]. */
  run(g: PoolGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
    checkIntegers(KERNEL, g, (name) =>
      name.startsWith('filter') || name.startsWith('stride') ? 1 : name === 'top' || name === 'left' ? -Infinity : 0,
    );
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
    // x and dx share one layout; dy keeps its pixels and pads its channels.
    const layout: PaddedLayout = { batch: N, height: H, width: W, channels: C, paddedHeight: Hp, paddedWidth: Wp, paddedChannels: Cp, top, left };
    const dyLayout = channelPadding(N, OH, OW, C, Cp);
    const padded = paddedSize(layout);

    const scratchAt = 0;
    const xAt = align16(scratchAt + SCRATCH_BYTES);
    const dyAt = align16(xAt + padded * 4);
    const dxAt = align16(dyAt + paddedSize(dyLayout) * 4);
    const end = dxAt + padded * 4;
    const { memory } = this.module;
    reserve(memory, end, `${KERNEL}: x [${N},${H},${W},${C}] with dy [${N},${OH},${OW},${C}]`);
    const heap = new Float32Array(memory.buffer);

    // -Infinity around x never wins a window, so every window can be scanned whole.
    copyIn(heap, xAt / 4, x, layout, -Infinity);
    copyIn(heap, dyAt / 4, dy, dyLayout, 0);
    heap.fill(0, dxAt / 4, dxAt / 4 + padded);

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

    copyOut(heap, dxAt / 4, dx, layout);
  }
}
