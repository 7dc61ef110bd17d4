/**
 * The benchmark's bare-tfjs baseline: each worker of a pool, one at a time,
 * times Tandem's own training step against the same model in tf.layers +
 * tf.train on the same backend and batches. It borrows the engine's pool and
 * shared memory between runs and trains nothing that is kept.
 */
import { batchSizeOf, ConfigError, validateConfig, type RunConfig } from '../core/config';
import { createRng } from '../core/rng';
import { trainingFlops } from '../models/costs';
import { initialTheta } from '../models/spec';
import type { Engine } from '../orchestrator/engine';
import { optimizerSettings } from '../orchestrator/run-helpers';
import type { BaselineOptions, BaselineReport } from '../protocol';

/** Timed steps per worker when the caller gives none. */
export const DEFAULT_BASELINE_STEPS = 20;

export async function measureBaseline(engine: Engine, options: BaselineOptions = {}): Promise<BaselineReport[]> {
  const steps = options.steps ?? DEFAULT_BASELINE_STEPS;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) {
    throw new ConfigError('steps', steps, 'an integer from 1 to 1000');
  }
  const { steps: _steps, ...rest } = options;
  const config: RunConfig = validateConfig(rest as Partial<RunConfig>);
  return engine.withPool(config, 'Timing each worker alone against bare tfjs.', async (memory, workers) => {
    const { views, model } = memory;
    const rng = createRng(config.seed);
    views.global.set(initialTheta(model, rng.fork('init')));
    const reports: BaselineReport[] = [];
    for (const w of workers) {
      views.shard(w.id).set(rng.permutation(memory.trainSize).subarray(0, views.spec.shardCapacity));
      await w.call((a) => a.configure(optimizerSettings(config, model, config.learningRate, w.report.backend), true));
      const report = await w.call((a) => a.baseline(config.warmupSteps + 3, steps));
      reports.push({ ...report, model: model.name, dataset: memory.datasetId, flopsPerStep: trainingFlops(model, batchSizeOf(config, w.report.backend)) });
    }
    return reports;
  });
}
