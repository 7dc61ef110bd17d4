/**
 * The main-thread orchestrator: owns the shared memory and the worker pool,
 * profiles workers, sets budgets, builds shards, runs rounds of every
 * algorithm in one engine, aggregates, evaluates, and emits one event per
 * round. The page and the benchmark only listen to its events.
 *
 * A run survives its workers: one that throws, is removed, or loses its
 * WebGPU device is dropped at the end of the round (its partial work
 * discarded) and budgets and shards are rebuilt for the rest; workers can
 * join between rounds; a worker whose model holds NaN is left out of that
 * round's average and restarted from theta_bar; a diverging global model is
 * restored to the last good one. Checkpoints let a reloaded page resume.
 */
import { aggregationWeights, averageInto, weightedAverageInto } from '../core/aggregate';
import {
  ConfigError,
  DEFAULT_CONFIG,
  mechanismsOf,
  validateConfig,
  type BackendName,
  type Mechanisms,
  type ModelName,
  type RunConfig,
} from '../core/config';
import { createRng, type Rng } from '../core/rng';
import { buildShards, selectBiasedWorkers, topLossIndices } from '../core/sampler';
import { ADAPTIVE_SMOOTHING, computeBudgets, roundsPerPeriod, updateStepEstimate } from '../core/schedule';
import type { Checkpoint } from '../checkpoint/format';
import type { LoadedDataset } from '../data/sources';
import { initialTheta, modelSpec, paramCount, type ModelSpec } from '../models/spec';
import type {
  BaselineReport,
  DatasetInfo,
  EngineEvent,
  HardSample,
  ModelArtifacts,
  RoundEvent,
  RunPhase,
  RunResult,
  WorkerInfo,
  WorkerRoundStats,
} from '../protocol';
import { allocate, computeLayout, type SharedViews } from '../shared-memory/layout';
import { DivergenceGuard, optimizerSettings, roundsPerEpoch, scheduledRate, slowdownOf } from './run-helpers';
import { WorkerPool } from './worker-pool';
import { WorkerLostError, type TrainerCalls, type WorkerFactory, type WorkerHandle } from './worker-handle';
import { messageOf } from '../core/errors';

/** Worker slots in shared memory: the most workers a run can have at once. */
export const MAX_SLOTS = 8;

export type Listener = (event: EngineEvent) => void;

const IDLE_PHASES: readonly RunPhase[] = ['idle', 'done', 'failed'];

/** Test hooks: each causes a fault a real run can meet, so its handling can be tested. */
export interface Diagnostics {
  /** The WebGPU device of worker `id` is destroyed, as a GPU reset would. */
  simulateDeviceLoss(id: number): Promise<void>;
  /** Worker `id` publishes a model holding NaN at its next round. */
  injectNaN(id: number): Promise<void>;
}

export class RunStateError extends Error {
  override readonly name = 'RunStateError';
}

/** Reads a dataset by its spec string (`fashion-mnist`, `cifar10:/files/`, ...). */
export type DatasetLoader = (dataset: string) => Promise<LoadedDataset>;

export interface EngineOptions {
  /** Starts one trainer: a browser Worker on the page, an in-thread trainer in Node. */
  startWorker: WorkerFactory;
  /** Called with every checkpoint (every checkpointEvery rounds, at pause, at the end). */
  onCheckpoint?: (checkpoint: Checkpoint) => Promise<void> | void;
}

/** A dataset and a model laid out in shared memory. */
export interface Prepared {
  views: SharedViews;
  model: ModelSpec;
  datasetId: string;
  trainSize: number;
  testSize: number;
  classNames: readonly string[] | null;
}

/** Per-worker state within one run. */
interface Member {
  worker: WorkerHandle;
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

interface RoundOutcome {
  loss: number;
  aggregateMs: number;
  exchangeMs: number;
  stats: Map<Member, Omit<WorkerRoundStats, 'tensors'>>;
  /** Members that left during the round, with why. */
  lost: { member: Member; reason: string }[];
}

/** Everything one run carries from round to round. */
interface RunState {
  config: RunConfig;
  mech: Mechanisms;
  memory: Prepared;
  members: Member[];
  /** Members that left, for the result. */
  departed: Member[];
  shardRng: Rng;
  round: number;
  trainMs: number;
  evalMs: number;
  aggregateMs: number;
  exchangeMs: number;
  timeToTargetMs: number | null;
  lastAccuracy: number | null;
  learningRate: number;
  roundsPerEpoch: number;
  lastGood: Float32Array;
  guard: DivergenceGuard;
  /** Notes for the next round event (workers that left, joined, were excluded). */
  notes: string[];
  message: string | null;
  /** True from a round's start until theta_bar holds its aggregate: a snapshot then is of the round before. */
  inRound: boolean;
  /** The round after which theta_bar was last evaluated on the whole test set, with that accuracy. */
  fullEval: { round: number; accuracy: number } | null;
}

export class Engine {
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
  private run$: RunState | null = null;
  private joining: { backend: BackendName; resolve: (id: number) => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly loadDataset: DatasetLoader,
    private readonly options: EngineOptions,
  ) {}

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
    if (this.isRunning() && this.state !== 'stopping') {
      this.stopRequested = true;
      this.setPhase('stopping', 'Stopping after the current round.');
      this.resumeWaiter?.();
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
    const run = this.run$;
    if (this.state === 'paused' && run && run.members.length === 0 && this.joining.length === 0) {
      throw new RunStateError('Cannot resume: no worker is left. Add a worker first.');
    }
    this.pauseRequested = false;
    if (this.state === 'pausing') this.setPhase('training', 'Training.');
    this.resumeWaiter?.();
  }

  /**
   * Adds a worker to the running run; it is started, profiled, given
   * theta_bar and a shard, and trains from the next round. Resolves to its id.
   */
  addWorker(backend: BackendName): Promise<number> {
    if (!this.run$ || !this.isRunning()) {
      return Promise.reject(new RunStateError('No run to join: start a run first (to change the pool of the next run, set its workers).'));
    }
    const joined = new Promise<number>((resolve, reject) => this.joining.push({ backend, resolve, reject }));
    // A run paused for want of workers goes on once one joins.
    if (this.state === 'paused' && this.run$.members.length === 0) this.resume();
    return joined;
  }

  /** Removes a worker; during a run it leaves as a lost worker would (its round is discarded). */
  removeWorker(id: number): void {
    const worker = this.pool?.workers.find((w) => w.id === id);
    if (!this.pool || !worker) {
      const ids = this.pool?.workers.map((w) => w.id).join(', ') || 'none';
      throw new RunStateError(`No worker ${id}; workers now: ${ids}.`);
    }
    this.pool.remove(id, 'removed by request');
  }

  /** Faults caused on purpose, for tests and the console; not part of training. */
  readonly diagnostics: Diagnostics = {
    simulateDeviceLoss: (id) => this.requireWorker(id).call((a) => a.simulateDeviceLoss()),
    injectNaN: (id) => this.requireWorker(id).call((a) => a.injectNaN()),
  };

  /** Live tensors and heap bytes per worker, for leak checks. */
  async memoryReport(): Promise<{ id: number; tensors: number; heapBytes: number | null }[]> {
    const workers = this.pool?.workers.filter((w) => w.lostReason() === null) ?? [];
    return Promise.all(
      workers.map(async (w) => ({ id: w.id, tensors: await w.call((a) => a.numTensors()), heapBytes: await w.call((a) => a.heapBytes()) })),
    );
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
    const worker = this.pool?.workers.find((w) => w.lostReason() === null);
    if (!worker || !this.memory) throw new RunStateError('No model yet: run training first.');
    if (this.state === 'training' || this.state === 'profiling' || this.state === 'starting') {
      throw new RunStateError(`Cannot export while ${this.state}; pause or stop first.`);
    }
    return worker.call((a) => a.exportModel());
  }

  /** The current run as a checkpoint (also saved every checkpointEvery rounds, at pause and at the end). */
  checkpoint(): Checkpoint | null {
    const run = this.run$;
    return run ? this.snapshot(run) : null;
  }

  /**
   * Runs `input` (validated, filled from the defaults). With `resume`, the
   * run continues a checkpoint: its model, loss table, round, clock and history.
   */
  async run(input: Partial<RunConfig>, resume: Checkpoint | null = null): Promise<RunResult> {
    const config = validateConfig(input, DEFAULT_CONFIG);
    if (this.isRunning()) {
      throw new RunStateError(`A run is already in progress (phase ${this.state}); stop it first.`);
    }
    if (resume && (resume.datasetId !== config.dataset || resume.model !== config.model)) {
      throw new RunStateError(
        `The checkpoint is of ${resume.model} on ${resume.datasetId}, but the config asks for ${config.model} on ${config.dataset}.`,
      );
    }
    this.history = resume ? resume.history.slice() : [];
    this.run$ = null;
    this.stopRequested = false;
    this.pauseRequested = false;
    try {
      this.setPhase('starting', `Preparing ${config.dataset} for ${config.model}.`);
      const memory = await this.prepare(config.dataset, config.model);
      return await this.execute(config, memory, resume);
    } catch (e) {
      this.setPhase('failed', e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      for (const j of this.joining.splice(0)) j.reject(new RunStateError('The run ended before the worker could join.'));
    }
  }

  /**
   * Lends the pool of `config` (started if need be) over its prepared
   * memory to `use`, while no run can start: for measurements that are not
   * runs (the benchmark's bare-tfjs baseline). The phase is `profiling`
   * meanwhile, with `message`.
   */
  async withPool<T>(input: Partial<RunConfig>, message: string, use: (memory: Prepared, workers: readonly WorkerHandle[]) => Promise<T>): Promise<T> {
    const config = validateConfig(input, DEFAULT_CONFIG);
    if (this.isRunning()) {
      throw new RunStateError(`Cannot lend the workers while a run is in progress (phase ${this.state}).`);
    }
    this.setPhase('profiling', message);
    try {
      const memory = await this.prepare(config.dataset, config.model);
      const pool = await this.ensurePool(config, memory);
      const result = await use(memory, pool.workers);
      this.setPhase('idle', 'Measured.');
      return result;
    } catch (e) {
      this.setPhase('failed', messageOf(e));
      throw e;
    }
  }

  private async execute(config: RunConfig, memory: Prepared, resume: Checkpoint | null): Promise<RunResult> {
    const { views, model } = memory;
    const mech = mechanismsOf(config);
    const rng = createRng(config.seed);
    this.setPhase('starting', 'Starting workers.');
    const pool = await this.ensurePool(config, memory);

    if (resume) {
      if (resume.theta.length !== views.global.length || resume.losses.length !== views.losses.length) {
        throw new RunStateError(
          `The checkpoint holds ${resume.theta.length} weights and ${resume.losses.length} losses; ` +
            `this model and dataset need ${views.global.length} and ${views.losses.length}.`,
        );
      }
      views.global.set(resume.theta);
      views.losses.set(resume.losses);
    } else {
      views.global.set(initialTheta(model, rng.fork('init')));
      views.losses.fill(Number.POSITIVE_INFINITY);
    }
    views.bumpGlobal();
    const learningRate = resume ? resume.learningRate : config.learningRate;
    await Promise.all(pool.workers.map((w) => w.call((a) => a.configure(optimizerSettings(config, model, learningRate), true))));

    // Profile all workers at once: budgets must reflect speed inside the pool.
    this.setPhase('profiling', 'Measuring each worker’s step time.');
    const profileRng = rng.fork('profile');
    for (const w of pool.workers) views.shard(w.id).set(profileRng.permutation(memory.trainSize));
    const profiles = await Promise.all(
      pool.workers.map((w) => w.call((a) => a.profile(config.warmupSteps, config.profileSteps, slowdownOf(config, w.id, 1)))),
    );
    const fastIndex = computeBudgets(profiles.map((p) => p.stepMs), config.tauFast, { unbalanced: true }).fastIndex;
    const active = mech.fastOnly ? pool.workers.filter((_, i) => i === fastIndex) : pool.workers;
    const members: Member[] = active.map((worker) => {
      const profile = profiles[pool.workers.indexOf(worker)];
      return newMember(worker, profile?.stepMs ?? 1, profile?.measuredStepMs ?? 1, slowdownOf(config, worker.id, 1), config.tauFast);
    });
    this.assignBudgets(members, config, mech);
    await Promise.all(members.map((m) => m.worker.call((a) => a.loadGlobal(true))));

    const run: RunState = {
      config,
      mech,
      memory,
      members,
      departed: [],
      shardRng: rng.fork(resume ? `shards-${resume.round}` : 'shards'),
      round: resume?.round ?? 0,
      trainMs: resume?.trainMs ?? 0,
      evalMs: 0,
      aggregateMs: 0,
      exchangeMs: 0,
      timeToTargetMs: null,
      lastAccuracy: null,
      learningRate,
      roundsPerEpoch: roundsPerEpoch(memory.trainSize, config, members.length),
      lastGood: views.global.slice(),
      guard: new DivergenceGuard(config.divergenceFactor),
      notes: [],
      message: null,
      inRound: false,
      fullEval: null,
    };
    this.run$ = run;
    this.publishWorkers(run);
    if (resume) {
      const check = await this.evaluate(run, memory.testSize);
      this.emit({
        type: 'log',
        level: 'info',
        message: `Resumed at round ${resume.round}: test accuracy ${(100 * check.accuracy).toFixed(2)}%.`,
      });
      const target = config.targetAccuracy;
      run.timeToTargetMs = target !== null ? (this.history.find((e) => e.accuracy !== null && e.accuracy >= target)?.trainMs ?? null) : null;
    }

    this.setPhase('training', `Training with ${config.algo}.`);
    const maxRounds = config.epochs === null ? null : Math.max(1, Math.round(config.epochs * run.roundsPerEpoch));
    const runStart = performance.now() - (resume?.trainMs ?? 0);
    let stoppedBy: RunResult['stoppedBy'] = 'time';

    for (;;) {
      await this.admitJoiners(run);
      if (run.members.length === 0) {
        await this.pauseUntilResumed(run, 'No worker is left: the run is paused with its model intact. Add a worker to go on.');
        if (this.stopRequested) { stoppedBy = 'user'; break; }
        this.setPhase('training', `Training with ${config.algo}.`);
        continue;
      }
      run.round++;
      const round = run.round;
      const rate = scheduledRate(config, (round - 1) / run.roundsPerEpoch);
      if (rate !== run.learningRate) {
        run.learningRate = rate;
        await this.configureAll(run);
        run.notes.push(`learning rate ${rate}`);
      }
      for (const m of run.members) m.slowdown = slowdownOf(config, m.worker.id, round);
      const roundStart = performance.now();
      run.inRound = true;
      const outcome = mech.synchronous ? await this.syncRound(run) : await this.localRound(run);
      run.inRound = false;
      const roundMs = performance.now() - roundStart;
      run.trainMs += roundMs;
      run.aggregateMs += outcome.aggregateMs;
      run.exchangeMs += outcome.exchangeMs;
      this.dropLost(run, outcome.lost);

      const diverged = outcome.stats.size > 0 ? run.guard.check(outcome.loss) : null;
      let accuracy: number | null = null;
      let evalMs = 0;
      if (!diverged && run.members.length > 0 && round % config.evalEvery === 0) {
        const report = await this.evaluate(run, Math.min(config.evalSamples, memory.testSize)).catch((e: unknown) => {
          run.notes.push(`evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
          return null;
        });
        if (report) {
          if (report.samples === memory.testSize) run.fullEval = { round, accuracy: report.accuracy };
          accuracy = report.accuracy;
          evalMs = report.evalMs;
          run.evalMs += evalMs;
          run.lastAccuracy = accuracy;
          if (run.timeToTargetMs === null && config.targetAccuracy !== null && accuracy >= config.targetAccuracy) {
            run.timeToTargetMs = run.trainMs;
          }
        }
      }
      const event: RoundEvent = {
        round,
        wallMs: performance.now() - runStart,
        trainMs: run.trainMs,
        roundMs,
        loss: outcome.loss,
        accuracy,
        evalMs,
        aggregateMs: outcome.aggregateMs,
        exchangeMs: outcome.exchangeMs,
        workers: await Promise.all(
          run.members.map(async (m) => ({
            ...(outcome.stats.get(m) ?? emptyStats(m)),
            tensors: await m.worker.call((a) => a.numTensors()).catch(() => -1),
          })),
        ),
        notes: run.notes.splice(0),
      };
      this.history.push(event);
      this.emit({ type: 'round', event });

      if (diverged) {
        const goodRound = this.history.length >= 2 ? (this.history[this.history.length - 2]?.round ?? 0) : 0;
        views.global.set(run.lastGood);
        views.bumpGlobal();
        run.message =
          `Training diverged at round ${round} (${diverged}); the global model of round ${goodRound} is restored. ` +
          `Lower learningRate (now ${config.learningRate}).`;
        this.emit({ type: 'log', level: 'error', message: run.message });
        stoppedBy = 'diverged';
        break;
      }
      run.lastGood.set(views.global);
      if (config.checkpointEvery > 0 && round % config.checkpointEvery === 0) await this.checkpointNow(run);

      if (run.timeToTargetMs !== null && config.stopAtTarget) { stoppedBy = 'target'; break; }
      if (this.stopRequested) { stoppedBy = 'user'; break; }
      if (config.maxRounds !== null && round >= config.maxRounds) { stoppedBy = 'rounds'; break; }
      if (maxRounds !== null && round >= maxRounds) { stoppedBy = 'epochs'; break; }
      if (run.trainMs >= config.maxSeconds * 1000) { stoppedBy = 'time'; break; }
      if (this.pauseRequested) {
        // The training clock does not run while paused.
        await this.pauseUntilResumed(run, `Paused after round ${round}.`);
        if (this.stopRequested) { stoppedBy = 'user'; break; }
        this.setPhase('training', `Training with ${config.algo}.`);
      }
      if (config.adaptiveBudgets) this.assignBudgets(run.members, config, mech);
    }

    // Workers lost after the last round are recorded too.
    this.dropLost(run, []);
    // The final accuracy is always on the whole test set; the last round's
    // evaluation already is, unless it was partial or the model was restored.
    let finalAccuracy = run.lastAccuracy;
    if (run.fullEval?.round === run.round && stoppedBy !== 'diverged') {
      finalAccuracy = run.fullEval.accuracy;
    } else if (run.members.length > 0) {
      const report = await this.evaluate(run, memory.testSize).catch(() => null);
      if (report) {
        finalAccuracy = report.accuracy;
        run.evalMs += report.evalMs;
      }
    }
    await this.checkpointNow(run);
    const result: RunResult = {
      algo: config.algo,
      config,
      workers: [...run.members, ...run.departed].map((m) => ({
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
        left: run.departed.includes(m) ? (m.worker.lostReason() ?? 'left') : null,
      })),
      rounds: run.round,
      trainMs: run.trainMs,
      evalMs: run.evalMs,
      aggregateMs: run.aggregateMs,
      exchangeMs: run.exchangeMs,
      timeToTargetMs: run.timeToTargetMs,
      finalAccuracy,
      aggregation: mech.aggregation,
      emulated: config.slowdown.length > 0,
      roundsPerEpoch: run.roundsPerEpoch,
      stoppedBy,
      message: run.message,
      history: this.history.map((e) => ({
        round: e.round,
        trainMs: e.trainMs,
        loss: e.loss,
        accuracy: e.accuracy,
        ...(e.notes.length > 0 ? { notes: e.notes } : {}),
      })),
    };
    this.setPhase('done', run.message ?? `Finished: ${stoppedBy}.`);
    this.emit({ type: 'done', result });
    return result;
  }

  /**
   * Saves a checkpoint and waits for resume() or stop(). The waiter exists
   * before the phase says paused, so a resume that comes while the
   * checkpoint is still being written is not lost.
   */
  private async pauseUntilResumed(run: RunState, message: string): Promise<void> {
    const resumed = new Promise<void>((resolve) => (this.resumeWaiter = resolve));
    this.setPhase('paused', message);
    await this.checkpointNow(run);
    await resumed;
    this.resumeWaiter = null;
  }

  private requireWorker(id: number): WorkerHandle {
    const worker = this.pool?.workers.find((w) => w.id === id);
    if (!worker) {
      const ids = this.pool?.workers.map((w) => w.id).join(', ') || 'none';
      throw new RunStateError(`No worker ${id}; workers now: ${ids}.`);
    }
    return worker;
  }

  /** The fastest member evaluates theta_bar; falls to the next if it fails. */
  private async evaluate(run: RunState, count: number) {
    const ranked = [...run.members].sort((a, b) => a.stepMs - b.stepMs);
    let last: unknown = null;
    for (const m of ranked) {
      try {
        return await m.worker.call((a) => a.evaluate(0, count));
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error('No worker could evaluate.');
  }

  private configureAll(run: RunState): Promise<unknown> {
    const settings = optimizerSettings(run.config, run.memory.model, run.learningRate);
    return Promise.all(run.members.map((m) => m.worker.call((a) => a.configure(settings, false)).catch(() => undefined)));
  }

  /** Removes members that left this round; budgets and shards are rebuilt for the rest. */
  private dropLost(run: RunState, lost: RoundOutcome['lost']): void {
    // A worker can also leave between rounds (removed while paused, device lost while idle).
    for (const m of run.members) {
      const reason = m.worker.lostReason();
      if (reason !== null && !lost.some((l) => l.member === m)) lost.push({ member: m, reason });
    }
    if (lost.length === 0) return;
    for (const { member, reason } of lost) {
      run.members = run.members.filter((m) => m !== member);
      run.departed.push(member);
      this.pool?.remove(member.worker.id, reason);
      run.notes.push(`worker ${member.worker.id} (${member.worker.report.backend}) left: ${reason}`);
      this.emit({ type: 'log', level: 'warn', message: `Worker ${member.worker.id} left in round ${run.round}: ${reason}` });
    }
    this.assignBudgets(run.members, run.config, run.mech);
    for (const m of run.members) m.shardLength = 0;
    this.publishWorkers(run);
  }

  /** Starts, profiles and seats the workers asked for since the last round. */
  private async admitJoiners(run: RunState): Promise<void> {
    if (this.joining.length === 0 || !this.pool) return;
    for (const join of this.joining.splice(0)) {
      try {
        const worker = await this.pool.add(join.backend);
        const slowdown = slowdownOf(run.config, worker.id, run.round + 1);
        await worker.call((a) => a.configure(optimizerSettings(run.config, run.memory.model, run.learningRate), true));
        run.memory.views.shard(worker.id).set(run.shardRng.permutation(run.memory.trainSize));
        const profile = await worker.call((a) => a.profile(run.config.warmupSteps, run.config.profileSteps, slowdown));
        await worker.call((a) => a.loadGlobal(true));
        run.members.push(newMember(worker, profile.stepMs, profile.measuredStepMs, slowdown, run.config.tauFast));
        run.notes.push(`worker ${worker.id} (${worker.report.backend}) joined`);
        this.emit({ type: 'log', level: 'info', message: `Worker ${worker.id} (${worker.report.backend}) joined.` });
        join.resolve(worker.id);
      } catch (e) {
        join.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    this.assignBudgets(run.members, run.config, run.mech);
    for (const m of run.members) m.shardLength = 0;
    this.publishWorkers(run);
  }

  private publishWorkers(run: RunState): void {
    const fastest = run.members.reduce<Member | null>((a, b) => (a === null || b.stepMs < a.stepMs ? b : a), null);
    this.workerInfo = run.members.map((m) => ({
      id: m.worker.id,
      requested: m.worker.requested,
      backend: m.worker.report.backend,
      report: m.worker.report,
      stepMs: m.stepMs,
      role: m === fastest ? 'fast' : 'slow',
    }));
    this.emit({ type: 'workers', workers: this.workers() });
  }

  private snapshot(run: RunState): Checkpoint {
    return {
      savedAt: new Date().toISOString(),
      config: run.config,
      datasetId: run.memory.datasetId,
      model: run.memory.model.name,
      round: run.inRound ? run.round - 1 : run.round,
      trainMs: run.trainMs,
      learningRate: run.learningRate,
      history: this.history.slice(),
      theta: run.memory.views.global.slice(),
      losses: run.memory.views.losses.slice(),
    };
  }

  private async checkpointNow(run: RunState): Promise<void> {
    if (!this.options.onCheckpoint) return;
    try {
      await this.options.onCheckpoint(this.snapshot(run));
    } catch (e) {
      // A full disk must not end training; the page shows the warning.
      this.emit({ type: 'log', level: 'warn', message: `Checkpoint not saved: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** tau_i from the current step-time estimates; bias roles from the current fastest. */
  private assignBudgets(members: Member[], config: RunConfig, mech: Mechanisms): void {
    if (members.length === 0) return;
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
   * round would run past its shard (budgets changed, a worker joined or left).
   */
  private ensureShards(run: RunState, stepsOf: (m: Member) => number): void {
    const { members, config } = run;
    const { views, trainSize: n } = run.memory;
    const batch = config.batchSize;
    if (members.every((m) => m.shardOffset + stepsOf(m) * batch <= m.shardLength)) return;
    const taus = members.map(stepsOf);
    const shards = buildShards({
      n,
      batchSize: batch,
      taus,
      rounds: roundsPerPeriod(n, batch, taus),
      biased: members.map((m) => m.biased),
      lambda: config.lambda,
      losses: views.losses,
      rng: run.shardRng,
    });
    members.forEach((m, i) => {
      const shard = shards[i];
      if (!shard) throw new Error(`Sampler returned no shard for worker ${m.worker.id}.`);
      views.shard(m.worker.id).set(shard);
      m.shardOffset = 0;
      m.shardLength = shard.length;
    });
  }

  private async localRound(run: RunState): Promise<RoundOutcome> {
    const { views } = run.memory;
    const round = run.round;
    this.ensureShards(run, (m) => m.tau);
    const members = run.members.slice();
    const start = performance.now();
    const settled = await Promise.allSettled(
      members.map((m) =>
        m.worker.call((a) => a.runRound({ round, steps: m.tau, shardOffset: m.shardOffset, slowdown: m.slowdown })),
      ),
    );
    const wall = performance.now() - start;

    const lost: RoundOutcome['lost'] = [];
    const done: { member: Member; report: Awaited<ReturnType<TrainerCalls['runRound']>> }[] = [];
    settled.forEach((s, i) => {
      const member = members[i];
      if (!member) return;
      if (s.status === 'rejected') lost.push({ member, reason: reasonOf(s.reason) });
      else if (views.slotVersion(member.worker.id) !== round) {
        lost.push({ member, reason: `reported round ${round} but its slot holds version ${views.slotVersion(member.worker.id)}` });
      } else done.push({ member, report: s.value });
    });

    const t0 = performance.now();
    const included = done.map((d) => d.report.finite);
    const stats = new Map<Member, Omit<WorkerRoundStats, 'tensors'>>();
    if (included.some(Boolean)) {
      const weights = aggregationWeights(
        run.mech.aggregation,
        done.map((d) => d.report.steps),
        done.map((d) => d.report.samples),
        included,
      );
      weightedAverageInto(views.global, done.map((d) => views.slot(d.member.worker.id)), weights);
      views.bumpGlobal();
    }
    const aggregateMs = performance.now() - t0;

    let lossSum = 0;
    let lossWeight = 0;
    for (const { member: m, report: r } of done) {
      m.shardOffset += r.samples;
      m.steps += r.steps;
      m.samples += r.samples;
      m.busyMs += r.busyMs;
      m.idleMs += Math.max(0, wall - r.busyMs);
      if (r.steps > 0) m.measuredStepMs = r.measuredStepMs;
      if (!r.finite) {
        run.notes.push(`worker ${m.worker.id} published NaN/Infinity: left out of the average and restarted from theta_bar`);
        this.emit({ type: 'log', level: 'warn', message: `Worker ${m.worker.id}'s model held NaN/Infinity in round ${round}; excluded.` });
        // Its momentum produced the bad model: start it afresh.
        await m.worker.call((a) => a.loadGlobal(true)).catch(() => undefined);
        continue;
      }
      if (run.config.adaptiveBudgets && r.steps > 0) m.stepMs = updateStepEstimate(m.stepMs, r.stepMs, ADAPTIVE_SMOOTHING);
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
    }
    return {
      loss: lossWeight > 0 ? lossSum / lossWeight : Number.NaN,
      aggregateMs,
      exchangeMs: done.length > 0 ? Math.max(...done.map((d) => d.report.exchangeMs)) : 0,
      stats,
      lost,
    };
  }

  /** tauFast synchronous steps: every step, all gradients are averaged and applied by all. */
  private async syncRound(run: RunState): Promise<RoundOutcome> {
    const { config } = run;
    const { views } = run.memory;
    const batch = config.batchSize;
    let members = run.members.slice();
    const lost: RoundOutcome['lost'] = [];
    const busy = new Map<Member, number>(members.map((m) => [m, 0]));
    const idle = new Map<Member, number>(members.map((m) => [m, 0]));
    let aggregateMs = 0;
    let lossSum = 0;
    let steps = 0;
    const settle = async <T>(f: (m: Member) => Promise<T>): Promise<Map<Member, T>> => {
      const settled = await Promise.allSettled(members.map(f));
      const ok = new Map<Member, T>();
      settled.forEach((s, i) => {
        const m = members[i];
        if (!m) return;
        if (s.status === 'fulfilled') ok.set(m, s.value);
        else lost.push({ member: m, reason: reasonOf(s.reason) });
      });
      members = members.filter((m) => ok.has(m));
      return ok;
    };
    // Start from theta_bar so backends' rounding differences never accumulate.
    const tl = performance.now();
    await settle((m) => m.worker.call((a) => a.loadGlobal(false)));
    let exchangeMs = performance.now() - tl;
    for (let s = 0; s < config.tauFast && members.length > 0; s++) {
      run.members = members;
      this.ensureShards(run, () => 1);
      const stepStart = performance.now();
      const grads = await settle((m) => m.worker.call((a) => a.computeGradient(m.shardOffset, m.slowdown)));
      if (members.length === 0) break;
      const ta = performance.now();
      averageInto(views.gradient, members.map((m) => views.slot(m.worker.id)));
      views.bumpGradient();
      aggregateMs += performance.now() - ta;
      const applied = await settle((m) => m.worker.call((a) => a.applyGradient()));
      const stepWall = performance.now() - stepStart;
      for (const m of members) {
        const work = (grads.get(m)?.busyMs ?? 0) + (applied.get(m) ?? 0);
        busy.set(m, (busy.get(m) ?? 0) + work);
        idle.set(m, (idle.get(m) ?? 0) + Math.max(0, stepWall - work));
        m.shardOffset += batch;
        lossSum += (grads.get(m)?.loss ?? Number.NaN) / members.length;
      }
      steps++;
    }
    run.members = [...members, ...lost.map((l) => l.member)];
    // Publish one worker's model (all hold the same) as theta_bar.
    const tp = performance.now();
    const lead = members[0];
    if (lead && steps > 0) {
      const finite = await lead.worker.call((a) => a.publishModel(run.round)).catch((e: unknown) => {
        lost.push({ member: lead, reason: reasonOf(e) });
        return false;
      });
      if (finite) {
        views.global.set(views.slot(lead.worker.id));
        views.bumpGlobal();
      } else {
        lossSum = Number.NaN;
      }
    }
    exchangeMs += performance.now() - tp;

    const stats = new Map<Member, Omit<WorkerRoundStats, 'tensors'>>();
    for (const m of members) {
      m.steps += steps;
      m.samples += steps * batch;
      m.busyMs += busy.get(m) ?? 0;
      m.idleMs += idle.get(m) ?? 0;
      m.tau = config.tauFast;
      stats.set(m, {
        id: m.worker.id,
        backend: m.worker.report.backend,
        tau: config.tauFast,
        steps,
        samples: steps * batch,
        busyMs: busy.get(m) ?? 0,
        idleMs: idle.get(m) ?? 0,
        stepMs: steps > 0 ? (busy.get(m) ?? 0) / steps : m.stepMs,
        biased: false,
      });
    }
    return { loss: steps > 0 ? lossSum / steps : Number.NaN, aggregateMs, exchangeMs, stats, lost };
  }

  private async ensurePool(config: RunConfig, memory: Prepared): Promise<WorkerPool> {
    const key = WorkerPool.keyOf(config.workers, config.fallback, memory.model);
    if (this.pool?.matches(key)) return this.pool;
    this.pool?.terminate();
    this.pool = null;
    this.pool = await WorkerPool.start(this.options.startWorker, config.workers, config.fallback, memory.model, memory.views);
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

function newMember(worker: WorkerHandle, stepMs: number, measuredStepMs: number, slowdown: number, tau: number): Member {
  return {
    worker,
    stepMs,
    measuredStepMs,
    slowdown,
    tau,
    biased: false,
    shardOffset: 0,
    shardLength: 0,
    steps: 0,
    samples: 0,
    busyMs: 0,
    idleMs: 0,
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof WorkerLostError) return error.reason;
  return error instanceof Error ? error.message : String(error);
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
