/**
 * One worker's training logic, independent of how it is hosted: the worker
 * entry exposes an instance through comlink, and tests can drive one in Node.
 * It owns its local model theta_i and its optimizer state (momentum stays
 * local across rounds); everything it shares goes through SharedViews.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, FallbackPolicy } from '../core/config';
import { median } from '../core/schedule';
import { NO_AUGMENTATION } from '../data/augment';
import { shardWindow } from '../core/sampler';
import type { ModelSpec } from '../models/spec';
import { tandemAndBare } from './bare-baseline';
import { BatchSource } from './batch-source';
import { evaluatePass } from './evaluation-pass';
import { ModelParams, writeFlat } from './model-params';
import { batchUpdates } from './model-losses';
import { packedCopy } from './packed-arrays';
import { sampleText } from './text-sampler';
import { createRng } from '../core/rng';
import type {
  BackendReport,
  BaselineTiming,
  EvalReport,
  GradientReport,
  MeasureReport,
  OptimizerSettings,
  ProfileReport,
  RoundOrder,
  RoundReport,
  TrainerApi,
  WorkerInit,
} from '../protocol';
import { EVAL_BATCH } from '../protocol';
import { SharedViews } from '../shared-memory/layout';
import { TrainerError, TrainerLifecycle } from './trainer-lifecycle';

/** Starts a tfjs backend; injected so Node tests can use cpu/wasm without the browser setup. */
export type BackendStarter = (
  id: number,
  backend: BackendName,
  policy: FallbackPolicy,
  onDeviceLost: (reason: string) => void,
) => Promise<BackendReport>;

export class TrainerCore implements TrainerApi {
  private readonly life = new TrainerLifecycle();
  private id = -1;
  private views: SharedViews | null = null;
  private params$: ModelParams | null = null;
  private settings: OptimizerSettings = {
    learningRate: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    batchSize: 32,
    augment: NO_AUGMENTATION,
    seed: 0,
  };
  private readonly batches = new BatchSource();

  private modelSpec: ModelSpec | null = null;
  private backendName: BackendName = 'cpu';

  private poisonNext = false;

  /** `onLost` tells the host when the backend dies outside any call (WebGPU device loss). */
  constructor(
    private readonly startBackend: BackendStarter,
    private readonly onLost: (reason: string) => void = () => undefined,
  ) {}

  private get model(): ModelSpec {
    if (!this.modelSpec) throw new TrainerError(`Worker ${this.id}: not initialised; call init first.`);
    return this.modelSpec;
  }

  async init(init: WorkerInit): Promise<BackendReport> {
    this.life.checkNew(init.id);
    this.id = init.id;
    this.modelSpec = packedCopy(init.model);
    this.views = new SharedViews(init.memory, init.layout);
    const report = await this.startBackend(init.id, init.backend, init.fallback, (reason) => this.lose(reason));
    this.backendName = report.backend;
    this.params$ = new ModelParams(this.model, init.id);
    this.life.started();
    return report;
  }

  configure(settings: OptimizerSettings, restartStreams: boolean): void {
    if (restartStreams || settings.seed !== this.settings.seed) this.batches.restart(settings.seed, this.id);
    this.settings = { ...settings, augment: { ...settings.augment } };
  }

  async loadGlobal(resetOptimizer: boolean): Promise<void> {
    this.enter('loadGlobal');
    try {
      this.params().load(this.shared().global);
      if (resetOptimizer) this.params().resetMomentum();
    } finally {
      this.leave();
    }
  }

  async publishModel(version: number): Promise<boolean> {
    this.enter('publishModel');
    try {
      const views = this.shared();
      const finite = await this.publish(views.slot(this.id));
      views.publishSlot(this.id, version);
      return finite;
    } finally {
      this.leave();
    }
  }

  async profile(warmupSteps: number, timedSteps: number, slowdown: number): Promise<ProfileReport> {
    this.enter('profile');
    try {
      const shard = this.shared().shard(this.id);
      const times: number[] = [];
      const measured: number[] = [];
      // Profiling trains on the shard like any step, from theta_bar; the
      // orchestrator reloads theta_bar before the first round.
      this.params().load(this.shared().global);
      // Interrupted (stop, time limit): the steps so far, warm-up ones too if no timed step came.
      let last = { ms: Number.NaN, measuredMs: Number.NaN };
      for (let s = 0; s < warmupSteps + timedSteps && !(s > 0 && this.shared().interrupted()); s++) {
        const indices = this.cyclicBatch(shard, s);
        last = await this.timedStep(indices, false, slowdown);
        if (s >= warmupSteps) {
          measured.push(last.measuredMs);
          times.push(last.ms);
        }
      }
      if (times.length === 0) {
        times.push(last.ms);
        measured.push(last.measuredMs);
      }
      return { id: this.id, stepMs: median(times), measuredStepMs: median(measured), samplesMs: times };
    } finally {
      this.leave();
    }
  }

  async measure(untilMs: number, slowdown: number): Promise<MeasureReport> {
    this.enter('measure');
    const saved = this.params().save();
    try {
      const shard = this.shared().shard(this.id);
      const t0 = performance.now();
      const times: number[] = [];
      do {
        times.push((await this.timedStep(this.cyclicBatch(shard, times.length), false, slowdown)).ms);
      } while (performance.timeOrigin + performance.now() < untilMs && !this.shared().interrupted());
      const steps = times.length;
      return { id: this.id, steps, samples: steps * this.settings.batchSize, ms: performance.now() - t0, stepMs: median(times) };
    } finally {
      this.params().restore(saved);
      tf.dispose(saved);
      this.leave();
    }
  }

  async runRound(order: RoundOrder): Promise<RoundReport> {
    this.enter('runRound');
    try {
      const views = this.shared();
      const t0 = performance.now();
      // An evaluation in the middle of the round loaded theta_bar into this worker; its own model waits in its slot.
      this.params().load(order.resume ? views.slot(this.id) : views.global);
      const loadMs = performance.now() - t0;
      const shard = views.shard(this.id);
      const batch = this.settings.batchSize;
      const stepTimes: number[] = [];
      const measured: number[] = [];
      let lossSum = 0;
      // Interrupted (stop, time limit): the round ends at the steps taken, published as any round.
      let steps = 0;
      // Filling a slower worker's step by time: past minSteps, stop once its step is done (the stretch closed).
      const closed = (): boolean => steps >= order.minSteps && views.stretchClosed(order.untilClosed);
      for (; steps < order.steps && !views.interrupted() && !closed(); steps++) {
        const indices = shardWindow(shard, order.shardStored, order.shardOffset + steps * batch, batch);
        const timed = await this.timedStep(indices, true, order.slowdown);
        lossSum += timed.loss;
        measured.push(timed.measuredMs);
        stepTimes.push(timed.ms);
      }
      const tp = performance.now();
      const finite = await this.publish(views.slot(this.id));
      views.publishSlot(this.id, order.round);
      const publishMs = performance.now() - tp;
      return {
        id: this.id,
        round: order.round,
        steps,
        samples: steps * batch,
        busyMs: performance.now() - t0,
        // No step (interrupted before the first): no time; weighted by 0 steps where it is summed.
        stepMs: steps > 0 ? median(stepTimes) : 0,
        measuredStepMs: steps > 0 ? median(measured) : 0,
        exchangeMs: loadMs + publishMs,
        loss: steps > 0 ? lossSum / steps : Number.NaN,
        finite,
      };
    } finally {
      this.leave();
    }
  }

  async computeGradient(shardOffset: number, shardStored: number, slowdown: number): Promise<GradientReport> {
    this.enter('computeGradient');
    try {
      const views = this.shared();
      const indices = shardWindow(views.shard(this.id), shardStored, shardOffset, this.settings.batchSize);
      const t0 = performance.now();
      const { loss, updates } = this.gradients(indices);
      try {
        // Gradients for weights, new running statistics for BatchNorm state:
        // averaged by the orchestrator, both apply as they are.
        await writeFlat(updates, this.params().offsets, views.slot(this.id));
      } finally {
        tf.dispose(updates);
      }
      const losses = await loss.data();
      loss.dispose();
      this.stretch(performance.now() - t0, slowdown);
      views.recordLosses(indices, losses);
      views.publishSlot(this.id, views.slotVersion(this.id) + 1);
      return { id: this.id, busyMs: performance.now() - t0, loss: mean(losses) };
    } finally {
      this.leave();
    }
  }

  async applyGradient(): Promise<number> {
    this.enter('applyGradient');
    try {
      const t0 = performance.now();
      const params = this.params();
      tf.tidy(() => params.update(params.tensorsOf(this.shared().gradient), this.settings));
      // Wait for the update to land so the time is the real cost.
      await params.vars[0]?.data();
      return performance.now() - t0;
    } finally {
      this.leave();
    }
  }

  async evaluate(start: number, count: number): Promise<EvalReport> {
    this.enter('evaluate');
    try {
      const views = this.shared();
      const t0 = performance.now();
      this.params().load(views.global);
      const base = views.spec.trainSize + start;
      const { correct, predictions, lossSum } = await evaluatePass(this.model, this.params().vars, base, count, (indices) => this.batchTensors(indices));
      // Per prediction: a label an image, a next character every position of a text window.
      return { accuracy: predictions > 0 ? correct / predictions : 0, loss: lossSum / count, samples: count, evalMs: performance.now() - t0 };
    } finally {
      this.leave();
    }
  }

  async generate(prompt: number[], length: number, temperature: number, seed: number): Promise<number[]> {
    this.enter('generate');
    try {
      const spec = this.model;
      if (!spec.sequence) throw new TrainerError(`Worker ${this.id}: ${spec.name} is not a text model; only the transformer writes.`);
      this.params().load(this.shared().global);
      return await sampleText(spec, this.params().vars, prompt, length, temperature, createRng(seed));
    } finally {
      this.leave();
    }
  }

  async baseline(warmupSteps: number, timedSteps: number): Promise<BaselineTiming> {
    this.enter('baseline');
    try {
      const shard = this.shared().shard(this.id);
      this.params().load(this.shared().global);
      const timing = await tandemAndBare({
        spec: this.model,
        windows: Array.from({ length: warmupSteps + timedSteps }, (_, s) => this.cyclicBatch(shard, s).slice()),
        warmupSteps,
        settings: this.settings,
        step: (indices) => this.step(indices, false),
        // Image models only (bareStepTimes has no tf.layers form for the transformer and says so).
        batch: (indices) => this.batchTensors(indices) as [tf.Tensor4D, tf.Tensor1D],
      });
      return { id: this.id, backend: this.backendName, ...timing };
    } finally {
      this.leave();
    }
  }

  numTensors(): number {
    return tf.memory().numTensors;
  }

  heapBytes(): number | null {
    const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
    return memory ? memory.usedJSHeapSize : null;
  }

  simulateDeviceLoss(): void {
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    if (this.backendName !== 'webgpu' || !device) {
      throw new TrainerError(`Worker ${this.id} runs ${this.backendName}; only a webgpu worker has a device to lose.`);
    }
    device.destroy();
  }

  injectNaN(): void {
    this.poisonNext = true;
  }

  dispose(): void {
    this.params$?.dispose();
    this.params$ = null;
    this.life.disposed();
  }

  /** Batch `s` of a walk through the shard that wraps around: for profiling and baselines, not for training order. */
  private cyclicBatch(shard: Int32Array, s: number): Int32Array {
    const batch = this.settings.batchSize;
    const start = (s * batch) % Math.max(1, shard.length - batch);
    return shard.subarray(start, start + batch);
  }

  /** A step stretched by the emulated slowdown: its loss, its time with the wait, and without. */
  private async timedStep(indices: Int32Array, record: boolean, slowdown: number): Promise<{ loss: number; ms: number; measuredMs: number }> {
    const t0 = performance.now();
    const loss = await this.step(indices, record);
    const measuredMs = performance.now() - t0;
    this.stretch(measuredMs, slowdown);
    return { loss, ms: performance.now() - t0, measuredMs };
  }

  /** One SGD step on `indices` (global train indices); returns the batch's mean loss. */
  private async step(indices: Int32Array, record: boolean): Promise<number> {
    const { loss, updates } = this.gradients(indices);
    tf.tidy(() => this.params().update(updates, this.settings));
    tf.dispose(updates);
    // Reading the losses waits for the step to finish, so step times are real.
    const losses = await loss.data();
    loss.dispose();
    if (record) this.shared().recordLosses(indices, losses);
    return mean(losses);
  }

  /** Per-sample losses and one update tensor per parameter for the batch `indices` (model-losses.ts batchUpdates). */
  private gradients(indices: Int32Array): { loss: tf.Tensor1D; updates: tf.Tensor[] } {
    const [x, y] = this.batchTensors(indices, true);
    try {
      return batchUpdates(this.model, this.params().vars, x, y, `Worker ${this.id}`);
    } finally {
      x.dispose();
      y.dispose();
    }
  }

  /**
   * Emulated heterogeneity: sleep so that a step that took `ms` takes
   * `factor` times as long. The thread sleeps (frees its core), as a slower
   * device would leave the CPU to the others. A stop wakes it (see
   * INTERRUPT_WORD in the layout).
   */
  private stretch(ms: number, factor: number): void {
    if (factor > 1) this.shared().sleepUnlessInterrupted(ms * (factor - 1));
  }

  /**
   * A batch from shared memory: images scaled to [0, 1] (augmented only for
   * training when configured) and labels, or a text model's windows as ids
   * and next ids.
   */
  private batchTensors(indices: Int32Array, train = false): [tf.Tensor, tf.Tensor] {
    if (this.model.sequence) return this.batches.windows(this.shared(), this.model.inputShape[1], indices);
    return this.batches.tensors(this.shared(), this.model.inputShape, indices, train ? this.settings.augment : null);
  }

  /** Writes the local model into `out`; false if any value is NaN or infinite. */
  private async publish(out: Float32Array): Promise<boolean> {
    const finite = await this.params().write(out);
    if (!this.poisonNext) return finite;
    this.poisonNext = false;
    out[0] = Number.NaN;
    return false;
  }

  private params(): ModelParams {
    if (!this.params$) throw new TrainerError(`Worker ${this.id}: not initialised; call init first.`);
    return this.params$;
  }

  private shared(): SharedViews {
    if (!this.views) throw new TrainerError(`Worker ${this.id}: not initialised; call init first.`);
    return this.views;
  }

  /**
   * Ends this trainer: its backend is gone (a lost device, memory run out).
   * Later calls say why, and the host hears of it once, so the pool replaces it.
   */
  lose(reason: string): void {
    if (this.life.lose(reason)) this.onLost(reason);
  }

  isLost(): boolean {
    return this.life.isLost();
  }

  /** What a failure report names (trainer-failures.ts): the worker, its backend, model and the batch `call` ran at. */
  failureContext(call: string): { id: number; backend: BackendName; model: string; batch: number } {
    return {
      id: this.id,
      backend: this.backendName,
      model: this.modelSpec?.name ?? 'the model',
      batch: call === 'evaluate' ? EVAL_BATCH : this.settings.batchSize,
    };
  }

  private enter(what: string): void {
    this.life.enter(this.id, what);
  }

  private leave(): void {
    this.life.leave();
  }
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return values.length > 0 ? sum / values.length : Number.NaN;
}
