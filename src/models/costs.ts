/**
 * What a model costs per step: the FLOPs of one training step and the floats
 * of the activations it keeps for the backward pass, for image models (by
 * walking their plan) and the transformer (from its sizes).
 */
import type { LayerPlan, ModelSpec, SequencePlan } from './spec';

/** A layer's output shape (height, width, channels of one sample). */
type Shape3 = [number, number, number];

/**
 * Walks an image model's plan, residual bodies included, calling `visit`
 * with each layer and the shape of its output (for a residual block: after
 * the sum); returns the model's output shape. What the FLOP count and the
 * memory estimate both follow.
 */
function walkShapes(spec: ModelSpec, visit: (layer: LayerPlan, out: Shape3) => void): Shape3 {
  const walk = (layers: readonly LayerPlan[], shape: Shape3): Shape3 => {
    let [h, w, c] = shape;
    for (const layer of layers) {
      switch (layer.op) {
        case 'conv': {
          const [, , , cout = 1] = spec.params[layer.kernel]?.shape ?? [];
          h = Math.ceil(h / layer.stride);
          w = Math.ceil(w / layer.stride);
          c = cout;
          break;
        }
        case 'dense': {
          const [, units = 1] = spec.params[layer.kernel]?.shape ?? [];
          [h, w, c] = [1, 1, units];
          break;
        }
        case 'maxpool':
          h = Math.floor(h / 2);
          w = Math.floor(w / 2);
          break;
        case 'flatten':
          [h, w, c] = [1, 1, h * w * c];
          break;
        case 'global-avgpool':
          [h, w] = [1, 1];
          break;
        case 'residual':
          [h, w, c] = walk(layer.body, [h, w, c]);
          break;
        case 'batchnorm':
        case 'relu':
          break;
        default: {
          const never: never = layer;
          throw new Error(`Unknown layer ${JSON.stringify(never)}`);
        }
      }
      visit(layer, [h, w, c]);
    }
    return [h, w, c];
  };
  return walk(spec.layers, spec.inputShape);
}

/**
 * FLOPs (2 per multiply-add) of one training step as training computes it:
 * the forward pass, every weight gradient, and every input gradient but the
 * first layer's (nothing needs the gradient of the images). For GFLOP/s figures.
 */
export function trainingFlops(spec: ModelSpec, batchSize: number): number {
  if (spec.sequence) return sequenceTrainingFlops(spec.sequence) * batchSize;
  let forward = 0;
  /** Forward FLOPs of the first layer with weights: its input gradient is never computed. */
  let first: number | null = null;
  walkShapes(spec, (layer, [h, w]) => {
    let flops: number | null = null;
    if (layer.op === 'conv') {
      const [k = 1, , cin = 1, cout = 1] = spec.params[layer.kernel]?.shape ?? [];
      flops = 2 * h * w * k * k * cin * cout;
    } else if (layer.op === 'dense') {
      const [fanIn = 1, units = 1] = spec.params[layer.kernel]?.shape ?? [];
      flops = 2 * fanIn * units;
    }
    if (flops === null) return;
    forward += flops;
    first ??= flops;
  });
  return (3 * forward - (first ?? 0)) * batchSize;
}

/**
 * Floats of every layer's output for one sample: what a training step keeps
 * for the backward pass (BatchNorm and ReLU outputs included, a residual
 * block's body and its output), the bulk of its memory at large batches.
 */
export function activationFloats(spec: ModelSpec): number {
  if (spec.sequence) return sequenceActivationFloats(spec.sequence);
  let total = 0;
  // A residual block's body was counted as the walk went; the block itself adds its output (relu of the sum).
  walkShapes(spec, (_layer, [h, w, c]) => (total += h * w * c));
  return total;
}

/**
 * Training FLOPs of one window: every matrix product (2 per multiply-add)
 * three times, forward, weight or left-operand gradient, input or
 * right-operand gradient. Unlike the image models nothing is skipped: the
 * first product's input gradient reaches the embeddings. LayerNorm, softmax,
 * GELU and the embedding lookup are not counted.
 */
function sequenceTrainingFlops(s: SequencePlan): number {
  const { contextLength: t, dModel: d, mlpWidth: m, vocab } = s;
  const block =
    2 * t * d * 3 * d + // fused QKV
    2 * t * t * d + // scores, all heads: heads x (T x dHead) x (dHead x T)
    2 * t * t * d + // scores times values
    2 * t * d * d + // attention output projection
    2 * 2 * t * d * m; // MLP in and out
  return 3 * (s.layers * block + 2 * t * d * vocab);
}

/**
 * Floats of one window's activations as activationFloats counts an image
 * model's: each step's output. Embedding lookup and sum; per block
 * LayerNorm, QKV, attention scores and their softmax, the attended values,
 * projection, residual sum, LayerNorm, MLP hidden and its GELU, MLP output,
 * residual sum; the final LayerNorm and the logits.
 */
function sequenceActivationFloats(s: SequencePlan): number {
  const { contextLength: t, dModel: d, heads, mlpWidth: m, vocab } = s;
  const block = 10 * t * d + 2 * heads * t * t + 2 * t * m;
  return 2 * t * d + s.layers * block + t * d + t * vocab;
}
