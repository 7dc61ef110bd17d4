/**
 * One batch through a model, image or text alike: per-sample losses (what the
 * loss table records and training averages), correct predictions and how
 * many predictions there were. An image model predicts one label a sample; a
 * sequence model (the transformer) the next character at every position of
 * its window, so its accuracy is per character and its loss the window's mean.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, perSampleLoss } from '../models/forward';
import type { ModelSpec } from '../models/spec';
import { sequenceLosses, transformerForward } from '../models/transformer';

export interface ModelLosses {
  perSample: tf.Tensor1D;
  /** Correct predictions (argmax), as a float32 scalar. */
  hits: tf.Scalar;
  /** Predictions made: the batch for images, batch x positions for text. */
  predictions: number;
  /** New BatchNorm running statistics by parameter index (training only). */
  stateUpdates: Map<number, tf.Tensor>;
}

/** `x`/`y` as BatchSource builds them: images [B,h,w,c] and labels [B], or ids and next ids [B,T]. */
export function modelLosses(spec: ModelSpec, params: readonly tf.Tensor[], x: tf.Tensor, y: tf.Tensor, training: boolean): ModelLosses {
  if (spec.sequence) {
    const logits = transformerForward(spec, params, x as tf.Tensor2D, training);
    const { perSample, hits } = sequenceLosses(logits, y as tf.Tensor2D);
    return { perSample, hits, predictions: x.shape[0] * (x.shape[1] ?? 1), stateUpdates: new Map() };
  }
  const out = forward(spec, params, x as tf.Tensor4D, training);
  const perSample = perSampleLoss(out.logits, y as tf.Tensor1D, spec.classes);
  const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, -1), y), 'float32')) as tf.Scalar;
  return { perSample, hits, predictions: x.shape[0], stateUpdates: out.stateUpdates };
}

/**
 * Per-sample losses (kept; caller disposes) and one update tensor per
 * parameter, in `spec.params` order: the gradient of a `weight`, the new
 * value of a `state` (BatchNorm running statistics from this batch).
 * `who` names the trainer in errors.
 */
export function batchUpdates(
  spec: ModelSpec,
  vars: readonly tf.Variable[],
  x: tf.Tensor,
  y: tf.Tensor,
  who: string,
): { loss: tf.Tensor1D; updates: tf.Tensor[] } {
  let perSample: tf.Tensor1D | null = null;
  let state = new Map<number, tf.Tensor>();
  const trainable = vars.filter((v) => v.trainable);
  const { value, grads } = tf.variableGrads(() => {
    const out = modelLosses(spec, vars, x, y, true);
    for (const t of out.stateUpdates.values()) tf.keep(t);
    state = out.stateUpdates;
    perSample = tf.keep(out.perSample);
    return tf.mean(out.perSample) as tf.Scalar;
  }, trainable);
  value.dispose();
  if (perSample === null) throw new Error(`${who}: the loss was not computed.`);
  const updates = spec.params.map((p, i) => {
    const v = vars[i];
    const update = p.role === 'weight' ? (v ? grads[v.name] : undefined) : state.get(i);
    if (!update) throw new Error(`${who}: no ${p.role === 'weight' ? 'gradient' : 'running statistic'} for ${p.name}.`);
    return update;
  });
  return { loss: perSample, updates };
}
