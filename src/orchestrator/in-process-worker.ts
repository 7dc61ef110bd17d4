/**
 * A trainer in the calling thread: the same TrainerCore a browser Worker
 * hosts, over the same SharedArrayBuffer, behind the same handle. Node tests
 * run whole engine runs this way on the cpu backend; calls still answer
 * asynchronously, so the engine cannot tell the difference.
 */
import type { BackendReport } from '../protocol';
import { TrainerCore, type BackendStarter } from '../workers/trainer-core';
import type { TrainerApi } from '../protocol';
import { guardedHandle, initHandle, type TrainerCalls, type WorkerFactory, type WorkerHandle } from './worker-handle';

/** Replaces some of a trainer's calls, to make it fail on purpose (tests). */
export type FaultPlan = (id: number) => Partial<TrainerCalls>;

/** Method names of TrainerApi, in one list so every one is forwarded. */
const TRAINER_METHODS: readonly (keyof TrainerApi)[] = [
  'init', 'configure', 'loadGlobal', 'publishModel', 'profile', 'runRound', 'computeGradient', 'applyGradient',
  'evaluate', 'baseline', 'exportModel', 'simulateDeviceLoss', 'injectNaN', 'numTensors', 'heapBytes', 'dispose',
];

/** A factory of in-thread trainers whose backends `startBackend` starts. */
export function inProcessWorkers(startBackend: BackendStarter, faults: FaultPlan = () => ({})): WorkerFactory {
  return async (id, backend, policy, model, views) => {
    let leaveNow: (reason: string) => void = () => undefined;
    const core = new TrainerCore(startBackend, (reason) => leaveNow(reason));
    const overrides = faults(id);
    const api = Object.fromEntries(
      TRAINER_METHODS.map((name) => {
        const own = overrides[name];
        const forward = (...args: unknown[]): Promise<unknown> =>
          Promise.resolve().then(() => (core[name] as (...a: unknown[]) => unknown)(...args));
        return [name, own ?? forward];
      }),
    ) as unknown as TrainerCalls;
    const { handle, leave } = guardedHandle(id, backend, api, () => core.dispose());
    leaveNow = leave;
    const started: WorkerHandle = await initHandle(handle as typeof handle & { report: BackendReport }, backend, policy, model, views);
    return started;
  };
}
