/**
 * Model shapes and initial weights as plain data. The flat model state theta
 * is every parameter in `params` order, each row-major in tfjs' layout, so the
 * orchestrator can lay out shared memory and seed weights without tfjs.
 */
import type { Rng } from '../core/rng';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output unit; scales He initialisation. */
  fanIn: number;
  init: 'he' | 'zeros';
}

export type ModelName = 'cnn';

export interface ModelSpec {
  name: ModelName;
  inputShape: [height: number, width: number, channels: number];
  classes: number;
  params: ParamSpec[];
}

/** conv3x3x8-relu-pool2, conv3x3x16-relu-pool2, dense10: about 9k parameters. */
export function cnnSpec(height = 28, width = 28, channels = 1, classes = 10): ModelSpec {
  const c1 = 8;
  const c2 = 16;
  const flat = Math.floor(height / 4) * Math.floor(width / 4) * c2;
  return {
    name: 'cnn',
    inputShape: [height, width, channels],
    classes,
    params: [
      { name: 'conv1/kernel', shape: [3, 3, channels, c1], fanIn: 9 * channels, init: 'he' },
      { name: 'conv1/bias', shape: [c1], fanIn: 1, init: 'zeros' },
      { name: 'conv2/kernel', shape: [3, 3, c1, c2], fanIn: 9 * c1, init: 'he' },
      { name: 'conv2/bias', shape: [c2], fanIn: 1, init: 'zeros' },
      { name: 'dense/kernel', shape: [flat, classes], fanIn: flat, init: 'he' },
      { name: 'dense/bias', shape: [classes], fanIn: 1, init: 'zeros' },
    ],
  };
}

export function paramSize(p: ParamSpec): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

export function paramCount(spec: ModelSpec): number {
  return spec.params.reduce((n, p) => n + paramSize(p), 0);
}

/** Element offset of each parameter inside theta. */
export function paramOffsets(spec: ModelSpec): number[] {
  let offset = 0;
  return spec.params.map((p) => {
    const at = offset;
    offset += paramSize(p);
    return at;
  });
}

/** He-normal weights, zero biases; same seed, same theta. */
export function initialTheta(spec: ModelSpec, rng: Rng): Float32Array {
  const theta = new Float32Array(paramCount(spec));
  const offsets = paramOffsets(spec);
  spec.params.forEach((p, i) => {
    if (p.init === 'zeros') return;
    const std = Math.sqrt(2 / p.fanIn);
    const start = offsets[i] ?? 0;
    for (let k = start; k < start + paramSize(p); k++) theta[k] = rng.normal() * std;
  });
  return theta;
}

/**
 * Multiply-adds x2 of one training step (forward + input and weight
 * gradients, about 3x the forward pass), for GFLOP/s figures.
 */
export function trainingFlops(spec: ModelSpec, batchSize: number): number {
  const [h, w] = spec.inputShape;
  let forward = 0;
  let side = [h, w];
  for (const p of spec.params) {
    if (p.shape.length === 4) {
      const [kh = 1, kw = 1, ci = 1, co = 1] = p.shape;
      forward += 2 * (side[0] ?? 1) * (side[1] ?? 1) * kh * kw * ci * co;
      side = side.map((x) => Math.floor(x / 2)); // each conv is followed by a 2x2 pool
    } else if (p.shape.length === 2) {
      const [fanIn = 1, out = 1] = p.shape;
      forward += 2 * fanIn * out;
    }
  }
  return 3 * forward * batchSize;
}
