/**
 * Kernel benchmark on the wasm backend, one thread, in Node: at each layer
 * shape, the forward op against our gradient kernels (Conv2DBackpropFilter,
 * Conv2DBackpropInput, MaxPoolGrad) and, where tfjs-wasm has its own, that
 * one; the transformer's embedding gradient (UnsortedSegmentSum) against its
 * forward lookup plus output projection; our BatchMatMul and GatherV2
 * against the backend's own at the transformer's shapes, and one training
 * step of the default transformer with each; plus the backend's own matMul
 * as a ceiling for what one core can do.
 *
 *   npx tsx src/bench/kernels.ts [--json results.json] [--reps 30]
 */
import { writeFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { createRng } from '../core/rng';
import { registerWasmTrainingKernels } from '../backends/wasm-kernels';
import { compileWasmKernels } from '../backends/wasm-kernels/simd/wat';
import { initialTheta, paramOffsets, paramSize, trainingFlops } from '../models/spec';
import { sequenceLosses, transformerForward, transformerSpec } from '../models/transformer';

const WARMUP = 5;
const DEFAULT_REPS = 30;
const MATMUL_SIZES = [256, 512, 1024] as const;
/** The filter gradient should cost at most this many forward convs. */
const TARGET_RATIO = 2;
/** A transformer training step should run at least this fraction of the backend's 2-D matMul rate. */
const STEP_TARGET_FRACTION = 0.25;
/** The default transformer (src/models/spec.ts) on the character data: vocab and context of moby-dick windows. */
const TRANSFORMER = { vocab: 89, contextLength: 64, batch: 32 } as const;
/** Steps timed per kernel set, after STEP_WARMUP: a step with the backend's own kernels takes about a second. */
const STEP_REPS = 7;
const STEP_WARMUP = 2;

interface ConvShape {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: 'same' | 'valid';
}

const CONV_SHAPES: readonly ConvShape[] = [
  // The engine's CNN (src/models/spec.ts) at batch 32.
  { name: 'cnn conv1 3x3 1->8 same', x: [32, 28, 28, 1], filter: [3, 3, 1, 8], strides: 1, pad: 'same' },
  { name: 'cnn conv2 3x3 8->16 same', x: [32, 14, 14, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'same' },
  // Wider shapes: 5x5 filters, a stride-2 layer, a 16->32 layer.
  { name: 'layer1 5x5 1->8 same', x: [32, 28, 28, 1], filter: [5, 5, 1, 8], strides: 1, pad: 'same' },
  { name: 'layer2 5x5 8->16 same', x: [32, 14, 14, 8], filter: [5, 5, 8, 16], strides: 1, pad: 'same' },
  { name: 'stride2 3x3 8->16 same', x: [32, 28, 28, 8], filter: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { name: '3x3 16->32 same', x: [32, 14, 14, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
  // ResNet-20 (src/models/spec.ts) on 32x32 colour images: stage 1 and stage 3.
  { name: 'resnet20 stage1 3x3 16->16', x: [32, 32, 32, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { name: 'resnet20 stage3 3x3 64->64', x: [32, 8, 8, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
];

interface ConvResult {
  name: string;
  x: number[];
  filter: number[];
  strides: number;
  pad: string;
  mflop: number;
  forwardMs: number;
  /** Forward with a new filter tensor each call, as in training: XNNPACK repacks the weights. */
  forwardNewFilterMs: number;
  filterGradMs: number;
  /** filterGradMs / forwardMs: the target is at most TARGET_RATIO. */
  ratio: number;
  inputGradMs: number;
  /** tfjs-wasm's own Conv2DBackpropInput. */
  backendInputGradMs: number;
  forwardGflops: number;
  filterGradGflops: number;
}

interface PoolShape {
  name: string;
  x: [number, number, number, number];
  size: number;
  strides: number;
  pad: 'same' | 'valid';
}

const POOL_SHAPES: readonly PoolShape[] = [
  // The CNN's two pools at batch 32.
  { name: 'cnn pool1 2x2/2 on 28x28x8', x: [32, 28, 28, 8], size: 2, strides: 2, pad: 'same' },
  { name: 'cnn pool2 2x2/2 on 14x14x16', x: [32, 14, 14, 16], size: 2, strides: 2, pad: 'same' },
  { name: 'overlapping 3x3/2 on 28x28x8', x: [32, 28, 28, 8], size: 3, strides: 2, pad: 'same' },
];

interface PoolResult {
  name: string;
  forwardMs: number;
  gradMs: number;
  /** tfjs-wasm's own MaxPoolGrad. */
  backendGradMs: number;
}

/** The character transformer's token embedding (src/models/transformer.ts) at batch 32. */
interface EmbeddingShape {
  name: string;
  vocab: number;
  dModel: number;
  batch: number;
  time: number;
}

const EMBEDDING_SHAPES: readonly EmbeddingShape[] = [
  { name: 'embedding vocab 80', vocab: 80, dModel: 64, batch: 32, time: 64 },
  { name: 'embedding vocab 100', vocab: 100, dModel: 64, batch: 32, time: 64 },
];

interface EmbeddingResult {
  name: string;
  /** Our UnsortedSegmentSum: dy [batch * time, dModel] into vocab rows. */
  gradMs: number;
  /** The alternative: oneHot(ids, vocab)^T . dy as tf.matMul(oneHot, dy, true, false). */
  oneHotMatMulMs: number;
  /** The same with the one-hot matrix transposed first, so the matMul takes XNNPACK's path. */
  oneHotTransposedMs: number;
  /** The forward lookup: tf.gather of [vocab, dModel] at ids [batch, time]. */
  gatherMs: number;
  /** The output projection: [batch * time, dModel] x [dModel, vocab]. */
  outputMatMulMs: number;
  /** gradMs / (gatherMs + outputMatMulMs): the target is at most TARGET_RATIO. */
  ratio: number;
}

interface MatMulResult {
  n: number;
  ms: number;
  gflops: number;
}

/**
 * One product of a transformer training step at batch 32: op(a) [batch..., M, K]
 * by op(b) [batch..., K, N], stored transposed where the flags say.
 */
interface ProductShape {
  name: string;
  batch: number[];
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** Dense layers of the default transformer (2048 tokens, dModel 64, MLP 256, vocab 89): [name, fan-in, units]. */
const DENSE_LAYERS: readonly [string, number, number][] = [
  ['qkv', 64, 192],
  ['attn out', 64, 64],
  ['mlp in', 64, 256],
  ['mlp out', 256, 64],
  ['logits', 64, 89],
];
const TOKENS = TRANSFORMER.batch * TRANSFORMER.contextLength;
/** Attention: batch x heads matrices of positions x head width. */
const [HEAD_BATCH, POSITIONS, HEAD_WIDTH] = [TRANSFORMER.batch * 4, TRANSFORMER.contextLength, 16];

/** Every product of a training step, as its forward pass and its gradient run it, and the both-transposed one. */
const PRODUCT_SHAPES: readonly ProductShape[] = [
  ...DENSE_LAYERS.flatMap(([name, fanIn, units]): ProductShape[] => [
    { name: `${name} y = x W`, batch: [], M: TOKENS, K: fanIn, N: units, transposeA: false, transposeB: false },
    { name: `${name} dX = dy W^T`, batch: [], M: TOKENS, K: units, N: fanIn, transposeA: false, transposeB: true },
    { name: `${name} dW = x^T dy`, batch: [], M: fanIn, K: TOKENS, N: units, transposeA: true, transposeB: false },
  ]),
  { name: 'mlp in, both transposed', batch: [], M: TOKENS, K: 64, N: 256, transposeA: true, transposeB: true },
  { name: 'scores q k^T (and dP)', batch: [HEAD_BATCH], M: POSITIONS, K: HEAD_WIDTH, N: POSITIONS, transposeA: false, transposeB: true },
  { name: 'attended P v (and dq)', batch: [HEAD_BATCH], M: POSITIONS, K: POSITIONS, N: HEAD_WIDTH, transposeA: false, transposeB: false },
  { name: 'dv = P^T dA (and dk)', batch: [HEAD_BATCH], M: POSITIONS, K: POSITIONS, N: HEAD_WIDTH, transposeA: true, transposeB: false },
  { name: 'attention, both transposed', batch: [HEAD_BATCH], M: POSITIONS, K: HEAD_WIDTH, N: POSITIONS, transposeA: true, transposeB: true },
];

interface ProductResult {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** tfjs-wasm's own BatchMatMul. */
  backendMs: number;
  ms: number;
  gflops: number;
}

interface GatherResult {
  name: string;
  backendMs: number;
  ms: number;
}

interface StepResult {
  /** trainingFlops of the default transformer at batch 32. */
  gflop: number;
  /** With the backend's own BatchMatMul and GatherV2. */
  backendMs: number;
  ms: number;
  gflops: number;
  /** The backend's 2-D matMul [2048, 64] x [64, 256], weights fixed and new each call (as in training). */
  matMulGflops: number;
  matMulNewWeightsGflops: number;
  /** gflops / matMulGflops: the target is at least STEP_TARGET_FRACTION. */
  fraction: number;
}

function parseArgs(argv: readonly string[]): { json?: string; reps: number } {
  let json: string | undefined;
  let reps = DEFAULT_REPS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--json' && value !== undefined) {
      json = value;
      i++;
    } else if (arg === '--reps' && value !== undefined && Number.isInteger(Number(value)) && Number(value) > 0) {
      reps = Number(value);
      i++;
    } else {
      throw new Error(`Unknown or incomplete argument: "${arg}". Allowed: --json <file>, --reps <positive integer>.`);
    }
  }
  return json === undefined ? { reps } : { json, reps };
}

/**
 * Median wall time in ms of each function, run round-robin so that load from
 * other processes on the machine falls on all of them alike. wasm kernels run
 * synchronously, so no readback is needed.
 */
function interleavedMedians(reps: number, fns: readonly (() => tf.Tensor)[], warmup = WARMUP): number[] {
  for (const fn of fns) for (let i = 0; i < warmup; i++) fn().dispose();
  const times = fns.map((): number[] => []);
  for (let i = 0; i < reps; i++) {
    fns.forEach((fn, j) => {
      const start = performance.now();
      const out = fn();
      times[j]?.push(performance.now() - start);
      out.dispose();
    });
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return t[Math.floor(t.length / 2)] ?? NaN;
  });
}

/** The backend's own kernels that ours replace, captured before registration. */
interface BackendKernels {
  inputGrad: tf.KernelConfig;
  maxPoolGrad: tf.KernelConfig;
  batchMatMul: tf.KernelConfig;
  gatherV2: tf.KernelConfig;
}

function backendKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to compare with.`);
  return config;
}

/** Runs a kernel function directly; its fresh output becomes a Tensor so it can be disposed. */
function runDirect(config: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.Tensor {
  const out = config.kernelFunc({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}

function benchConv(s: ConvShape, reps: number, own: BackendKernels): ConvResult {
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal(s.filter, 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, filter, s.strides, s.pad).shape, 0, 1, 'float32', 3));
  const [, oh, ow, co] = dy.shape as [number, number, number, number];
  const [kh, kw, ci] = s.filter;
  const flop = 2 * s.x[0] * oh * ow * co * kh * kw * ci;

  const attrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', filterShape: s.filter };
  const inputAttrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', inputShape: s.x };
  const [forwardMs = NaN, forwardNewFilterMs = NaN, filterGradMs = NaN, inputGradMs = NaN, backendInputGradMs = NaN] =
    interleavedMedians(reps, [
      () => tf.conv2d(x, filter, s.strides, s.pad),
      () => tf.tidy(() => tf.conv2d(x, tf.clone(filter), s.strides, s.pad)),
      () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor,
      () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, inputAttrs) as tf.Tensor,
      () => runDirect(own.inputGrad, { dy, filter }, inputAttrs),
    ]);
  tf.dispose([x, filter, dy]);
  return {
    name: s.name,
    x: s.x,
    filter: s.filter,
    strides: s.strides,
    pad: s.pad,
    mflop: flop / 1e6,
    forwardMs,
    forwardNewFilterMs,
    filterGradMs,
    ratio: filterGradMs / forwardMs,
    inputGradMs,
    backendInputGradMs,
    forwardGflops: flop / forwardMs / 1e6,
    filterGradGflops: flop / filterGradMs / 1e6,
  };
}

function benchPool(s: PoolShape, reps: number, own: BackendKernels): PoolResult {
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 7) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.maxPool(x, s.size, s.strides, s.pad).shape, 0, 1, 'float32', 8));
  const attrs = { filterSize: s.size, strides: s.strides, pad: s.pad };
  const [forwardMs = NaN, gradMs = NaN, backendGradMs = NaN] = interleavedMedians(reps, [
    () => tf.maxPool(x, s.size, s.strides, s.pad),
    () => tf.engine().runKernel(tf.MaxPoolGrad, { dy, input: x }, attrs) as tf.Tensor,
    () => runDirect(own.maxPoolGrad, { dy, input: x }, attrs),
  ]);
  tf.dispose([x, dy]);
  return { name: s.name, forwardMs, gradMs, backendGradMs };
}

function benchEmbedding(s: EmbeddingShape, reps: number): EmbeddingResult {
  const rows = s.batch * s.time;
  const table = tf.randomNormal([s.vocab, s.dModel], 0, 0.02, 'float32', 9);
  const ids = tf.randomUniform([s.batch, s.time], 0, s.vocab, 'int32', 10);
  const flatIds = tf.reshape(ids, [rows]) as tf.Tensor1D;
  const dy = tf.randomNormal([rows, s.dModel], 0, 1, 'float32', 11) as tf.Tensor2D;
  const kernel = tf.randomNormal([s.dModel, s.vocab], 0, 0.02, 'float32', 12) as tf.Tensor2D;
  const [gradMs = NaN, oneHotMatMulMs = NaN, oneHotTransposedMs = NaN, gatherMs = NaN, outputMatMulMs = NaN] =
    interleavedMedians(reps, [
      () => tf.unsortedSegmentSum(dy, flatIds, s.vocab),
      () => tf.tidy(() => tf.matMul(tf.oneHot(flatIds, s.vocab), dy, true, false)),
      () => tf.tidy(() => tf.matMul(tf.transpose(tf.oneHot(flatIds, s.vocab)), dy)),
      () => tf.gather(table, ids),
      () => tf.matMul(dy, kernel),
    ]);
  tf.dispose([table, ids, flatIds, dy, kernel]);
  return {
    name: s.name,
    gradMs,
    oneHotMatMulMs,
    oneHotTransposedMs,
    gatherMs,
    outputMatMulMs,
    ratio: gradMs / (gatherMs + outputMatMulMs),
  };
}

function benchProduct(s: ProductShape, reps: number, own: BackendKernels): ProductResult {
  const a = tf.randomNormal([...s.batch, ...(s.transposeA ? [s.K, s.M] : [s.M, s.K])], 0, 1, 'float32', 13);
  const b = tf.randomNormal([...s.batch, ...(s.transposeB ? [s.N, s.K] : [s.K, s.N])], 0, 1, 'float32', 14);
  const attrs = { transposeA: s.transposeA, transposeB: s.transposeB };
  // A new right-hand tensor each call, as in training (XNNPACK packs it once per tensor).
  const [backendMs = NaN, ms = NaN] = interleavedMedians(reps, [
    () => tf.tidy(() => runDirect(own.batchMatMul, { a, b: tf.clone(b) }, attrs)),
    () => tf.tidy(() => tf.matMul(a, tf.clone(b), s.transposeA, s.transposeB)),
  ]);
  tf.dispose([a, b]);
  const flop = 2 * tf.util.sizeFromShape(s.batch) * s.M * s.K * s.N;
  return { name: s.name, a: a.shape, b: b.shape, transposeA: s.transposeA, transposeB: s.transposeB, backendMs, ms, gflops: flop / ms / 1e6 };
}

function benchGather(reps: number, own: BackendKernels): GatherResult {
  const { vocab, batch, contextLength } = TRANSFORMER;
  const table = tf.randomNormal([vocab, 64], 0, 0.02, 'float32', 15);
  const ids = tf.randomUniform([batch, contextLength], 0, vocab, 'int32', 16);
  const attrs = { axis: 0, batchDims: 0 };
  const [backendMs = NaN, ms = NaN] = interleavedMedians(reps, [
    () => runDirect(own.gatherV2, { x: table, indices: ids }, attrs),
    () => tf.gather(table, ids),
  ]);
  tf.dispose([table, ids]);
  return { name: `token embedding [${vocab}, 64] at [${batch}, ${contextLength}]`, backendMs, ms };
}

/** Runs `fn` with `configs` registered for wasm in place of what is there, then puts that back. */
function withKernels<T>(configs: readonly tf.KernelConfig[], fn: () => T): T {
  const current = configs.map((c) => tf.getKernel(c.kernelName, 'wasm'));
  const swap = (to: readonly (tf.KernelConfig | undefined)[]): void =>
    configs.forEach((c, i) => {
      tf.unregisterKernel(c.kernelName, 'wasm');
      const config = to[i];
      if (config !== undefined) tf.registerKernel(config);
    });
  swap(configs);
  try {
    return fn();
  } finally {
    swap(current);
  }
}

/**
 * One training step of the default transformer at batch 32 as a worker takes
 * it (forward, tf.variableGrads, SGD update), with the backend's own
 * BatchMatMul and GatherV2 and with ours, against the backend's 2-D matMul.
 */
function benchStep(own: BackendKernels): StepResult {
  const spec = transformerSpec({ vocab: TRANSFORMER.vocab, contextLength: TRANSFORMER.contextLength });
  const theta = initialTheta(spec, createRng(1));
  const offsets = paramOffsets(spec);
  const variables = spec.params.map((p, i) => {
    const at = offsets[i] ?? 0;
    return tf.variable(tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape), true, `bench-transformer-${i}`);
  });
  const shape: [number, number] = [TRANSFORMER.batch, TRANSFORMER.contextLength];
  const ids = tf.randomUniform(shape, 0, TRANSFORMER.vocab, 'int32', 17) as tf.Tensor2D;
  const targets = tf.randomUniform(shape, 0, TRANSFORMER.vocab, 'int32', 18) as tf.Tensor2D;
  const optimizer = tf.train.sgd(0.01);
  const step = (): tf.Tensor =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(sequenceLosses(transformerForward(spec, variables, ids, true), targets).perSample),
        variables,
      );
      optimizer.applyGradients(grads);
      return value;
    });
  const ms = interleavedMedians(STEP_REPS, [step], STEP_WARMUP)[0] ?? NaN;
  const backendMs = withKernels([own.batchMatMul, own.gatherV2], () => interleavedMedians(STEP_REPS, [step], STEP_WARMUP)[0] ?? NaN);
  tf.dispose([...variables, ids, targets]);
  optimizer.dispose();

  const x = tf.randomNormal([TOKENS, 64], 0, 1, 'float32', 19);
  const w = tf.randomNormal([64, 256], 0, 1, 'float32', 20);
  const [fixedMs = NaN, newWeightsMs = NaN] = interleavedMedians(30, [() => tf.matMul(x, w), () => tf.tidy(() => tf.matMul(x, tf.clone(w)))]);
  tf.dispose([x, w]);
  const matMulFlop = 2 * TOKENS * 64 * 256;
  const flop = trainingFlops(spec, TRANSFORMER.batch);
  const gflops = flop / ms / 1e6;
  const matMulGflops = matMulFlop / fixedMs / 1e6;
  return {
    gflop: flop / 1e9,
    backendMs,
    ms,
    gflops,
    matMulGflops,
    matMulNewWeightsGflops: matMulFlop / newWeightsMs / 1e6,
    fraction: gflops / matMulGflops,
  };
}

function benchMatMul(n: number, reps: number): MatMulResult {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 4);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 5);
  const [ms = NaN] = interleavedMedians(Math.max(5, Math.round(reps / 3)), [() => tf.matMul(a, b)]);
  tf.dispose([a, b]);
  return { n, ms, gflops: (2 * n ** 3) / ms / 1e6 };
}

const fmt = (v: number, digits: number): string => v.toFixed(digits);

async function main(): Promise<void> {
  const { json, reps } = parseArgs(process.argv.slice(2));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('The wasm backend failed to initialise.');
  const own = {
    inputGrad: backendKernel(tf.Conv2DBackpropInput),
    maxPoolGrad: backendKernel(tf.MaxPoolGrad),
    batchMatMul: backendKernel(tf.BatchMatMul),
    gatherV2: backendKernel(tf.GatherV2),
  };
  await registerWasmTrainingKernels(await compileWasmKernels());

  const conv = CONV_SHAPES.map((s) => benchConv(s, reps, own));
  const pool = POOL_SHAPES.map((s) => benchPool(s, reps, own));
  const embedding = EMBEDDING_SHAPES.map((s) => benchEmbedding(s, reps));
  const matMul = MATMUL_SIZES.map((n) => benchMatMul(n, reps));
  const products = PRODUCT_SHAPES.map((p) => benchProduct(p, reps, own));
  const gather = benchGather(reps, own);
  const step = benchStep(own);

  console.log(`wasm backend, 1 thread, median of ${reps} after ${WARMUP} warm-up runs`);
  console.table(
    conv.map((r) => ({
      shape: r.name,
      MFLOP: fmt(r.mflop, 1),
      'fwd ms': fmt(r.forwardMs, 2),
      'fwd new-W ms': fmt(r.forwardNewFilterMs, 2),
      'dW ms': fmt(r.filterGradMs, 2),
      'dW/fwd': fmt(r.ratio, 2),
      'dX ms': fmt(r.inputGradMs, 2),
      'tfjs dX ms': fmt(r.backendInputGradMs, 2),
      'fwd GFLOP/s': fmt(r.forwardGflops, 1),
      'dW GFLOP/s': fmt(r.filterGradGflops, 1),
    })),
  );
  console.table(
    pool.map((r) => ({
      pool: r.name,
      'fwd ms': fmt(r.forwardMs, 2),
      'grad ms': fmt(r.gradMs, 2),
      'tfjs grad ms': fmt(r.backendGradMs, 2),
    })),
  );
  console.table(
    embedding.map((r) => ({
      'embedding grad': r.name,
      'ours ms': fmt(r.gradMs, 3),
      'one-hot matMul ms': fmt(r.oneHotMatMulMs, 3),
      'one-hot, transposed ms': fmt(r.oneHotTransposedMs, 3),
      'gather ms': fmt(r.gatherMs, 3),
      'out matMul ms': fmt(r.outputMatMulMs, 3),
      'ours/(gather+matMul)': fmt(r.ratio, 3),
    })),
  );
  console.table(matMul.map((r) => ({ matMul: `${r.n}^2`, ms: fmt(r.ms, 2), 'GFLOP/s': fmt(r.gflops, 1) })));
  console.table(
    products.map((r) => ({
      'BatchMatMul (transformer, batch 32)': r.name,
      a: `[${r.a.join(',')}]${r.transposeA ? 'T' : ''}`,
      b: `[${r.b.join(',')}]${r.transposeB ? 'T' : ''}`,
      'tfjs ms': fmt(r.backendMs, 2),
      'ours ms': fmt(r.ms, 2),
      speedup: fmt(r.backendMs / r.ms, 1),
      'GFLOP/s': fmt(r.gflops, 1),
    })),
  );
  console.table([{ GatherV2: gather.name, 'tfjs ms': fmt(gather.backendMs, 3), 'ours ms': fmt(gather.ms, 3), speedup: fmt(gather.backendMs / gather.ms, 1) }]);
  console.table([
    {
      'training step (default transformer, batch 32)': `${fmt(step.gflop, 3)} GFLOP`,
      'tfjs kernels ms': fmt(step.backendMs, 1),
      'ours ms': fmt(step.ms, 1),
      'GFLOP/s': fmt(step.gflops, 2),
      'matMul [2048,64]x[64,256] GFLOP/s': fmt(step.matMulGflops, 1),
      'same, new weights': fmt(step.matMulNewWeightsGflops, 1),
      'step / matMul': fmt(step.fraction, 3),
    },
  ]);
  const over = conv.filter((r) => r.ratio > TARGET_RATIO).map((r) => r.name);
  console.log(
    over.length === 0
      ? `dW <= ${TARGET_RATIO}x forward at every shape.`
      : `dW > ${TARGET_RATIO}x forward at: ${over.join(', ')}.`,
  );
  const slowEmbeddings = embedding.filter((r) => r.ratio > TARGET_RATIO).map((r) => r.name);
  console.log(
    slowEmbeddings.length === 0
      ? `Embedding gradient <= ${TARGET_RATIO}x (gather + output matMul) at every shape.`
      : `Embedding gradient > ${TARGET_RATIO}x (gather + output matMul) at: ${slowEmbeddings.join(', ')}.`,
  );

  console.log(
    step.fraction >= STEP_TARGET_FRACTION
      ? `Transformer step at ${fmt(100 * step.fraction, 0)}% of the 2-D matMul rate (target ${100 * STEP_TARGET_FRACTION}%).`
      : `Transformer step at ${fmt(100 * step.fraction, 0)}% of the 2-D matMul rate, under the ${100 * STEP_TARGET_FRACTION}% target.`,
  );

  if (json !== undefined) {
    const report = {
      backend: 'wasm',
      threads: 1,
      reps,
      warmup: WARMUP,
      tfjs: tf.version_core,
      node: process.version,
      conv,
      pool,
      embedding,
      matMul,
      products,
      gather,
      step,
    };
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`Wrote ${json}`);
  }
}

await main();
