/**
 * Every message and API that crosses a thread or a process boundary:
 * orchestrator <-> trainer worker (comlink), page <-> scripts (`window.tandem`),
 * page -> benchmark (the run JSON). Types only; no behaviour.
 */
import type { AggregationMode, BackendName, ModelName, RunConfig, WorkerGroup } from './core/config';

/**
 * Test images per forward pass when a worker evaluates. Evaluation slices
 * are whole multiples of it, so every worker compiles one batch shape (on
 * WebGPU each new shape is a shader compilation).
 */
export const EVAL_BATCH = 500;

/** A worker posts `{type: DEVICE_LOST_MESSAGE, reason}` when its WebGPU device is lost, outside any call. */
export const DEVICE_LOST_MESSAGE = 'tandem-device-lost';

/** What a trainer worker reports after starting its backend. */
export interface BackendReport {
  /** The backend asked for. */
  requested: BackendName;
  /** The backend that actually runs (differs only after a fallback). */
  backend: BackendName;
  /** `[backend] reason` for every backend that failed before this one. */
  failures: string[];
  /** WebGPU adapter info, when backend is webgpu. */
  adapter: AdapterReport | null;
  /** WASM details, when backend is wasm. */
  wasm: { simd: boolean; threads: number } | null;
  /** tfjs' own backend name, as a check that nothing moved. */
  tfBackend: string;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** Sent once to a worker so it can view the shared buffers. */
export interface WorkerInit {
  id: number;
  backend: BackendName;
  fallback: 'fallback' | 'refuse';
  memory: SharedArrayBuffer;
  /** Byte layout of `memory`, from src/shared-memory/layout.ts. */
  layout: import('./shared-memory/layout').LayoutSpec;
  /** The model to train, as plain data (shapes and parameter order). */
  model: import('./models/spec').ModelSpec;
}

/** Hyperparameters a worker's optimizer uses; set per run. */
export interface OptimizerSettings {
  learningRate: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  /** Random crop (zero padding) and horizontal flip of training batches; {0, false} = none. */
  augment: { cropPadding: number; flip: boolean };
  /** Seeds this worker's augmentation stream. */
  seed: number;
}

/** One local round: load theta_bar, run `steps` SGD steps over the shard window, publish theta_i. */
export interface RoundOrder {
  round: number;
  steps: number;
  /** Where in the worker's shard this round's samples start (in samples). */
  shardOffset: number;
  /** Entries of the shard held in its region; reads wrap around at this (see core/sampler.ts shardWindow). */
  shardStored: number;
  /** Emulated slowdown: each step is stretched to this many times its measured time (1 = none). */
  slowdown: number;
  /**
   * Go on from this worker's own model as it published it to its slot (the
   * rest of a round an evaluation paused) instead of loading theta_bar.
   */
  resume: boolean;
}

export interface RoundReport {
  id: number;
  round: number;
  steps: number;
  samples: number;
  /** Wall time inside the worker for the whole round (load + steps + publish), ms. */
  busyMs: number;
  /** Median ms per SGD step this round, emulated slowdown included. */
  stepMs: number;
  /** Median ms per SGD step as computed, without the emulated wait. */
  measuredStepMs: number;
  /** Time to load theta_bar and publish theta_i, ms. */
  exchangeMs: number;
  /** Mean training loss over the round's batches. */
  loss: number;
  /** False when the published model holds NaN or Infinity. */
  finite: boolean;
}

export interface ProfileReport {
  id: number;
  /** Median ms per training step after warm-up, emulated slowdown included. */
  stepMs: number;
  /** The same without the emulated wait. */
  measuredStepMs: number;
  samplesMs: number[];
}

/** What a worker trained in a pool measurement window (see TrainerApi.measure). */
export interface MeasureReport {
  id: number;
  steps: number;
  samples: number;
  /** From the call's start to its last step's end, ms. */
  ms: number;
  /** Median ms per step, emulated slowdown included. */
  stepMs: number;
}

export interface EvalReport {
  accuracy: number;
  loss: number;
  samples: number;
  evalMs: number;
}

/** A worker's training step timed against bare tfjs (tf.layers + tf.train) on the same backend. */
export interface BaselineTiming {
  id: number;
  backend: BackendName;
  tandemStepMs: number;
  bareStepMs: number;
}

/** What measuring a pool decided: the pool started, the groups kept, one line per verdict, and what deciding took. */
export interface PoolDecision {
  asked: WorkerGroup[];
  kept: WorkerGroup[];
  notes: string[];
  /** Profiling and the measurement windows, ms (a run with parking auto has them on its training clock). */
  measureMs: number;
}

/** A baseline timing with what was timed: the run's own model and dataset. */
export interface BaselineReport extends BaselineTiming {
  model: ModelName;
  dataset: string;
  /** Training FLOPs of one step as training computes it, at the batch size timed. */
  flopsPerStep: number;
}

/** What `tandem.baseline` times: the pool, model and dataset of a run config, `steps` steps per worker. */
export interface BaselineOptions {
  workers?: RunConfig['workers'] | string;
  steps?: number;
  batchSize?: number;
  dataset?: string;
  model?: ModelName;
}

/** One synchronous SGD step's gradient half. */
export interface GradientReport {
  id: number;
  /** Compute time for this step's gradient, ms. */
  busyMs: number;
  loss: number;
}

/** The trainer worker's API (the object `trainer.worker.ts` exposes). */
export interface TrainerApi {
  init(init: WorkerInit): Promise<BackendReport>;
  /**
   * Sets the optimizer's hyperparameters. `restartStreams` restarts the
   * augmentation stream from the seed: true at the start of a run (so two
   * runs with one seed match), false for a mid-run learning-rate change.
   */
  configure(settings: OptimizerSettings, restartStreams: boolean): void;
  /** Load theta_bar from shared memory; optionally reset the optimizer state (a new run). */
  loadGlobal(resetOptimizer: boolean): Promise<void>;
  /** Write theta_i into the worker's slot and mark it with `version`; false if it holds NaN/Infinity. */
  publishModel(version: number): Promise<boolean>;
  profile(warmupSteps: number, timedSteps: number, slowdown: number): Promise<ProfileReport>;
  /**
   * Trains steps until the wall clock (performance.timeOrigin + now, so every
   * worker reads the same clock) passes `untilMs`, at least one, and then puts
   * its model and momentum back: the pool's throughput with the other workers
   * stepping beside it, without changing what it trains.
   */
  measure(untilMs: number, slowdown: number): Promise<MeasureReport>;
  runRound(order: RoundOrder): Promise<RoundReport>;
  /** Sync SGD: gradient of one batch from the shard at `shardOffset` (wrapping at `shardStored`) into the worker's slot. */
  computeGradient(shardOffset: number, shardStored: number, slowdown: number): Promise<GradientReport>;
  /** Sync SGD: apply the averaged gradient in the global gradient region; returns ms spent. */
  applyGradient(): Promise<number>;
  evaluate(start: number, count: number): Promise<EvalReport>;
  /** Step times of this worker's own step and of the same model in bare tfjs, on the same batches. */
  baseline(warmupSteps: number, timedSteps: number): Promise<BaselineTiming>;
  /** theta_bar as a tfjs layers model (for download). */
  exportModel(): Promise<ModelArtifacts>;
  /** Test hook: destroys this worker's WebGPU device, as a GPU reset would. */
  simulateDeviceLoss(): void;
  /** Test hook: the next model this worker publishes holds NaN. */
  injectNaN(): void;
  /** Live tfjs tensors in this worker (leak checks). */
  numTensors(): number;
  /** This worker's JS heap in bytes, where the browser tells (Chromium), else null. */
  heapBytes(): number | null;
  dispose(): void;
}

/** Per-worker part of a round event. */
export interface WorkerRoundStats {
  id: number;
  backend: BackendName;
  tau: number;
  steps: number;
  samples: number;
  busyMs: number;
  idleMs: number;
  stepMs: number;
  biased: boolean;
  tensors: number;
  /** Why it sat this round out (parking: the pool trains faster without it), or null when it trained. */
  parked: string | null;
}

export interface RoundEvent {
  round: number;
  /** Wall time since `run()` was called, everything included (loading, start-up, profiling, evaluation, pauses), ms. */
  wallMs: number;
  /** Training clock: wall time minus evaluation time, ms. */
  trainMs: number;
  /** This round's duration (training only), ms. */
  roundMs: number;
  loss: number;
  /** Test accuracy of theta_bar after this round on the first evalSamples test images, or null when not evaluated. */
  accuracy: number | null;
  /** Accuracy on the whole test set, when this round was evaluated on it (a target confirmation, or evalSamples = all). */
  fullAccuracy: number | null;
  /**
   * Evaluations inside the round, when the cadence (evalEverySeconds,
   * targetResolution) fell in it: sync between steps, local SGD on the
   * average of where its workers were. The training clock and accuracy at each.
   */
  probes: { trainMs: number; accuracy: number; fullAccuracy: number | null }[];
  evalMs: number;
  aggregateMs: number;
  exchangeMs: number;
  workers: WorkerRoundStats[];
  /** What happened to the pool this round: workers that left or joined, models left out, lr changes. */
  notes: string[];
}

export type RunPhase =
  | 'idle'
  | 'starting'
  | 'profiling'
  | 'training'
  | 'pausing'
  | 'paused'
  | 'stopping'
  | 'done'
  | 'failed';

/** A training sample as the loss table ranks it, with its pixels for display. */
export interface HardSample {
  index: number;
  label: number;
  /** The label's name when the dataset has names. */
  className: string | null;
  loss: number;
  /** [height, width, channels] of `pixels` (HWC bytes). */
  shape: [number, number, number];
  pixels: Uint8Array;
}

/** The dataset and model in shared memory. */
export interface DatasetInfo {
  id: string;
  model: import('./core/config').ModelName;
  trainSize: number;
  testSize: number;
  shape: [number, number, number];
  classes: number;
  classNames: string[] | null;
}

/** A model in the tfjs layers format: the parts of model.json and the weights file. */
export interface ModelArtifacts {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
}

export type EngineEvent =
  | { type: 'phase'; phase: RunPhase; message: string }
  | { type: 'workers'; workers: WorkerInfo[] }
  | { type: 'round'; event: RoundEvent }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done'; result: RunResult };

export interface WorkerInfo {
  id: number;
  requested: BackendName;
  backend: BackendName;
  report: BackendReport;
  stepMs: number | null;
  role: 'fast' | 'slow' | 'parked' | null;
  /** Why the pool trains without it (role `parked`), or null. */
  parked: string | null;
}

/** One worker over a whole run, in the run result. */
export interface WorkerSummary {
  id: number;
  backend: BackendName;
  requested: BackendName;
  /** Median step time of its last round (emulated slowdown included), ms. */
  stepMs: number;
  /** Last measured step time without the emulated wait, ms. */
  measuredStepMs: number;
  /** Emulated slowdown factor in force at the end (1 = none). */
  slowdown: number;
  tau: number;
  steps: number;
  samples: number;
  busyMs: number;
  idleMs: number;
  /** Why the worker left during the run, or null if it stayed. */
  left: string | null;
  /** Why it was parked at the end of the run (the pool trained faster without it), or null when it trained. */
  parked: string | null;
}

/** The benchmark's per-algorithm result and what `window.tandem.run` resolves to. */
export interface RunResult {
  algo: RunConfig['algo'];
  config: RunConfig;
  /** Every worker that took part, those that left included. */
  workers: WorkerSummary[];

  /** True when any worker's speed was emulated (config.slowdown). */
  emulated: boolean;
  /** Rounds per epoch: floor(N / (B * K * tauFast)), K the pool when the run started (fast-only too). */
  roundsPerEpoch: number;
  rounds: number;
  /** Wall time from `run()` to the result, everything included (loading, start-up, profiling, evaluation, checkpoints, pauses), ms. */
  wallMs: number;
  /** Training clock: profiling and the rounds, evaluation excluded (the paper's clock), ms. */
  trainMs: number;
  /** Profiling before round 1 (on the training clock: every algorithm is profiled), ms. */
  profileMs: number;
  /** All evaluation: per-round, target confirmations and the final one, ms. */
  evalMs: number;
  /**
   * The evaluations of the whole test set (confirmations, the final one,
   * every one when evalSamples is all): how many, how many workers shared
   * the last, their mean time from the orchestrator's call to the combined
   * result, and the mean of their slowest slice as timed inside its worker
   * (loading theta_bar and the forward passes); the difference is the calls
   * and combining. Null when none ran.
   */
  wholeTestSet: { evaluations: number; workers: number; meanMs: number; meanSliceMs: number } | null;
  aggregateMs: number;
  exchangeMs: number;
  /**
   * Training clock at the evaluation that first reached the target, confirmed
   * on the whole test set; null if never. Evaluations are discrete: the true
   * crossing lies in (targetAfterMs, timeToTargetMs].
   */
  timeToTargetMs: number | null;
  /** Training clock at the evaluation before the one that reached the target (0 if none). */
  targetAfterMs: number | null;
  /** Wall clock (from `run()`) when the whole test set confirmed the target, ms. */
  wallTimeToTargetMs: number | null;
  /** Epochs completed: rounds / roundsPerEpoch (one epoch is the same fast-worker iterations for every algorithm). */
  epochsDone: number;
  /** True when `config.epochs` was set and the run ended before completing them (time cap, stop, divergence). */
  cutShort: boolean;
  finalAccuracy: number | null;
  aggregation: AggregationMode;
  stoppedBy: 'target' | 'time' | 'rounds' | 'epochs' | 'user' | 'diverged';
  /** Why the run ended early (divergence), for people. */
  message: string | null;
  history: { round: number; trainMs: number; loss: number; accuracy: number | null; notes?: string[] }[];
}

export interface EnvironmentInfo {
  userAgent: string;
  adapter: AdapterReport | null;
  adapterError: string | null;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  wasmSimd: boolean;
  wasmThreads: number;
  hardwareConcurrency: number;
}

/** `window.tandem`: the automation API the benchmark and the end-to-end tests drive. */
export interface TandemApi {
  /** Resolves once the dataset is loaded and the page is ready to run. */
  ready(): Promise<void>;
  environment(): Promise<EnvironmentInfo>;
  defaults(): RunConfig;
  /** Validates a partial config (rejects with a ConfigError naming the key). */
  validate(config: Partial<RunConfig>): RunConfig;
  /** Runs `config` (validated, filled from the defaults) and resolves to its result. */
  run(config: Partial<RunConfig>): Promise<RunResult>;
  /** The page's current config (what its controls show and the URL holds). */
  config(): RunConfig;
  /** Validates `partial` over the current config and shows it in the controls; throws a ConfigError naming the key. */
  setConfig(partial: Partial<RunConfig>): RunConfig;
  /** Runs the page's current config, as the Start button does. */
  start(): Promise<RunResult>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** The finished runs kept on the page (for comparison), oldest first. */
  runs(): RunResult[];
  clearRuns(): void;
  /** The k training samples ranked hardest by the loss table. */
  hardestSamples(k: number): HardSample[];
  events(): RoundEvent[];
  workers(): WorkerInfo[];
  phase(): RunPhase;
  /**
   * Times each worker of `workers` alone (one at a time): Tandem's step
   * against bare tfjs on the same backend and batches.
   */
  baseline(options?: BaselineOptions): Promise<BaselineReport[]>;
  /**
   * Starts and measures `config`'s pool as a run with parking auto would
   * (config.parking is not read): which workers to keep, as backend groups,
   * and the verdicts. The benchmark trains every algorithm on that pool.
   */
  checkPool(config: Partial<RunConfig>): Promise<PoolDecision>;
  /** Adds a worker to the running run (profiled, seated from the next round); resolves to its id. */
  addWorker(backend: import('./core/config').BackendName): Promise<number>;
  /** Removes worker `id`; during a run it leaves as a lost worker would. */
  removeWorker(id: number): Promise<void>;
  /** Faults caused on purpose, to test how runs survive them. */
  diagnostics: {
    /** Destroys worker `id`'s WebGPU device, as a GPU reset would. */
    simulateDeviceLoss(id: number): Promise<void>;
    /** Worker `id` publishes NaN at its next round. */
    injectNaN(id: number): Promise<void>;
  };
  /** Live tensors and JS heap per worker, and the page's own heap (bytes; null where the browser does not tell). */
  memory(): Promise<{ page: number | null; workers: { id: number; tensors: number; heapBytes: number | null }[] }>;
  /** The checkpoint saved in this browser (IndexedDB), summarised, or null. */
  savedCheckpoint(): Promise<CheckpointSummary | null>;
  /** Continues the saved checkpoint's run (its config, model, loss table, round and history). */
  resumeSaved(): Promise<RunResult>;
  /** The current or last run's checkpoint as file bytes (for download). */
  exportCheckpoint(): Uint8Array;
  /** Reads checkpoint file bytes (refused by name if truncated or foreign) and saves them as this browser's checkpoint. */
  importCheckpoint(bytes: Uint8Array, name?: string): Promise<CheckpointSummary>;
}

export interface CheckpointSummary {
  savedAt: string;
  round: number;
  trainMs: number;
  algo: RunConfig['algo'];
  dataset: string;
  model: string;
  /** Last evaluated accuracy in its history. */
  accuracy: number | null;
}
