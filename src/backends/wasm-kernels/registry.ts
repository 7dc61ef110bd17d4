import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const WASM = 'wasm';

/**
 * Puts `kernelFunc` in place of the wasm backend's own kernel `kernelName`
 * and returns that one (undefined if there was none), so the new kernel can
 * hand it the shapes it does not take. The old kernel's setup (binding its
 * C++ function) is carried over, so this works before or after the backend
 * starts. Idempotent: a second call returns the kernel first replaced.
 */
export function replaceWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelConfig | undefined {
  const current = tf.getKernel(kernelName, WASM);
  if (current?.kernelFunc === kernelFunc) return replaced.get(kernelName);
  if (current !== undefined) tf.unregisterKernel(kernelName, WASM);
  replaced.set(kernelName, current);
  tf.registerKernel({
    kernelName,
    backendName: WASM,
    kernelFunc,
    ...(current?.setupFunc === undefined ? {} : { setupFunc: current.setupFunc }),
    ...(current?.disposeFunc === undefined ? {} : { disposeFunc: current.disposeFunc }),
  });
  return current;
}

const replaced = new Map<string, tf.KernelConfig | undefined>();

/**
 * A kernel input as a Tensor for composing ops. Ops hand kernels Tensors; a
 * bare TensorInfo (another kernel calling this one) gets a wrapper holding
 * its own reference, so disposing the wrapper leaves the caller's data alone.
 */
export function asTensor(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  const wrapper = tf.engine().makeTensorFromTensorInfo(info, backend);
  (backend as tf.KernelBackend & { incRef(dataId: tf.TensorInfo['dataId']): void }).incRef(info.dataId);
  return wrapper;
}

/**
 * `t` as float32. The cpu backend reads int32 and bool inputs of these
 * kernels as numbers and answers in float32; a cast first gives the same
 * (exact below 2^24) where our float32-only paths would refuse them.
 */
export function asFloat32(t: tf.Tensor, kernel: string, name: string): tf.Tensor {
  if (t.dtype === 'float32') return t;
  if (t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new Error(`${kernel} on wasm: ${name} has dtype ${t.dtype}; float32, int32 or bool is allowed.`);
  }
  return tf.cast(t, 'float32');
}

/**
 * `t` cut or zero-extended at the end of each dimension to `shape`. The
 * cpu backend sizes a gradient's loops by the shape the attributes give, not
 * by dy's: it ignores the rest of a larger dy, and where dy is smaller it
 * reads past it (NaN or another image's values). Zeros there are what a dy
 * with those outputs carrying no gradient gives.
 */
export function fitShape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const kept = shape.map((d, i) => Math.min(d, t.shape[i] ?? 0));
  const cut = tf.util.arraysEqual(kept, t.shape) ? t : tf.slice(t, kept.map(() => 0), kept);
  if (tf.util.arraysEqual(kept, [...shape])) return cut;
  return tf.pad(cut, shape.map((d, i): [number, number] => [0, d - (kept[i] ?? 0)]));
}

/** A kernel's single output as a Tensor, so a fallback composed of ops can return it from tf.tidy. */
export function outputTensor(out: tf.TensorInfo | tf.TensorInfo[], backend: tf.KernelBackend): tf.Tensor {
  if (Array.isArray(out)) throw new Error(`A wasm training kernel returned ${out.length} outputs; it must return one.`);
  return out instanceof tf.Tensor ? out : tf.engine().makeTensorFromTensorInfo(out, backend);
}

/** Names a tensor whose rank a kernel cannot take (tfjs' ops always pass rank 4). */
export function checkRank4(kernel: string, tensors: Record<string, readonly number[]>): void {
  for (const [name, shape] of Object.entries(tensors)) {
    if (shape.length !== 4) throw new Error(`${kernel}: ${name} has shape [${shape}]; only rank 4 is allowed.`);
  }
}

/**
 * The float32 values of tensors, viewed in place on the wasm backend's heap,
 * in the order given. Call after every makeOutput of the kernel: views are
 * only good until the heap next grows. A tensor still held by another backend
 * is moved onto the heap by its first lookup, which may grow the heap, so all
 * of them are looked up before any view is taken.
 */
export function heapViews<const T extends readonly (readonly [name: string, info: tf.TensorInfo])[]>(
  backend: BackendWasm,
  kernel: string,
  tensors: T,
): { [K in keyof T]: Float32Array } {
  for (const [name, info] of tensors) {
    if (info.dtype !== 'float32') {
      throw new Error(`${kernel} on wasm: ${name} has dtype ${info.dtype}; only float32 is supported.`);
    }
    backend.dataIdMap.get(info.dataId);
  }
  return tensors.map(([, info]) => backend.typedArrayFromHeap(info)) as { [K in keyof T]: Float32Array };
}

/** `kernel` once registerWasmTrainingKernels has loaded it, or an error saying to. */
export function loaded<T>(kernel: T | null, name: string): T {
  if (kernel === null) {
    throw new Error(`${name} on wasm: the SIMD kernel is not loaded; await registerWasmTrainingKernels(...) first.`);
  }
  return kernel;
}
