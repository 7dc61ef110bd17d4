import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng';
import { activationFloats, trainingFlops } from './costs';
import { initialTheta, modelSpec, paramCount, paramOffsets, paramSize, type ModelSpec } from './spec';
import { sequenceLosses, transformerForward, transformerSpec, windowTensors } from './transformer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Small enough for property tests on the cpu backend. */
const TINY = { vocab: 11, contextLength: 8, layers: 2, dModel: 16, heads: 4, mlpWidth: 32 };

function paramsOf(spec: ModelSpec, seed = 1): tf.Tensor[] {
  const theta = initialTheta(spec, createRng(seed));
  const offsets = paramOffsets(spec);
  return spec.params.map((p, i) => {
    const at = offsets[i] ?? 0;
    return tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape);
  });
}

function logitsOf(spec: ModelSpec, params: readonly tf.Tensor[], rows: number[][]): Float32Array {
  return tf.tidy(() => transformerForward(spec, params, tf.tensor2d(rows, undefined, 'int32'), false)).dataSync() as Float32Array;
}

describe('transformer spec', () => {
  it('counts the default parameters at vocab 80 and context 64', () => {
    const [v, t, d, m] = [80, 64, 64, 256];
    const block = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * m + m) + (m * d + d);
    expect(block).toBe(49_984);
    const total = v * d + t * d + 2 * block + 2 * d + (d * v + v);
    expect(total).toBe(114_512);
    expect(paramCount(transformerSpec({ vocab: v, contextLength: t }))).toBe(total);
  });

  it('counts a one-block model of width 8', () => {
    const spec = transformerSpec({ vocab: 10, contextLength: 8, layers: 1, dModel: 8, heads: 2, mlpWidth: 16 });
    // tokens 80, positions 64, block 16 + 216 + 72 + 16 + 144 + 136, final LayerNorm 16, output 90.
    expect(paramCount(spec)).toBe(80 + 64 + 600 + 16 + 90);
    expect(spec.params.length).toBe(2 + 12 + 2 + 2);
  });

  it('is what modelSpec builds from a [1, contextLength + 1, 1] input and vocab classes', () => {
    const spec = modelSpec('transformer', [1, 65, 1], 80);
    expect(spec).toEqual(transformerSpec({ vocab: 80, contextLength: 64 }));
    expect(spec.name).toBe('transformer');
    expect(spec.inputShape).toEqual([1, 65, 1]);
    expect(spec.classes).toBe(80);
    expect(spec.layers).toEqual([]);
    expect(modelSpec('transformer', [1, 9, 1], 10, { dModel: 8, heads: 2 }).sequence?.dModel).toBe(8);
  });

  it('refuses sizes it cannot build, naming the field, the value and what is allowed', () => {
    expect(() => transformerSpec({ vocab: 80, contextLength: 64, heads: 5 })).toThrow(/heads 5 does not divide dModel 64/);
    expect(() => transformerSpec({ vocab: 300, contextLength: 64 })).toThrow(/vocab 300 .* 2 to 256/);
    expect(() => transformerSpec({ vocab: 80, contextLength: 0 })).toThrow(/contextLength 0 .* positive integer/);
    expect(() => transformerSpec({ vocab: 80, contextLength: 64, dModel: 6.5 })).toThrow(/dModel 6.5/);
    expect(() => modelSpec('transformer', [28, 28, 1], 10)).toThrow(/input shape 28x28x1 .* 1x\(contextLength \+ 1\)x1/);
  });

  it('initialises kernels and embeddings N(0, 0.02^2), biases 0, LayerNorm gamma 1', () => {
    const spec = transformerSpec({ vocab: 80, contextLength: 64 });
    const theta = initialTheta(spec, createRng(7));
    const offsets = paramOffsets(spec);
    spec.params.forEach((p, i) => {
      const values = theta.subarray(offsets[i] ?? 0, (offsets[i] ?? 0) + paramSize(p));
      if (p.init === 'ones') expect(values.every((x) => x === 1), p.name).toBe(true);
      if (p.init === 'zeros') expect(values.every((x) => x === 0), p.name).toBe(true);
      if (p.init === 'normal') {
        const std = Math.sqrt(values.reduce((s, x) => s + x * x, 0) / values.length);
        expect(std, p.name).toBeGreaterThan(0.017);
        expect(std, p.name).toBeLessThan(0.023);
      }
    });
  });

  it('estimates activations and training FLOPs at batch 32', () => {
    const spec = transformerSpec({ vocab: 80, contextLength: 64 });
    const [t, d, h, m, v] = [64, 64, 4, 256, 80];
    expect(activationFloats(spec)).toBe(2 * t * d + 2 * (10 * t * d + 2 * h * t * t + 2 * t * m) + t * d + t * v);
    expect(activationFloats(spec)).toBe(230_400);
    const block = 2 * t * d * 3 * d + 2 * (2 * t * t * d) + 2 * t * d * d + 2 * (2 * t * d * m);
    expect(trainingFlops(spec, 32)).toBe(3 * (2 * block + 2 * t * d * v) * 32);
    expect(trainingFlops(spec, 32)).toBe(1_472_200_704);
  });
});

describe('transformer forward', () => {
  const spec = transformerSpec(TINY);
  let params: tf.Tensor[] = [];
  beforeAll(() => {
    params = paramsOf(spec);
  });

  it('gives logits [B, T, vocab], also for fewer positions than the context', () => {
    const shape = tf.tidy(() => transformerForward(spec, params, tf.zeros([3, 8], 'int32') as tf.Tensor2D, true).shape);
    expect(shape).toEqual([3, 8, 11]);
    const full = logitsOf(spec, params, [[1, 2, 3, 4, 5, 6, 7, 8]]);
    const short = logitsOf(spec, params, [[1, 2, 3, 4, 5]]);
    expect(short.length).toBe(5 * 11);
    // Causality: the first five positions of the full window see what the short one sees.
    expect(Array.from(short)).toEqual(Array.from(full.subarray(0, 5 * 11)));
  });

  it('refuses a spec without a sequence plan, float ids and windows longer than the context', () => {
    const ids = tf.zeros([1, 8], 'int32') as tf.Tensor2D;
    expect(() => transformerForward(modelSpec('mlp', [28, 28, 1], 10), params, ids, false)).toThrow(/no sequence plan/);
    expect(() => transformerForward(spec, params, tf.zeros([1, 8]) as tf.Tensor2D, false)).toThrow(/dtype float32.*int32/);
    expect(() => transformerForward(spec, params, tf.zeros([1, 9], 'int32') as tf.Tensor2D, false)).toThrow(/9 positions; allowed 1 to contextLength 8/);
  });

  it('is causal: changing position j never changes logits before j, nor another window', () => {
    const { vocab, contextLength: t } = TINY;
    const row = fc.array(fc.integer({ min: 0, max: vocab - 1 }), { minLength: t, maxLength: t });
    fc.assert(
      fc.property(row, row, fc.integer({ min: 0, max: t - 1 }), fc.integer({ min: 1, max: vocab - 1 }), (a, other, j, shift) => {
        const changed = [...a];
        changed[j] = ((a[j] ?? 0) + shift) % vocab;
        const before = logitsOf(spec, params, [a, other]);
        const after = logitsOf(spec, params, [changed, other]);
        const window = t * vocab;
        for (let i = 0; i < j * vocab; i++) expect(Math.abs((after[i] ?? 0) - (before[i] ?? 0))).toBeLessThanOrEqual(1e-6);
        for (let i = window; i < 2 * window; i++) expect(after[i]).toBe(before[i]);
        // Not vacuous: position j itself sees the change.
        let moved = 0;
        for (let i = j * vocab; i < (j + 1) * vocab; i++) moved = Math.max(moved, Math.abs((after[i] ?? 0) - (before[i] ?? 0)));
        expect(moved).toBeGreaterThan(0);
      }),
      { numRuns: 40, seed: 42 },
    );
  });

  it('starts near ln(vocab) and leaves no tensors behind', () => {
    const rng = createRng(3);
    const bytes = Uint8Array.from({ length: 16 * 9 }, () => rng.int(TINY.vocab));
    const before = tf.memory().numTensors;
    const loss = tf.tidy(() => {
      const [ids, targets] = windowTensors(bytes, 16, 9);
      const { perSample, hits } = sequenceLosses(transformerForward(spec, params, ids, true), targets);
      expect(perSample.shape).toEqual([16]);
      expect(hits.dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(hits.dataSync()[0]).toBeLessThanOrEqual(16 * 8);
      return tf.mean(perSample).dataSync()[0] ?? NaN;
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(loss - Math.log(TINY.vocab))).toBeLessThan(0.05);
  });

  it('has a finite, nonzero gradient for every parameter', () => {
    const rng = createRng(4);
    const bytes = Uint8Array.from({ length: 4 * 9 }, () => rng.int(TINY.vocab));
    tf.tidy(() => {
      const [ids, targets] = windowTensors(bytes, 4, 9);
      const loss = (...ps: tf.Tensor[]) => tf.mean(sequenceLosses(transformerForward(spec, ps, ids, true), targets).perSample);
      const grads = tf.grads(loss)(params);
      expect(grads.length).toBe(spec.params.length);
      grads.forEach((g, i) => {
        const values = g.dataSync();
        const name = spec.params[i]?.name;
        expect(values.every(Number.isFinite), name).toBe(true);
        expect(values.some((x) => x !== 0), name).toBe(true);
      });
    });
  });
});

describe('sequenceLosses', () => {
  it('averages token cross-entropy per window and counts argmax hits', () => {
    // Window 0: certain and right at both positions; window 1: uniform over 2 and (argmax 0) right once.
    const logits = tf.tensor3d([[[50, 0], [0, 50]], [[0, 0], [0, 0]]]);
    const targets = tf.tensor2d([[0, 1], [0, 1]], undefined, 'int32');
    const { perSample, hits } = sequenceLosses(logits, targets);
    const [certain, uniform] = perSample.dataSync();
    expect(certain).toBeCloseTo(0, 6);
    expect(uniform).toBeCloseTo(Math.log(2), 6);
    expect(hits.dataSync()[0]).toBe(3);
    expect(() => sequenceLosses(logits, tf.tensor2d([[0, 1, 0]], undefined, 'int32'))).toThrow(/must be \[2, 2\]/);
  });
});

describe('windowTensors', () => {
  it('splits each window into ids (all but the last) and targets (all but the first)', () => {
    const [ids, targets] = windowTensors(Uint8Array.from([1, 2, 3, 4, 200, 6, 7, 8]), 2, 4);
    expect(ids.dtype).toBe('int32');
    expect(ids.arraySync()).toEqual([[1, 2, 3], [200, 6, 7]]);
    expect(targets.arraySync()).toEqual([[2, 3, 4], [6, 7, 8]]);
  });

  it('refuses a byte count that is not batch x width', () => {
    expect(() => windowTensors(new Uint8Array(7), 2, 4)).toThrow(/7 bytes; 2 windows of width 4 need exactly 8/);
    expect(() => windowTensors(new Uint8Array(2), 2, 1)).toThrow(/width 1 .* at least 2/);
  });
});

describe('learning', () => {
  it('learns a repeating text well below ln(vocab) in a few dozen momentum SGD steps', () => {
    const text = 'hello world ';
    const alphabet = [...new Set(text)];
    const vocab = alphabet.length;
    const width = 9;
    // Every phase of the period as one window.
    const bytes = new Uint8Array(text.length * width);
    for (let start = 0; start < text.length; start++) {
      for (let i = 0; i < width; i++) bytes[start * width + i] = alphabet.indexOf(text[(start + i) % text.length] ?? '');
    }
    const spec = transformerSpec({ vocab, contextLength: width - 1, layers: 1, dModel: 32, heads: 4, mlpWidth: 64 });
    const vars = paramsOf(spec, 5).map((p) => tf.variable(p));
    const optimizer = tf.train.momentum(0.1, 0.9);
    const [ids, targets] = windowTensors(bytes, text.length, width);
    const lossOf = () => tf.mean(sequenceLosses(transformerForward(spec, vars, ids, true), targets).perSample) as tf.Scalar;
    const first = tf.tidy(() => lossOf().dataSync()[0] ?? NaN);
    for (let step = 0; step < 40; step++) tf.tidy(() => void optimizer.minimize(lossOf, false, vars));
    const last = tf.tidy(() => lossOf().dataSync()[0] ?? NaN);
    expect(first).toBeGreaterThan(0.9 * Math.log(vocab));
    expect(last).toBeLessThan(0.25 * Math.log(vocab));
  });
});
