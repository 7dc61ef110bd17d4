import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';

import { createRng } from '../core/rng';
import { forward } from './forward';
import { cnnSpec, initialTheta, mlpSpec, type ModelSpec, paramOffsets, paramSize } from './spec';

function params(spec: ModelSpec, seed: number): tf.Tensor[] {
  const theta = initialTheta(spec, createRng(seed));
  const offsets = paramOffsets(spec);
  // Non-zero biases, so a bias the fused kernel dropped would show.
  return spec.params.map((p, i) => {
    const at = offsets[i] ?? 0;
    const values = theta.slice(at, at + paramSize(p));
    if (p.init === 'zeros') values.forEach((_, k) => (values[k] = 0.1 * Math.sin(k + 1)));
    return tf.tensor(values, [...p.shape]);
  });
}

describe.each(['cpu', 'wasm'])('evaluation forward (fused) on %s', (backend) => {
  beforeAll(async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it.each([
    ['mlp', mlpSpec()],
    ['cnn', cnnSpec()],
  ])('%s: the fused evaluation pass gives the unfused training pass’s logits', (_, spec) => {
    const p = params(spec, 3);
    const x = tf.randomNormal([5, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    const fused = forward(spec, p, x, false).logits;
    const separate = forward(spec, p, x, true).logits;
    const a = fused.arraySync().flat();
    const b = separate.arraySync().flat();
    const scale = Math.max(...b.map(Math.abs));
    expect(scale).toBeGreaterThan(0.1);
    // Equal to the separate ops, ReLU included: random weights leave half the hidden units negative.
    a.forEach((v, i) => expect(Math.abs(v - (b[i] as number))).toBeLessThan(1e-5 * scale));
    tf.dispose([fused, separate, x, ...p]);
  });
});
