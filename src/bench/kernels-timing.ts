/**
 * Shared timing helpers of the kernel benchmark (src/bench/kernels.ts): the
 * round-robin median timer and direct calls to the backend's own kernels.
 */
import * as tf from '@tensorflow/tfjs';

export const WARMUP = 5;

/**
 * Median wall time in ms of each function, run round-robin so that load from
 * other processes on the machine falls on all of them alike. wasm kernels run
 * synchronously, so no readback is needed.
 */
export function interleavedMedians(reps: number, fns: readonly (() => tf.Tensor)[], warmup = WARMUP): number[] {
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
export interface BackendKernels {
  inputGrad: tf.KernelConfig;
  maxPoolGrad: tf.KernelConfig;
  batchMatMul: tf.KernelConfig;
  gatherV2: tf.KernelConfig;
}

export function backendKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to compare with.`);
  return config;
}

/** Runs a kernel function directly; its fresh output becomes a Tensor so it can be disposed. */
export function runDirect(config: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.Tensor {
  const out = config.kernelFunc({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}
