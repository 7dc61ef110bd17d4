/**
 * What a finished trial leaves: its summary (both clocks' times to target,
 * the final accuracy, the wall time, what ran), where it ran, and the files
 * a sweep writes: one JSON with the plan and every trial, and a CSV with one
 * row per trial. The page's Sweep panel exports the same shapes as
 * `npm run sweep` writes. Pure: no DOM, no Node APIs.
 */
import type { RunConfig } from '../core/config';
import { describeAdapter } from '../bench/report';
import type { RunResult } from '../run-report';
import type { EnvironmentInfo } from '../tandem-api';
import { formatAxisValue, type AxisValue, type SweepKey, type SweepPlan, type Trial } from './plan';

/** Where a trial ran: the browser (`local 1`, or a remote browser server's endpoint) and what it has. */
export interface TrialWhere {
  browser: string;
  userAgent: string;
  /** `vendor / architecture`, with `(fallback)` for a software adapter; `none` without WebGPU. */
  adapter: string;
  /** navigator.hardwareConcurrency there. */
  cores: number;
}

/** Where a trial runs, as the browser named `browser` describes itself. */
export function trialWhere(browser: string, env: EnvironmentInfo): TrialWhere {
  return { browser, userAgent: env.userAgent, adapter: describeAdapter(env), cores: env.hardwareConcurrency };
}

/** The figures a sweep table compares, from one RunResult. */
export interface TrialSummary {
  /** Training clock at the confirmed crossing of the target; null when not reached (or no target). */
  timeToTargetMs: number | null;
  /** The evaluation before the crossing: the crossing lies in (targetAfterMs, timeToTargetMs]. */
  targetAfterMs: number | null;
  /** Wall clock from run() to the confirmation. */
  wallTimeToTargetMs: number | null;
  finalAccuracy: number | null;
  finalLoss: number | null;
  trainMs: number;
  wallMs: number;
  /** Evaluation's share of the wall clock. */
  evalShare: number;
  rounds: number;
  epochsDone: number;
  /** Stopped by its time or round cap before its epochs were done. */
  cutShort: boolean;
  stoppedBy: RunResult['stoppedBy'];
  /** The pool that trained, parked workers left out: `wasm:2`. */
  trained: string;
  /** Some worker's speed was emulated (a slowdown rule). */
  emulated: boolean;
}

export interface TrialRecord {
  id: string;
  index: number;
  algo: Trial['algo'];
  seed: number;
  settings: Trial['settings'];
  setting: number;
  /** Times the trial was started (more than 1 when a browser was lost during it). */
  attempts: number;
  where: TrialWhere | null;
  /** Null when the trial failed. */
  summary: TrialSummary | null;
  failure: string | null;
  /** The whole result (history included), for the JSON file and the curves; dropped from the CSV. */
  result: RunResult | null;
}

/** `wasm:2`, `webgpu:1,wasm:2`: the workers that trained, by backend, in first-seen order. */
export function trainedPool(result: Pick<RunResult, 'workers'>): string {
  const counts = new Map<string, number>();
  for (const w of result.workers) if (w.parked === null) counts.set(w.backend, (counts.get(w.backend) ?? 0) + 1);
  return [...counts].map(([backend, n]) => `${backend}:${n}`).join(',') || 'none';
}

export function summarize(result: RunResult): TrialSummary {
  return {
    timeToTargetMs: result.timeToTargetMs,
    targetAfterMs: result.targetAfterMs,
    wallTimeToTargetMs: result.wallTimeToTargetMs,
    finalAccuracy: result.finalAccuracy,
    finalLoss: result.finalLoss,
    trainMs: result.trainMs,
    wallMs: result.wallMs,
    evalShare: result.wallMs > 0 ? result.evalMs / result.wallMs : 0,
    rounds: result.rounds,
    epochsDone: result.epochsDone,
    cutShort: result.cutShort,
    stoppedBy: result.stoppedBy,
    trained: trainedPool(result),
    emulated: result.emulated,
  };
}

export function finishedRecord(trial: Trial, result: RunResult, where: TrialWhere | null, attempts: number): TrialRecord {
  return { ...trialFields(trial), attempts, where, summary: summarize(result), failure: null, result };
}

export function failedRecord(trial: Trial, failure: string, where: TrialWhere | null, attempts: number): TrialRecord {
  return { ...trialFields(trial), attempts, where, summary: null, failure, result: null };
}

function trialFields(trial: Trial): Pick<TrialRecord, 'id' | 'index' | 'algo' | 'seed' | 'settings' | 'setting'> {
  return { id: trial.id, index: trial.index, algo: trial.algo, seed: trial.seed, settings: trial.settings, setting: trial.setting };
}

/** The file a sweep writes (`sweep.json`) and the page exports: enough to report it again or resume it. */
export interface SweepFile {
  kind: 'tandem-sweep';
  version: 1;
  startedAt: string;
  plan: SweepPlan;
  /** The config every trial starts from (the trial's settings, algorithm and seed go over it). */
  base: Partial<RunConfig>;
  /** The target the times are to (null: none). */
  targetAccuracy: number | null;
  /** Finished and failed trials, in plan order. */
  trials: TrialRecord[];
}

export const SWEEP_FILE_KIND = 'tandem-sweep';

/** The swept keys in column order: grid keys, then random keys. */
export function sweptKeys(plan: Pick<SweepPlan, 'grid' | 'random'>): SweepKey[] {
  return [...plan.grid.map((a) => a.key), ...plan.random.map((a) => a.key)];
}

/** The CSV's columns after the swept keys, in order. */
export const CSV_COLUMNS = [
  'time_to_target_train_s',
  'target_after_train_s',
  'time_to_target_wall_s',
  'final_accuracy',
  'final_loss',
  'train_s',
  'wall_s',
  'eval_share',
  'rounds',
  'epochs',
  'cut_short',
  'stopped_by',
  'trained',
  'emulated',
  'attempts',
  'browser',
  'user_agent',
  'adapter',
  'cores',
  'failure',
] as const;

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
function cell(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const secondsOf = (ms: number | null): number | null => (ms === null ? null : Number((ms / 1000).toFixed(3)));

/**
 * One header row, then one row per trial: `trial,algo,seed`, the swept keys
 * (a value as its flag writes it), then CSV_COLUMNS. Seconds to 3 decimals;
 * empty cells for a time not reached or a failed trial.
 */
export function sweepCsv(keys: readonly SweepKey[], records: readonly TrialRecord[]): string {
  const header = ['trial', 'algo', 'seed', ...keys, ...CSV_COLUMNS];
  const rows = records.map((r) => {
    const s = r.summary;
    const w = r.where;
    const settings = keys.map((k) => {
      const v = r.settings[k];
      return v === undefined ? null : formatAxisValue(k, v as AxisValue);
    });
    return [
      r.index + 1,
      r.algo,
      r.seed,
      ...settings,
      secondsOf(s?.timeToTargetMs ?? null),
      secondsOf(s?.targetAfterMs ?? null),
      secondsOf(s?.wallTimeToTargetMs ?? null),
      s?.finalAccuracy ?? null,
      s?.finalLoss ?? null,
      secondsOf(s?.trainMs ?? null),
      secondsOf(s?.wallMs ?? null),
      s ? Number(s.evalShare.toFixed(4)) : null,
      s?.rounds ?? null,
      s ? Number(s.epochsDone.toFixed(4)) : null,
      s?.cutShort ?? null,
      s?.stoppedBy ?? null,
      s?.trained ?? null,
      s?.emulated ?? null,
      r.attempts,
      w?.browser ?? null,
      w?.userAgent ?? null,
      w?.adapter ?? null,
      w?.cores ?? null,
      r.failure,
    ].map(cell);
  });
  return `${[header.map(cell), ...rows].map((row) => row.join(',')).join('\n')}\n`;
}

/**
 * Orders trials best first: those that reached the target by training-clock
 * time to target (then wall), then the rest by final accuracy (highest
 * first), failed trials last; ties keep plan order.
 */
export function compareTrials(a: TrialRecord, b: TrialRecord): number {
  const rank = (r: TrialRecord): number => (r.summary === null ? 2 : r.summary.timeToTargetMs === null ? 1 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0 && a.summary && b.summary) {
    const d = (a.summary.timeToTargetMs ?? 0) - (b.summary.timeToTargetMs ?? 0);
    if (d !== 0) return d;
    const w = (a.summary.wallTimeToTargetMs ?? Infinity) - (b.summary.wallTimeToTargetMs ?? Infinity);
    if (w !== 0 && Number.isFinite(w)) return w;
  }
  if (ra === 1 && a.summary && b.summary) {
    const d = (b.summary.finalAccuracy ?? -1) - (a.summary.finalAccuracy ?? -1);
    if (d !== 0) return d;
  }
  return a.index - b.index;
}

/** The best trial by compareTrials, or null when none finished. */
export function bestTrial(records: readonly TrialRecord[]): TrialRecord | null {
  const finished = records.filter((r) => r.summary !== null);
  return finished.length === 0 ? null : ([...finished].sort(compareTrials)[0] ?? null);
}

/** Mean duration of the trials that ended x the trials left, ms; null before the first has ended. */
export function timeLeftMs(durationsMs: readonly number[], left: number): number | null {
  if (durationsMs.length === 0) return null;
  const mean = durationsMs.reduce((sum, d) => sum + d, 0) / durationsMs.length;
  return mean * Math.max(0, left);
}
