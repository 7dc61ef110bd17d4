/**
 * The messages between the orchestrator and a trainer worker (comlink):
 * the trainer's API and what it reports. Types only; no behaviour. What the
 * engine reports (run-report.ts) and `window.tandem` (tandem-api.ts) are
 * re-exported at the end, so every cross-boundary type has one import path.
 */
import type { BackendName } from './core/config';

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
   * Stretch id (SharedViews.openStretch) to step until: after `minSteps`,
   * the worker stops before its next step once the orchestrator closes it,
   * `steps` being then only an upper bound; 0 = take `steps`.
   */
  untilClosed: number;
  minSteps: number;
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
  /**
   * Text models: continues `prompt` (character ids) by `length` characters
   * sampled from theta_bar at `temperature` (seeded); the continuation's ids.
   * Loads theta_bar into the worker's model, as the start of a round does.
   */
  generate(prompt: number[], length: number, temperature: number, seed: number): Promise<number[]>;
  /** Step times of this worker's own step and of the same model in bare tfjs, on the same batches. */
  baseline(warmupSteps: number, timedSteps: number): Promise<BaselineTiming>;
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

/** A model in the tfjs layers format: the parts of model.json and the weights file. */
export interface ModelArtifacts {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
}

// What the engine reports and what `window.tandem` offers, in their own modules; one import path for all.
export type * from './run-report';
export type * from './tandem-api';
