/** MaxPoolGrad on wasm against the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Shape4, checkInputGrad, mulberry32, onBackend, seeded, useWasmKernels } from './kernel-testing';
import { maxPoolGradWasm } from './max-pool-grad';

beforeAll(useWasmKernels);

describe('MaxPoolGrad on wasm', () => {
  it('replaces the backend kernel', () => {
    expect(tf.getKernel(tf.MaxPoolGrad, 'wasm')?.kernelFunc).toBe(maxPoolGradWasm);
  });

  it('matches cpu on random pools, ties included: same and valid, overlapping windows', async () => {
    const rand = mulberry32(77);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    for (let i = 0; i < 30; i++) {
      const k: [number, number] = [pick([1, 2, 3]), pick([1, 2, 3])];
      const s: [number, number] = [pick([1, 2, 3]), pick([1, 2, 3])];
      const shape: Shape4 = [pick([1, 2, 4]), pick([3, 4, 5, 7, 8]), pick([3, 4, 6, 7]), pick([1, 3, 4, 8, 9])];
      const pad = pick(['same', 'valid'] as const);
      // Rounded values make ties common: the first maximum must win, as on cpu.
      const xData = seeded(shape, 1000 + i).map((v) => Math.round(v * 2));
      await checkInputGrad(
        JSON.stringify({ shape, k, s, pad }),
        xData,
        shape,
        seeded([shape[0] * shape[1] * shape[2] * shape[3]], 2000 + i),
        (x) => tf.maxPool(x, k, s, pad),
      );
    }
  });

  it('names a dy smaller than the pool', async () => {
    await onBackend('wasm', () => undefined);
    const input = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 2, 1, 2]);
    const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
    expect(() => maxPoolGradWasm({ inputs: { dy, input }, backend: tf.backend(), attrs })).toThrow(
      /dy shape \[1,2,1,2\] is smaller than the pool of \[1,4,4,2\] gives; dy must be at least \[1,2,2,2\]/,
    );
    tf.dispose([input, dy]);
  });
});
