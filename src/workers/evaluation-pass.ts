/**
 * A trainer's evaluation of its current variables on a range of test
 * images, batch by batch: hits and summed loss stay on the device and are
 * read once at the end (a read is a sync point, costly on WebGPU).
 */
import * as tf from '@tensorflow/tfjs';
import { forward, perSampleLoss } from '../models/forward';
import type { ModelSpec } from '../models/spec';
import { EVAL_BATCH } from '../protocol';

/** Correct predictions and summed loss over `count` samples from global index `base`; `batchOf` builds a batch's tensors. */
export async function evaluatePass(
  model: ModelSpec,
  vars: readonly tf.Variable[],
  base: number,
  count: number,
  batchOf: (indices: Int32Array) => [tf.Tensor4D, tf.Tensor1D],
): Promise<{ correct: number; lossSum: number }> {
  const sums: tf.Tensor[] = [];
  let totals: Float32Array | Int32Array | Uint8Array = new Float32Array(2);
  try {
    for (let at = 0; at < count; at += EVAL_BATCH) {
      const n = Math.min(EVAL_BATCH, count - at);
      const indices = Int32Array.from({ length: n }, (_, k) => base + at + k);
      const [x, y] = batchOf(indices);
      sums.push(
        tf.tidy(() => {
          const { logits } = forward(model, vars, x, false);
          const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
          return tf.stack([hits, tf.sum(perSampleLoss(logits, y, model.classes))]);
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
  return { correct: Math.round(totals[0] ?? 0), lossSum: totals[1] ?? 0 };
}
