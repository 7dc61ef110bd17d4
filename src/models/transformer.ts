/**
 * The transformer's forward pass and loss in tfjs: an interpreter of
 * ModelSpec.sequence (built by transformerSpec in spec.ts, which stays free
 * of tfjs for the orchestrator) over parameters in `params` order.
 *
 * Ops, all with kernels and gradients on cpu, wasm and webgpu: gather (its
 * gradient needs UnsortedSegmentSum, registered for wasm elsewhere), matMul
 * 2-D and batched 3-D, reshape, 4-D transpose, split, add, mul, sub, mean,
 * rsqrt, tanh, softmax, logSoftmax, oneHot, argMax, equal, slice. No Erf,
 * no pow, no transpose above rank 4. Pure functions: the caller tidies.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec, SequencePlan } from './spec';

export { transformerSpec, type TransformerOptions } from './spec';

/** LayerNorm's epsilon (GPT-2's and PyTorch's default). */
export const LN_EPSILON = 1e-5;

/**
 * Added to the scores of future positions before softmax: exp of it
 * underflows to exactly 0 in float32, so a position never sees the ones after it.
 */
const MASK_NEGATIVE = -1e9;

/** sqrt(2 / pi), GELU's tanh approximation (Hendrycks and Gimpel 2016). */
const GELU_C = Math.sqrt(2 / Math.PI);

function planOf(spec: ModelSpec): SequencePlan {
  if (!spec.sequence) {
    throw new Error(`Model ${spec.name} has no sequence plan: transformerForward runs only transformer specs (see transformerSpec).`);
  }
  return spec.sequence;
}

/**
 * Next-character logits [B, T, vocab] for character ids [B, T] (int32,
 * T <= contextLength): logits[b, t] predicts ids[b, t + 1] from ids[b, 0..t].
 * `training` changes nothing (no dropout, no batch statistics); it keeps
 * forward()'s signature.
 */
export function transformerForward(
  spec: ModelSpec,
  params: readonly tf.Tensor[],
  ids: tf.Tensor2D,
  training: boolean,
): tf.Tensor3D {
  void training;
  const plan = planOf(spec);
  const param = (i: number): tf.Tensor => {
    const p = params[i];
    if (!p) throw new Error(`Model ${spec.name}: parameter ${i} is missing (got ${params.length}).`);
    return p;
  };
  const [batch, time] = ids.shape;
  if (ids.dtype !== 'int32') throw new Error(`Transformer ids have dtype ${ids.dtype}; they must be int32.`);
  if (time < 1 || time > plan.contextLength) {
    throw new Error(`Transformer ids have ${time} positions; allowed 1 to contextLength ${plan.contextLength}.`);
  }
  const d = plan.dModel;

  const positions =
    time === plan.contextLength ? param(plan.positionEmbedding) : tf.slice(param(plan.positionEmbedding), [0, 0], [time, d]);
  // The residual stream as [B * T, dModel]: every step but attention is per token.
  let x: tf.Tensor2D = tf.reshape(tf.add(tf.gather(param(plan.tokenEmbedding), ids), positions), [batch * time, d]);
  const mask = causalMask(time);
  for (const block of plan.blocks) {
    const attended = attention(
      layerNorm(x, param(block.norm1.gamma), param(block.norm1.beta)),
      param(block.qkv.kernel),
      param(block.qkv.bias),
      mask,
      batch,
      time,
      plan.heads,
    );
    x = tf.add(x, dense(attended, param(block.projection.kernel), param(block.projection.bias)));
    const hidden = gelu(dense(layerNorm(x, param(block.norm2.gamma), param(block.norm2.beta)), param(block.mlpIn.kernel), param(block.mlpIn.bias)));
    x = tf.add(x, dense(hidden, param(block.mlpOut.kernel), param(block.mlpOut.bias)));
  }
  const normed = layerNorm(x, param(plan.finalNorm.gamma), param(plan.finalNorm.beta));
  return tf.reshape(dense(normed, param(plan.output.kernel), param(plan.output.bias)), [batch, time, plan.vocab]);
}

function dense(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, kernel as tf.Tensor2D), bias);
}

/** Over the last axis, biased variance, as GPT-2 and PyTorch's LayerNorm. */
function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, LN_EPSILON))), gamma), beta);
}

/** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): tfjs' wasm backend has had no Erf for the exact form. */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  // x * x * x, not pow: pow's gradient takes the log of a negative base.
  const cube = tf.mul(x, tf.square(x));
  const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), GELU_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * Causal multi-head self-attention of normalised tokens [B * T, dModel]:
 * the heads' attended values side by side, [B * T, dModel], before the
 * output projection.
 */
function attention(
  x: tf.Tensor2D,
  qkvKernel: tf.Tensor,
  qkvBias: tf.Tensor,
  mask: tf.Tensor2D,
  batch: number,
  time: number,
  heads: number,
): tf.Tensor2D {
  const d = x.shape[1];
  const dHead = d / heads;
  const qkv = dense(x, qkvKernel, qkvBias);
  // Split before moving heads forward, so no transpose exceeds rank 4.
  const [q, k, v] = tf.split(qkv, 3, 1).map((part) =>
    tf.reshape(tf.transpose(tf.reshape(part, [batch, time, heads, dHead]), [0, 2, 1, 3]), [batch * heads, time, dHead]),
  ) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dHead)), mask);
  const attended = tf.matMul(tf.softmax(scores), v);
  return tf.reshape(tf.transpose(tf.reshape(attended, [batch, heads, time, dHead]), [0, 2, 1, 3]), [batch * time, d]);
}

/** The causal mask's values by length T, computed once; the tensor is made per call so the caller's tidy owns it. */
const maskValues = new Map<number, Float32Array>();

/** [T, T]: 0 where a query may see a key (key <= query), MASK_NEGATIVE above the diagonal. */
function causalMask(time: number): tf.Tensor2D {
  let values = maskValues.get(time);
  if (!values) {
    values = new Float32Array(time * time);
    for (let query = 0; query < time; query++) values.fill(MASK_NEGATIVE, query * time + query + 1, (query + 1) * time);
    maskValues.set(time, values);
  }
  return tf.tensor2d(values, [time, time]);
}

/** A window's losses and the batch's correct predictions, as the loss table and accuracy need them. */
export interface SequenceLosses {
  /** [B]: mean next-character cross-entropy over each window's positions, in nats. */
  perSample: tf.Tensor1D;
  /** Positions whose highest logit is the next character, over all B * T (float32). */
  hits: tf.Scalar;
}

/** Softmax cross-entropy of logits [B, T, vocab] against next-character ids [B, T] (int32). */
export function sequenceLosses(logits: tf.Tensor3D, targets: tf.Tensor2D): SequenceLosses {
  const [batch, time, vocab] = logits.shape;
  if (targets.shape[0] !== batch || targets.shape[1] !== time) {
    throw new Error(`Targets of shape [${targets.shape.join(', ')}] do not match logits [${logits.shape.join(', ')}]: they must be [${batch}, ${time}].`);
  }
  const oneHot = tf.reshape(tf.oneHot(tf.reshape(targets, [batch * time]), vocab), [batch, time, vocab]);
  const tokenLoss = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1));
  return {
    perSample: tf.mean(tokenLoss, 1) as tf.Tensor1D,
    hits: tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32')),
  };
}

/**
 * Ids and targets [batch, width - 1] (int32) from `batch` windows of `width`
 * character ids laid end to end: ids are each window's first width - 1,
 * targets its last width - 1 (the same shifted by one).
 */
export function windowTensors(bytes: Uint8Array, batch: number, width: number): [tf.Tensor2D, tf.Tensor2D] {
  if (!Number.isInteger(width) || width < 2) throw new Error(`Window width ${width} is not allowed: it must be an integer of at least 2.`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`Window batch ${batch} is not allowed: it must be a positive integer.`);
  if (bytes.length !== batch * width) {
    throw new Error(`Windows hold ${bytes.length} bytes; ${batch} windows of width ${width} need exactly ${batch * width}.`);
  }
  const time = width - 1;
  const ids = new Int32Array(batch * time);
  const targets = new Int32Array(batch * time);
  for (let b = 0; b < batch; b++) {
    ids.set(bytes.subarray(b * width, b * width + time), b * time);
    targets.set(bytes.subarray(b * width + 1, (b + 1) * width), b * time);
  }
  return [tf.tensor2d(ids, [batch, time], 'int32'), tf.tensor2d(targets, [batch, time], 'int32')];
}
