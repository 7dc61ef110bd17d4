/** The models' forward passes in tfjs: an interpreter of ModelSpec.layers over parameters in `params` order. */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON, BN_MOMENTUM, type LayerPlan, type ModelSpec } from './spec';

export interface ForwardResult {
  logits: tf.Tensor2D;
  /**
   * New values for `state` parameters (BatchNorm running statistics), by
   * parameter index; only in training mode. The caller assigns them after the step.
   */
  stateUpdates: Map<number, tf.Tensor>;
}

export function forward(
  spec: ModelSpec,
  params: readonly tf.Tensor[],
  x: tf.Tensor4D,
  training = false,
): ForwardResult {
  const stateUpdates = new Map<number, tf.Tensor>();
  const param = (i: number): tf.Tensor => {
    const p = params[i];
    if (!p) throw new Error(`Model ${spec.name}: parameter ${i} is missing (got ${params.length}).`);
    return p;
  };

  const run = (layers: readonly LayerPlan[], input: tf.Tensor): tf.Tensor => {
    let h = input;
    for (let at = 0; at < layers.length; at++) {
      const layer = layers[at] as LayerPlan;
      // Outside training, a conv or dense layer takes its bias and a following
      // ReLU into one fused kernel: one pass over the activations instead of
      // three, about twice as fast an evaluation on WASM. Training keeps the
      // separate ops (tfjs would not fuse a ReLU under a gradient tape anyway).
      const fuse = !training && (layer.op === 'conv' || layer.op === 'dense');
      const activation = fuse && layers[at + 1]?.op === 'relu' ? 'relu' : 'linear';
      if (activation === 'relu') at++;
      switch (layer.op) {
        case 'conv': {
          const filter = param(layer.kernel) as tf.Tensor4D;
          if (fuse) {
            const bias = layer.bias === null ? undefined : param(layer.bias);
            h = tf.fused.conv2d({ x: h as tf.Tensor4D, filter, strides: layer.stride, pad: 'same', bias, activation });
            break;
          }
          h = tf.conv2d(h as tf.Tensor4D, filter, layer.stride, 'same');
          if (layer.bias !== null) h = tf.add(h, param(layer.bias));
          break;
        }
        case 'batchnorm':
          h = batchNorm(h as tf.Tensor4D, layer, param, training, stateUpdates);
          break;
        case 'relu':
          h = tf.relu(h);
          break;
        case 'maxpool':
          h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
          break;
        case 'flatten':
          h = tf.reshape(h, [h.shape[0] ?? -1, -1]);
          break;
        case 'dense':
          h = fuse
            ? tf.fused.matMul({ a: h as tf.Tensor2D, b: param(layer.kernel) as tf.Tensor2D, bias: param(layer.bias), activation })
            : tf.add(tf.matMul(h as tf.Tensor2D, param(layer.kernel) as tf.Tensor2D), param(layer.bias));
          break;
        case 'global-avgpool':
          h = tf.mean(h, [1, 2]);
          break;
        case 'residual': {
          const body = run(layer.body, h);
          let shortcut = h;
          if (layer.shortcut !== 'identity') {
            // Option A: take every second pixel (a 1x1 average pool with stride 2,
            // which unlike a strided slice has a gradient) and zero-pad the channels.
            shortcut = tf.avgPool(h as tf.Tensor4D, 1, 2, 'valid');
            const half = Math.floor(layer.shortcut.padChannels / 2);
            shortcut = tf.pad(shortcut, [[0, 0], [0, 0], [0, 0], [half, layer.shortcut.padChannels - half]]);
          }
          h = tf.relu(tf.add(body, shortcut));
          break;
        }
        default: {
          const never: never = layer;
          throw new Error(`Unknown layer ${JSON.stringify(never)}`);
        }
      }
    }
    return h;
  };

  return { logits: run(spec.layers, x) as tf.Tensor2D, stateUpdates };
}

/** Training: batch statistics, and running averages for later; evaluation: the running averages. */
function batchNorm(
  x: tf.Tensor4D,
  layer: Extract<LayerPlan, { op: 'batchnorm' }>,
  param: (i: number) => tf.Tensor,
  training: boolean,
  stateUpdates: Map<number, tf.Tensor>,
): tf.Tensor {
  const gamma = param(layer.gamma);
  const beta = param(layer.beta);
  if (!training) {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(param(layer.variance), BN_EPSILON)));
    return tf.add(tf.mul(tf.sub(x, param(layer.mean)), scale), beta);
  }
  const mean = tf.mean(x, [0, 1, 2]);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), [0, 1, 2]);
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  // Running statistics as PyTorch keeps them: the unbiased batch variance.
  const unbiased = tf.mul(variance, n / Math.max(1, n - 1));
  stateUpdates.set(layer.mean, tf.add(tf.mul(param(layer.mean), 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
  stateUpdates.set(
    layer.variance,
    tf.add(tf.mul(param(layer.variance), 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)),
  );
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, BN_EPSILON))), gamma), beta);
}

/** Softmax cross-entropy per sample, [batch]: the values the loss table records. */
export function perSampleLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Tensor1D {
  const oneHot = tf.oneHot(labels, classes);
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
}
