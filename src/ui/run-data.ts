/**
 * What the page keeps about each run and everything derived from it for the
 * charts and the exports: chart series, the busy/idle timeline, JSON, CSV and
 * the tfjs model.json. Pure (no DOM), tested in Node.
 */
import { formatWorkerSpec, type RunConfig, type WorkerGroup } from '../core/config';
import { percent, seconds } from '../core/format';
import type { ModelArtifacts, RoundEvent, RunResult, WorkerInfo, WorkerRoundStats, WorkerSummary } from '../protocol';

/** One run as the page saw it: built from the engine's events, kept after it ends for comparison and export. */
export interface RunRecord {
  /** Sequence number on this page, for labels and file names. */
  n: number;
  /** Known when the page started the run; otherwise filled from the result. */
  config: RunConfig | null;
  events: RoundEvent[];
  workers: WorkerInfo[];
  result: RunResult | null;
  /** The failure message, when the run failed. */
  error: string | null;
  /** A sweep's trial: its id (`biased seed=1 tauFast=16`), which labels the run instead of the usual knobs. */
  sweep?: string;
}

export type TimeAxis = 'wall' | 'train';

export const TIME_AXIS_LABELS: Readonly<Record<TimeAxis, string>> = {
  wall: 'wall clock, s',
  train: 'training clock, s (evaluation excluded)',
};

/** A chart series as uPlot takes it: x values and y values (null: no point). */
export type Points = [xs: number[], ys: (number | null)[]];

const clockSeconds = (e: RoundEvent, axis: TimeAxis): number => (axis === 'wall' ? e.wallMs : e.trainMs) / 1000;

/** Test accuracy in percent at each evaluated round. */
export function accuracyPoints(events: readonly RoundEvent[], axis: TimeAxis): Points {
  const evaluated = events.filter((e) => e.accuracy !== null);
  return [evaluated.map((e) => clockSeconds(e, axis)), evaluated.map((e) => (e.accuracy ?? 0) * 100)];
}

export function lossPoints(events: readonly RoundEvent[], axis: TimeAxis): Points {
  const finite = events.filter((e) => Number.isFinite(e.loss));
  return [finite.map((e) => clockSeconds(e, axis)), finite.map((e) => e.loss)];
}

/** SGD steps per second of busy time; null when the worker did no work that round. */
export function stepsPerSecond(w: Pick<WorkerRoundStats, 'steps' | 'busyMs'>): number | null {
  return w.busyMs > 0 ? w.steps / (w.busyMs / 1000) : null;
}

export interface WorkerSeries {
  ids: number[];
  /** `w0 webgpu`, with ` (parked)` while the worker is parked. */
  labels: string[];
  rounds: number[];
  /** Per worker (in `ids` order), per round. A parked round has tau 0: it was given no steps. */
  tau: (number | null)[][];
  /** Null where the worker did no work, parked rounds included. */
  stepsPerSecond: (number | null)[][];
  /** Per worker, per round: parked (kept started, not training). */
  parked: boolean[][];
  /** Per worker: parked in the last round it appears in. */
  parkedNow: boolean[];
}

/**
 * tau_i and steps per second of every worker that appears in the events, by
 * round, parked ones included. Only the current parked state goes in the
 * label: a chart is rebuilt when its labels change, which a per-round count
 * would do every round.
 */
export function workerSeries(events: readonly RoundEvent[]): WorkerSeries {
  const latest = new Map<number, WorkerRoundStats>();
  for (const e of events) for (const w of e.workers) latest.set(w.id, w);
  const ids = [...latest.keys()].sort((a, b) => a - b);
  const at = (e: RoundEvent, id: number) => e.workers.find((w) => w.id === id);
  const parkedNow = ids.map((id) => (latest.get(id)?.parked ?? null) !== null);
  return {
    ids,
    labels: ids.map((id, i) => workerLabel(id, latest.get(id)?.backend ?? '?') + (parkedNow[i] ? ' (parked)' : '')),
    rounds: events.map((e) => e.round),
    tau: ids.map((id) => events.map((e) => at(e, id)?.tau ?? null)),
    stepsPerSecond: ids.map((id) => events.map((e) => {
      const w = at(e, id);
      return w ? stepsPerSecond(w) : null;
    })),
    parked: ids.map((id) => events.map((e) => (at(e, id)?.parked ?? null) !== null)),
    parkedNow,
  };
}

export function workerLabel(id: number, backend: string): string {
  return `w${id} ${backend}`;
}

/**
 * A parking verdict without its opening `worker 0 (webgpu) parked: `, for
 * where the worker is already named and marked parked; other text as it is.
 */
export function parkedWhy(reason: string): string {
  const why = reason.replace(/^worker \d+ \([^)]*\) parked:\s*/, '');
  return why === '' ? reason : why;
}

export interface TimelineSegment {
  round: number;
  /** Share of the shown span taken by this round, 0..1 (rounds are drawn to scale). */
  width: number;
  /** Share of the round this worker computed, 0..1; the rest it waited. */
  busy: number;
  busyMs: number;
  idleMs: number;
  /** Parked this round: it neither computed nor waited, so the block is neither busy nor idle. */
  parked: boolean;
}

export interface TimelineRow {
  id: number;
  backend: string;
  /** Idle share over the shown rounds it trained in, 0..1. */
  idle: number;
  /** tau_i in the last shown round it appears in. */
  tau: number;
  biased: boolean;
  /** Why it is parked, when it was parked in the last shown round it appears in; else null. */
  parked: string | null;
  /** Shown rounds it was parked in. */
  parkedRounds: number;
  segments: TimelineSegment[];
}

export interface Timeline {
  firstRound: number;
  lastRound: number;
  rows: TimelineRow[];
}

/** The last `maxRounds` rounds as one row per worker, each round a block sized by its duration. */
export function timeline(events: readonly RoundEvent[], maxRounds: number): Timeline | null {
  const shown = events.slice(-maxRounds);
  const first = shown[0];
  const last = shown[shown.length - 1];
  if (!first || !last) return null;
  const span = shown.reduce((sum, e) => sum + roundSpan(e), 0) || 1;
  const ids = [...new Set(shown.flatMap((e) => e.workers.map((w) => w.id)))].sort((a, b) => a - b);
  const rows = ids.map((id): TimelineRow => {
    let busyMs = 0;
    let idleMs = 0;
    let latest: WorkerRoundStats | undefined;
    const segments = shown.map((e): TimelineSegment => {
      const w = e.workers.find((x) => x.id === id);
      if (w) latest = w;
      const busy = w?.busyMs ?? 0;
      const idle = w?.idleMs ?? 0;
      busyMs += busy;
      idleMs += idle;
      const parked = (w?.parked ?? null) !== null;
      return { round: e.round, width: roundSpan(e) / span, busy: busy + idle > 0 ? busy / (busy + idle) : 0, busyMs: busy, idleMs: idle, parked };
    });
    return {
      id,
      backend: latest?.backend ?? '?',
      idle: busyMs + idleMs > 0 ? idleMs / (busyMs + idleMs) : 0,
      tau: latest?.tau ?? 0,
      biased: latest?.biased ?? false,
      parked: latest?.parked ?? null,
      parkedRounds: segments.filter((s) => s.parked).length,
      segments,
    };
  });
  return { firstRound: first.round, lastRound: last.round, rows };
}

/** A round's length for the timeline: the workers' common wall time, which busy + idle add up to. */
function roundSpan(e: RoundEvent): number {
  return Math.max(e.roundMs, ...e.workers.map((w) => w.busyMs + w.idleMs), 0);
}

/** What runLabel and poolLabel read of a record; `workers` (the live run's latest) may be absent. */
export type LabelledRecord = Pick<RunRecord, 'n' | 'config' | 'result' | 'sweep'> & { workers?: readonly WorkerInfo[] };

/**
 * Short label for a run in legends and lists: number, algorithm, its pool
 * and the knobs that matter most; a sweep's trial by its id, which names
 * what it varies (`#3 biased seed=1 tauFast=16`).
 */
export function runLabel(record: LabelledRecord): string {
  if (record.sweep !== undefined) return `#${record.n} ${record.sweep}`;
  const config = record.config ?? record.result?.config ?? null;
  if (!config) return `#${record.n} run`;
  const parts = [`#${record.n} ${config.algo}`, ...poolLabel(record), `τF ${config.tauFast}`];
  if (config.algo === 'biased') parts.push(`λ ${config.lambda}`);
  return parts.join(' · ');
}

/**
 * A run's pool for its label: as asked (`webgpu:1,wasm:2`), or `auto` with
 * what it started once known (`auto: webgpu:1,wasm:2`); then the workers
 * parked at the end (finished) or now (running), as a part of their own.
 */
export function poolLabel(record: Omit<LabelledRecord, 'n'>): string[] {
  const asked = (record.config ?? record.result?.config)?.workers;
  if (asked === undefined) return [];
  const live = record.workers ?? [];
  // A result's own config holds the concrete pool it started; while running, the workers say what was asked of each.
  const started: readonly WorkerGroup[] | null =
    record.result && record.result.config.workers !== 'auto'
      ? record.result.config.workers
      : live.length > 0
        ? groupsOf(live.map((w) => w.requested))
        : null;
  const pool = asked !== 'auto' ? formatWorkerSpec(asked) : started ? `auto: ${formatWorkerSpec(started)}` : 'auto';
  const parked = record.result
    ? record.result.workers.filter((w) => w.parked !== null && w.left === null)
    : live.filter((w) => w.parked !== null || w.role === 'parked');
  return parked.length === 0 ? [pool] : [pool, `${parked.map((w) => workerLabel(w.id, w.backend)).join(', ')} parked`];
}

/** Consecutive workers of one backend as one group, in start order. */
function groupsOf(backends: readonly WorkerGroup['backend'][]): WorkerGroup[] {
  const groups: WorkerGroup[] = [];
  for (const backend of backends) {
    const last = groups[groups.length - 1];
    if (last?.backend === backend) last.count += 1;
    else groups.push({ backend, count: 1 });
  }
  return groups;
}

/** A finished run's workers for the runs table: each backend, marked when it was parked at the end or left. */
export function workersText(workers: readonly Pick<WorkerSummary, 'backend' | 'parked' | 'left'>[]): string {
  return workers
    .map((w) => w.backend + (w.left !== null ? ' (left)' : w.parked !== null ? ' (parked)' : ''))
    .join(', ');
}

/** Why a run ended, as the runs table and the status line say it. */
export function stoppedByText(by: RunResult['stoppedBy']): string {
  switch (by) {
    case 'target':
      return 'target accuracy reached';
    case 'time':
      return 'time budget used';
    case 'rounds':
      return 'round limit reached';
    case 'epochs':
      return 'epoch limit reached';
    case 'user':
      return 'stopped';
    case 'diverged':
      return 'diverged';
    default: {
      const never: never = by;
      return String(never);
    }
  }
}

/** The status line when run #n (null: a run the page did not follow) ends. */
export function finishedText(n: number | null, r: RunResult): string {
  return (
    `Run #${n ?? '?'} finished (${stoppedByText(r.stoppedBy)}) after ${r.rounds} rounds, ` +
    `${seconds(r.trainMs)} of training; final accuracy on the whole test set ${percent(r.finalAccuracy)}` +
    (r.timeToTargetMs === null ? '.' : `; target reached at ${seconds(r.timeToTargetMs)}.`) +
    (r.message ? ` ${r.message}` : '')
  );
}

/** The run's JSON export: the run result (history included) plus every round event. */
export function runJson(record: RunRecord): string {
  return JSON.stringify({ ...(record.result ?? { config: record.config }), label: runLabel(record), events: record.events }, null, 2);
}

const CSV_ROUND_COLUMNS = ['round', 'wallMs', 'trainMs', 'roundMs', 'loss', 'accuracy', 'evalMs', 'aggregateMs', 'exchangeMs'] as const;
const CSV_WORKER_COLUMNS = ['tau', 'steps', 'stepsPerSecond', 'busyMs', 'idleMs', 'stepMs', 'biased', 'parked'] as const;

function csvCell(value: number | string | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One row per round; per worker `w<id>_<backend>_<column>` columns. Accuracy
 * is empty in rounds not evaluated; `parked` holds why the worker sat the
 * round out, empty when it trained.
 */
export function runCsv(record: Pick<RunRecord, 'events'>): string {
  const series = workerSeries(record.events);
  const backends = new Map<number, string>();
  for (const e of record.events) for (const w of e.workers) backends.set(w.id, w.backend);
  const header = [
    ...CSV_ROUND_COLUMNS,
    ...series.ids.flatMap((id) => CSV_WORKER_COLUMNS.map((c) => `w${id}_${backends.get(id) ?? ''}_${c}`)),
  ];
  const rows = record.events.map((e) => [
    ...CSV_ROUND_COLUMNS.map((c) => csvCell(e[c])),
    ...series.ids.flatMap((id) => {
      const w = e.workers.find((x) => x.id === id);
      return CSV_WORKER_COLUMNS.map((c) =>
        csvCell(w === undefined ? null : c === 'stepsPerSecond' ? stepsPerSecond(w) : w[c]),
      );
    }),
  ]);
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

/** model.json in the tfjs layers format, naming the weights file next to it (what tf.loadLayersModel reads). */
export function modelJson(artifacts: Omit<ModelArtifacts, 'weightData'>, weightsFile: string): string {
  return JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs }],
  });
}
