/**
 * Starts one tfjs backend in the current thread (a trainer worker), falling
 * back in BACKEND_FALLBACK order when the policy allows, and reports what
 * actually runs. Failures are recorded as `[backend] reason`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BACKEND_FALLBACK, type BackendName, type FallbackPolicy } from '../core/config';
import type { BackendReport } from '../protocol';
import { probeWebGpu, wasmSimdSupported } from './capabilities';
import { registerWasmTrainingKernels } from './wasm-kernels';
import filterGrad from './wasm-kernels/simd/filter-grad.wat';
import maxPoolGrad from './wasm-kernels/simd/max-pool-grad.wat';
import { messageOf } from '../core/errors';

export class BackendStartError extends Error {
  override readonly name = 'BackendStartError';
}

/** Called when the WebGPU device is lost; the worker reports it as a failure. */
export type DeviceLostHandler = (reason: string) => void;

export async function startBackend(
  workerId: number,
  requested: BackendName,
  policy: FallbackPolicy,
  onDeviceLost: DeviceLostHandler,
): Promise<BackendReport> {
  const failures: string[] = [];
  let candidate: BackendName | null = requested;
  while (candidate) {
    try {
      return { requested, failures, ...(await tryStart(candidate, onDeviceLost)) };
    } catch (e) {
      failures.push(`[${candidate}] ${messageOf(e)}`);
      if (policy === 'refuse') break;
      candidate = BACKEND_FALLBACK[candidate];
    }
  }
  throw new BackendStartError(
    `Worker ${workerId} could not start backend ${requested}` +
      (policy === 'refuse' ? ' (fallback is off)' : '') +
      `: ${failures.join('; ')}`,
  );
}

async function tryStart(
  backend: BackendName,
  onDeviceLost: DeviceLostHandler,
): Promise<Omit<BackendReport, 'requested' | 'failures'>> {
  switch (backend) {
    case 'webgpu': {
      const probe = await probeWebGpu();
      if (!probe.report) throw new Error(probe.error ?? 'no adapter');
      // Separate im2col shader: 3x faster convolutions on SwiftShader, same results.
      tf.env().set('WEBGPU_CONV_SEPARATE_IM2COL_SHADER', true);
      if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
      await tf.ready();
      const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
      void device?.lost.then((info) => onDeviceLost(`WebGPU device lost (${info.reason}): ${info.message}`));
      return { backend, adapter: probe.report, wasm: null, tfBackend: tf.getBackend() };
    }
    case 'wasm': {
      if (!wasmSimdSupported()) throw new Error('WebAssembly SIMD is not supported here');
      // One thread per worker: with few cores, several single-threaded
      // workers beat one threaded one, and the threaded build breaks after bundling.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlainUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
      });
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
      await tf.ready();
      await registerWasmTrainingKernels({ filterGrad, maxPoolGrad });
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      return { backend, adapter: null, wasm: { simd, threads: getThreadsCount() }, tfBackend: tf.getBackend() };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
      await tf.ready();
      return { backend, adapter: null, wasm: null, tfBackend: tf.getBackend() };
    }
    default: {
      const never: never = backend;
      throw new Error(`unknown backend ${JSON.stringify(never)}`);
    }
  }
}
