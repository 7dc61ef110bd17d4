/**
 * What the kernel tests share (not a test file itself): the WASM backend set
 * up as in the workers with Tandem's kernels registered, switching backends,
 * and comparing a result with the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { registerWasmTrainingKernels } from '.';
import type { Conv2DPad } from './conv2d-backprop-filter';
import { compileWasmKernels } from './simd/wat';

export type Backend = 'wasm' | 'cpu';
export type Shape4 = [number, number, number, number];

/** Relative tolerance: float32 sums of thousands of terms in a different order. */
export const REL_TOL = 1e-4;

/** For beforeAll: one thread per worker, as in the trainers, with Tandem's kernels registered and wasm active. */
export async function useWasmKernels(): Promise<void> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await registerWasmTrainingKernels(await compileWasmKernels());
  expect(await tf.setBackend('wasm')).toBe(true);
}

/** Runs `fn` with `name` the active backend. */
export async function onBackend<T>(name: Backend, fn: () => T): Promise<T> {
  if (tf.getBackend() !== name) expect(await tf.setBackend(name)).toBe(true);
  return fn();
}

/** Normal values from a tfjs seed, the same on every backend. */
export function seeded(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

/** Largest |a - b| and largest |b|, so callers can assert a relative bound. */
export function compare(actual: Float32Array, reference: Float32Array): { err: number; scale: number } {
  expect(actual.length).toBe(reference.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] ?? NaN;
    err = Math.max(err, Math.abs((actual[i] ?? NaN) - r));
    scale = Math.max(scale, Math.abs(r));
  }
  return { err, scale };
}

/** `actual` within REL_TOL of `reference`'s largest magnitude, and finite. */
export function expectClose(actual: Float32Array, reference: Float32Array, label: string): void {
  const { err, scale } = compare(actual, reference);
  expect(Number.isFinite(err), `${label}: non-finite values`).toBe(true);
  expect(err, `${label}: max abs error ${err} vs max |ref| ${scale}`).toBeLessThanOrEqual(REL_TOL * scale);
}

/** A convolution to check: input and filter shapes (filter [KH, KW, C, F]), strides, padding. */
export interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  pad: Conv2DPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Small deterministic PRNG for picking shapes. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomCases(count: number, seed: number): ConvCase[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const kh = pick([1, 2, 3, 4, 5]);
    const kw = pick([1, 2, 3, 4, 5]);
    const h = Math.max(kh, pick([5, 6, 7, 9, 12, 13, 14]));
    const w = Math.max(kw, pick([5, 6, 7, 9, 12, 13, 14]));
    const s = pick([1, 2]);
    cases.push({
      x: [pick([1, 2, 3, 8]), h, w, 1 + Math.floor(rand() * 16)],
      filter: [kh, kw, 0, 1 + Math.floor(rand() * 16)],
      strides: [s, s],
      pad: pick(['same', 'valid'] as const),
    });
    const last = cases[cases.length - 1];
    if (last !== undefined) last.filter[2] = last.x[3];
  }
  return cases;
}

/** dx of sum(op(x) * dy) through the public gradient path, on the active backend. */
function inputGradViaTape(
  xData: Float32Array,
  xShape: Shape4,
  dyData: Float32Array,
  op: (x: tf.Tensor4D) => tf.Tensor4D,
): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(xData, xShape);
    const outShape = op(x).shape;
    const dy = tf.tensor(dyData.subarray(0, outShape.reduce((a, b) => a * b, 1)), outShape);
    const [dx] = tf.grads((xx: tf.Tensor) => tf.sum(tf.mul(op(xx as tf.Tensor4D), dy)))([x]);
    if (dx === undefined) throw new Error('no gradient');
    return dx.dataSync() as Float32Array;
  });
}

export async function checkInputGrad(label: string, xData: Float32Array, xShape: Shape4, dyData: Float32Array, op: (x: tf.Tensor4D) => tf.Tensor4D): Promise<void> {
  const ref = await onBackend('cpu', () => inputGradViaTape(xData, xShape, dyData, op));
  const got = await onBackend('wasm', () => inputGradViaTape(xData, xShape, dyData, op));
  expectClose(got, ref, label);
}
