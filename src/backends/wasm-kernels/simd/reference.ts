/** Direct sums over the definitions: what the SIMD kernels are tested against (tests only). */

import type { ConvGeometry } from './filter-grad';
import type { PoolGeometry } from './max-pool-grad';

/**
 * dW of a conv2d (NHWC) as a direct sum over its definition: the reference
 * the SIMD kernel is tested against, including strides with dilations that
 * the cpu backend's gradient refuses.
 */
export function naiveFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const { batch: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = g;
  const out = new Float32Array(g.filterHeight * g.filterWidth * Ci * Co);
  for (let kh = 0; kh < g.filterHeight; kh++)
    for (let kw = 0; kw < g.filterWidth; kw++)
      for (let ci = 0; ci < Ci; ci++)
        for (let co = 0; co < Co; co++) {
          let sum = 0;
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * g.strideHeight + kh * g.dilationHeight - g.top;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * g.strideWidth + kw * g.dilationWidth - g.left;
                if (iw < 0 || iw >= W) continue;
                sum += (x[((b * H + ih) * W + iw) * Ci + ci] ?? NaN) * (dy[((b * OH + oh) * OW + ow) * Co + co] ?? NaN);
              }
            }
          out[((kh * g.filterWidth + kw) * Ci + ci) * Co + co] = sum;
        }
  return out;
}

/**
 * dx of a 2-D max pool as tfjs' cpu backend defines it: each window's dy goes
 * to the first strict maximum in row-major order, none if the window holds
 * only -Infinity or NaN; overlapping windows add up.
 */
export function naiveMaxPoolGradient(x: Float32Array, dy: Float32Array, g: PoolGeometry): Float32Array {
  const { batch: B, inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } = g;
  const dx = new Float32Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let kh = 0; kh < g.filterHeight; kh++) {
            const ih = oh * g.strideHeight + kh - g.top;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < g.filterWidth; kw++) {
              const iw = ow * g.strideWidth + kw - g.left;
              if (iw < 0 || iw >= W) continue;
              const i = ((b * H + ih) * W + iw) * C + c;
              const v = x[i] ?? NaN;
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] ?? 0) + (dy[((b * OH + oh) * OW + ow) * C + c] ?? NaN);
        }
  return dx;
}
