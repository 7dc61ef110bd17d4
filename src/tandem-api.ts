/**
 * `window.tandem`, the automation API the benchmark and the end-to-end tests
 * drive, and the types only it hands out. Types only.
 */
import type { ModelName, RunConfig, WorkerGroup } from './core/config';
import type { AdapterReport, BaselineTiming } from './protocol';
import type { HardSample, RoundEvent, RunPhase, RunResult, WorkerInfo } from './run-report';

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
