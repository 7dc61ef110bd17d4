/**
 * Host side of the SIMD filter-gradient kernel (filter-grad.wat): lays out
 * the padded input, dy and the tap offsets in the kernel's own memory, runs
 * it and copies dW out. Pure: plain arrays in and out, no tfjs, so it is
 * tested in Node against a direct sum.
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
  /**
   * Zero rows above and columns left of x; the rest of the padding follows
   * from the output size. Negative values crop x instead.
   */
  top: number;
  left: number;
}

const KERNEL = 'Conv2DBackpropFilter on wasm';
/** Output channels per register tile in the kernel. */
const CHANNEL_TILE = 8;
/** Rows of dW per register tile in the kernel. */
const ROW_TILE = 4;

export class FilterGradKernel extends SimdKernel {
  /** Instantiates the compiled kernel (the bytes of filter-grad.wat). */
  static async create(wasm: BufferSource): Promise<FilterGradKernel> {
    return new FilterGradKernel(await instantiateKernel(wasm, 'filterGrad'));
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
    const xLayout: PaddedLayout = {
      batch: N,
      height: H,
      width: W,
      channels: Ci,
      paddedHeight: Hp,
      paddedWidth: Wp,
      paddedChannels: Ci,
      top: g.top,
      left: g.left,
    };
    const dyLayout = channelPadding(N, OH, OW, Co, CoP);
    // dW [K, Co] is stored as K rows of CoP, the rows rounded up to whole tiles.
    const outLayout = channelPadding(1, K, 1, Co, CoP);

    const offsetsAt = 0;
    const xAt = align16(offsetsAt + K * 4);
    const dyAt = align16(xAt + paddedSize(xLayout) * 4);
    const outAt = align16(dyAt + paddedSize(dyLayout) * 4);
    const end = outAt + Math.ceil(K / ROW_TILE) * ROW_TILE * CoP * 4;
    const { memory } = this.module;
    reserve(memory, end, `${KERNEL}: x [${N},${H},${W},${Ci}] with dy [${N},${OH},${OW},${Co}]`);
    const heap = new Float32Array(memory.buffer);

    const offsets = new Int32Array(memory.buffer, offsetsAt, K);
    let k = 0;
    for (let kh = 0; kh < g.filterHeight; kh++)
      for (let kw = 0; kw < g.filterWidth; kw++)
        for (let ci = 0; ci < Ci; ci++) offsets[k++] = ((kh * g.dilationHeight * Wp + kw * g.dilationWidth) * Ci + ci) * 4;

    copyIn(heap, xAt / 4, x, xLayout, 0);
    copyIn(heap, dyAt / 4, dy, dyLayout, 0);

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

    copyOut(heap, outAt / 4, out, outLayout);
  }
}

function checkGeometry(g: ConvGeometry, x: Float32Array, dy: Float32Array, out: Float32Array): void {
  checkIntegers(KERNEL, g, (name) =>
    name.startsWith('stride') || name.startsWith('dilation') ? 1 : name === 'top' || name === 'left' ? -Infinity : 0,
  );
  checkSizes(KERNEL, [
    ['x', x, g.batch * g.inHeight * g.inWidth * g.inChannels],
    ['dy', dy, g.batch * g.outHeight * g.outWidth * g.outChannels],
    ['dW', out, g.filterHeight * g.filterWidth * g.inChannels * g.outChannels],
  ]);
}
