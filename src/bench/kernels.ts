/**
 * Kernel benchmark on the wasm backend, one thread, in Node:
 * forward Conv2D against our Conv2DBackpropFilter at the CNN's layer shapes,
 * plus the backend's own matMul as a ceiling for what one core can do.
 *
 *   npx tsx src/bench/kernels.ts [--json results.json] [--reps 30]
 */
import { writeFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { registerWasmGradientKernels } from '../backends/wasm-kernels/conv2d-backprop-filter';
import { compileWatFile, FILTER_GRAD_WAT } from '../backends/wasm-kernels/wat';

const WARMUP = 5;
const DEFAULT_REPS = 30;
const MATMUL_SIZES = [256, 512, 1024] as const;
/** The filter gradient should cost at most this many forward convs. */
const TARGET_RATIO = 2;

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
  ratio: number;
  forwardGflops: number;
  filterGradGflops: number;
}

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

/**
 * Median wall time in ms of each function, run round-robin so that load from
 * other processes on the machine falls on all of them alike. wasm kernels run
 * synchronously, so no readback is needed.
 */
function interleavedMedians(reps: number, fns: readonly (() => tf.Tensor)[]): number[] {
  for (const fn of fns) for (let i = 0; i < WARMUP; i++) fn().dispose();
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

function benchConv(s: ConvShape, reps: number): ConvResult {
  const x = tf.randomNormal(s.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const filter = tf.randomNormal(s.filter, 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, filter, s.strides, s.pad).shape, 0, 1, 'float32', 3));
  const [, oh, ow, co] = dy.shape as [number, number, number, number];
  const [kh, kw, ci] = s.filter;
  const flop = 2 * s.x[0] * oh * ow * co * kh * kw * ci;

  const attrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC', filterShape: s.filter };
  const [forwardMs = NaN, forwardNewFilterMs = NaN, filterGradMs = NaN] = interleavedMedians(reps, [
    () => tf.conv2d(x, filter, s.strides, s.pad),
    () => tf.tidy(() => tf.conv2d(x, tf.clone(filter), s.strides, s.pad)),
    () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs),
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
    forwardGflops: flop / forwardMs / 1e6,
    filterGradGflops: flop / filterGradMs / 1e6,
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
  await registerWasmGradientKernels(await compileWatFile(FILTER_GRAD_WAT));
  if (!(await tf.setBackend('wasm'))) throw new Error('The wasm backend failed to initialise.');

  const conv = CONV_SHAPES.map((s) => benchConv(s, reps));
  const matMul = MATMUL_SIZES.map((n) => benchMatMul(n, reps));

  console.log(`wasm backend, 1 thread, median of ${reps} after ${WARMUP} warm-up runs`);
  console.table(
    conv.map((r) => ({
      shape: r.name,
      MFLOP: fmt(r.mflop, 1),
      'fwd ms': fmt(r.forwardMs, 2),
      'fwd new-W ms': fmt(r.forwardNewFilterMs, 2),
      'dW ms': fmt(r.filterGradMs, 2),
      'dW/fwd': fmt(r.ratio, 2),
      'fwd GFLOP/s': fmt(r.forwardGflops, 1),
      'dW GFLOP/s': fmt(r.filterGradGflops, 1),
    })),
  );
  console.table(matMul.map((r) => ({ matMul: `${r.n}^2`, ms: fmt(r.ms, 2), 'GFLOP/s': fmt(r.gflops, 1) })));
  const over = conv.filter((r) => r.ratio > TARGET_RATIO).map((r) => r.name);
  console.log(
    over.length === 0
      ? `dW <= ${TARGET_RATIO}x forward at every shape.`
      : `dW > ${TARGET_RATIO}x forward at: ${over.join(', ')}.`,
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
      matMul,
    };
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`Wrote ${json}`);
  }
}

await main();
