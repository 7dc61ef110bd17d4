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

import { registerWasmTrainingKernels } from '../backends/wasm-kernels';
import { compileWasmKernels } from '../backends/wasm-kernels/simd/wat';
import { CONV_SHAPES, POOL_SHAPES, benchConv, benchPool } from './kernels-conv';
import { WARMUP, backendKernel, interleavedMedians } from './kernels-timing';
import {
  EMBEDDING_SHAPES,
  PRODUCT_SHAPES,
  STEP_TARGET_FRACTION,
  benchEmbedding,
  benchGather,
  benchProduct,
  benchStep,
} from './kernels-transformer';

const DEFAULT_REPS = 30;
const MATMUL_SIZES = [256, 512, 1024] as const;
/** The filter gradient should cost at most this many forward convs. */
const TARGET_RATIO = 2;

interface MatMulResult {
  n: number;
  ms: number;
  gflops: number;
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
