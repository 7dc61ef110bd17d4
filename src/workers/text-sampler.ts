/**
 * A text model writing: each next character drawn from the softmax of its
 * logits at the last position, divided by the temperature, the model reading
 * at most its context of the characters so far.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng';
import type { ModelSpec } from '../models/spec';
import { transformerForward } from '../models/transformer';

/** `length` character ids continuing `prompt` (ids), sampled from `params` with `rng`. */
export async function sampleText(
  spec: ModelSpec,
  params: readonly tf.Tensor[],
  prompt: readonly number[],
  length: number,
  temperature: number,
  rng: Rng,
): Promise<number[]> {
  const sequence = spec.sequence;
  if (!sequence) throw new Error(`${spec.name} is not a text model.`);
  if (prompt.length === 0) throw new Error('The prompt is empty: a text model needs at least one character to continue.');
  const context = prompt.slice(-sequence.contextLength);
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const probs = tf.tidy(() => {
      const ids = tf.tensor2d(context, [1, context.length], 'int32');
      const logits = transformerForward(spec, params, ids, false);
      const last = tf.reshape(tf.slice(logits, [0, context.length - 1, 0], [1, 1, sequence.vocab]), [sequence.vocab]);
      return tf.softmax(tf.div(last, temperature));
    });
    const p = await probs.data();
    probs.dispose();
    const id = draw(p, rng.next());
    out.push(id);
    context.push(id);
    if (context.length > sequence.contextLength) context.shift();
  }
  return out;
}

/** The index where the cumulative probability passes `u` in [0, 1) (the last one if rounding leaves it short). */
export function draw(probabilities: ArrayLike<number>, u: number): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    sum += probabilities[i] ?? 0;
    if (u < sum) return i;
  }
  return probabilities.length - 1;
}
