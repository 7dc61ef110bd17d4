import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../core/rng';
import { initialTheta, paramOffsets, paramSize } from '../../models/spec';
import { sequenceLosses, transformerForward, transformerSpec } from '../../models/transformer';
import { expectClose, onBackend, useWasmKernels } from './kernel-testing';
import { integers, values } from './test-values';

beforeAll(useWasmKernels);

/** Variable names are unique in the tfjs engine: each variable gets the next number. */
let variableCount = 0;

/**
 * What a character transformer needs on wasm: every op it uses, forward and
 * gradient, gives the cpu backend's answer (UnsortedSegmentSum, for the
 * embedding's gradient, BatchMatMul and GatherV2 are ours; the rest are the
 * backend's own).
 */
describe('a small transformer on wasm', () => {
  type Inputs = { shape: number[]; dtype?: 'float32' | 'int32' | 'bool'; positive?: boolean }[];

  interface OpCase {
    name: string;
    inputs: Inputs;
    op: (...xs: tf.Tensor[]) => tf.Tensor;
    /** Also compare the gradient of sum(op * w) with respect to every float32 input. */
    grad: boolean;
  }

  function makeInputs(inputs: Inputs, seed: number): tf.Tensor[] {
    return inputs.map(({ shape, dtype = 'float32', positive = false }, i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      if (dtype === 'float32') {
        const v = values(size, seed + i);
        return tf.tensor(positive ? v.map((x) => 0.25 + Math.abs(x)) : v, shape);
      }
      return dtype === 'int32' ? tf.tensor(integers(size, 0, 4, seed + i), shape, 'int32') : tf.tensor(integers(size, 0, 1, seed + i), shape, 'bool');
    });
  }

  /** The op's output and, if asked, its gradients, as float32 arrays. */
  function runOp(c: OpCase, seed: number): Float32Array[] {
    return tf.tidy(() => {
      const xs = makeInputs(c.inputs, seed);
      const y = c.op(...xs);
      const outs = [tf.cast(y, 'float32').dataSync() as Float32Array];
      if (!c.grad) return outs;
      const w = tf.tensor(values(y.size, seed + 99), y.shape);
      const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float32');
      const grads = tf.grads((...fs: tf.Tensor[]) => {
        const all = [...xs];
        floats.forEach(([, i], k) => (all[i] = fs[k] as tf.Tensor));
        return tf.sum(tf.mul(c.op(...all), w));
      })(floats.map(([x]) => x));
      return [...outs, ...grads.map((g) => g.dataSync() as Float32Array)];
    });
  }

  const causal = (t: number): tf.Tensor2D => tf.cast(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 'bool') as tf.Tensor2D;

  const ops: OpCase[] = [
    { name: 'GatherV2 (embedding)', inputs: [{ shape: [5, 6] }, { shape: [3, 4], dtype: 'int32' }], op: (t, i) => tf.gather(t as tf.Tensor, i as tf.Tensor), grad: true },
    { name: 'BatchMatMul 2-D', inputs: [{ shape: [5, 7] }, { shape: [7, 3] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), grad: true },
    { name: 'BatchMatMul 2-D, a transposed', inputs: [{ shape: [7, 5] }, { shape: [7, 3] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false), grad: true },
    { name: 'BatchMatMul 2-D, b transposed', inputs: [{ shape: [5, 7] }, { shape: [3, 7] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), grad: true },
    { name: 'BatchMatMul 2-D, both transposed', inputs: [{ shape: [7, 5] }, { shape: [3, 7] }], op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true), grad: true },
    { name: 'BatchMatMul 3-D, q kT', inputs: [{ shape: [6, 8, 4] }, { shape: [6, 8, 4] }], op: (q, k) => tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true), grad: true },
    { name: 'BatchMatMul 3-D, a transposed', inputs: [{ shape: [6, 8, 4] }, { shape: [6, 8, 5] }], op: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false), grad: true },
    { name: 'BatchMatMul 4-D', inputs: [{ shape: [2, 3, 8, 4] }, { shape: [2, 3, 8, 4] }], op: (q, k) => tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true), grad: true },
    {
      name: 'BatchMatMul 4-D via reshape to 3-D',
      inputs: [{ shape: [2, 3, 8, 8] }, { shape: [2, 3, 8, 4] }],
      op: (p, v) => tf.reshape(tf.matMul(tf.reshape(p as tf.Tensor, [6, 8, 8]) as tf.Tensor3D, tf.reshape(v as tf.Tensor, [6, 8, 4]) as tf.Tensor3D), [2, 3, 8, 4]),
      grad: true,
    },
    { name: 'Softmax', inputs: [{ shape: [2, 3, 8, 8] }], op: (x) => tf.softmax(x as tf.Tensor), grad: true },
    { name: 'LogSoftmax', inputs: [{ shape: [6, 11] }], op: (x) => tf.logSoftmax(x as tf.Tensor), grad: true },
    { name: 'Tanh', inputs: [{ shape: [4, 9] }], op: (x) => tf.tanh(x as tf.Tensor), grad: true },
    { name: 'Pow (cube, negative bases)', inputs: [{ shape: [4, 9] }], op: (x) => tf.pow(x as tf.Tensor, tf.scalar(3)), grad: true },
    { name: 'Pow (tensor exponent)', inputs: [{ shape: [4, 9], positive: true }, { shape: [9] }], op: (x, e) => tf.pow(x as tf.Tensor, e as tf.Tensor), grad: true },
    { name: 'Square', inputs: [{ shape: [4, 9] }], op: (x) => tf.square(x as tf.Tensor), grad: true },
    { name: 'Mean over the last axis', inputs: [{ shape: [4, 9] }], op: (x) => tf.mean(x as tf.Tensor, -1, true), grad: true },
    { name: 'Sub, broadcast', inputs: [{ shape: [4, 9] }, { shape: [4, 1] }], op: (a, b) => tf.sub(a as tf.Tensor, b as tf.Tensor), grad: true },
    { name: 'Rsqrt', inputs: [{ shape: [4, 9], positive: true }], op: (x) => tf.rsqrt(x as tf.Tensor), grad: true },
    { name: 'Sqrt', inputs: [{ shape: [4, 9], positive: true }], op: (x) => tf.sqrt(x as tf.Tensor), grad: true },
    {
      name: 'Select (causal mask, broadcast)',
      inputs: [{ shape: [3, 8, 8] }],
      op: (s) => tf.where(tf.broadcastTo(causal(8), [3, 8, 8]), s as tf.Tensor, tf.fill([3, 8, 8], -1e9)),
      grad: true,
    },
    { name: 'Transpose [0, 2, 1, 3]', inputs: [{ shape: [2, 5, 3, 4] }], op: (x) => tf.transpose(x as tf.Tensor, [0, 2, 1, 3]), grad: true },
    { name: 'Reshape', inputs: [{ shape: [2, 5, 12] }], op: (x) => tf.reshape(x as tf.Tensor, [10, 3, 4]), grad: true },
    { name: 'Tile', inputs: [{ shape: [2, 3] }], op: (x) => tf.tile(x as tf.Tensor, [3, 2]), grad: true },
    { name: 'BroadcastTo', inputs: [{ shape: [1, 8, 4] }], op: (x) => tf.broadcastTo(x as tf.Tensor, [3, 8, 4]), grad: true },
    { name: 'Split', inputs: [{ shape: [4, 12] }], op: (x) => tf.concat(tf.split(x as tf.Tensor, 3, 1).reverse(), 1), grad: true },
    { name: 'Slice (positions)', inputs: [{ shape: [8, 4] }], op: (x) => tf.slice(x as tf.Tensor, [0, 0], [5, 4]), grad: true },
    { name: 'Sum', inputs: [{ shape: [3, 4, 5] }], op: (x) => tf.sum(x as tf.Tensor, -1), grad: true },
    {
      name: 'softmaxCrossEntropy with one-hot int labels',
      inputs: [{ shape: [6, 5] }, { shape: [6], dtype: 'int32' }],
      op: (logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels as tf.Tensor1D, 5), logits as tf.Tensor),
      grad: true,
    },
    { name: 'OneHot', inputs: [{ shape: [7], dtype: 'int32' }], op: (i) => tf.oneHot(i as tf.Tensor1D, 6), grad: false },
    { name: 'ArgMax', inputs: [{ shape: [6, 5] }], op: (x) => tf.argMax(x as tf.Tensor, -1), grad: false },
    { name: 'Equal', inputs: [{ shape: [9], dtype: 'int32' }, { shape: [9], dtype: 'int32' }], op: (a, b) => tf.equal(a as tf.Tensor, b as tf.Tensor), grad: false },
    { name: 'Cast', inputs: [{ shape: [9], dtype: 'bool' }], op: (b) => tf.cast(b as tf.Tensor, 'float32'), grad: false },
  ];

  it.each(ops)('$name gives the cpu backend result (and gradient, where it has one)', async (c) => {
    const ref = await onBackend('cpu', () => runOp(c, 31));
    const got = await onBackend('wasm', () => runOp(c, 31));
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, `${c.name}, ${i === 0 ? 'output' : `gradient ${i - 1}`}`));
  });

  /** A one-block transformer in plain ops: B 2, T 8, vocab 11, dModel 16, 4 heads, MLP 32. */
  const [B, T, V, D, H, M] = [2, 8, 11, 16, 4, 32];
  const BLOCK_PARAMS: Record<string, number[]> = {
    tokens: [V, D],
    positions: [T, D],
    gamma1: [D],
    beta1: [D],
    qkv: [D, 3 * D],
    proj: [D, D],
    gamma2: [D],
    beta2: [D],
    mlpIn: [D, M],
    mlpInBias: [M],
    mlpOut: [M, D],
    out: [D, V],
  };
  const ids = integers(B * T, 0, V - 1, 5);
  const targets = integers(B * T, 0, V - 1, 6);

  function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
  }

  /** The block's logits [B * T, V]; `p` in BLOCK_PARAMS order. */
  function blockLogits(p: Record<string, tf.Tensor>): tf.Tensor2D {
    const get = (name: string): tf.Tensor => {
      const t = p[name];
      if (t === undefined) throw new Error(`no parameter ${name}`);
      return t;
    };
    const x = tf.reshape(tf.add(tf.gather(get('tokens'), tf.tensor2d(ids, [B, T], 'int32')), get('positions')), [B * T, D]);
    const heads = (part: tf.Tensor): tf.Tensor4D => tf.transpose(tf.reshape(part, [B, T, H, D / H]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(tf.matMul(layerNorm(x, get('gamma1'), get('beta1')) as tf.Tensor2D, get('qkv') as tf.Tensor2D), 3, 1).map(heads) as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D / H));
    const masked = tf.where(tf.broadcastTo(causal(T), [B, H, T, T]), scores, tf.fill([B, H, T, T], -1e9));
    const attended = tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), v), [0, 2, 1, 3]), [B * T, D]);
    const x1 = tf.add(x, tf.matMul(attended as tf.Tensor2D, get('proj') as tf.Tensor2D));
    const u = tf.add(tf.matMul(layerNorm(x1, get('gamma2'), get('beta2')) as tf.Tensor2D, get('mlpIn') as tf.Tensor2D), get('mlpInBias'));
    const gelu = tf.mul(tf.mul(u, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))))));
    const x2 = tf.add(x1, tf.matMul(gelu as tf.Tensor2D, get('mlpOut') as tf.Tensor2D));
    return tf.matMul(x2 as tf.Tensor2D, get('out') as tf.Tensor2D);
  }

  /** Cross-entropy both ways tfjs offers it with int labels: softmaxCrossEntropy of one-hot, and logSoftmax. */
  function blockLoss(logits: tf.Tensor2D): tf.Scalar {
    const labels = tf.oneHot(tf.tensor1d(targets, 'int32'), V);
    const nll = tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
    return tf.add(tf.losses.softmaxCrossEntropy(labels, logits), tf.mul(0.5, nll)) as tf.Scalar;
  }

  function blockParams(): Record<string, tf.Tensor> {
    return Object.fromEntries(
      Object.entries(BLOCK_PARAMS).map(([name, shape], i) => {
        const v = values(shape.reduce((a, b) => a * b, 1), 70 + i);
        // LayerNorm gains near 1, the rest small, as initialised for training.
        const init = name.startsWith('gamma') ? v.map((x) => 1 + 0.1 * x) : v.map((x) => 0.3 * x);
        return [name, tf.tensor(init, shape)];
      }),
    );
  }

  /** The block's loss, its gradient for every parameter in BLOCK_PARAMS order, and the hit count. */
  function blockRun(): Float32Array[] {
    return tf.tidy(() => {
      const p = blockParams();
      const names = Object.keys(BLOCK_PARAMS);
      const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) =>
        blockLoss(blockLogits(Object.fromEntries(names.map((n, i) => [n, ts[i] as tf.Tensor])))),
      )(names.map((n) => p[n] as tf.Tensor));
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(blockLogits(p), -1), tf.tensor1d(targets, 'int32')), 'float32'));
      return [value, ...grads, hits].map((t) => t.dataSync() as Float32Array);
    });
  }

  it('has a wasm kernel for every kernel the block runs, forward and backward', async () => {
    const profile = await onBackend('cpu', () => tf.profile(() => blockRun().length));
    // customGrad ops (logSoftmax, softmaxCrossEntropy) are recorded as "<name>__op"; their insides are kernels.
    const used = [...new Set(profile.kernelNames)].filter((name) => !name.endsWith('__op')).sort();
    expect(used).toContain(tf.UnsortedSegmentSum);
    const missing = used.filter((name) => tf.getKernel(name, 'wasm') === undefined);
    expect(missing, `kernels without a wasm implementation among ${used.join(', ')}`).toEqual([]);
  });

  it('gives the block loss and every parameter gradient of the cpu backend within 1e-4', async () => {
    const ref = await onBackend('cpu', blockRun);
    const got = await onBackend('wasm', blockRun);
    const labels = ['loss', ...Object.keys(BLOCK_PARAMS).map((n) => `d${n}`), 'hits'];
    expect(got.length).toBe(ref.length);
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));
    // The gradient of the embedding reaches only the rows of ids present, here fewer than all 11.
    expect(new Set(ids).size).toBeLessThan(V);
  });

  it('gives the project transformer (src/models/transformer.ts) forward pass and gradients of the cpu backend', async () => {
    const spec = transformerSpec({ vocab: 13, contextLength: 8, layers: 2, dModel: 16, heads: 4, mlpWidth: 32 });
    const theta = initialTheta(spec, createRng(3));
    const offsets = paramOffsets(spec);
    const [batch, time] = [3, 8];
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const params = spec.params.map((p, i) => {
          const at = offsets[i] ?? 0;
          return tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape);
        });
        const inputs = tf.tensor2d(integers(batch * time, 0, 12, 8), [batch, time], 'int32');
        const next = tf.tensor2d(integers(batch * time, 0, 12, 9), [batch, time], 'int32');
        const logits = transformerForward(spec, params, inputs, true);
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
          tf.mean(sequenceLosses(transformerForward(spec, ps, inputs, true), next).perSample),
        )(params);
        return [logits, value, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    expect(got.length).toBe(spec.params.length + 2);
    const labels = ['logits', 'loss', ...spec.params.map((p) => `d${p.name}`)];
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));
  });

  it('gives the default transformer (vocab 89, context 64) the gradients of the cpu backend, and leaks nothing across steps', async () => {
    // Default sizes: 2 blocks, dModel 64, 4 heads, MLP 256. At batch 4 every product of a step runs here:
    // 2-D with either input transposed, and attention's batched ones with 16 matrices of 64 x 16 and 64 x 64.
    const spec = transformerSpec({ vocab: 89, contextLength: 64 });
    const theta = initialTheta(spec, createRng(5));
    const offsets = paramOffsets(spec);
    const [batch, time] = [4, 64];
    const ids = integers(batch * time, 0, 88, 12);
    const next = integers(batch * time, 0, 88, 13);
    const lossOf = (params: tf.Tensor[]): tf.Scalar =>
      tf.mean(sequenceLosses(transformerForward(spec, params, tf.tensor2d(ids, [batch, time], 'int32'), true), tf.tensor2d(next, [batch, time], 'int32')).perSample);
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const params = spec.params.map((p, i) => {
          const at = offsets[i] ?? 0;
          return tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape);
        });
        const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => lossOf(ps))(params);
        return [value, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    expect(got.length).toBe(spec.params.length + 1);
    const labels = ['loss', ...spec.params.map((p) => `d${p.name}`)];
    ref.forEach((r, i) => expectClose(got[i] ?? new Float32Array(0), r, labels[i] ?? String(i)));

    // Training steps as the worker takes them: variables, variableGrads, an SGD update.
    const variables = spec.params.map((p, i) => {
      const at = offsets[i] ?? 0;
      return tf.variable(tf.tensor(theta.subarray(at, at + paramSize(p)), p.shape), true, `default-transformer-${i}-${variableCount++}`);
    });
    const optimizer = tf.train.sgd(0.1);
    const step = (): void =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => lossOf(variables), variables);
        optimizer.applyGradients(grads);
        value.dataSync();
      });
    step();
    const wasmModule = (tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array };
    const before = { tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: wasmModule.HEAPU8.buffer.byteLength };
    for (let i = 0; i < 5; i++) step();
    expect({ tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, heap: wasmModule.HEAPU8.buffer.byteLength }).toEqual(before);
    tf.dispose(variables);
    optimizer.dispose();
  });
});
