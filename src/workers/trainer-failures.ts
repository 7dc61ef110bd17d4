/**
 * What a failed trainer call reports. Running out of memory is named (the
 * worker, model and batch) and ends the trainer, since its backend is dead; a
 * WebGPU call failing under a lost device is named a device loss. Both
 * worker entries (the browser Worker and the in-thread one) expose a
 * TrainerCore through reportingFailures.
 */
import * as tf from '@tensorflow/tfjs';
import { isOutOfMemory, outOfMemoryReason } from './out-of-memory';
import type { TrainerCore } from './trainer-core';
import { TrainerError } from './trainer-lifecycle';

/** What a WebGPU call fails with when its device was destroyed or lost under it. */
const DEVICE_GONE = /unmapped before mapping was resolved|device (is |was )?(lost|destroyed)|Instance dropped/i;

/** How long a failed WebGPU call waits for its device's loss notice (see failureOf). */
export const DEVICE_LOSS_GRACE_MS = 1000;

/** The error `core`'s failed `call` reports; out of memory ends the trainer. */
export function failure(core: TrainerCore, error: unknown, call: string): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  if (core.isLost() || !isOutOfMemory(e)) return e;
  const reason = outOfMemoryReason({ ...core.failureContext(call), call, raw: e.message });
  core.lose(reason);
  return new TrainerError(reason);
}

/**
 * `failure`, and for a WebGPU trainer a wait of up to DEVICE_LOSS_GRACE_MS
 * for its device's loss notice: a destroyed device fails the call in
 * progress ("Buffer was unmapped before mapping was resolved") a moment
 * before the notice says why, and the why is what a person must read.
 */
export async function failureOf(core: TrainerCore, error: unknown, call: string): Promise<Error> {
  const named = failure(core, error, call);
  const { id, backend } = core.failureContext(call);
  if (core.isLost() || backend !== 'webgpu') return named;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device) return named;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const info = await Promise.race([
    device.lost,
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), DEVICE_LOSS_GRACE_MS))),
  ]).finally(() => clearTimeout(timer));
  if (info !== null) {
    return new TrainerError(`Worker ${id}: ${call} failed: WebGPU device lost (${info.reason}): ${info.message || named.message}`);
  }
  // Chrome may not settle `lost` for a while; these failures only come from a device that is gone.
  if (DEVICE_GONE.test(named.message)) {
    const reason = `WebGPU device lost: ${call} failed with "${named.message}"`;
    core.lose(reason);
    return new TrainerError(`Worker ${id}: ${reason}`);
  }
  return named;
}

/** `core`'s calls with failures as `failureOf` reports them. */
export function reportingFailures(core: TrainerCore): TrainerCore {
  return new Proxy(core, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        try {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? result.catch(async (e: unknown) => Promise.reject(await failureOf(target, e, String(name)))) : result;
        } catch (e) {
          throw failure(target, e, String(name));
        }
      };
    },
  });
}
