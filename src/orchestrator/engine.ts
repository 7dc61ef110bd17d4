/**
 * The engine facade: the run's phase, the user's requests (start, pause,
 * resume, stop, workers joining and leaving), events to listeners, and what
 * the page asks of the current model (export, checkpoint, hardest samples).
 * The work itself is in the parts: dataset-memory (shared memory),
 * worker-pool and worker-handle (trainers), run-start (profiling, seating),
 * run-loop (rounds, stop conditions, the end), rounds/ (local and sync
 * strategies), roster (members, budgets, roles, shards), run-clock (what
 * time counts), reports and checkpointing.
 *
 * A run survives its workers: one that throws, is removed, or loses its
 * WebGPU device is dropped at the end of the round (its partial work
 * discarded) and budgets and shards are rebuilt for the rest; workers can
 * join between rounds; a worker whose model holds NaN is left out of that
 * round's average and restarted from theta_bar; a diverging global model is
 * restored to the last good one. Checkpoints let a reloaded page resume.
 */
import type { Checkpoint } from '../checkpoint/format';
import { BACKENDS, ConfigError, DEFAULT_CONFIG, validateConfig, type BackendName, type ModelName, type RunConfig, type WorkerGroup } from '../core/config';
import { asError, messageOf } from '../core/errors';
import { refuseWhatCannotFit } from '../models/memory';
import type {
  DatasetInfo,
  EngineEvent,
  GenerateRequest,
  GenerateResult,
  HardSample,
  PoolDecision,
  RoundEvent,
  RunPhase,
  RunResult,
  WorkerInfo,
} from '../protocol';
import { checkResumable, resumedClocks, saveQuietly, snapshot } from './checkpointing';
import { datasetInfo, hardestSamples, holds, layoutDataset, relayout, sameData, type ModelShape, type Prepared } from './dataset-memory';
import { evaluateSplit } from './evaluation';
import { decidePool } from './pool-check';
import { seatJoiner, workerInfos } from './roster';
import { RunClock } from './run-clock';
import { finishRun, leave, trainRounds, type RunControl } from './run-loop';
import type { RunState } from './run-state';
import { openRun } from './run-start';
import type { WorkerHandle } from './worker-handle';
import { concreteWorkers, WorkerPool } from './worker-pool';
import { RunStateError } from './run-state-error';
import { TextWriter } from './writing';

export { RunStateError } from './run-state-error';
export { checkGenerateRequest } from './writing';

export type { Prepared } from './dataset-memory';
export { MAX_SLOTS } from './dataset-memory';
export type { DatasetLoader, Diagnostics, EngineOptions, Listener } from './engine-options';
import type { DatasetLoader, Diagnostics, EngineOptions, JoinRequest, Listener } from './engine-options';

const IDLE_PHASES: readonly RunPhase[] = ['idle', 'done', 'failed'];

export class Engine {
  /** The dataset and model in shared memory, kept across runs. */
  private prepared: Prepared | null = null;
  private pool: WorkerPool | null = null;
  private readonly listeners = new Set<Listener>();
  private history: RoundEvent[] = [];
  private currentPhase: RunPhase = 'idle';
  private stopRequested = false;
  private pauseRequested = false;
  private resumeWaiter: (() => void) | null = null;
  private workerInfo: WorkerInfo[] = [];
  /** The run in progress, or the last one (its model and checkpoint stay until the next run). */
  private current: RunState | null = null;
  private joining: JoinRequest[] = [];
  /** Texts a text model is asked to write, served one at a time, never beside a round. */
  private readonly writer = new TextWriter({
    prepared: () => this.prepared,
    pool: () => this.pool,
    run: () => this.current,
  });

  /** Faults caused on purpose, for tests and the console; not part of training. */
  readonly diagnostics: Diagnostics = {
    simulateDeviceLoss: (id) => this.requireWorker(id).call((a) => a.simulateDeviceLoss()),
    injectNaN: (id) => this.requireWorker(id).call((a) => a.injectNaN()),
  };

  constructor(
    private readonly loadDataset: DatasetLoader,
    private readonly options: EngineOptions,
  ) {}

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  phase(): RunPhase {
    return this.currentPhase;
  }

  /** True between run() being called and its result. */
  isRunning(): boolean {
    return !IDLE_PHASES.includes(this.currentPhase);
  }

  events(): RoundEvent[] {
    return this.history.slice();
  }

  workers(): WorkerInfo[] {
    return this.workerInfo.map((w) => ({ ...w }));
  }

  /** The dataset and model in shared memory now, if any. */
  datasetInfo(): DatasetInfo | null {
    return this.prepared ? datasetInfo(this.prepared) : null;
  }

  /**
   * Lays `dataset` out in shared memory for `model` (loaded once: another
   * model on the same dataset copies it from the current layout). New shared
   * memory means a new worker pool on the next run.
   */
  async prepare(dataset: string, model: ModelName, shape: ModelShape = DEFAULT_CONFIG): Promise<Prepared> {
    const now = this.prepared;
    if (now && holds(now, dataset, model, shape)) return now;
    let next: Prepared;
    if (now && sameData(now, dataset, shape)) next = relayout(now, model, shape);
    else {
      this.emit({ type: 'log', level: 'info', message: `Loading dataset ${dataset}.` });
      next = layoutDataset(await this.loadDataset(dataset, { contextLength: shape.contextLength }), model, shape);
    }
    this.pool?.terminate();
    this.pool = null;
    this.prepared = next;
    return next;
  }

  /**
   * Stops at once: the round in progress ends at the step each worker is
   * taking (an emulated slowdown's wait is cut short) and is averaged as the
   * shorter round it was; profiling ends likewise. The trained global model stays.
   */
  stop(): void {
    if (this.isRunning() && this.currentPhase !== 'stopping') {
      this.stopRequested = true;
      this.prepared?.views.interrupt();
      this.setPhase('stopping', 'Stopping: each worker ends the step it is taking.');
      this.resumeWaiter?.();
    }
  }

  /** Pauses between rounds; everything (model, optimizer state, loss table, budgets) is kept. */
  pause(): void {
    if (this.currentPhase !== 'training') {
      throw new RunStateError(`Cannot pause while ${this.currentPhase}; only a training run can be paused.`);
    }
    this.pauseRequested = true;
    this.setPhase('pausing', 'Pausing after the current round.');
  }

  resume(): void {
    if (this.currentPhase !== 'paused' && this.currentPhase !== 'pausing') {
      throw new RunStateError(`Cannot resume while ${this.currentPhase}; only a paused run can be resumed.`);
    }
    const run = this.current;
    if (this.currentPhase === 'paused' && run && run.members.length === 0 && this.joining.length === 0) {
      throw new RunStateError('Cannot resume: no worker is left. Add a worker first.');
    }
    this.pauseRequested = false;
    if (this.currentPhase === 'pausing') this.setPhase('training', 'Training.');
    this.resumeWaiter?.();
  }

  /**
   * Adds a worker to the running run (also while it starts or profiles):
   * started, profiled, given theta_bar and a shard; trains from the next
   * round (the first, if asked before it).
   */
  addWorker(backend: BackendName): Promise<number> {
    if (typeof backend !== 'string' || !(BACKENDS as readonly string[]).includes(backend)) {
      return Promise.reject(new ConfigError('addWorker backend', backend, `one of ${BACKENDS.join(', ')}`));
    }
    if (!this.isRunning()) {
      return Promise.reject(new RunStateError('No run to join: start a run first (to change the pool of the next run, set its workers).'));
    }
    const joined = new Promise<number>((resolve, reject) => this.joining.push({ backend, resolve, reject }));
    // A run paused for want of workers goes on once one joins.
    if (this.currentPhase === 'paused' && this.current?.members.length === 0) this.resume();
    return joined;
  }

  /** Removes a worker; during a run it leaves as a lost worker would (its round is discarded). */
  removeWorker(id: number): void {
    this.requireWorker(id);
    this.pool?.remove(id, 'removed by request');
  }

  /**
   * A text model continues `request.prompt` with the current global model.
   * During a round the text waits for the round's end (off the training
   * clock, on the wall clock); otherwise it is written now.
   */
  generate(request: GenerateRequest): Promise<GenerateResult> {
    return this.writer.ask(request, WRITES_BETWEEN_ROUNDS.includes(this.currentPhase));
  }

  /** Live tensors and heap bytes per worker, for leak checks. */
  async memoryReport(): Promise<{ id: number; tensors: number; heapBytes: number | null }[]> {
    const workers = this.pool?.workers.filter((w) => w.lostReason() === null) ?? [];
    return Promise.all(
      workers.map(async (w) => ({ id: w.id, tensors: await w.call((a) => a.numTensors()), heapBytes: await w.call((a) => a.heapBytes()) })),
    );
  }

  /** The k training samples with the highest recorded loss (unseen ones skipped). */
  hardestSamples(k: number): HardSample[] {
    return this.prepared ? hardestSamples(this.prepared, k) : [];
  }

  /** The current run as a checkpoint (also saved every checkpointEvery rounds, at pause and at the end). */
  checkpoint(): Checkpoint | null {
    return this.current ? snapshot(this.current, this.history) : null;
  }

  /**
   * Lends the pool of `input` (started if need be) over its prepared memory
   * to `use`, while no run can start: for measurements that are not runs
   * (the benchmark's bare-tfjs baseline). The phase is `profiling` meanwhile.
   */
  async withPool<T>(input: Partial<RunConfig>, message: string, use: (memory: Prepared, workers: readonly WorkerHandle[]) => Promise<T>): Promise<T> {
    const config = await this.concrete(validateConfig(input, DEFAULT_CONFIG));
    if (this.isRunning()) {
      throw new RunStateError(`Cannot lend the workers while a run is in progress (phase ${this.currentPhase}).`);
    }
    this.setPhase('profiling', message);
    try {
      const memory = await this.prepare(config.dataset, config.model, config);
      const pool = await this.ensurePool(config, memory);
      const result = await use(memory, pool.workers);
      this.setPhase('idle', 'Measured.');
      return result;
    } catch (e) {
      this.setPhase('failed', messageOf(e));
      throw e;
    }
  }

  /**
   * Runs `input` (validated, filled from the defaults). With `resume`, the
   * run continues a checkpoint: its model, loss table, round, clocks and history.
   */
  async run(input: Partial<RunConfig>, resume: Checkpoint | null = null): Promise<RunResult> {
    const config = await this.concrete(validateConfig(input, DEFAULT_CONFIG));
    if (this.isRunning()) {
      throw new RunStateError(`A run is already in progress (phase ${this.currentPhase}); stop it first.`);
    }
    if (resume) checkResumable(resume, config);
    // The wall clock starts here: loading, start-up and profiling are waited for too.
    const clock = new RunClock(config, resume ? resumedClocks(resume) : null);
    this.history = resume ? resume.history.slice() : [];
    this.current = null;
    this.stopRequested = false;
    this.pauseRequested = false;
    let stopWatch = (): void => undefined;
    try {
      this.setPhase('starting', `Preparing ${config.dataset} for ${config.model}.`);
      const memory = await this.prepare(config.dataset, config.model, config);
      refuseWhatCannotFit(config, memory.model);
      // A stop asked while loading holds; else the last run's interrupt is cleared.
      if (this.stopRequested) memory.views.interrupt();
      else memory.views.clearInterrupt();
      stopWatch = clock.watchTimeLimit(() => memory.views.interrupt());
      this.setPhase('starting', 'Starting workers.');
      const pool = await this.ensurePool(config, memory);
      const opened = await openRun({
        config,
        memory,
        workers: pool.workers.slice(),
        clock,
        resume,
        log: (level, message) => this.emit({ type: 'log', level, message }),
        onProfiling: () => {
          // Listed while they profile, so the page can offer Remove then.
          this.publishProfiling(pool);
          if (!this.stopRequested) this.setPhase('profiling', 'Measuring each worker’s step time.');
        },
      });
      const run = opened.run;
      this.current = run;
      const control = this.control(run);
      leave(run, opened.lost, control);
      this.publishWorkers(run);
      if (resume) await this.announceResume(run, resume);
      // Profiling cut short by stop() or the time limit: no round is trained.
      let stoppedBy: RunResult['stoppedBy'] = this.stopRequested ? 'user' : 'time';
      if (!this.stopRequested && !memory.views.interrupted()) {
        this.setPhase('training', `Training with ${config.algo}.`);
        stoppedBy = await trainRounds(run, control);
      }
      const result = await finishRun(run, stoppedBy, control);
      this.setPhase('done', run.message ?? `Finished: ${stoppedBy}.`);
      this.emit({ type: 'done', result });
      return result;
    } catch (e) {
      this.setPhase('failed', messageOf(e));
      throw e;
    } finally {
      stopWatch();
      for (const j of this.joining.splice(0)) j.reject(new RunStateError('The run ended before the worker could join.'));
      // Texts asked for in the run's last moments: written now, with the final model.
      void this.writer.serve(this.current);
    }
  }

  /** What the run loop may do to the engine's state. */
  private control(run: RunState): RunControl {
    return {
      history: this.history,
      pool: this.pool,
      stopRequested: () => this.stopRequested,
      pauseRequested: () => this.pauseRequested,
      pauseUntilResumed: (message) => this.pauseUntilResumed(run, message),
      setPhase: (phase, message) => this.setPhase(phase, message),
      round: (event) => {
        this.history.push(event);
        this.emit({ type: 'round', event });
      },
      betweenRounds: () => this.writer.serve(run),
      admitJoiners: () => this.admitJoiners(run),
      rosterChanged: () => this.publishWorkers(run),
      checkpoint: () => this.saveCheckpoint(run),
    };
  }

  private async announceResume(run: RunState, resume: Checkpoint): Promise<void> {
    run.clock.resumeTarget(this.history);
    if (run.members.length === 0) return;
    const check = await run.clock.evaluation(() => evaluateSplit(run.members, run.memory.testSize));
    this.emit({ type: 'log', level: 'info', message: `Resumed at round ${resume.round}: test accuracy ${(100 * check.accuracy).toFixed(2)}%.` });
  }

  /** Starts, profiles and seats the workers asked for since the last round. */
  private async admitJoiners(run: RunState): Promise<void> {
    const pool = this.pool;
    if (this.joining.length === 0 || !pool) return;
    for (const join of this.joining.splice(0)) {
      try {
        const member = await seatJoiner(run, pool, join.backend);
        const note = `worker ${member.worker.id} (${member.worker.report.backend}) joined`;
        run.notes.push(note);
        this.emit({ type: 'log', level: 'info', message: `Worker ${member.worker.id} (${member.worker.report.backend}) joined.` });
        join.resolve(member.worker.id);
      } catch (e) {
        join.reject(asError(e));
      }
    }
    this.publishWorkers(run);
  }

  private publishProfiling(pool: WorkerPool): void {
    this.workerInfo = pool.workers
      .filter((w) => w.lostReason() === null)
      .map((w) => ({ id: w.id, requested: w.requested, backend: w.report.backend, report: w.report, stepMs: null, role: null, parked: null }));
    this.emit({ type: 'workers', workers: this.workers() });
  }

  private publishWorkers(run: RunState): void {
    this.workerInfo = workerInfos(run.members, run.parked);
    this.emit({ type: 'workers', workers: this.workers() });
  }

  /**
   * Saves a checkpoint and waits for resume() or stop(). The waiter exists
   * before the phase says paused, so a resume that comes while the
   * checkpoint is still being written is not lost.
   */
  private async pauseUntilResumed(run: RunState, message: string): Promise<void> {
    const resumed = new Promise<void>((resolve) => (this.resumeWaiter = resolve));
    this.setPhase('paused', message);
    await this.saveCheckpoint(run);
    await resumed;
    this.resumeWaiter = null;
  }

  private saveCheckpoint(run: RunState): Promise<void> {
    return saveQuietly(
      this.options.onCheckpoint,
      () => snapshot(run, this.history),
      (message) => this.emit({ type: 'log', level: 'warn', message }),
    );
  }

  private requireWorker(id: number): WorkerHandle {
    const worker = this.pool?.workers.find((w) => w.id === id);
    if (!worker) {
      const ids = this.pool?.workers.map((w) => w.id).join(', ') || 'none';
      throw new RunStateError(`No worker ${id}; workers now: ${ids}.`);
    }
    return worker;
  }

  /**
   * The pool to measure for the benchmark: `input`'s pool started and
   * profiled, then checked as a run with parking auto would check it. Every
   * algorithm of a comparison then trains on the kept groups (by the backend
   * each worker asked for), parking off, so no comparison mixes pools.
   */
  async checkPool(input: Partial<RunConfig>): Promise<PoolDecision> {
    const config = await this.concrete(validateConfig(input, DEFAULT_CONFIG));
    const asked = config.workers;
    return this.withPool(config, 'Measuring the pool with and without each worker.', async (memory, workers) => ({
      asked,
      ...(await decidePool(config, memory, workers)),
    }));
  }

  /** `config` with `workers: auto` resolved to groups from what the browser has. */
  private concrete(config: RunConfig): Promise<RunConfig & { workers: WorkerGroup[] }> {
    return concreteWorkers(config, this.options.detectPool);
  }

  /** The pool of `config` over `memory`: the current one if it still matches, else a new one (a fallback is a warning). */
  private async ensurePool(config: RunConfig & { workers: WorkerGroup[] }, memory: Prepared): Promise<WorkerPool> {
    // Null while starting: a pool that fails to start leaves none behind.
    const current = this.pool;
    this.pool = null;
    this.pool = await WorkerPool.reuseOrStart(current, this.options.startWorker, config, memory, (message) =>
      this.emit({ type: 'log', level: 'warn', message }),
    );
    return this.pool;
  }

  private setPhase(phase: RunPhase, message: string): void {
    this.currentPhase = phase;
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

/** Phases in which a text asked for waits for the end of the round in progress. */
const WRITES_BETWEEN_ROUNDS: readonly RunPhase[] = ['starting', 'profiling', 'training', 'pausing', 'stopping'];
