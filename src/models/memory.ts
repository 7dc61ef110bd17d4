/**
 * What a training step needs in memory, estimated from the model's plan, and
 * what a backend can hold: so a batch that cannot fit is refused before a
 * run starts, not met as a WebAssembly abort halfway through start-up.
 */
import { batchSizeOf, ConfigError, type BackendName, type RunConfig, type WorkerGroup } from '../core/config';
import { activationFloats } from './costs';
import { paramCount, type ModelSpec } from './spec';

/**
 * Bytes a WASM worker can use. Its memory is 32-bit and, past 2 GiB, tfjs'
 * WebAssembly aborts ("Aborted()", "memory access out of bounds"): ResNet-20
 * on CIFAR-shaped input failed at batch 384 and 512 there.
 */
export const WASM_MEMORY_BYTES = 2 * 1024 ** 3;

/**
 * Training keeps every layer's output for the backward pass, then holds the
 * gradient of each beside it, plus the kernels' own temporaries: about three
 * times the activations (calibrated on ResNet-20, which aborts at batch 384).
 */
export const ACTIVATION_FACTOR = 3;

/** Weights, their gradients, momentum and the copies a step makes: this many times the parameters. */
const PARAMETER_COPIES = 4;

/** Estimated bytes one training step of `spec` at batch `batch` needs. */
export function trainingBytes(spec: ModelSpec, batch: number): number {
  return 4 * (ACTIVATION_FACTOR * activationFloats(spec) * batch + PARAMETER_COPIES * paramCount(spec));
}

/** The memory a backend's worker can use, or null when no fixed limit is known (WebGPU, the JS heap of cpu). */
export function memoryLimit(backend: BackendName): number | null {
  return backend === 'wasm' ? WASM_MEMORY_BYTES : null;
}

/** The largest batch whose estimate fits `limit` bytes (at least 0). */
export function largestBatch(spec: ModelSpec, limit: number): number {
  const perSample = 4 * ACTIVATION_FACTOR * activationFloats(spec);
  return Math.max(0, Math.floor((limit - 4 * PARAMETER_COPIES * paramCount(spec)) / perSample));
}

const GIB = 1024 ** 3;

/**
 * Why `spec` at batch `batch` will not fit a `backend` worker, naming the
 * model, batch, estimate, limit and the largest batch that fits; null when it
 * fits or the backend has no known limit.
 */
export function memoryRefusal(spec: ModelSpec, backend: BackendName, batch: number): string | null {
  const limit = memoryLimit(backend);
  if (limit === null) return null;
  const need = trainingBytes(spec, batch);
  if (need <= limit) return null;
  const fits = largestBatch(spec, limit);
  return (
    `${spec.name} on ${spec.inputShape.join('x')} images at batch ${batch} needs about ${(need / GIB).toFixed(1)} GiB per ${backend} worker ` +
    `(every layer's output for ${batch} images, kept for the backward pass); a ${backend} worker has at most ${(limit / GIB).toFixed(0)} GiB. ` +
    `Use a batch of at most ${fits} for ${backend} (batchSize, or batchSizeByBackend ${backend}:${fits}).`
  );
}

/**
 * Refuses, before any worker starts, a batch whose training step cannot fit
 * a worker of `config`'s pool: a WASM worker would abort and be lost. The
 * error names the key that set the batch.
 */
export function refuseWhatCannotFit(config: RunConfig & { workers: WorkerGroup[] }, spec: ModelSpec): void {
  for (const backend of new Set(config.workers.map((g) => g.backend))) {
    const batch = batchSizeOf(config, backend);
    const why = memoryRefusal(spec, backend, batch);
    if (why === null) continue;
    const key = config.batchSizeByBackend[backend] === undefined ? 'batchSize' : `batchSizeByBackend.${backend}`;
    throw new ConfigError(key, batch, `a batch that fits a ${backend} worker's memory`, `Invalid ${key}: ${batch}. ${why}`);
  }
}
