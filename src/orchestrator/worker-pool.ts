/**
 * The trainers of a run, kept for as long as the pool's shape stays the
 * same, so back-to-back runs skip the WebGPU warm-up. Trainers are started
 * by a WorkerFactory: browser Workers on the page, in-thread ones in Node.
 */
import { checkSlowdownWorkers, ConfigError, resolveWorkers, type BackendName, type FallbackPolicy, type RunConfig, type WorkerGroup } from '../core/config';
import type { ModelSpec } from '../models/spec';
import type { SharedViews } from '../shared-memory/layout';
import type { WorkerFactory, WorkerHandle } from './worker-handle';

export class WorkerPool {
  private changed = false;

  private constructor(
    readonly workers: WorkerHandle[],
    private readonly key: string,
    private readonly factory: WorkerFactory,
    private readonly policy: FallbackPolicy,
    private readonly model: ModelSpec,
    private readonly views: SharedViews,
  ) {}

  static keyOf(groups: readonly WorkerGroup[], policy: FallbackPolicy, model: ModelSpec): string {
    return JSON.stringify({ groups, policy, model: model.name, shape: model.inputShape, classes: model.classes });
  }

  /** Starts every worker; if one cannot start, the others are stopped and the error names it. */
  static async start(
    factory: WorkerFactory,
    groups: readonly WorkerGroup[],
    policy: FallbackPolicy,
    model: ModelSpec,
    views: SharedViews,
  ): Promise<WorkerPool> {
    const requested = groups.flatMap((g) => Array.from({ length: g.count }, () => g.backend));
    if (requested.length > views.spec.slots) {
      throw new Error(`Cannot start ${requested.length} workers: the shared memory has ${views.spec.slots} worker slots.`);
    }
    const started: WorkerHandle[] = [];
    try {
      // One at a time: parallel WebGPU and WASM start-up on few cores only
      // makes each slower, and errors stay attributable.
      for (const [id, backend] of requested.entries()) started.push(await factory(id, backend, policy, model, views));
    } catch (e) {
      for (const w of started) w.terminate('pool start-up failed');
      throw e;
    }
    return new WorkerPool(started, WorkerPool.keyOf(groups, policy, model), factory, policy, model, views);
  }

  /**
   * `current` if it still matches `config`'s pool over `memory`, else a new
   * pool (the old one terminated); each worker that fell back to another
   * backend is a warning.
   */
  static async reuseOrStart(
    current: WorkerPool | null,
    factory: WorkerFactory,
    config: Pick<RunConfig, 'fallback'> & { workers: WorkerGroup[] },
    memory: { model: ModelSpec; views: SharedViews },
    warn: (message: string) => void,
  ): Promise<WorkerPool> {
    if (current?.matches(WorkerPool.keyOf(config.workers, config.fallback, memory.model))) return current;
    current?.terminate();
    const pool = await WorkerPool.start(factory, config.workers, config.fallback, memory.model, memory.views);
    for (const w of pool.workers) {
      if (w.report.backend !== w.requested) warn(`Worker ${w.id} asked for ${w.requested} and fell back to ${w.report.backend}: ${w.report.failures.join('; ')}`);
    }
    return pool;
  }

  /** A pool that has lost or gained workers no longer matches any config's shape. */
  matches(key: string): boolean {
    return this.key === key && this.workers.every((w) => w.lostReason() === null) && !this.changed;
  }

  /** Starts one more worker in the lowest free slot. */
  async add(backend: BackendName): Promise<WorkerHandle> {
    const used = new Set(this.workers.map((w) => w.id));
    let id = 0;
    while (used.has(id)) id++;
    if (id >= this.views.spec.slots) {
      throw new Error(`Cannot add a worker: all ${this.views.spec.slots} worker slots are in use.`);
    }
    const worker = await this.factory(id, backend, this.policy, this.model, this.views);
    this.workers.push(worker);
    this.changed = true;
    return worker;
  }

  remove(id: number, reason: string): WorkerHandle | null {
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

/**
 * `config` with `workers: auto` resolved to groups from what `detect` finds
 * (the page's capability detection); without it `auto` is refused. Slowdown
 * rules are checked against the resolved pool.
 */
export async function concreteWorkers(
  config: RunConfig,
  detect: (() => Promise<{ webgpu: boolean; cores: number }>) | undefined,
): Promise<RunConfig & { workers: WorkerGroup[] }> {
  if (config.workers !== 'auto') return { ...config, workers: config.workers };
  if (!detect) throw new ConfigError('workers', 'auto', "an explicit pool here (nothing detects this platform's devices), e.g. cpu:2");
  const workers = resolveWorkers('auto', await detect());
  checkSlowdownWorkers(config, workers.reduce((n, g) => n + g.count, 0));
  return { ...config, workers };
}
