import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { weightedAverageInto } from '../core/aggregate';
import { createRng } from '../core/rng';
import { forward, perSampleLoss } from '../models/forward';
import { cnnSpec, initialTheta, paramCount, paramOffsets, paramSize, resnet20Spec } from '../models/spec';
import type { BackendReport } from '../protocol';
import { SharedViews, computeLayout } from '../shared-memory/layout';
import { layoutOf } from './array-layout-testing';
import { layersArtifacts } from './layers-export';
import { TrainerCore, type BackendStarter } from './trainer-core';

const model = cnnSpec([8, 8, 1], 2);
const TRAIN = 64;
const TEST = 32;

/** Two separable classes: bright top half vs bright bottom half, plus noise. */
function makeViews(): SharedViews {
  const layout = computeLayout({
    paramCount: paramCount(model), slots: 2, trainSize: TRAIN, testSize: TEST, sampleBytes: 64, shardCapacity: TRAIN,
  });
  const views = new SharedViews(new SharedArrayBuffer(layout.totalBytes), layout);
  const rng = createRng(3);
  for (let i = 0; i < TRAIN + TEST; i++) {
    const label = i % 2;
    views.labels[i] = label;
    const img = views.image(i);
    for (let p = 0; p < 64; p++) {
      const top = p < 32;
      img[p] = Math.min(255, (top === (label === 0) ? 180 : 20) + Math.floor(rng.next() * 60));
    }
  }
  views.global.set(initialTheta(model, rng.fork('init')));
  views.losses.fill(Number.POSITIVE_INFINITY);
  views.shard(0).set(rng.permutation(TRAIN));
  return views;
}

/** Per-sample losses of `model` at `theta` on the samples `indices` of `views` (no augmentation), computed directly. */
function directLosses(views: SharedViews, theta: Float32Array, indices: Int32Array): number[] {
  const offsets = paramOffsets(model);
  const size = 8 * 8;
  return tf.tidy(() => {
    const params = model.params.map((p, i) => {
      const at = offsets[i] ?? 0;
      return tf.tensor(theta.slice(at, at + paramSize(p)), p.shape);
    });
    const pixels = new Float32Array(indices.length * size);
    indices.forEach((index, b) => views.image(index).forEach((v, p) => (pixels[b * size + p] = v / 255)));
    const x = tf.tensor4d(pixels, [indices.length, 8, 8, 1]);
    const y = tf.tensor1d(Array.from(indices, (index) => views.labels[index] ?? 0), 'int32');
    return Array.from(perSampleLoss(forward(model, params, x).logits, y, model.classes).dataSync());
  });
}

const cpuStarter: BackendStarter = async (_id, backend): Promise<BackendReport> => {
  await tf.setBackend('cpu');
  return { requested: backend, backend: 'cpu', failures: [], adapter: null, wasm: null, tfBackend: tf.getBackend() };
};

describe('TrainerCore', () => {
  let views: SharedViews;
  let core: TrainerCore;

  beforeAll(async () => {
    views = makeViews();
    core = new TrainerCore(cpuStarter);
    await core.init({ id: 0, backend: 'cpu', fallback: 'refuse', memory: views.buffer, layout: views.spec, model });
    core.configure({ learningRate: 0.1, momentum: 0.9, weightDecay: 0, batchSize: 8, augment: { cropPadding: 0, flip: false }, seed: 1 }, true);
    await core.loadGlobal(true);
  });

  it("holds its variables' shapes as packed small integers though the model spec arrived as a structured clone", async () => {
    const cloned = structuredClone(model);
    expect(layoutOf(cloned.params[0]!.shape)).toBe('any values, holey');
    const fresh = new TrainerCore(cpuStarter);
    await fresh.init({ id: 7, backend: 'cpu', fallback: 'refuse', memory: makeViews().buffer, layout: views.spec, model: cloned });
    const variables = Object.values(tf.engine().registeredVariables).filter((v) => v.name.startsWith('w7/'));
    expect(variables).toHaveLength(model.params.length);
    for (const v of variables) expect(layoutOf(v.shape), v.name).toBe('small integers, packed');
    fresh.dispose();
  });

  it('refuses work before init, naming the call', async () => {
    const fresh = new TrainerCore(cpuStarter);
    await expect(fresh.runRound({ round: 1, steps: 1, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false })).rejects.toThrow(/cannot runRound while new/);
  });

  it('learns, publishes its slot, records a loss for every sample it trained on, and leaks no tensors', async () => {
    const before = await core.evaluate(0, TEST);
    const tensors = core.numTensors();
    let offset = 0;
    for (let round = 1; round <= 6; round++) {
      const report = await core.runRound({ round, steps: 4, shardOffset: offset, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
      offset = (offset + 32) % TRAIN;
      expect(report.steps).toBe(4);
      expect(report.samples).toBe(32);
      expect(report.finite).toBe(true);
      expect(views.slotVersion(0)).toBe(round);
      // Local SGD: the next round starts from theta_bar, so publish it.
      views.global.set(views.slot(0));
      expect(core.numTensors()).toBe(tensors);
    }
    const after = await core.evaluate(0, TEST);
    expect(after.accuracy).toBeGreaterThan(0.9);
    expect(after.loss).toBeLessThan(before.loss);
    expect(views.losses.every((l) => Number.isFinite(l))).toBe(true);
  });

  it('measures a window of steps and leaves no trace: the next round trains exactly as without it', async () => {
    const theta0 = initialTheta(model, createRng(5));
    const round = async (measure: boolean): Promise<Float32Array> => {
      views.global.set(theta0);
      await core.loadGlobal(true);
      // One step first, so momentum is not zero and a measurement that touched it would show.
      await core.runRound({ round: 301, steps: 1, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
      if (measure) {
        const tensors = core.numTensors();
        const report = await core.measure(performance.timeOrigin + performance.now() + 30, 1);
        expect(report.steps).toBeGreaterThanOrEqual(1);
        expect(report.samples).toBe(report.steps * 8);
        expect(core.numTensors()).toBe(tensors);
      }
      await core.runRound({ round: 302, steps: 2, shardOffset: 8, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: true });
      return views.slot(0).slice();
    };
    const plain = await round(false);
    const measured = await round(true);
    expect([...measured]).toEqual([...plain]);
  });

  it('interrupted, ends a round at the steps taken and profiling after one step, and sleeps no emulated slowdown', async () => {
    views.interrupt();
    try {
      // A slowdown of 1e6 would sleep for hours per step if the interrupt did not cut it short.
      const report = await core.runRound({ round: 401, steps: 5, shardOffset: 0, shardStored: TRAIN, slowdown: 1e6, untilClosed: 0, minSteps: 0, resume: false });
      expect(report.steps).toBe(0);
      expect(report.samples).toBe(0);
      expect(report.finite).toBe(true);
      expect(views.slotVersion(0)).toBe(401);
      const profile = await core.profile(2, 5, 1e6);
      expect(profile.samplesMs).toHaveLength(1);
      expect(Number.isFinite(profile.stepMs)).toBe(true);
    } finally {
      views.clearInterrupt();
    }
    const after = await core.runRound({ round: 402, steps: 3, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
    expect(after.steps).toBe(3);
  });

  it('filling by time, steps until its stretch closes: then stops before the next step and publishes what it has', async () => {
    const open = views.openStretch();
    // Open all along: every step of the bound.
    const full = await core.runRound({ round: 411, steps: 4, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: open, minSteps: 0, resume: false });
    expect(full.steps).toBe(4);
    // Closed after the second step (the pacer done while this worker trained): two steps, published.
    const stretch = views.openStretch();
    // The trainer reads the buffer through views of its own: close from its loss write after each step.
    const record = SharedViews.prototype.recordLosses;
    let recorded = 0;
    const spy = vi.spyOn(SharedViews.prototype, 'recordLosses').mockImplementation(function (this: SharedViews, indices, losses) {
      record.call(this, indices, losses);
      if (++recorded === 2) views.closeStretch(stretch);
    });
    try {
      const cut = await core.runRound({ round: 412, steps: 50, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: stretch, minSteps: 0, resume: false });
      expect(cut.steps).toBe(2);
      expect(cut.finite).toBe(true);
      expect(views.slotVersion(0)).toBe(412);
    } finally {
      spy.mockRestore();
    }
    // Ids grow: the next stretch is open, and 0 (take every step) is never closed.
    expect(views.stretchClosed(views.openStretch())).toBe(false);
    expect(views.stretchClosed(stretch)).toBe(true);
    // Closed from the start, it still takes its floor of steps.
    const floored = await core.runRound({ round: 414, steps: 10, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: stretch, minSteps: 3, resume: false });
    expect(floored.steps).toBe(3);
    const plain = await core.runRound({ round: 413, steps: 3, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
    expect(plain.steps).toBe(3);
  });

  it('records each sample’s own loss, at its index, from the forward pass before its step (local rounds and sync gradients)', async () => {
    const theta0 = initialTheta(model, createRng(11));
    const shard = views.shard(0);
    const first = shard.slice(0, 8);
    const second = shard.slice(8, 16);
    // theta after the first step: a one-step round from theta0 with fresh momentum.
    views.global.set(theta0);
    await core.loadGlobal(true);
    await core.runRound({ round: 201, steps: 1, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
    const theta1 = views.slot(0).slice();

    views.global.set(theta0);
    views.losses.fill(Number.POSITIVE_INFINITY);
    await core.loadGlobal(true);
    await core.runRound({ round: 202, steps: 2, shardOffset: 0, shardStored: TRAIN, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });

    const before = [...directLosses(views, theta0, first), ...directLosses(views, theta1, second)];
    const after = [...directLosses(views, theta1, first), ...directLosses(views, views.slot(0), second)];
    const recorded = [...first, ...second].map((i) => views.losses[i] ?? Number.NaN);
    // The test can tell the right losses from the wrong ones: per-sample, not
    // the batch mean, and far apart before and after the step.
    expect(Math.max(...before) - Math.min(...before)).toBeGreaterThan(1e-2);
    expect(Math.max(...before.map((l, k) => Math.abs(l - (after[k] ?? 0))))).toBeGreaterThan(1e-2);
    recorded.forEach((l, k) => expect(l, `sample ${[...first, ...second][k]}`).toBeCloseTo(before[k] ?? Number.NaN, 5));
    // Nothing else in the table was touched.
    const trained = new Set([...first, ...second]);
    for (let i = 0; i < TRAIN; i++) if (!trained.has(i)) expect(views.losses[i], `sample ${i}`).toBe(Number.POSITIVE_INFINITY);

    // A synchronous step records its batch's losses from the gradient's forward pass, at theta_bar.
    views.global.set(theta1);
    views.losses.fill(Number.POSITIVE_INFINITY);
    await core.loadGlobal(true);
    await core.computeGradient(8, TRAIN, 1);
    const synced = directLosses(views, theta1, second);
    second.forEach((index, k) => expect(views.losses[index], `sample ${index}`).toBeCloseTo(synced[k] ?? Number.NaN, 5));
    expect(views.losses.filter((l) => l !== Number.POSITIVE_INFINITY)).toHaveLength(second.length);
  });

  it('round-trips theta through shared memory exactly', async () => {
    const theta = initialTheta(model, createRng(9));
    views.global.set(theta);
    await core.loadGlobal(false);
    await core.publishModel(99);
    expect(views.slot(0)).toEqual(theta);
    expect(views.slotVersion(0)).toBe(99);
  });

  it('computes a gradient into its slot and applies an averaged one', async () => {
    await core.loadGlobal(true);
    const theta = views.global.slice();
    await core.computeGradient(0, TRAIN, 1);
    const grad = views.slot(0).slice();
    expect(grad.some((g) => g !== 0)).toBe(true);
    views.gradient.set(grad);
    await core.applyGradient();
    await core.publishModel(100);
    const lr = 0.1;
    const moved = views.slot(0);
    for (const k of [0, 5, 100]) expect(moved[k]).toBeCloseTo((theta[k] ?? 0) - lr * (grad[k] ?? 0), 5);
  });

  it('exports theta_bar as a tfjs layers model that predicts like the engine', async () => {
    views.global.set(initialTheta(model, createRng(5)));
    const offsets = paramOffsets(model);
    const tensors = model.params.map((p, i) => tf.tensor(views.global.slice(offsets[i] ?? 0, (offsets[i] ?? 0) + paramSize(p)), p.shape));
    const artifacts = await layersArtifacts(model, tensors);
    tf.dispose(tensors);
    expect(artifacts.format).toBe('layers-model');
    expect(artifacts.weightData.byteLength).toBe(paramCount(model) * 4);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const x = tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 1);
    const expected = tf.tidy(() => forward(model, loaded.getWeights(), x as tf.Tensor4D).logits);
    const got = loaded.predict(x) as tf.Tensor;
    expect(Math.max(...(await tf.sub(got, expected).abs().data()))).toBeLessThan(1e-5);
    const weights = loaded.getWeights();
    expect(await weights[0]!.data()).toEqual(views.global.slice(0, 9 * 8));
    tf.dispose([x, expected, got]);
    loaded.dispose();
  });
});

describe('TrainerCore with BatchNorm (ResNet-20)', () => {
  const resnet = resnet20Spec([8, 8, 3], 2);
  const offsets = paramOffsets(resnet);
  const meanIndex = resnet.params.findIndex((p) => p.name === 'bn0/moving_mean');
  const varIndex = resnet.params.findIndex((p) => p.name === 'bn0/moving_variance');

  it('keeps BatchNorm running statistics in theta: trained, published and averaged like weights', async () => {
    const layout = computeLayout({
      paramCount: paramCount(resnet), slots: 2, trainSize: 16, testSize: 8, sampleBytes: 192, shardCapacity: 16,
    });
    const views = new SharedViews(new SharedArrayBuffer(layout.totalBytes), layout);
    const rng = createRng(4);
    for (let i = 0; i < views.images.length; i++) views.images[i] = Math.floor(rng.next() * 256);
    for (let i = 0; i < 24; i++) views.labels[i] = i % 2;
    views.global.set(initialTheta(resnet, rng.fork('init')));
    views.shard(1).set(rng.permutation(16));
    const core = new TrainerCore(cpuStarter);
    // Id 1: the other suite's worker 0 shares this tfjs engine and its variable names.
    await core.init({ id: 1, backend: 'cpu', fallback: 'refuse', memory: views.buffer, layout: views.spec, model: resnet });
    core.configure({ learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4, batchSize: 8, augment: { cropPadding: 0, flip: false }, seed: 1 }, true);
    await core.loadGlobal(true);
    const meanAt = offsets[meanIndex] ?? -1;
    const varAt = offsets[varIndex] ?? -1;
    expect(views.global[meanAt]).toBe(0);
    expect(views.global[varAt]).toBe(1);

    const report = await core.runRound({ round: 1, steps: 2, shardOffset: 0, shardStored: 16, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
    expect(report.finite).toBe(true);
    const slot = views.slot(1);
    // Pixel means are about 0.5, so after two steps (momentum 0.1) the running mean has moved off 0.
    expect(Math.abs(slot[meanAt] ?? 0)).toBeGreaterThan(1e-4);
    expect(slot[varAt]).not.toBe(1);

    // Sync SGD: the gradient slot carries the batch's running statistics, which apply as they are.
    views.global.set(slot);
    await core.loadGlobal(true);
    await core.computeGradient(0, 16, 1);
    const carried = views.slot(1)[meanAt] ?? 0;
    expect(Math.abs(carried)).toBeGreaterThan(1e-4);
    views.gradient.set(views.slot(1));
    await core.applyGradient();
    await core.publishModel(2);
    expect(views.slot(1)[meanAt]).toBeCloseTo(carried, 6);
    const evaluation = await core.evaluate(0, 8);
    expect(Number.isFinite(evaluation.loss)).toBe(true);
    core.dispose();
  });
});

describe('BatchNorm statistics through aggregation', () => {
  it('averages two workers running statistics into theta_bar, and a worker reloads them', async () => {
    const resnet = resnet20Spec([8, 8, 3], 2);
    const meanAt = paramOffsets(resnet)[resnet.params.findIndex((p) => p.name === 'bn0/moving_mean')] ?? -1;
    const layout = computeLayout({
      paramCount: paramCount(resnet), slots: 4, trainSize: 32, testSize: 8, sampleBytes: 192, shardCapacity: 32,
    });
    const views = new SharedViews(new SharedArrayBuffer(layout.totalBytes), layout);
    const rng = createRng(8);
    // Worker 2 sees dark images, worker 3 bright ones: their running means differ.
    for (let i = 0; i < 40; i++) views.image(i).fill(i < 16 ? 20 : 230);
    views.global.set(initialTheta(resnet, rng.fork('init')));
    views.shard(2).set(Int32Array.from({ length: 32 }, (_, k) => k % 16));
    views.shard(3).set(Int32Array.from({ length: 32 }, (_, k) => 16 + (k % 16)));
    const cores = [new TrainerCore(cpuStarter), new TrainerCore(cpuStarter)];
    for (const [i, core] of cores.entries()) {
      await core.init({ id: 2 + i, backend: 'cpu', fallback: 'refuse', memory: views.buffer, layout: views.spec, model: resnet });
      core.configure({ learningRate: 0.01, momentum: 0.9, weightDecay: 0, batchSize: 8, augment: { cropPadding: 0, flip: false }, seed: 1 }, true);
      await core.loadGlobal(true);
      await core.runRound({ round: 1, steps: 2, shardOffset: 0, shardStored: 32, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false });
    }
    const dark = views.slot(2)[meanAt] ?? 0;
    const bright = views.slot(3)[meanAt] ?? 0;
    expect(Math.abs(dark - bright)).toBeGreaterThan(1e-3);
    // Steps weights 1:3, as the `steps` aggregation would give for tau 1 and 3.
    weightedAverageInto(views.global, [views.slot(2), views.slot(3)], Float64Array.from([0.25, 0.75]));
    expect(views.global[meanAt]).toBeCloseTo(0.25 * dark + 0.75 * bright, 6);
    await cores[0]!.loadGlobal(false);
    await cores[0]!.publishModel(9);
    expect(views.slot(2)[meanAt]).toBeCloseTo(0.25 * dark + 0.75 * bright, 6);
    for (const core of cores) core.dispose();
  });
});
