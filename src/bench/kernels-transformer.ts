/**
 * Transformer-shape entries of the kernel benchmark (src/bench/kernels.ts): the
 * embedding gradient (UnsortedSegmentSum) against its forward lookup plus output
 * projection, our BatchMatMul and GatherV2 against the backend's own, and one
 * training step of the default transformer with each.
 */
import * as tf from '@tensorflow/tfjs';

import { createRng } from '../core/rng';
import { trainingFlops } from '../models/costs';
import { initialTheta, paramOffsets, paramSize } from '../models/spec';
import { sequenceLosses, transformerForward, transformerSpec } from '../models/transformer';
import { type BackendKernels, interleavedMedians, runDirect } from './kernels-timing';

/** A transformer training step should run at least this fraction of the backend's 2-D matMul rate. */
export const STEP_TARGET_FRACTION = 0.25;
/** The default transformer (src/models/spec.ts) on the character data: vocab and context of moby-dick windows. */
const TRANSFORMER = { vocab: 89, contextLength: 64, batch: 32 } as const;
/** Steps timed per kernel set, after STEP_WARMUP: a step with the backend's own kernels takes about a second. */
const STEP_REPS = 7;
const STEP_WARMUP = 2;

/** The character transformer's token embedding (src/models/transformer.ts) at batch 32. */
export interface EmbeddingShape {
  name: string;
  vocab: number;
  dModel: number;
  batch: number;
  time: number;
}

export const EMBEDDING_SHAPES: readonly EmbeddingShape[] = [
  { name: 'embedding vocab 80', vocab: 80, dModel: 64, batch: 32, time: 64 },
  { name: 'embedding vocab 100', vocab: 100, dModel: 64, batch: 32, time: 64 },
];

export interface EmbeddingResult {
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

/**
 * One product of a transformer training step at batch 32: op(a) [batch..., M, K]
 * by op(b) [batch..., K, N], stored transposed where the flags say.
 */
export interface ProductShape {
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
export const PRODUCT_SHAPES: readonly ProductShape[] = [
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

export interface ProductResult {
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

export interface GatherResult {
  name: string;
  backendMs: number;
  ms: number;
}

export interface StepResult {
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

export function benchEmbedding(s: EmbeddingShape, reps: number): EmbeddingResult {
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

export function benchProduct(s: ProductShape, reps: number, own: BackendKernels): ProductResult {
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

export function benchGather(reps: number, own: BackendKernels): GatherResult {
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
export function benchStep(own: BackendKernels): StepResult {
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
