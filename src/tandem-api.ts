/**
 * `window.tandem`, the automation API the benchmark and the end-to-end tests
 * drive, and the types only it hands out. Types only.
 */
import type { Algo, ModelName, RunConfig, WorkerGroup } from './core/config';
import type { AdapterReport, BaselineTiming } from './protocol';
import type { GenerateRequest, GenerateResult, HardSample, RoundEvent, RunPhase, RunResult, WorkerInfo } from './run-report';
import type { SweepFile } from './sweep/records';

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
  /** Stops the run in progress at once; a sweep ends with the trial it stops. */
  stop(): Promise<void>;
  /** The finished runs kept on the page (for comparison), oldest first. */
  runs(): RunResult[];
  clearRuns(): void;
  /** The k training samples ranked hardest by the loss table. */
  hardestSamples(k: number): HardSample[];
  /**
   * The current (or last) text run's global model continues `prompt` by
   * `length` characters (the continuation only comes back, with the round
   * whose model wrote it); during a run it is written between rounds, off
   * the training clock. Rejects with a ConfigError naming the field, the
   * value and what is allowed (prompt: 1 to 1000 characters of the
   * dataset's vocabulary; length: an integer from 1 to 1000; temperature: a
   * number in (0, 5]; seed: a whole number of at least 0), and when there is
   * no text model to write with.
   */
  generate(request: GenerateRequest): Promise<GenerateResult>;
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
  /**
   * The newest save in this browser (IndexedDB) of any run, summarised, or
   * null when nothing readable is saved. Rejects with the reason when saves
   * exist but every one is damaged. Kept for scripts written before
   * savedRuns(); savedRuns() lists them all.
   */
  savedCheckpoint(): Promise<CheckpointSummary | null>;
  /**
   * Every run saved in this browser, whichever tab saved it, newest first:
   * one entry per run (its newest readable save), and one entry per damaged
   * save, with why it cannot be read. Nothing is left out.
   */
  savedRuns(): Promise<SavedEntry[]>;
  /**
   * Continues a saved run (its config, model, loss table, round and
   * history): `key` from savedRuns(), or the newest save when omitted. The
   * save is checked as an import is before the page's config is touched; a
   * refused resume leaves the config as it was.
   */
  resumeSaved(key?: string): Promise<RunResult>;
  /** Deletes what `key` names: a run entry's key, every save of that run; a damaged entry's key, that save only. */
  discardSaved(key: string): Promise<void>;
  /** The current or last run's checkpoint as file bytes (for download). */
  exportCheckpoint(): Uint8Array;
  /**
   * Reads checkpoint file bytes and stores them beside the saves already in
   * this browser (never over them). Refused with the reason, and nothing
   * stored, when the file is truncated, foreign, fails its checksum, does not
   * fit its model and dataset or holds a non-finite weight, and while a run
   * is active.
   */
  importCheckpoint(bytes: Uint8Array, name?: string): Promise<CheckpointSummary>;
  /**
   * Runs a sweep as the Sweep panel does: each trial is the page's config
   * with the trial's settings, algorithm and seed, run back to back; the
   * panel shows it. Resolves to the sweep's file once its last trial (or
   * the one running when it was ended) has ended. Rejects before anything
   * runs with a SweepPlanError naming the field (grid, random, trials,
   * seeds, algos, drawSeed), the value and what is allowed, or a
   * RunStateError while a run or another sweep is active.
   */
  sweep(request: SweepRequest): Promise<SweepFile>;
  /** The current or last sweep (the trials that ended so far), or null when there is none or it was cleared. */
  sweepResults(): SweepFile | null;
  /** The sweep ends once its current trial has ended (stop() stops that trial as well). */
  endSweep(): Promise<void>;
  /** Forgets the last sweep's results; throws while a sweep runs. */
  clearSweep(): void;
}

/** What `tandem.sweep` takes: the Sweep panel's fields as a script writes them (sweep/plan-read.ts's readRequest reads it). */
export interface SweepRequest {
  /** Grid keys and values, `tauFast=8,16,32`: one string per key (or one string for one key). */
  grid?: string[] | string;
  /** Random ranges, `learningRate=0.01:0.2:log`. */
  random?: string[] | string;
  /** Random draws (with random ranges). */
  trials?: number;
  /** Default: the page's seed. */
  seeds?: number[] | string;
  /** Default: the page's algorithm. */
  algos?: Algo[] | string;
  /** The random draws' seed; default 1. */
  drawSeed?: number;
}

/** One saved run as the page and scripts see it: what would be resumed. */
export interface CheckpointSummary {
  /** Names this run for resumeSaved(key) and discardSaved(key). */
  key: string;
  /** The run the save belongs to (every save of a run, in any tab, has the same id). */
  runId: string;
  savedAt: string;
  round: number;
  trainMs: number;
  algo: RunConfig['algo'];
  dataset: string;
  model: string;
  /** The saved model's accuracy on the whole test set, when it was measured; null otherwise. */
  fullAccuracy: number | null;
  /** Last accuracy in its history, measured on `evalSamples` test images (a subset), or null. */
  accuracy: number | null;
  /** How many test images `accuracy` was measured on (the run's config.evalSamples). */
  evalSamples: number;
  /** Saves of this run kept in this browser (at most its config.keepSaves, more after an import). */
  saves: number;
  /** False for a version-1 file, which has no checksum to verify. */
  verified: boolean;
}

/** A save that cannot be read, listed with the reason instead of being dropped. */
export interface DamagedSave {
  /** Names this save alone, for discardSaved(key). */
  key: string;
  runId: string;
  /** When it was stored (from its key: its own header may be unreadable). */
  savedAt: string;
  /** Why it cannot be read (e.g. a checksum mismatch). */
  reason: string;
}

/** An entry of savedRuns(): a resumable run, or a damaged save. */
export type SavedEntry = ({ state: 'ok' } & CheckpointSummary) | ({ state: 'damaged' } & DamagedSave);
