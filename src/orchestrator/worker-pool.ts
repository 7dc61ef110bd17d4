/**
 * Starts trainer workers (one module, one backend each) and keeps them for
 * as long as the pool's shape stays the same, so back-to-back runs skip the
 * WebGPU warm-up. Every call to a worker races the worker's own end
 * (terminated, crashed, WebGPU device lost), so a lost worker fails its call
 * instead of leaving the orchestrator waiting for ever.
 */
import { wrap, type Remote } from 'comlink';
import type { BackendName, FallbackPolicy, WorkerGroup } from '../core/config';
import type { ModelSpec } from '../models/spec';
import { DEVICE_LOST_MESSAGE, type BackendReport, type TrainerApi } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';

/** A worker that has left: its calls reject with this. */
export class WorkerLostError extends Error {
  override readonly name = 'WorkerLostError';
  constructor(
    readonly workerId: number,
    readonly reason: string,
  ) {
    super(`Worker ${workerId} left: ${reason}`);
  }
}

export interface PoolWorker {
  id: number;
  requested: BackendName;
  report: BackendReport;
  api: Remote<TrainerApi>;
  /** Set once the worker has left; its calls then reject at once. */
  lostReason(): string | null;
  /** Calls the worker; rejects with WorkerLostError if it leaves first. */
  call<T>(f: (api: Remote<TrainerApi>) => Promise<T> | T): Promise<T>;
  /** Ends the worker; pending calls reject with `reason`. */
  terminate(reason: string): void;
}

/** Starts one trainer worker on `backend` over `views`; rejects with the reason if it cannot start. */
export async function startWorker(
  id: number,
  backend: BackendName,
  policy: FallbackPolicy,
  model: ModelSpec,
  views: SharedViews,
): Promise<PoolWorker> {
  const worker = new Worker(new URL('../workers/trainer.worker.ts', import.meta.url), {
    type: 'module',
    name: `tandem-${id}-${backend}`,
  });
  const api = wrap<TrainerApi>(worker);
  let lost: string | null = null;
  let rejectLost: (e: Error) => void = () => undefined;
  const lostPromise = new Promise<never>((_, reject) => (rejectLost = reject));
  // Nobody may be waiting when it happens; the reason is kept and re-raised per call.
  lostPromise.catch(() => undefined);
  const leave = (reason: string) => {
    if (lost !== null) return;
    lost = reason;
    rejectLost(new WorkerLostError(id, reason));
  };
  worker.addEventListener('error', (e) => leave(`its script failed: ${e.message || 'error event'}`));
  worker.addEventListener('messageerror', () => leave('a message could not be decoded'));
  worker.addEventListener('message', (e: MessageEvent<unknown>) => {
    const data = e.data as { type?: unknown; reason?: unknown } | null;
    if (data && data.type === DEVICE_LOST_MESSAGE) leave(String(data.reason));
  });
  const entry: PoolWorker = {
    id,
    requested: backend,
    report: null as unknown as BackendReport,
    api,
    lostReason: () => lost,
    call: <T>(f: (api: Remote<TrainerApi>) => Promise<T> | T) =>
      lost !== null ? Promise.reject(new WorkerLostError(id, lost)) : Promise.race([Promise.resolve(f(api)), lostPromise]),
    terminate: (reason: string) => {
      worker.terminate();
      leave(reason);
    },
  };
  try {
    entry.report = await entry.call((a) => a.init({ id, backend, fallback: policy, memory: views.buffer, layout: views.spec, model }));
  } catch (e) {
    entry.terminate('failed to start');
    throw e instanceof WorkerLostError ? new Error(`Worker ${id} (${backend}) failed to load: ${e.reason}`) : e;
  }
  return entry;
}

export class WorkerPool {
  private constructor(
    readonly workers: PoolWorker[],
    private readonly key: string,
    private readonly policy: FallbackPolicy,
    private readonly model: ModelSpec,
    private readonly views: SharedViews,
  ) {}

  static keyOf(groups: readonly WorkerGroup[], policy: FallbackPolicy, model: ModelSpec): string {
    return JSON.stringify({ groups, policy, model: model.name, shape: model.inputShape, classes: model.classes });
  }

  /** Starts every worker; if one cannot start, the others are stopped and the error names it. */
  static async start(
    groups: readonly WorkerGroup[],
    policy: FallbackPolicy,
    model: ModelSpec,
    views: SharedViews,
  ): Promise<WorkerPool> {
    const requested = groups.flatMap((g) => Array.from({ length: g.count }, () => g.backend));
    const started: PoolWorker[] = [];
    try {
      // One at a time: parallel WebGPU and WASM start-up on few cores only
      // makes each slower, and errors stay attributable.
      for (const [id, backend] of requested.entries()) started.push(await startWorker(id, backend, policy, model, views));
    } catch (e) {
      for (const w of started) w.terminate('pool start-up failed');
      throw e;
    }
    return new WorkerPool(started, WorkerPool.keyOf(groups, policy, model), policy, model, views);
  }

  /** A pool that has lost or gained workers no longer matches any config's shape. */
  matches(key: string): boolean {
    return this.key === key && this.workers.every((w) => w.lostReason() === null) && !this.changed;
  }

  private changed = false;

  /** Starts one more worker in the lowest free slot. */
  async add(backend: BackendName): Promise<PoolWorker> {
    const used = new Set(this.workers.map((w) => w.id));
    let id = 0;
    while (used.has(id)) id++;
    if (id >= this.views.spec.slots) {
      throw new Error(`Cannot add a worker: all ${this.views.spec.slots} worker slots are in use.`);
    }
    const worker = await startWorker(id, backend, this.policy, this.model, this.views);
    this.workers.push(worker);
    this.changed = true;
    return worker;
  }

  remove(id: number, reason: string): PoolWorker | null {
    const index = this.workers.findIndex((w) => w.id === id);
    const [worker] = index >= 0 ? this.workers.splice(index, 1) : [];
    if (!worker) return null;
    worker.terminate(reason);
    this.changed = true;
    return worker;
  }

  terminate(): void {
    for (const w of this.workers) w.terminate('pool closed');
  }
}
