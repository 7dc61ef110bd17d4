/**
 * Models as plain data: the parameters (shapes, initialisation) and a plan of
 * layers that refers to them by index. The flat model state theta is every
 * parameter in `params` order, each row-major in tfjs' layout, BatchNorm
 * running statistics included, so the orchestrator can lay out shared memory,
 * seed weights and average models without tfjs, and a worker's forward pass
 * (src/models/forward.ts) only interprets the plan.
 */
import { MODELS, type ModelName } from '../core/config';
import type { Rng } from '../core/rng';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output unit; scales He initialisation. */
  fanIn: number;
  init: 'he' | 'zeros' | 'ones';
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

export interface ModelSpec {
  name: ModelName;
  inputShape: [height: number, width: number, channels: number];
  classes: number;
  params: ParamSpec[];
  layers: LayerPlan[];
}

/** BatchNorm's running-average factor (PyTorch's momentum 0.1) and epsilon. */
export const BN_MOMENTUM = 0.1;
export const BN_EPSILON = 1e-5;

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

export function modelSpec(name: ModelName, inputShape: InputShape, classes: number): ModelSpec {
  switch (name) {
    case 'mlp':
      return mlpSpec(inputShape, classes);
    case 'cnn':
      return cnnSpec(inputShape, classes);
    case 'resnet20':
      return resnet20Spec(inputShape, classes);
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

/** He-normal weights, zero biases, BatchNorm gamma 1 and running variance 1; same seed, same theta. */
export function initialTheta(spec: ModelSpec, rng: Rng): Float32Array {
  const theta = new Float32Array(paramCount(spec));
  const offsets = paramOffsets(spec);
  spec.params.forEach((p, i) => {
    const start = offsets[i] ?? 0;
    const end = start + paramSize(p);
    if (p.init === 'ones') theta.fill(1, start, end);
    if (p.init !== 'he') return;
    const std = Math.sqrt(2 / p.fanIn);
    for (let k = start; k < end; k++) theta[k] = rng.normal() * std;
  });
  return theta;
}

/**
 * FLOPs (2 per multiply-add) of one training step as training computes it:
 * the forward pass, every weight gradient, and every input gradient but the
 * first layer's (nothing needs the gradient of the images). For GFLOP/s figures.
 */
export function trainingFlops(spec: ModelSpec, batchSize: number): number {
  let forward = 0;
  /** Forward FLOPs of the first layer with weights: its input gradient is never computed. */
  let first: number | null = null;
  const count = (flops: number): void => {
    forward += flops;
    first ??= flops;
  };
  const walk = (layers: readonly LayerPlan[], shape: [number, number, number]): [number, number, number] => {
    let [h, w, c] = shape;
    for (const layer of layers) {
      switch (layer.op) {
        case 'conv': {
          const [k = 1, , cin = 1, cout = 1] = spec.params[layer.kernel]?.shape ?? [];
          h = Math.ceil(h / layer.stride);
          w = Math.ceil(w / layer.stride);
          count(2 * h * w * k * k * cin * cout);
          c = cout;
          break;
        }
        case 'dense': {
          const [fanIn = 1, units = 1] = spec.params[layer.kernel]?.shape ?? [];
          count(2 * fanIn * units);
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
    }
    return [h, w, c];
  };
  walk(spec.layers, spec.inputShape);
  return (3 * forward - (first ?? 0)) * batchSize;
}

/**
 * Floats of every layer's output for one sample: what a training step keeps
 * for the backward pass (BatchNorm and ReLU outputs included, a residual
 * block's body and its sum), the bulk of its memory at large batches.
 */
export function activationFloats(spec: ModelSpec): number {
  let total = 0;
  const walk = (layers: readonly LayerPlan[], shape: [number, number, number]): [number, number, number] => {
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
          // The sum and its ReLU.
          total += h * w * c;
          break;
        case 'batchnorm':
        case 'relu':
          break;
        default: {
          const never: never = layer;
          throw new Error(`Unknown layer ${JSON.stringify(never)}`);
        }
      }
      if (layer.op !== 'residual') total += h * w * c;
    }
    return [h, w, c];
  };
  walk(spec.layers, spec.inputShape);
  return total;
}
