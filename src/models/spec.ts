/**
 * Models as plain data: the parameters (shapes, initialisation) and a plan of
 * layers (for the transformer, a sequence plan) that refers to them by index.
 * The flat model state theta is every parameter in `params` order, each
 * row-major in tfjs' layout, BatchNorm running statistics included, so the
 * orchestrator can lay out shared memory, seed weights and average models
 * without tfjs, and a worker's forward pass (src/models/forward.ts, or
 * src/models/transformer.ts for a sequence plan) only interprets the plan.
 */
import { MODELS, type ModelName } from '../core/config';
import type { Rng } from '../core/rng';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output unit; scales He initialisation. */
  fanIn: number;
  /** `normal`: N(0, NORMAL_INIT_STD^2) whatever the fan-in, for the transformer. */
  init: 'he' | 'zeros' | 'ones' | 'normal';
  /** `weight`: trained by SGD. `state`: BatchNorm running statistics, set by the forward pass. */
  role: 'weight' | 'state';
}

export type { ModelName };

/** One step of a model's forward pass; numbers are indices into `params`. */
export type LayerPlan =
  | { op: 'conv'; kernel: number; bias: number | null; stride: number }
  | { op: 'batchnorm'; gamma: number; beta: number; mean: number; variance: number }
  | { op: 'relu' }
  | { op: 'maxpool' }
  | { op: 'flatten' }
  | { op: 'dense'; kernel: number; bias: number }
  | { op: 'global-avgpool' }
  /** out = relu(body(x) + shortcut(x)); `subsample` halves H and W and zero-pads channels (ResNet option A). */
  | { op: 'residual'; body: LayerPlan[]; shortcut: 'identity' | { subsample: true; padChannels: number } };

/** Parameter indices of one pre-LayerNorm transformer block. */
export interface TransformerBlockPlan {
  norm1: { gamma: number; beta: number };
  /** Queries, keys and values in one [dModel, 3 * dModel] kernel, in that order along its columns. */
  qkv: { kernel: number; bias: number };
  projection: { kernel: number; bias: number };
  norm2: { gamma: number; beta: number };
  mlpIn: { kernel: number; bias: number };
  mlpOut: { kernel: number; bias: number };
}

/**
 * A decoder-only transformer over character ids: its sizes, and the indices
 * of its parameters. src/models/transformer.ts interprets it.
 */
export interface SequencePlan {
  /** Characters the model sees; a sample is a window of contextLength + 1 ids. */
  contextLength: number;
  /** Distinct character ids, at most 256 (ids are stored as bytes); the logits' width. */
  vocab: number;
  layers: number;
  dModel: number;
  heads: number;
  mlpWidth: number;
  tokenEmbedding: number;
  positionEmbedding: number;
  /** One per layer. */
  blocks: TransformerBlockPlan[];
  finalNorm: { gamma: number; beta: number };
  /** Untied from the token embedding. */
  output: { kernel: number; bias: number };
}

export interface ModelSpec {
  name: ModelName;
  /** For a sequence model [1, contextLength + 1, 1]: one window of character ids, one byte each. */
  inputShape: [height: number, width: number, channels: number];
  /** For a sequence model, the vocabulary. */
  classes: number;
  params: ParamSpec[];
  /** Empty for a sequence model. */
  layers: LayerPlan[];
  /** Present only for a sequence model, whose forward pass is src/models/transformer.ts, not forward.ts. */
  sequence?: SequencePlan;
}

/** BatchNorm's running-average factor (PyTorch's momentum 0.1) and epsilon. */
export const BN_MOMENTUM = 0.1;
export const BN_EPSILON = 1e-5;

/** Standard deviation of `normal` initialisation: GPT-2's, right for small transformers behind LayerNorm. */
export const NORMAL_INIT_STD = 0.02;

class Builder {
  readonly params: ParamSpec[] = [];

  add(name: string, shape: number[], fanIn: number, init: ParamSpec['init'], role: ParamSpec['role'] = 'weight'): number {
    this.params.push({ name, shape, fanIn, init, role });
    return this.params.length - 1;
  }

  conv(name: string, k: number, cin: number, cout: number, stride: number, bias: boolean): LayerPlan {
    const kernel = this.add(`${name}/kernel`, [k, k, cin, cout], k * k * cin, 'he');
    return { op: 'conv', kernel, bias: bias ? this.add(`${name}/bias`, [cout], 1, 'zeros') : null, stride };
  }

  batchnorm(name: string, c: number): LayerPlan {
    return {
      op: 'batchnorm',
      gamma: this.add(`${name}/gamma`, [c], 1, 'ones'),
      beta: this.add(`${name}/beta`, [c], 1, 'zeros'),
      mean: this.add(`${name}/moving_mean`, [c], 1, 'zeros', 'state'),
      variance: this.add(`${name}/moving_variance`, [c], 1, 'ones', 'state'),
    };
  }

  dense(name: string, fanIn: number, units: number): LayerPlan {
    return {
      op: 'dense',
      kernel: this.add(`${name}/kernel`, [fanIn, units], fanIn, 'he'),
      bias: this.add(`${name}/bias`, [units], 1, 'zeros'),
    };
  }
}

type InputShape = ModelSpec['inputShape'];

/** One hidden layer of 128 ReLU units. */
export function mlpSpec(inputShape: InputShape = [28, 28, 1], classes = 10): ModelSpec {
  const b = new Builder();
  const flat = inputShape[0] * inputShape[1] * inputShape[2];
  const layers: LayerPlan[] = [{ op: 'flatten' }, b.dense('dense1', flat, 128), { op: 'relu' }, b.dense('dense2', 128, classes)];
  return { name: 'mlp', inputShape, classes, params: b.params, layers };
}

/** conv3x3x8-relu-pool2, conv3x3x16-relu-pool2, dense: about 9k parameters at 28x28x1. */
export function cnnSpec(inputShape: InputShape = [28, 28, 1], classes = 10): ModelSpec {
  const b = new Builder();
  const [h, w, c] = inputShape;
  const layers: LayerPlan[] = [
    b.conv('conv1', 3, c, 8, 1, true),
    { op: 'relu' },
    { op: 'maxpool' },
    b.conv('conv2', 3, 8, 16, 1, true),
    { op: 'relu' },
    { op: 'maxpool' },
    { op: 'flatten' },
    b.dense('dense', Math.floor(h / 4) * Math.floor(w / 4) * 16, classes),
  ];
  return { name: 'cnn', inputShape, classes, params: b.params, layers };
}

/**
 * ResNet-20 for CIFAR (He et al. 2016, section 4.2): a 3x3 conv of 16, three
 * stages of three basic blocks with 16, 32 and 64 channels (stride 2 entering
 * stages 2 and 3, option-A shortcuts), global average pooling, dense. About
 * 0.27 M trainable parameters.
 */
export function resnet20Spec(inputShape: InputShape = [32, 32, 3], classes = 10): ModelSpec {
  const b = new Builder();
  const layers: LayerPlan[] = [b.conv('conv0', 3, inputShape[2], 16, 1, false), b.batchnorm('bn0', 16), { op: 'relu' }];
  let cin = 16;
  [16, 32, 64].forEach((cout, stage) => {
    for (let block = 0; block < 3; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const name = `stage${stage + 1}/block${block + 1}`;
      layers.push({
        op: 'residual',
        body: [
          b.conv(`${name}/conv1`, 3, cin, cout, stride, false),
          b.batchnorm(`${name}/bn1`, cout),
          { op: 'relu' },
          b.conv(`${name}/conv2`, 3, cout, cout, 1, false),
          b.batchnorm(`${name}/bn2`, cout),
        ],
        shortcut: stride === 1 && cin === cout ? 'identity' : { subsample: true, padChannels: cout - cin },
      });
      cin = cout;
    }
  });
  layers.push({ op: 'global-avgpool' }, b.dense('dense', 64, classes));
  return { name: 'resnet20', inputShape, classes, params: b.params, layers };
}

/** The sizes of a transformer; vocab and contextLength come from the data. */
export interface TransformerOptions {
  vocab: number;
  contextLength: number;
  /** Blocks; default 2. */
  layers?: number;
  /** Width of the residual stream; default 64. */
  dModel?: number;
  /** Attention heads, dividing dModel; default 4. */
  heads?: number;
  /** Hidden units of each block's MLP; default 256. */
  mlpWidth?: number;
}

/** The most character ids a byte can hold. */
const MAX_VOCAB = 256;

/**
 * A small decoder-only transformer (GPT-2's layout): token and learned
 * position embeddings, pre-LayerNorm blocks of causal multi-head attention
 * and a GELU MLP, a final LayerNorm and an untied output projection giving
 * next-character logits at every position. Kernels and embeddings are
 * N(0, 0.02^2), biases and LayerNorm beta 0, gamma 1.
 */
export function transformerSpec(options: TransformerOptions): ModelSpec {
  const { vocab, contextLength, layers = 2, dModel = 64, heads = 4, mlpWidth = 256 } = options;
  const sizes = { vocab, contextLength, layers, dModel, heads, mlpWidth };
  for (const [field, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`Transformer ${field} ${String(value)} is not allowed: it must be a positive integer.`);
    }
  }
  if (vocab < 2 || vocab > MAX_VOCAB) {
    throw new Error(`Transformer vocab ${vocab} is not allowed: it must be 2 to ${MAX_VOCAB} (character ids are bytes).`);
  }
  if (dModel % heads !== 0) {
    throw new Error(`Transformer heads ${heads} does not divide dModel ${dModel}: choose heads among the divisors of dModel.`);
  }
  const b = new Builder();
  const norm = (name: string) => ({
    gamma: b.add(`${name}/gamma`, [dModel], 1, 'ones'),
    beta: b.add(`${name}/beta`, [dModel], 1, 'zeros'),
  });
  const dense = (name: string, fanIn: number, units: number) => ({
    kernel: b.add(`${name}/kernel`, [fanIn, units], fanIn, 'normal'),
    bias: b.add(`${name}/bias`, [units], 1, 'zeros'),
  });
  // An embedding row feeds its unit alone: fan-in 1.
  const tokenEmbedding = b.add('token_embedding', [vocab, dModel], 1, 'normal');
  const positionEmbedding = b.add('position_embedding', [contextLength, dModel], 1, 'normal');
  const blocks: TransformerBlockPlan[] = [];
  for (let i = 0; i < layers; i++) {
    const name = `block${i + 1}`;
    blocks.push({
      norm1: norm(`${name}/ln1`),
      qkv: dense(`${name}/attention/qkv`, dModel, 3 * dModel),
      projection: dense(`${name}/attention/output`, dModel, dModel),
      norm2: norm(`${name}/ln2`),
      mlpIn: dense(`${name}/mlp/in`, dModel, mlpWidth),
      mlpOut: dense(`${name}/mlp/out`, mlpWidth, dModel),
    });
  }
  const finalNorm = norm('ln_final');
  const output = dense('output', dModel, vocab);
  return {
    name: 'transformer',
    inputShape: [1, contextLength + 1, 1],
    classes: vocab,
    params: b.params,
    layers: [],
    sequence: { ...sizes, tokenEmbedding, positionEmbedding, blocks, finalNorm, output },
  };
}

/** The transformer's sizes other than those the data sets (vocab, context). */
export type TransformerShape = Omit<TransformerOptions, 'vocab' | 'contextLength'>;

/**
 * The spec of model `name` for samples of `inputShape` and `classes` classes.
 * A transformer reads its context from inputShape ([1, contextLength + 1, 1])
 * and its vocabulary from classes; `shape` sets its other sizes and is
 * ignored by the image models.
 */
export function modelSpec(name: ModelName, inputShape: InputShape, classes: number, shape: TransformerShape = {}): ModelSpec {
  switch (name) {
    case 'mlp':
      return mlpSpec(inputShape, classes);
    case 'cnn':
      return cnnSpec(inputShape, classes);
    case 'resnet20':
      return resnet20Spec(inputShape, classes);
    case 'transformer': {
      const [height, width, channels] = inputShape;
      if (height !== 1 || channels !== 1 || width < 2) {
        throw new Error(
          `Transformer input shape ${inputShape.join('x')} is not allowed: it must be 1x(contextLength + 1)x1 with contextLength at least 1.`,
        );
      }
      return transformerSpec({ ...shape, vocab: classes, contextLength: width - 1 });
    }
    default: {
      const never: never = name;
      throw new Error(`Unknown model ${JSON.stringify(never)}. Known: ${MODELS.join(', ')}.`);
    }
  }
}

export function paramSize(p: ParamSpec): number {
  return p.shape.reduce((a, b) => a * b, 1);
}

export function paramCount(spec: ModelSpec): number {
  return spec.params.reduce((n, p) => n + paramSize(p), 0);
}

export function trainableCount(spec: ModelSpec): number {
  return spec.params.reduce((n, p) => n + (p.role === 'weight' ? paramSize(p) : 0), 0);
}

/** Element offset of each parameter inside theta. */
export function paramOffsets(spec: ModelSpec): number[] {
  let offset = 0;
  return spec.params.map((p) => {
    const at = offset;
    offset += paramSize(p);
    return at;
  });
}

/**
 * He-normal weights (N(0, 0.02^2) for `normal` ones), zero biases, BatchNorm
 * and LayerNorm gamma 1, running variance 1; same seed, same theta.
 */
export function initialTheta(spec: ModelSpec, rng: Rng): Float32Array {
  const theta = new Float32Array(paramCount(spec));
  const offsets = paramOffsets(spec);
  spec.params.forEach((p, i) => {
    const start = offsets[i] ?? 0;
    const end = start + paramSize(p);
    if (p.init === 'ones') theta.fill(1, start, end);
    if (p.init !== 'he' && p.init !== 'normal') return;
    const std = p.init === 'he' ? Math.sqrt(2 / p.fanIn) : NORMAL_INIT_STD;
    for (let k = start; k < end; k++) theta[k] = rng.normal() * std;
  });
  return theta;
}
