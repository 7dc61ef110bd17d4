/**
 * How the engine reaches a trainer: one interface whether the trainer runs
 * in a browser Worker behind comlink or in the same thread (Node tests, a
 * host without workers). Every call races the trainer's own end, so a lost
 * trainer fails its call instead of leaving the engine waiting for ever.
 */
import type { BackendName, FallbackPolicy } from '../core/config';
import { messageOf } from '../core/errors';
import type { ModelSpec } from '../models/spec';
import type { BackendReport, TrainerApi } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';

/** The trainer's API as a caller on another thread sees it: every method answers with a promise. */
export type TrainerCalls = {
  [K in keyof TrainerApi]: TrainerApi[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** A trainer that has left: its calls reject with this. */
export class WorkerLostError extends Error {
  override readonly name = 'WorkerLostError';
  constructor(
    readonly workerId: number,
    readonly reason: string,
  ) {
    super(`Worker ${workerId} left: ${reason}`);
  }
}

/** One trainer as the engine holds it. */
export interface WorkerHandle {
  readonly id: number;
  readonly requested: BackendName;
  /** What the trainer's backend reported at start-up (the backend that really runs). */
  readonly report: BackendReport;
  /** Set once the trainer has left; its calls then reject at once. */
  lostReason(): string | null;
  /** Calls the trainer; rejects with WorkerLostError if it leaves first. */
  call<T>(f: (api: TrainerCalls) => Promise<T> | T): Promise<T>;
  /** Ends the trainer; pending calls reject with `reason`. */
  terminate(reason: string): void;
}

/** Starts trainer `id` on `backend` over `views`; rejects with the reason if it cannot start. */
export type WorkerFactory = (
  id: number,
  backend: BackendName,
  policy: FallbackPolicy,
  model: ModelSpec,
  views: SharedViews,
) => Promise<WorkerHandle>;

/**
 * The part both kinds of handle share: a `lost` state set once, and calls
 * that race it. `end` releases the trainer itself (terminate the Worker, or
 * dispose the in-thread core).
 */
export function guardedHandle(
  id: number,
  requested: BackendName,
  api: TrainerCalls,
  end: () => void,
): { handle: WorkerHandle & { report: BackendReport }; leave: (reason: string) => void } {
  let lost: string | null = null;
  let rejectLost: (e: Error) => void = () => undefined;
  const lostPromise = new Promise<never>((_, reject) => (rejectLost = reject));
  // Nobody may be waiting when it happens; the reason is kept and re-raised per call.
  lostPromise.catch(() => undefined);
  const leave = (reason: string): void => {
    if (lost !== null) return;
    lost = reason;
    rejectLost(new WorkerLostError(id, reason));
  };
  const handle = {
    id,
    requested,
    report: null as unknown as BackendReport,
    lostReason: () => lost,
    call: <T>(f: (api: TrainerCalls) => Promise<T> | T): Promise<T> =>
      lost !== null
        ? Promise.reject(new WorkerLostError(id, lost))
        : Promise.race([Promise.resolve().then(() => f(api)).catch((e: unknown) => whyItFailed(e, lostPromise)), lostPromise]),
    terminate: (reason: string): void => {
      end();
      leave(reason);
    },
  };
  return { handle, leave };
}

/**
 * How long a failed call waits for its trainer's own end. A destroyed WebGPU
 * device fails the call in progress (e.g. "Buffer was unmapped before mapping
 * was resolved") a moment before the device-lost notice arrives; the notice
 * says why, so it is what the caller should see.
 */
const LOSS_GRACE_MS = 250;

async function whyItFailed(error: unknown, lost: Promise<never>): Promise<never> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, LOSS_GRACE_MS)));
  try {
    await Promise.race([lost, grace]);
  } finally {
    clearTimeout(timer);
  }
  throw error;
}

/** Sends `init` through a fresh handle; a trainer that cannot start is ended and named. */
export async function initHandle(
  handle: WorkerHandle & { report: BackendReport },
  backend: BackendName,
  policy: FallbackPolicy,
  model: ModelSpec,
  views: SharedViews,
): Promise<WorkerHandle> {
  try {
    handle.report = await handle.call((a) =>
      a.init({ id: handle.id, backend, fallback: policy, memory: views.buffer, layout: views.spec, model }),
    );
  } catch (e) {
    handle.terminate('failed to start');
    throw e instanceof WorkerLostError ? new Error(`Worker ${handle.id} (${backend}) failed to load: ${e.reason}`) : e;
  }
  return handle;
}

/** Why a call failed, as a round note says it: a lost trainer's own reason, else the error's message. */
export function reasonOf(error: unknown): string {
  return error instanceof WorkerLostError ? error.reason : messageOf(error);
}
