/**
 * What the page keeps about each run and everything derived from it for the
 * charts and the exports: chart series, the busy/idle timeline, JSON, CSV and
 * the tfjs model.json. Pure (no DOM), tested in Node.
 */
import { formatWorkerSpec, type RunConfig } from '../core/config';
import { percent, seconds } from '../core/format';
import type { ModelArtifacts, RoundEvent, RunResult, WorkerInfo, WorkerRoundStats } from '../protocol';

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
  labels: string[];
  rounds: number[];
  /** Per worker (in `ids` order), per round. */
  tau: (number | null)[][];
  stepsPerSecond: (number | null)[][];
}

/** tau_i and steps per second of every worker that appears in the events, by round. */
export function workerSeries(events: readonly RoundEvent[]): WorkerSeries {
  const backends = new Map<number, string>();
  for (const e of events) for (const w of e.workers) backends.set(w.id, w.backend);
  const ids = [...backends.keys()].sort((a, b) => a - b);
  const at = (e: RoundEvent, id: number) => e.workers.find((w) => w.id === id);
  return {
    ids,
    labels: ids.map((id) => workerLabel(id, backends.get(id) ?? '?')),
    rounds: events.map((e) => e.round),
    tau: ids.map((id) => events.map((e) => at(e, id)?.tau ?? null)),
    stepsPerSecond: ids.map((id) => events.map((e) => {
      const w = at(e, id);
      return w ? stepsPerSecond(w) : null;
    })),
  };
}

export function workerLabel(id: number, backend: string): string {
  return `w${id} ${backend}`;
}

export interface TimelineSegment {
  round: number;
  /** Share of the shown span taken by this round, 0..1 (rounds are drawn to scale). */
  width: number;
  /** Share of the round this worker computed, 0..1; the rest it waited. */
  busy: number;
  busyMs: number;
  idleMs: number;
}

export interface TimelineRow {
  id: number;
  backend: string;
  /** Idle share over the shown rounds, 0..1. */
  idle: number;
  /** tau_i in the last shown round. */
  tau: number;
  biased: boolean;
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
      return { round: e.round, width: roundSpan(e) / span, busy: busy + idle > 0 ? busy / (busy + idle) : 0, busyMs: busy, idleMs: idle };
    });
    return {
      id,
      backend: latest?.backend ?? '?',
      idle: busyMs + idleMs > 0 ? idleMs / (busyMs + idleMs) : 0,
      tau: latest?.tau ?? 0,
      biased: latest?.biased ?? false,
      segments,
    };
  });
  return { firstRound: first.round, lastRound: last.round, rows };
}

/** A round's length for the timeline: the workers' common wall time, which busy + idle add up to. */
function roundSpan(e: RoundEvent): number {
  return Math.max(e.roundMs, ...e.workers.map((w) => w.busyMs + w.idleMs), 0);
}

/** Short label for a run in legends and lists: number, algorithm and the knobs that matter most. */
export function runLabel(record: Pick<RunRecord, 'n' | 'config' | 'result'>): string {
  const config = record.config ?? record.result?.config ?? null;
  if (!config) return `#${record.n} run`;
  const parts = [`#${record.n} ${config.algo}`, formatWorkerSpec(config.workers), `τF ${config.tauFast}`];
  if (config.algo === 'biased') parts.push(`λ ${config.lambda}`);
  return parts.join(' · ');
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
const CSV_WORKER_COLUMNS = ['tau', 'steps', 'stepsPerSecond', 'busyMs', 'idleMs', 'stepMs', 'biased'] as const;

function csvCell(value: number | string | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per round; per worker `w<id>_<backend>_<column>` columns. Accuracy is empty in rounds not evaluated. */
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
