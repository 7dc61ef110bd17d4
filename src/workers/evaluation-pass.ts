/**
 * A trainer's evaluation of its current variables on a range of test
 * samples, batch by batch: hits and summed loss stay on the device and are
 * read once at the end (a read is a sync point, costly on WebGPU).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../models/spec';
import { EVAL_BATCH } from '../protocol';
import { modelLosses } from './model-losses';

/**
 * Correct predictions, predictions made and summed per-sample loss over
 * `count` samples from global index `base`; `batchOf` builds a batch's tensors.
 */
export async function evaluatePass(
  model: ModelSpec,
  vars: readonly tf.Variable[],
  base: number,
  count: number,
  batchOf: (indices: Int32Array) => [tf.Tensor, tf.Tensor],
): Promise<{ correct: number; predictions: number; lossSum: number }> {
  const sums: tf.Tensor[] = [];
  let predictions = 0;
  let totals: Float32Array | Int32Array | Uint8Array = new Float32Array(2);
  try {
    for (let at = 0; at < count; at += EVAL_BATCH) {
      const n = Math.min(EVAL_BATCH, count - at);
      const indices = Int32Array.from({ length: n }, (_, k) => base + at + k);
      const [x, y] = batchOf(indices);
      sums.push(
        tf.tidy(() => {
          const out = modelLosses(model, vars, x, y, false);
          predictions += out.predictions;
          return tf.stack([out.hits, tf.sum(out.perSample)]);
        }),
      );
      x.dispose();
      y.dispose();
    }
    if (sums.length > 0) sums.push(tf.addN(sums));
    const total = sums.at(-1);
    if (total) totals = await total.data();
  } finally {
    tf.dispose(sums);
  }
  return { correct: Math.round(totals[0] ?? 0), predictions, lossSum: totals[1] ?? 0 };
}
