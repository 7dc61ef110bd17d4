/**
 * A trainer in the calling thread: the same TrainerCore a browser Worker
 * hosts, over the same SharedArrayBuffer, behind the same handle. Node tests
 * run whole engine runs this way on the cpu backend; calls still answer
 * asynchronously, so the engine cannot tell the difference.
 */
import type { BackendReport, TrainerApi } from '../protocol';
import { TrainerCore, type BackendStarter } from '../workers/trainer-core';
import { reportingFailures } from '../workers/trainer-failures';
import { guardedHandle, initHandle, type TrainerCalls, type WorkerFactory, type WorkerHandle } from './worker-handle';

/** Replaces some of a trainer's calls, to make it fail on purpose (tests). */
export type FaultPlan = (id: number) => Partial<TrainerCalls>;

/** Every method of TrainerApi is forwarded; `satisfies` makes a method added there a compile error here until listed. */
const TRAINER_METHODS = Object.keys({
  init: true, configure: true, loadGlobal: true, publishModel: true, profile: true, measure: true, runRound: true,
  computeGradient: true, applyGradient: true, evaluate: true, generate: true, baseline: true,
  simulateDeviceLoss: true, injectNaN: true, numTensors: true, heapBytes: true, dispose: true,
} satisfies Record<keyof TrainerApi, true>) as (keyof TrainerApi)[];

/** A factory of in-thread trainers whose backends `startBackend` starts. */
export function inProcessWorkers(startBackend: BackendStarter, faults: FaultPlan = () => ({})): WorkerFactory {
  return async (id, backend, policy, model, views) => {
    let leaveNow: (reason: string) => void = () => undefined;
    const core = new TrainerCore(startBackend, (reason) => leaveNow(reason));
    const calls = reportingFailures(core);
    const overrides = faults(id);
    const api = Object.fromEntries(
      TRAINER_METHODS.map((name) => {
        const own = overrides[name];
        const forward = (...args: unknown[]): Promise<unknown> =>
          Promise.resolve().then(() => (calls[name] as (...a: unknown[]) => unknown)(...args));
        return [name, own ?? forward];
      }),
    ) as unknown as TrainerCalls;
    const { handle, leave } = guardedHandle(id, backend, api, () => core.dispose());
    leaveNow = leave;
    const started: WorkerHandle = await initHandle(handle as typeof handle & { report: BackendReport }, backend, policy, model, views);
    return started;
  };
}
