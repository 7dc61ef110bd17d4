/**
 * What the engine tells the page, the API and the benchmark about a run:
 * round events, phases, workers, the run result. Types only.
 */
import type { AggregationMode, BackendName, RunConfig } from './core/config';
import type { BackendReport } from './protocol';

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

/** An evaluation at a point of the training clock that is not a round's end: a probe inside a round, or a kept model a narrowing evaluated. */
export interface EvaluatedPoint {
  trainMs: number;
  /** On the first evalSamples test images. */
  accuracy: number;
  /** On the whole test set, when it was measured there (a confirmation). */
  fullAccuracy: number | null;
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
   * Mean test loss (nats a sample) of the evaluation behind `accuracy`, or
   * null. For text, a sample's loss is its window's mean per character, so
   * bits per character = testLoss / ln 2.
   */
  testLoss: number | null;
  /**
   * Evaluations inside the round, when the cadence (evalEverySeconds,
   * targetResolution) fell in it: sync between steps, local SGD on the
   * average of where its workers were. The training clock and accuracy at each.
   */
  probes: EvaluatedPoint[];
  /**
   * Present on the round whose evaluation confirmed the target when its
   * interval was wider than targetResolution: the round-end models of earlier
   * rounds evaluated to narrow it (targetRefine), in the order evaluated.
   */
  refined?: EvaluatedPoint[];
  /** Time this round spent evaluating, ms: its probes (with their averaging), a narrowing, and the evaluation at its end. */
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
  /** A text dataset's context length, vocabulary (ids in order) and its training text's unigram entropy (bits per character). */
  text: { contextLength: number; vocabulary: string[]; unigramBitsPerChar: number } | null;
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
  /** Epochs completed, in fast-worker iterations: roundsPerEpoch x tauFast of them to an epoch (the same for every algorithm). */
  epochsDone: number;
  /** True when `config.epochs` was set and the run ended before completing them (time cap, stop, divergence). */
  cutShort: boolean;
  finalAccuracy: number | null;
  /** Mean loss of the final model on the whole test set (nats a sample; text: / ln 2 = bits per character), or null. */
  finalLoss: number | null;
  aggregation: AggregationMode;
  stoppedBy: 'target' | 'time' | 'rounds' | 'epochs' | 'user' | 'diverged';
  /** Why the run ended early (divergence), for people. */
  message: string | null;
  history: { round: number; trainMs: number; loss: number; accuracy: number | null; testLoss?: number | null; notes?: string[] }[];
}

/** What a text model is asked to write (engine.generate, window.tandem.generate). */
export interface GenerateRequest {
  /** The text to continue: characters of the dataset's vocabulary, at most 1000. */
  prompt: string;
  /** Characters to write, 1-1000. */
  length: number;
  /** Softmax temperature, (0, 5]: lower is more predictable. */
  temperature: number;
  /** Sampling seed (the same model, prompt and seed write the same text); default 0. */
  seed?: number;
}

export interface GenerateResult {
  /** The continuation only (the prompt is not repeated). */
  text: string;
  /** The round whose global model wrote it (0: untrained). */
  round: number;
  /** Wall time the writing took, ms (on the wall clock only: between rounds, off the training clock). */
  ms: number;
}
