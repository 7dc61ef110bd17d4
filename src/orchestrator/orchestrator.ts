/**
 * The main-thread orchestrator: owns the shared memory and the worker pool,
 * profiles workers, sets budgets, builds shards, runs rounds of every
 * algorithm in one engine, aggregates, evaluates, and emits one event per
 * round. The page and the benchmark only listen to its events.
 */
import { aggregationWeights, averageInto, weightedAverageInto } from '../core/aggregate';
import {
  ConfigError,
  DEFAULT_CONFIG,
  mechanismsOf,
  validateConfig,
  type Mechanisms,
  type ModelName,
  type RunConfig,
} from '../core/config';
import { createRng, type Rng } from '../core/rng';
import { buildShards, selectBiasedWorkers, topLossIndices } from '../core/sampler';
import { ADAPTIVE_SMOOTHING, computeBudgets, roundsPerPeriod, updateStepEstimate } from '../core/schedule';
import { stratifiedSplit } from '../core/split';
import type { ImageDataset } from '../data/dataset-file';
import type { LoadedDataset } from '../data/sources';
import { initialTheta, modelSpec, paramCount, type ModelSpec } from '../models/spec';
import type { BaselineReport, DatasetInfo, HardSample, ModelArtifacts, OptimizerSettings, EngineEvent, RoundEvent, RunPhase, RunResult, WorkerInfo, WorkerRoundStats } from '../protocol';
import { allocate, computeLayout, type SharedViews } from '../shared-memory/layout';
import { WorkerPool, type PoolWorker } from './worker-pool';

/** Test samples held out per class (Fashion-MNIST: 7,000 per class -> 6,000 train / 1,000 test). */
export const TEST_PER_CLASS = 1000;
/** Fixed, so every run and seed is evaluated on the same test set. */
export const SPLIT_SEED = 20240805;
export const MAX_SLOTS = 8;

export type Listener = (event: EngineEvent) => void;

const IDLE_PHASES: readonly RunPhase[] = ['idle', 'done', 'failed'];

export class RunStateError extends Error {
  override readonly name = 'RunStateError';
}

/** Reads a dataset by its spec string (`fashion-mnist`, `cifar10:/files/`, ...). */
export type DatasetLoader = (dataset: string) => Promise<LoadedDataset>;

/** A dataset and a model laid out in shared memory. */
export interface Prepared {
  views: SharedViews;
  model: ModelSpec;
  datasetId: string;
  trainSize: number;
  testSize: number;
  classNames: readonly string[] | null;
}

/** The learning rate at a (fractional) epoch: step decay at each of lrDecayEpochs. */
export function scheduledRate(config: Pick<RunConfig, 'learningRate' | 'lrDecayEpochs' | 'lrDecayFactor'>, epoch: number): number {
  const decays = config.lrDecayEpochs.filter((e) => epoch >= e).length;
  return config.learningRate * config.lrDecayFactor ** decays;
}

/** The emulated slowdown of worker `id` in round `round` (the last rule in force wins). */
export function slowdownOf(config: Pick<RunConfig, 'slowdown'>, id: number, round: number): number {
  let factor = 1;
  for (const rule of config.slowdown) if (rule.worker === id && rule.fromRound <= round) factor = rule.factor;
  return factor;
}

function optimizerSettings(config: RunConfig, model: ModelSpec, learningRate: number): OptimizerSettings {
  const colour = model.inputShape[2] === 3;
  const augment = config.augmentation === 'on' || (config.augmentation === 'auto' && colour);
  return {
    learningRate,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    batchSize: config.batchSize,
    augment: augment ? { cropPadding: 4, flip: true } : { cropPadding: 0, flip: false },
    seed: config.seed,
  };
}

/** Per-worker state within one run. */
interface Member {
  worker: PoolWorker;
  /** Current step-time estimate, ms (profiled, then updated each round when adaptive). */
  stepMs: number;
  /** Last measured step time without emulated slowdown, ms. */
  measuredStepMs: number;
  /** Emulated slowdown factor in force (1 = none). */
  slowdown: number;
  tau: number;
  biased: boolean;
  /** Next unread sample in this worker's shard, and the shard's filled length. */
  shardOffset: number;
  shardLength: number;
  steps: number;
  samples: number;
  busyMs: number;
  idleMs: number;
}

export class Orchestrator {
  private loaded: LoadedDataset | null = null;
  private memory: Prepared | null = null;
  private pool: WorkerPool | null = null;
  private readonly listeners = new Set<Listener>();
  private history: RoundEvent[] = [];
  private state: RunPhase = 'idle';
  private stopRequested = false;
  private pauseRequested = false;
  private resumeWaiter: (() => void) | null = null;
  private workerInfo: WorkerInfo[] = [];
  constructor(private readonly loadDataset: DatasetLoader) {}

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  phase(): RunPhase {
    return this.state;
  }

  /** True between run() being called and its result. */
  isRunning(): boolean {
    return !IDLE_PHASES.includes(this.state);
  }

  events(): RoundEvent[] {
    return this.history.slice();
  }

  workers(): WorkerInfo[] {
    return this.workerInfo.map((w) => ({ ...w }));
  }

  /** The dataset and model in shared memory now, if any. */
  datasetInfo(): DatasetInfo | null {
    const m = this.memory;
    if (!m) return null;
    return {
      id: m.datasetId,
      model: m.model.name,
      trainSize: m.trainSize,
      testSize: m.testSize,
      shape: m.model.inputShape,
      classes: m.model.classes,
      classNames: m.classNames ? [...m.classNames] : null,
    };
  }

  /**
   * Loads `dataset` (once) and lays it out in shared memory with room for
   * `model`: train samples first, then test. A new dataset or model means new
   * shared memory, so the worker pool is restarted on the next run.
   */
  async prepare(dataset: string, model: ModelName): Promise<Prepared> {
    if (this.memory && this.memory.datasetId === dataset && this.memory.model.name === model) return this.memory;
    if (!this.loaded || this.loaded.id !== dataset) {
      this.emit({ type: 'log', level: 'info', message: `Loading dataset ${dataset}.` });
      this.loaded = await this.loadDataset(dataset);
    }
    const { train, test } = this.loaded;
    if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
      throw new Error(
        `Dataset ${dataset}: train images are ${train.height}x${train.width}x${train.channels} but test images are ` +
          `${test.height}x${test.width}x${test.channels}; both splits must have one shape.`,
      );
    }
    const spec = modelSpec(model, [train.height, train.width, train.channels], Math.max(train.classes, test.classes));
    const sampleBytes = train.height * train.width * train.channels;
    const layout = computeLayout({
      paramCount: paramCount(spec),
      slots: MAX_SLOTS,
      trainSize: train.count,
      testSize: test.count,
      sampleBytes,
      shardCapacity: train.count,
    });
    const views = allocate(layout);
    views.images.set(train.images.subarray(0, train.count * sampleBytes), 0);
    views.images.set(test.images.subarray(0, test.count * sampleBytes), train.count * sampleBytes);
    views.labels.set(train.labels.subarray(0, train.count), 0);
    views.labels.set(test.labels.subarray(0, test.count), train.count);
    this.pool?.terminate();
    this.pool = null;
    this.memory = {
      views,
      model: spec,
      datasetId: dataset,
      trainSize: train.count,
      testSize: test.count,
      classNames: this.loaded.classNames,
    };
    return this.memory;
  }

  /** Stops after the current round; the trained global model stays (export it, or look at it). */
  stop(): void {
    if (this.state === 'training' || this.state === 'profiling' || this.state === 'starting' || this.state === 'paused') {
      this.stopRequested = true;
      this.resumeWaiter?.();
      this.setPhase('stopping', 'Stopping after the current round.');
    }
  }

  /** Pauses between rounds; everything (model, optimizer state, loss table, budgets) is kept. */
  pause(): void {
    if (this.state !== 'training') {
      throw new RunStateError(`Cannot pause while ${this.state}; only a training run can be paused.`);
    }
    this.pauseRequested = true;
    this.setPhase('pausing', 'Pausing after the current round.');
  }

  resume(): void {
    if (this.state !== 'paused' && this.state !== 'pausing') {
      throw new RunStateError(`Cannot resume while ${this.state}; only a paused run can be resumed.`);
    }
    this.pauseRequested = false;
    if (this.state === 'pausing') this.setPhase('training', 'Training.');
    this.resumeWaiter?.();
  }

  /** The k training samples with the highest recorded loss (unseen ones skipped). */
  hardestSamples(k: number): HardSample[] {
    const m = this.memory;
    if (!m) return [];
    const { views } = m;
    const { sampleBytes } = views.spec;
    return [...topLossIndices(views.losses, k)].map((index) => ({
      index,
      label: views.labels[index] ?? 0,
      className: m.classNames?.[views.labels[index] ?? 0] ?? null,
      loss: views.losses[index] ?? Number.NaN,
      shape: m.model.inputShape,
      pixels: views.images.slice(index * sampleBytes, (index + 1) * sampleBytes),
    }));
  }

  /** The global model in the tfjs layers format (model.json parts + weights), from a worker. */
  async exportModel(): Promise<ModelArtifacts> {
    const worker = this.pool?.workers[0];
    if (!worker || !this.memory) throw new RunStateError('No model yet: run training first.');
    if (this.state === 'training' || this.state === 'profiling' || this.state === 'starting') {
      throw new RunStateError(`Cannot export while ${this.state}; pause or stop first.`);
    }
    return worker.api.exportModel();
  }

  async run(input: Partial<RunConfig>): Promise<RunResult> {
    const config = validateConfig(input, DEFAULT_CONFIG);
    if (this.isRunning()) {
      throw new RunStateError(`A run is already in progress (phase ${this.state}); stop it first.`);
    }
    this.history = [];
    this.stopRequested = false;
    this.pauseRequested = false;
    try {
      this.setPhase('starting', `Preparing ${config.dataset} for ${config.model}.`);
      const memory = await this.prepare(config.dataset, config.model);
      return await this.execute(config, memory);
    } catch (e) {
      this.setPhase('failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /**
   * Times each worker alone against bare tfjs on its backend. Uses the run
   * machinery (pool, shared memory) but trains nothing that is kept.
   */
  async baseline(options: { workers?: RunConfig['workers'] | string; steps?: number; batchSize?: number }): Promise<BaselineReport[]> {
    const steps = options.steps ?? 20;
    if (!Number.isInteger(steps) || steps < 1 || steps > 1000) {
      throw new ConfigError('steps', steps, 'an integer from 1 to 1000');
    }
    const config = validateConfig({
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
    if (this.isRunning()) {
      throw new RunStateError(`Cannot measure a baseline while a run is in progress (phase ${this.state}).`);
    }
    this.setPhase('profiling', 'Timing each worker alone against bare tfjs.');
    try {
      const memory = await this.prepare(config.dataset, config.model);
      const { views } = memory;
      const pool = await this.ensurePool(config, memory);
      const rng = createRng(config.seed);
      views.global.set(initialTheta(memory.model, rng.fork('init')));
      const reports: BaselineReport[] = [];
      for (const w of pool.workers) {
        views.shard(w.id).set(rng.permutation(memory.trainSize));
        await w.api.configure(optimizerSettings(config, memory.model, config.learningRate));
        reports.push(await w.api.baseline(config.warmupSteps + 3, steps));
      }
      this.setPhase('idle', 'Baseline measured.');
      return reports;
    } catch (e) {
      this.setPhase('failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  private async execute(config: RunConfig, memory: Prepared): Promise<RunResult> {
    const { views, model } = memory;
    const n = memory.trainSize;
    const testSize = memory.testSize;
    const mech = mechanismsOf(config);
    const rng = createRng(config.seed);
    this.setPhase('starting', 'Starting workers.');
    const pool = await this.ensurePool(config, memory);

    views.global.set(initialTheta(model, rng.fork('init')));
    views.bumpGlobal();
    views.losses.fill(Number.POSITIVE_INFINITY);
    let learningRate = config.learningRate;
    await Promise.all(pool.workers.map((w) => w.api.configure(optimizerSettings(config, model, learningRate))));

    // Profile all workers at once: budgets must reflect speed inside the pool.
    this.setPhase('profiling', 'Measuring each worker’s step time.');
    const profileRng = rng.fork('profile');
    for (const w of pool.workers) views.shard(w.id).set(profileRng.permutation(n));
    const profiles = await Promise.all(
      pool.workers.map((w) => w.api.profile(config.warmupSteps, config.profileSteps, slowdownOf(config, w.id, 1))),
    );
    const profiled = profiles.map((p) => p.stepMs);
    const measured = profiles.map((p) => p.measuredStepMs);
    const fastIndex = computeBudgets(profiled, config.tauFast, { unbalanced: true }).fastIndex;
    this.workerInfo = pool.workers.map((w, i) => ({
      id: w.id,
      requested: w.requested,
      backend: w.report.backend,
      report: w.report,
      stepMs: profiled[i] ?? null,
      role: i === fastIndex ? 'fast' : 'slow',
    }));
    this.emit({ type: 'workers', workers: this.workers() });

    const active = mech.fastOnly ? pool.workers.filter((_, i) => i === fastIndex) : pool.workers;
    const members: Member[] = active.map((worker) => ({
      worker,
      stepMs: profiled[pool.workers.indexOf(worker)] ?? 1,
      measuredStepMs: measured[pool.workers.indexOf(worker)] ?? 1,
      slowdown: slowdownOf(config, worker.id, 1),
      tau: config.tauFast,
      biased: false,
      shardOffset: 0,
      shardLength: 0,
      steps: 0,
      samples: 0,
      busyMs: 0,
      idleMs: 0,
    }));
    this.assignBudgets(members, config, mech);
    await Promise.all(members.map((m) => m.worker.api.loadGlobal(true)));

    this.setPhase('training', `Training with ${config.algo}.`);
    const shardRng = rng.fork('shards');
    const evaluator = members.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
    const runStart = performance.now();
    let trainMs = 0;
    let evalMsTotal = 0;
    let aggregateMsTotal = 0;
    let exchangeMsTotal = 0;
    let timeToTargetMs: number | null = null;
    let lastAccuracy: number | null = null;
    let stoppedBy: RunResult['stoppedBy'] = 'time';
    let round = 0;
    const roundsPerEpoch = Math.max(1, Math.floor(n / (config.batchSize * members.length * config.tauFast)));
    const maxRounds = config.epochs === null ? null : Math.max(1, Math.round(config.epochs * roundsPerEpoch));

    for (;;) {
      round++;
      const rate = scheduledRate(config, (round - 1) / roundsPerEpoch);
      if (rate !== learningRate) {
        learningRate = rate;
        await Promise.all(members.map((m) => m.worker.api.configure(optimizerSettings(config, model, learningRate))));
        this.emit({ type: 'log', level: 'info', message: `Round ${round}: learning rate ${rate}.` });
      }
      for (const m of members) m.slowdown = slowdownOf(config, m.worker.id, round);
      const roundStart = performance.now();
      const outcome = mech.synchronous
        ? await this.syncRound(round, members, config, views, n, shardRng)
        : await this.localRound(round, members, config, mech, views, n, shardRng);
      const roundMs = performance.now() - roundStart;
      trainMs += roundMs;
      aggregateMsTotal += outcome.aggregateMs;
      exchangeMsTotal += outcome.exchangeMs;

      let accuracy: number | null = null;
      let evalMs = 0;
      if (round % config.evalEvery === 0) {
        const report = await evaluator.worker.api.evaluate(0, Math.min(config.evalSamples, testSize));
        accuracy = report.accuracy;
        evalMs = report.evalMs;
        evalMsTotal += evalMs;
        lastAccuracy = accuracy;
        if (timeToTargetMs === null && config.targetAccuracy !== null && accuracy >= config.targetAccuracy) {
          timeToTargetMs = trainMs;
        }
      }
      const event: RoundEvent = {
        round,
        wallMs: performance.now() - runStart,
        trainMs,
        roundMs,
        loss: outcome.loss,
        accuracy,
        evalMs,
        aggregateMs: outcome.aggregateMs,
        exchangeMs: outcome.exchangeMs,
        workers: await Promise.all(
          members.map(async (m) => ({ ...outcome.stats.get(m) ?? emptyStats(m), tensors: await m.worker.api.numTensors() })),
        ),
      };
      this.history.push(event);
      this.emit({ type: 'round', event });

      if (!Number.isFinite(outcome.loss)) {
        throw new Error(
          `Training diverged at round ${round} (loss ${outcome.loss}); lower learningRate (now ${config.learningRate}).`,
        );
      }
      if (timeToTargetMs !== null && config.stopAtTarget) { stoppedBy = 'target'; break; }
      if (this.stopRequested) { stoppedBy = 'user'; break; }
      if (config.maxRounds !== null && round >= config.maxRounds) { stoppedBy = 'rounds'; break; }
      if (maxRounds !== null && round >= maxRounds) { stoppedBy = 'epochs'; break; }
      if (trainMs >= config.maxSeconds * 1000) { stoppedBy = 'time'; break; }
      if (this.pauseRequested) {
        // The training clock does not run while paused.
        this.setPhase('paused', `Paused after round ${round}.`);
        await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
        this.resumeWaiter = null;
        if (this.stopRequested) { stoppedBy = 'user'; break; }
        this.setPhase('training', `Training with ${config.algo}.`);
      }
      if (config.adaptiveBudgets) this.assignBudgets(members, config, mech);
    }

    // The final accuracy is always on the whole test set.
    let finalAccuracy = lastAccuracy;
    if (config.evalSamples < testSize || round % config.evalEvery !== 0) {
      const report = await evaluator.worker.api.evaluate(0, testSize);
      finalAccuracy = report.accuracy;
      evalMsTotal += report.evalMs;
    }
    const result: RunResult = {
      algo: config.algo,
      config,
      workers: members.map((m) => ({
        id: m.worker.id,
        backend: m.worker.report.backend,
        requested: m.worker.requested,
        stepMs: m.stepMs,
        measuredStepMs: m.measuredStepMs,
        slowdown: m.slowdown,
        tau: m.tau,
        steps: m.steps,
        samples: m.samples,
        busyMs: m.busyMs,
        idleMs: m.idleMs,
      })),
      rounds: round,
      trainMs,
      evalMs: evalMsTotal,
      aggregateMs: aggregateMsTotal,
      exchangeMs: exchangeMsTotal,
      timeToTargetMs,
      finalAccuracy,
      aggregation: mech.aggregation,
      emulated: config.slowdown.length > 0,
      roundsPerEpoch,
      stoppedBy,
      history: this.history.map((e) => ({ round: e.round, trainMs: e.trainMs, loss: e.loss, accuracy: e.accuracy })),
    };
    this.setPhase('done', `Finished: ${stoppedBy}.`);
    this.emit({ type: 'done', result });
    return result;
  }

  /** tau_i from the current step-time estimates; bias roles from the current fastest. */
  private assignBudgets(members: Member[], config: RunConfig, mech: Mechanisms): void {
    const budgets = computeBudgets(
      members.map((m) => m.stepMs),
      config.tauFast,
      { unbalanced: mech.unbalancedSteps },
    );
    const biased = mech.biasedSampling
      ? selectBiasedWorkers(config.biasDirection, budgets.fastIndex, members.length)
      : members.map(() => false);
    members.forEach((m, i) => {
      m.tau = budgets.tau[i] ?? config.tauFast;
      m.biased = biased[i] ?? false;
    });
  }

  /**
   * Rebuilds every member's shard when the period is over or a worker's next
   * round would run past its shard (budgets changed).
   */
  private ensureShards(members: Member[], config: RunConfig, views: SharedViews, n: number, rng: Rng, stepsOf: (m: Member) => number): void {
    const batch = config.batchSize;
    if (members.every((m) => m.shardOffset + stepsOf(m) * batch <= m.shardLength)) return;
    const taus = members.map(stepsOf);
    const rounds = roundsPerPeriod(n, batch, taus);
    const shards = buildShards({
      n,
      batchSize: batch,
      taus,
      rounds,
      biased: members.map((m) => m.biased),
      lambda: config.lambda,
      losses: views.losses,
      rng,
    });
    members.forEach((m, i) => {
      const shard = shards[i];
      if (!shard) throw new Error(`Sampler returned no shard for worker ${m.worker.id}.`);
      views.shard(m.worker.id).set(shard);
      m.shardOffset = 0;
      m.shardLength = shard.length;
    });
  }

  private async localRound(
    round: number,
    members: Member[],
    config: RunConfig,
    mech: Mechanisms,
    views: SharedViews,
    n: number,
    rng: Rng,
  ): Promise<RoundOutcome> {
    this.ensureShards(members, config, views, n, rng, (m) => m.tau);
    const start = performance.now();
    const reports = await Promise.all(
      members.map((m) => m.worker.api.runRound({ round, steps: m.tau, shardOffset: m.shardOffset, slowdown: m.slowdown })),
    );
    const wall = performance.now() - start;

    const t0 = performance.now();
    reports.forEach((r, i) => {
      const m = members[i];
      if (m && views.slotVersion(m.worker.id) !== round) {
        throw new Error(`Worker ${m.worker.id} reported round ${round} but its slot holds version ${views.slotVersion(m.worker.id)}.`);
      }
    });
    const included = reports.map((r) => r.finite);
    const weights = aggregationWeights(
      mech.aggregation,
      reports.map((r) => r.steps),
      reports.map((r) => r.samples),
      included,
    );
    weightedAverageInto(views.global, members.map((m) => views.slot(m.worker.id)), weights);
    views.bumpGlobal();
    const aggregateMs = performance.now() - t0;

    const stats = new Map<Member, Omit<WorkerRoundStats, 'tensors'>>();
    let lossSum = 0;
    let lossWeight = 0;
    reports.forEach((r, i) => {
      const m = members[i];
      if (!m) return;
      m.shardOffset += r.samples;
      m.steps += r.steps;
      m.samples += r.samples;
      m.busyMs += r.busyMs;
      m.idleMs += Math.max(0, wall - r.busyMs);
      if (config.adaptiveBudgets && r.steps > 0) m.stepMs = updateStepEstimate(m.stepMs, r.stepMs, ADAPTIVE_SMOOTHING);
      if (r.steps > 0) m.measuredStepMs = r.measuredStepMs;
      lossSum += r.loss * r.steps;
      lossWeight += r.steps;
      stats.set(m, {
        id: m.worker.id,
        backend: m.worker.report.backend,
        tau: m.tau,
        steps: r.steps,
        samples: r.samples,
        busyMs: r.busyMs,
        idleMs: Math.max(0, wall - r.busyMs),
        stepMs: r.stepMs,
        biased: m.biased,
      });
    });
    return {
      loss: lossWeight > 0 ? lossSum / lossWeight : Number.NaN,
      aggregateMs,
      exchangeMs: Math.max(...reports.map((r) => r.exchangeMs)),
      stats,
    };
  }

  /** tauFast synchronous steps: every step, all gradients are averaged and applied by all. */
  private async syncRound(
    round: number,
    members: Member[],
    config: RunConfig,
    views: SharedViews,
    n: number,
    rng: Rng,
  ): Promise<RoundOutcome> {
    const batch = config.batchSize;
    const busy = members.map(() => 0);
    const idle = members.map(() => 0);
    let aggregateMs = 0;
    let lossSum = 0;
    // Start from theta_bar so backends' rounding differences never accumulate.
    const tl = performance.now();
    await Promise.all(members.map((m) => m.worker.api.loadGlobal(false)));
    let exchangeMs = performance.now() - tl;
    for (let s = 0; s < config.tauFast; s++) {
      this.ensureShards(members, config, views, n, rng, () => 1);
      const stepStart = performance.now();
      const grads = await Promise.all(members.map((m) => m.worker.api.computeGradient(m.shardOffset, m.slowdown)));
      const ta = performance.now();
      averageInto(views.gradient, members.map((m) => views.slot(m.worker.id)));
      views.bumpGradient();
      aggregateMs += performance.now() - ta;
      const applied = await Promise.all(members.map((m) => m.worker.api.applyGradient()));
      const stepWall = performance.now() - stepStart;
      members.forEach((m, i) => {
        const work = (grads[i]?.busyMs ?? 0) + (applied[i] ?? 0);
        busy[i] = (busy[i] ?? 0) + work;
        idle[i] = (idle[i] ?? 0) + Math.max(0, stepWall - work);
        m.shardOffset += batch;
        lossSum += (grads[i]?.loss ?? Number.NaN) / members.length;
      });
    }
    // Publish one worker's model (all hold the same) as theta_bar.
    const tp = performance.now();
    const lead = members[0];
    if (!lead) throw new Error('Synchronous round with no workers.');
    const finite = await lead.worker.api.publishModel(round);
    views.global.set(views.slot(lead.worker.id));
    views.bumpGlobal();
    exchangeMs += performance.now() - tp;
    if (!finite) lossSum = Number.NaN;

    const stats = new Map<Member, Omit<WorkerRoundStats, 'tensors'>>();
    members.forEach((m, i) => {
      m.steps += config.tauFast;
      m.samples += config.tauFast * batch;
      m.busyMs += busy[i] ?? 0;
      m.idleMs += idle[i] ?? 0;
      m.tau = config.tauFast;
      stats.set(m, {
        id: m.worker.id,
        backend: m.worker.report.backend,
        tau: config.tauFast,
        steps: config.tauFast,
        samples: config.tauFast * batch,
        busyMs: busy[i] ?? 0,
        idleMs: idle[i] ?? 0,
        stepMs: (busy[i] ?? 0) / config.tauFast,
        biased: false,
      });
    });
    return { loss: lossSum / config.tauFast, aggregateMs, exchangeMs, stats };
  }

  private async ensurePool(config: RunConfig, memory: Prepared): Promise<WorkerPool> {
    const key = WorkerPool.keyOf(config.workers, config.fallback, memory.model);
    if (this.pool?.matches(key)) return this.pool;
    this.pool?.terminate();
    this.pool = null;
    this.pool = await WorkerPool.start(config.workers, config.fallback, memory.model, memory.views);
    for (const w of this.pool.workers) {
      if (w.report.backend !== w.requested) {
        this.emit({
          type: 'log',
          level: 'warn',
          message: `Worker ${w.id} asked for ${w.requested} and fell back to ${w.report.backend}: ${w.report.failures.join('; ')}`,
        });
      }
    }
    return this.pool;
  }

  private setPhase(phase: RunPhase, message: string): void {
    this.state = phase;
    this.emit({ type: 'phase', phase, message });
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        console.error('Tandem event listener failed', e);
      }
    }
  }
}

interface RoundOutcome {
  loss: number;
  aggregateMs: number;
  exchangeMs: number;
  stats: Map<Member, Omit<WorkerRoundStats, 'tensors'>>;
}

function emptyStats(m: Member): Omit<WorkerRoundStats, 'tensors'> {
  return {
    id: m.worker.id,
    backend: m.worker.report.backend,
    tau: m.tau,
    steps: 0,
    samples: 0,
    busyMs: 0,
    idleMs: 0,
    stepMs: m.stepMs,
    biased: m.biased,
  };
}
