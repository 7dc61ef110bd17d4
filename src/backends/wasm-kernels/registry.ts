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
