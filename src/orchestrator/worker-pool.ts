/**
 * Starts trainer workers (one module, one backend each) and keeps them for
 * as long as the pool's shape stays the same, so back-to-back runs skip the
 * WebGPU warm-up.
 */
import { wrap, type Remote } from 'comlink';
import type { BackendName, FallbackPolicy, WorkerGroup } from '../core/config';
import type { ModelSpec } from '../models/spec';
import type { BackendReport, TrainerApi } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';

export interface PoolWorker {
  id: number;
  requested: BackendName;
  report: BackendReport;
  api: Remote<TrainerApi>;
  terminate(): void;
}

export class WorkerPool {
  private constructor(
    readonly workers: PoolWorker[],
    private readonly key: string,
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
      // One at a time: parallel WebGPU and WASM start-up on two cores only
      // makes each slower, and errors stay attributable.
      for (const [id, backend] of requested.entries()) {
        const worker = new Worker(new URL('../workers/trainer.worker.ts', import.meta.url), {
          type: 'module',
          name: `tandem-${id}-${backend}`,
        });
        const api = wrap<TrainerApi>(worker);
        const entry: PoolWorker = { id, requested: backend, report: null as unknown as BackendReport, api, terminate: () => worker.terminate() };
        started.push(entry);
        entry.report = await Promise.race([
          api.init({ id, backend, fallback: policy, memory: views.buffer, layout: views.spec, model }),
          new Promise<never>((_, reject) => {
            worker.addEventListener('error', (e) => reject(new Error(`Worker ${id} (${backend}) failed to load: ${e.message || 'script error'}`)), { once: true });
          }),
        ]);
      }
    } catch (e) {
      for (const w of started) w.terminate();
      throw e;
    }
    return new WorkerPool(started, WorkerPool.keyOf(groups, policy, model));
  }

  matches(key: string): boolean {
    return this.key === key;
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
  }
}
