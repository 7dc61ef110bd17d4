/**
 * One worker's training logic, independent of how it is hosted: the worker
 * entry exposes an instance through comlink, and tests can drive one in Node.
 * It owns its local model theta_i and its optimizer state (momentum stays
 * local across rounds); everything it shares goes through SharedViews.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName, FallbackPolicy } from '../core/config';
import { createRng, type Rng } from '../core/rng';
import { median } from '../core/schedule';
import { shardWindow } from '../core/sampler';
import { NO_AUGMENTATION, augmentInto } from '../data/augment';
import { forward, perSampleLoss } from '../models/forward';
import { paramOffsets, paramSize, type ModelSpec } from '../models/spec';
import { bareStepTimes, layersModel } from './bare-baseline';
import type {
  BackendReport,
  BaselineTiming,
  ModelArtifacts,
  EvalReport,
  GradientReport,
  OptimizerSettings,
  ProfileReport,
  RoundOrder,
  RoundReport,
  TrainerApi,
  WorkerInit,
} from '../protocol';
import { SharedViews } from '../shared-memory/layout';
import { EVAL_BATCH } from '../protocol';

/** Starts a tfjs backend; injected so Node tests can use cpu/wasm without the browser setup. */
export type BackendStarter = (
  id: number,
  backend: BackendName,
  policy: FallbackPolicy,
  onDeviceLost: (reason: string) => void,
) => Promise<BackendReport>;

type TrainerState = 'new' | 'ready' | 'busy' | 'lost' | 'disposed';


export class TrainerError extends Error {
  override readonly name = 'TrainerError';
}

export class TrainerCore implements TrainerApi {
  private state: TrainerState = 'new';
  private id = -1;
  private views: SharedViews | null = null;
  private vars: tf.Variable[] = [];
  /** Momentum buffers, one per `weight` parameter (null for BatchNorm running statistics). */
  private velocity: (tf.Variable | null)[] = [];
  private offsets: number[] = [];
  private settings: OptimizerSettings = {
    learningRate: 0.05,
    momentum: 0.9,
    weightDecay: 1e-4,
    batchSize: 32,
    augment: NO_AUGMENTATION,
    seed: 0,
  };
  private augmentRng: Rng = createRng(0);
  /** Atomics.wait needs an Int32Array on shared memory; nothing ever wakes it. */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  private lostReason: string | null = null;
  private xBuffer = new Float32Array(0);
  private yBuffer = new Int32Array(0);

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
    if (this.state !== 'new') throw new TrainerError(`Worker ${init.id}: init called twice (state ${this.state}).`);
    this.id = init.id;
    this.modelSpec = init.model;
    this.views = new SharedViews(init.memory, init.layout);
    const report = await this.startBackend(init.id, init.backend, init.fallback, (reason) => {
      this.lostReason = reason;
      this.state = 'lost';
      this.onLost(reason);
    });
    this.backendName = report.backend;
    this.offsets = paramOffsets(this.model);
    this.vars = this.model.params.map((p) =>
      tf.variable(tf.zeros(p.shape), p.role === 'weight', `w${init.id}/${p.name}`),
    );
    this.velocity = this.model.params.map((p) =>
      p.role === 'weight' ? tf.variable(tf.zeros(p.shape), false, `v${init.id}/${p.name}`) : null,
    );
    this.state = 'ready';
    return report;
  }

  configure(settings: OptimizerSettings, restartStreams: boolean): void {
    if (restartStreams || settings.seed !== this.settings.seed) this.augmentRng = createRng(settings.seed).fork(`augment-${this.id}`);
    this.settings = { ...settings, augment: { ...settings.augment } };
  }

  async loadGlobal(resetOptimizer: boolean): Promise<void> {
    this.enter('loadGlobal');
    try {
      this.load(this.shared().global);
      if (resetOptimizer) tf.tidy(() => this.velocity.forEach((v) => v?.assign(tf.zerosLike(v))));
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
      this.load(this.shared().global);
      for (let s = 0; s < warmupSteps + timedSteps; s++) {
        const indices = this.cyclicBatch(shard, s);
        const timed = await this.timedStep(indices, false, slowdown);
        if (s >= warmupSteps) {
          measured.push(timed.measuredMs);
          times.push(timed.ms);
        }
      }
      return { id: this.id, stepMs: median(times), measuredStepMs: median(measured), samplesMs: times };
    } finally {
      this.leave();
    }
  }

  async runRound(order: RoundOrder): Promise<RoundReport> {
    this.enter('runRound');
    try {
      const views = this.shared();
      const t0 = performance.now();
      this.load(views.global);
      const loadMs = performance.now() - t0;
      const shard = views.shard(this.id);
      const batch = this.settings.batchSize;
      const stepTimes: number[] = [];
      const measured: number[] = [];
      let lossSum = 0;
      for (let s = 0; s < order.steps; s++) {
        const indices = shardWindow(shard, order.shardStored, order.shardOffset + s * batch, batch);
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
        steps: order.steps,
        samples: order.steps * batch,
        busyMs: performance.now() - t0,
        stepMs: median(stepTimes),
        measuredStepMs: median(measured),
        exchangeMs: loadMs + publishMs,
        loss: order.steps > 0 ? lossSum / order.steps : Number.NaN,
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
        await writeFlat(updates, this.offsets, views.slot(this.id));
      } finally {
        tf.dispose(updates);
      }
      const losses = await loss.data();
      loss.dispose();
      this.stretch(performance.now() - t0, slowdown);
      this.recordLosses(indices, losses);
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
      const g = this.shared().gradient;
      tf.tidy(() => {
        const grads = this.model.params.map((p, i) =>
          tf.tensor(g.slice(this.offsets[i], (this.offsets[i] ?? 0) + paramSize(p)), p.shape),
        );
        this.update(grads);
      });
      // Wait for the update to land so the time is the real cost.
      await this.vars[0]?.data();
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
      this.load(views.global);
      const base = views.spec.trainSize + start;
      let correct = 0;
      let lossSum = 0;
      for (let at = 0; at < count; at += EVAL_BATCH) {
        const n = Math.min(EVAL_BATCH, count - at);
        const indices = Int32Array.from({ length: n }, (_, k) => base + at + k);
        const [x, y] = this.batchTensors(indices);
        const [hits, losses] = tf.tidy(() => {
          const { logits } = forward(this.model, this.vars, x, false);
          return [
            tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32')),
            tf.sum(perSampleLoss(logits, y, this.model.classes)),
          ];
        });
        x.dispose();
        y.dispose();
        correct += (await hits.data())[0] ?? 0;
        lossSum += (await losses.data())[0] ?? 0;
        hits.dispose();
        losses.dispose();
      }
      return { accuracy: correct / count, loss: lossSum / count, samples: count, evalMs: performance.now() - t0 };
    } finally {
      this.leave();
    }
  }

  async baseline(warmupSteps: number, timedSteps: number): Promise<BaselineTiming> {
    this.enter('baseline');
    try {
      const shard = this.shared().shard(this.id);
      const steps = warmupSteps + timedSteps;
      const windows = Array.from({ length: steps }, (_, s) => this.cyclicBatch(shard, s).slice());
      this.load(this.shared().global);
      const own: number[] = [];
      for (const [s, indices] of windows.entries()) {
        const t0 = performance.now();
        await this.step(indices, false);
        if (s >= warmupSteps) own.push(performance.now() - t0);
      }
      // Tandem's step builds its batch from shared memory inside the timed
      // region; the bare loop gets ready tensors, which favours bare tfjs.
      const batches = windows.map((indices) => this.batchTensors(indices));
      try {
        const bare = await bareStepTimes(this.model, batches, warmupSteps, this.settings);
        return { id: this.id, backend: this.backendName, tandemStepMs: median(own), bareStepMs: bare.stepMs };
      } finally {
        tf.dispose(batches.flat());
      }
    } finally {
      this.leave();
    }
  }

  async exportModel(): Promise<ModelArtifacts> {
    this.enter('exportModel');
    const model = layersModel(this.model);
    try {
      const theta = this.shared().global;
      tf.tidy(() =>
        model.setWeights(
          this.model.params.map((p, i) => {
            const at = this.offsets[i] ?? 0;
            return tf.tensor(theta.slice(at, at + paramSize(p)), p.shape);
          }),
        ),
      );
      let saved: tf.io.ModelArtifacts | null = null;
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const artifacts = saved as tf.io.ModelArtifacts | null;
      if (!artifacts?.modelTopology || !artifacts.weightSpecs || !(artifacts.weightData instanceof ArrayBuffer)) {
        throw new TrainerError(`Worker ${this.id}: tfjs produced no model artifacts.`);
      }
      return {
        modelTopology: artifacts.modelTopology as object,
        weightSpecs: artifacts.weightSpecs.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })),
        weightData: artifacts.weightData,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
      };
    } finally {
      model.dispose();
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
    tf.dispose([...this.vars, ...this.velocity.filter((v): v is tf.Variable => v !== null)]);
    this.vars = [];
    this.velocity = [];
    this.state = 'disposed';
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
    tf.tidy(() => this.update(updates));
    tf.dispose(updates);
    // Reading the losses waits for the step to finish, so step times are real.
    const losses = await loss.data();
    loss.dispose();
    if (record) this.recordLosses(indices, losses);
    return mean(losses);
  }

  /**
   * Per-sample losses (kept; caller disposes) and one update tensor per
   * parameter, in `params` order: the gradient of a `weight`, the new value
   * of a `state` (BatchNorm running statistics from this batch).
   */
  private gradients(indices: Int32Array): { loss: tf.Tensor1D; updates: tf.Tensor[] } {
    const [x, y] = this.batchTensors(indices, true);
    let perSample: tf.Tensor1D | null = null;
    let state = new Map<number, tf.Tensor>();
    const trainable = this.vars.filter((v) => v.trainable);
    const { value, grads } = tf.variableGrads(() => {
      const out = forward(this.model, this.vars, x, true);
      for (const t of out.stateUpdates.values()) tf.keep(t);
      state = out.stateUpdates;
      const losses = perSampleLoss(out.logits, y, this.model.classes);
      perSample = tf.keep(losses);
      return tf.mean(losses) as tf.Scalar;
    }, trainable);
    value.dispose();
    x.dispose();
    y.dispose();
    if (perSample === null) throw new TrainerError(`Worker ${this.id}: the loss was not computed.`);
    const updates = this.model.params.map((p, i) => {
      const v = this.vars[i];
      const update = p.role === 'weight' ? (v ? grads[v.name] : undefined) : state.get(i);
      if (!update) throw new TrainerError(`Worker ${this.id}: no ${p.role === 'weight' ? 'gradient' : 'running statistic'} for ${p.name}.`);
      return update;
    });
    return { loss: perSample, updates };
  }

  /**
   * SGD with momentum and L2 weight decay (PyTorch's form: v = mu v + g + wd w;
   * w -= lr v) for weights; BatchNorm running statistics take their new value.
   */
  private update(updates: readonly tf.Tensor[]): void {
    const { learningRate, momentum, weightDecay } = this.settings;
    this.vars.forEach((w, i) => {
      const u = updates[i];
      if (!u) return;
      const v = this.velocity[i];
      if (!v) {
        w.assign(u);
        return;
      }
      const full = weightDecay > 0 ? tf.add(u, tf.mul(w, weightDecay)) : u;
      const nextV = tf.add(tf.mul(v, momentum), full);
      v.assign(nextV);
      w.assign(tf.sub(w, tf.mul(nextV, learningRate)));
    });
  }

  /**
   * Emulated heterogeneity: sleep so that a step that took `ms` takes
   * `factor` times as long. The thread sleeps (frees its core), as a slower
   * device would leave the CPU to the others.
   */
  private stretch(ms: number, factor: number): void {
    if (factor > 1) Atomics.wait(this.sleeper, 0, 0, ms * (factor - 1));
  }

  /** A batch from shared memory, scaled to [0, 1]; augmented only for training when configured. */
  private batchTensors(indices: Int32Array, train = false): [tf.Tensor4D, tf.Tensor1D] {
    const views = this.shared();
    const [h, w, c] = this.model.inputShape;
    const size = h * w * c;
    if (this.xBuffer.length < indices.length * size) this.xBuffer = new Float32Array(indices.length * size);
    if (this.yBuffer.length < indices.length) this.yBuffer = new Int32Array(indices.length);
    augmentInto(
      this.xBuffer,
      views.images,
      indices,
      { height: h, width: w, channels: c },
      this.augmentRng,
      train ? this.settings.augment : NO_AUGMENTATION,
    );
    for (let b = 0; b < indices.length; b++) this.yBuffer[b] = views.labels[indices[b] ?? 0] ?? 0;
    // slice(): the backend may keep the array it is given.
    return [
      tf.tensor4d(this.xBuffer.slice(0, indices.length * size), [indices.length, h, w, c]),
      tf.tensor1d(this.yBuffer.slice(0, indices.length), 'int32'),
    ];
  }

  private recordLosses(indices: Int32Array, losses: ArrayLike<number>): void {
    const table = this.shared().losses;
    for (let b = 0; b < indices.length; b++) {
      const index = indices[b] ?? 0;
      if (index < table.length) table[index] = losses[b] ?? Number.NaN;
    }
  }

  /** Copies theta out of shared memory into the local variables. */
  private load(theta: Float32Array): void {
    tf.tidy(() => {
      this.model.params.forEach((p, i) => {
        const at = this.offsets[i] ?? 0;
        // slice(): a tensor built on a shared view may alias shared memory.
        this.vars[i]?.assign(tf.tensor(theta.slice(at, at + paramSize(p)), p.shape));
      });
    });
  }

  /** Writes the local model into `out`; false if any value is NaN or infinite. */
  private async publish(out: Float32Array): Promise<boolean> {
    const finite = await writeFlat(this.vars, this.offsets, out);
    if (!this.poisonNext) return finite;
    this.poisonNext = false;
    out[0] = Number.NaN;
    return false;
  }

  private shared(): SharedViews {
    if (!this.views) throw new TrainerError(`Worker ${this.id}: not initialised; call init first.`);
    return this.views;
  }

  private enter(what: string): void {
    if (this.state === 'ready') {
      this.state = 'busy';
      return;
    }
    if (this.state === 'lost') {
      throw new TrainerError(`Worker ${this.id}: cannot ${what}: ${this.lostReason ?? 'backend lost'}.`);
    }
    throw new TrainerError(`Worker ${this.id}: cannot ${what} while ${this.state}.`);
  }

  private leave(): void {
    if (this.state === 'busy') this.state = 'ready';
  }
}

async function writeFlat(
  tensors: readonly tf.Tensor[] | tf.NamedTensorMap,
  offsets: readonly number[],
  out: Float32Array,
): Promise<boolean> {
  const list = Array.isArray(tensors) ? tensors : Object.values(tensors);
  // Read every tensor first: on webgpu each read is an async readback.
  const values = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
  let finite = true;
  values.forEach((v, i) => {
    out.set(v, offsets[i] ?? 0);
    if (finite) for (const x of v) if (!Number.isFinite(x)) { finite = false; break; }
  });
  return finite;
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return values.length > 0 ? sum / values.length : Number.NaN;
}
