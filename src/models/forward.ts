/** The models' forward passes in tfjs, over parameters in `ModelSpec.params` order. */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from './spec';

export function forward(spec: ModelSpec, params: readonly tf.Tensor[], x: tf.Tensor4D): tf.Tensor2D {
  switch (spec.name) {
    case 'cnn':
      return cnnForward(params, x);
    default: {
      const never: never = spec.name;
      throw new Error(`No forward pass for model ${JSON.stringify(never)}. Known: cnn.`);
    }
  }
}

function cnnForward(params: readonly tf.Tensor[], x: tf.Tensor4D): tf.Tensor2D {
  const [k1, b1, k2, b2, w, b] = params as [
    tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D,
  ];
  let h = tf.relu(tf.add(tf.conv2d(x, k1, 1, 'same'), b1)) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h, k2, 1, 'same'), b2)) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
  return tf.add(tf.matMul(flat, w), b) as tf.Tensor2D;
}

/** Softmax cross-entropy per sample, [batch]: the values the loss table records. */
export function perSampleLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Tensor1D {
  const oneHot = tf.oneHot(labels, classes);
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
}
