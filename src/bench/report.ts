/**
 * The benchmark's result file and its text summary. Pure: no I/O, so the
 * table can be tested from a hand-made file and re-printed from a saved one.
 */
import { formatWorkerSpec, isTextDataset, type Algo, type RunConfig } from '../core/config';
import { percent } from '../core/format';
import type { BaselineReport, EnvironmentInfo, PoolDecision, RunResult, WorkerSummary } from '../protocol';
import {
  bitsPerCharCell,
  comparisonCell,
  comparisonText,
  compareTimes,
  finalAccuracyCell,
  looseNote,
  pairedCell,
  pairedRatios,
  trainTimeCell,
  wallTimeCell,
} from './run-summary';
import { SAMPLES_DEFINITION, samplesRows } from './samples';
import { BARE_SECONDS, COUNT, MILLISECONDS, SHARE, countsOf, formatSpread, groupBy, median, present, ratioOf } from './stats';
import { formatSweepValue, type Sweep, type SweepValue } from './sweep';
import { sweepSection } from './sweep-report';
import { renderTable, type Align } from './text-table';
import { LIMIT_DEFINITION, limitCells, limitPairs } from './throughput-limit';

// Its callers and tests knew it from here before it got its own module.
export { renderTable };

/**
 * The flags' config as run: DEFAULT_CONFIG plus the flags, for every
 * algorithm listed and every seed (`seed` is the first of `seeds`). With
 * --sweep, `sweep` names the key and its values, and the key's own field
 * holds the first of them.
 */
export type BenchConfig = Omit<RunConfig, 'algo'> & { algos: Algo[]; seeds: number[]; sweep?: Sweep };

/** A run that did not produce a clean result (rejected, timed out, page error). */
export interface BenchFailure {
  /** Null when the failure is not tied to one run (page load, environment). */
  algo: Algo | null;
  /** The seed of the run it is tied to, else null. */
  seed: number | null;
  /** With --sweep: the swept key's value in the run it is tied to. */
  sweepValue?: SweepValue;
  message: string;
}

/**
 * What `npm run bench` writes: one file per invocation, every run kept, in
 * run order (for each seed of `config.seeds`, each algorithm of `config.algos`).
 */
export interface BenchFile {
  /** ISO 8601, when the benchmark started. */
  startedAt: string;
  config: BenchConfig;
  environment: EnvironmentInfo;
  runs: RunResult[];
  failures: BenchFailure[];
  /** Each worker alone: Tandem's step vs bare tfjs (present with --baseline). */
  baseline?: BaselineRow[];
  /** The pool every run trained on, decided once by measurement (present with parking auto). */
  pool?: PoolDecision;
  /** Rounds trained and thrown away before the runs (--warm-up); absent in files from before the flag. */
  warmUpRounds?: number;
}

/** The pool decision for people: what was asked, each verdict, what every algorithm trained on. */
export function poolLines(pool: PoolDecision): string[] {
  const asked = pool.asked.length > 0 ? formatWorkerSpec(pool.asked) : 'auto';
  return [
    `Pool: ${asked} started; measured with and without its least contributing workers:`,
    ...pool.notes.map((n) => `  ${n}`),
    `Every algorithm trained on ${formatWorkerSpec(pool.kept)} (parking off during the runs, so all compare on one pool). ` +
      `Deciding took ${(pool.measureMs / 1000).toFixed(1)} s (profiling and the measurement windows), before the runs and on none of their clocks; ` +
      'a run with parking auto has it on its training clock.',
  ];
}

/** One worker's baseline row: the report as the page measured it (model, dataset and FLOPs included). */
export type BaselineRow = BaselineReport;

/** Each worker alone: Tandem's step against bare tfjs, and the step's GFLOP/s, on the model and dataset timed. */
export function baselineTable(rows: readonly BaselineRow[]): string {
  return renderTable(
    ['Worker', 'Backend', 'Model', 'Dataset', 'Tandem step ms', 'bare tfjs ms', 'Tandem / bare', 'GFLOP/s'],
    rows.map((r) => [
      String(r.id),
      r.backend,
      r.model,
      r.dataset,
      r.tandemStepMs.toFixed(1),
      r.bareStepMs.toFixed(1),
      percent(r.tandemStepMs / r.bareStepMs),
      (r.flopsPerStep / r.tandemStepMs / 1e6).toFixed(2),
    ]),
    ['right', 'left', 'left', 'left', 'right', 'right', 'right', 'right'],
  );
}

export function describeAdapter(env: EnvironmentInfo): string {
  const a = env.adapter;
  if (a === null) return `none${env.adapterError ? ` (${env.adapterError})` : ''}`;
  const name = [a.vendor, a.architecture, a.device].filter((s) => s !== '').join(' / ') || 'unnamed adapter';
  return `${name}${a.isFallbackAdapter ? ' (fallback adapter, software)' : ''}`;
}

export function describeEnvironment(env: EnvironmentInfo): string {
  return [
    `Browser: ${env.userAgent}`,
    `WebGPU adapter: ${describeAdapter(env)}`,
    `Cross-origin isolated: ${env.crossOriginIsolated ? 'yes' : 'NO (no SharedArrayBuffer)'}; ` +
      `WASM threads: ${env.wasmThreads}; SIMD: ${env.wasmSimd ? 'yes' : 'no'}; cores: ${env.hardwareConcurrency}`,
  ].join('\n');
}


/** What the two time-to-target columns and the seed ranges mean, printed under the table. */
function legend(seeds: readonly number[]): string[] {
  const lines = [
    'time to target (train): the training clock (profiling and rounds, evaluation excluded) at the evaluation that reached the target; ' +
      '(wall): the wall clock from run() until the whole test set confirmed it, everything included.',
  ];
  if (seeds.length > 1) {
    lines.push(
      `Each cell: median (min–max) over ${seeds.length} seeds (${seeds.join(', ')}); a run that did not reach the target ranks after every time; agg+exch is the median.`,
    );
  }
  return lines;
}

function runsTable(groups: readonly [Algo, RunResult[]][], seeds: readonly number[]): string {
  const multi = seeds.length > 1;
  const notes: string[] = [];
  // A text model's loss in bits per character (the test loss / ln 2) beside its next-character accuracy.
  const text = groups.some(([, runs]) => runs.some((r) => isTextDataset(r.config.dataset)));
  const header = [
    'algo',
    ...(multi ? ['runs'] : []),
    'time to target (train)',
    'time to target (wall)',
    'final acc',
    ...(text ? ['bits/char'] : []),
    'rounds',
    'train s',
    'eval s',
    'eval % of wall',
    'agg+exch',
    'stopped by',
  ];
  const rows = groups.map(([algo, runs]) => {
    const noTarget = runs.every((r) => r.config.targetAccuracy === null);
    const train = trainTimeCell(runs);
    if (!noTarget && train.loose !== null) notes.push(looseNote(algo, train.loose, runs.length));
    const aggregation = present(runs.map((r) => ratioOf(r.aggregateMs + r.exchangeMs, r.trainMs)));
    return [
      algo,
      ...(multi ? [String(runs.length)] : []),
      noTarget ? 'no target' : train.text,
      noTarget ? 'no target' : wallTimeCell(runs),
      finalAccuracyCell(runs),
      ...(text ? [bitsPerCharCell(runs)] : []),
      formatSpread(runs.map((r) => r.rounds), COUNT),
      formatSpread(runs.map((r) => r.trainMs), BARE_SECONDS),
      formatSpread(runs.map((r) => r.evalMs), BARE_SECONDS),
      formatSpread(present(runs.map((r) => ratioOf(r.evalMs, r.wallMs))), SHARE),
      aggregation.length > 0 ? SHARE.full(median(aggregation)) : '-',
      countsOf(runs.map((r) => r.stoppedBy)),
    ];
  });
  const align: Align[] = header.map((_, c) => (c === 0 || c === header.length - 1 ? 'left' : 'right'));
  return [renderTable(header, rows, align), ...legend(seeds), ...notes, ...wholeSetLines(groups)].join('\n');
}

/**
 * What one evaluation of the whole test set cost each algorithm's pool: its
 * time from the call to the combined result against its slowest slice inside
 * a worker, so the split's overhead (calls, combining) shows.
 */
function wholeSetLines(groups: readonly [Algo, RunResult[]][]): string[] {
  const lines: string[] = [];
  for (const [algo, runs] of groups) {
    // Results saved before the field existed have none.
    const seen = runs.flatMap((r) => (r.wholeTestSet ? [r.wholeTestSet] : []));
    if (seen.length === 0) continue;
    const workers = [...new Set(seen.map((w) => w.workers))].join('/');
    lines.push(
      `${algo}: the whole test set took ${formatSpread(seen.map((w) => w.meanMs), MILLISECONDS)} ms per evaluation on ${workers} worker(s), ` +
        `its slowest slice ${formatSpread(seen.map((w) => w.meanSliceMs), MILLISECONDS)} ms inside its worker ` +
        `(mean over ${seen.reduce((n, w) => n + w.evaluations, 0)} evaluations; the rest is calls and combining).`,
    );
  }
  return lines;
}

/** Each worker of each algorithm, over its seeds: median (min–max) of its measured step time, tau, steps and shares. */
function workersTable(groups: readonly [Algo, RunResult[]][]): string {
  const header = ['algo', 'worker', 'backend', 'step ms', 'tau', 'steps', 'busy', 'idle'];
  const rows = groups.flatMap(([algo, runs]) =>
    groupBy(runs.flatMap((r) => r.workers), (w) => w.id)
      .sort(([a], [b]) => a - b)
      .map(([id, seen]) => {
        const [w] = seen;
        const slowdown = Math.max(...seen.map((x) => x.slowdown));
        const measured = median(seen.map((x) => x.measuredStepMs));
        const shares = (part: (x: WorkerSummary) => number) =>
          formatSpread(present(seen.map((x) => ratioOf(part(x), x.busyMs + x.idleMs))), SHARE);
        return [
          algo,
          String(id),
          w.requested === w.backend ? w.backend : `${w.backend} (asked ${w.requested})`,
          formatSpread(seen.map((x) => x.stepMs), MILLISECONDS) + (slowdown > 1 ? ` (x${slowdown} emulated; ${measured.toFixed(1)} without the wait)` : ''),
          formatSpread(seen.map((x) => x.tau), COUNT),
          formatSpread(seen.map((x) => x.steps), COUNT),
          shares((x) => x.busyMs),
          shares((x) => x.idleMs),
        ];
      }),
  );
  return renderTable(header, rows, ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right']);
}

/**
 * Each algorithm against sync's throughput limit, seed by seed (the same
 * seed's sync run); an algorithm that missed the target in any seed is
 * listed as not compared.
 */
function limitSection(groups: readonly [Algo, RunResult[]][], sync: readonly RunResult[]): string[] {
  const rows: string[][] = [];
  const missing: Algo[] = [];
  for (const [algo, runs] of groups) {
    if (algo === 'sync') continue;
    const pairs = limitPairs(runs, sync);
    if (pairs === null) missing.push(algo);
    else rows.push([algo, ...limitCells(pairs)]);
  }
  const lines = [
    `Against sync's throughput limit (per seed; limit = ${LIMIT_DEFINITION}; ` +
      'share = speed-up / limit; samples/s = what the algorithm trained per second of rounds over sync):',
  ];
  if (rows.length > 0) {
    lines.push(renderTable(['algo', 'limit', 'speed-up', 'share of limit', 'samples/s vs sync'], rows, ['left', 'right', 'right', 'right', 'right']));
  }
  if (missing.length > 0) {
    lines.push(`  not compared (a seed without a run of each, a run that missed the target, or one without rounds to rate): ${missing.join(', ')}`);
  }
  return lines;
}

type Clock = 'timeToTargetMs' | 'wallTimeToTargetMs';
const times = (runs: readonly RunResult[], clock: Clock): (number | null)[] => runs.map((r) => r[clock]);

/** Speed-ups from the medians over seeds: vs sync on both clocks, then every pair on the training clock. */
function speedupSection(groups: readonly [Algo, RunResult[]][], multi: boolean): string {
  if (groups.length < 2) return '';
  if (!groups.some(([, runs]) => runs.some((r) => r.timeToTargetMs !== null))) return 'Speed-up: no run reached the target accuracy.';
  const lines: string[] = [];
  const sync = groups.find(([algo]) => algo === 'sync');
  if (sync) {
    lines.push("Speed-up vs sync (sync's median time to target / the algorithm's; tie when the seeds' ranges overlap):");
    for (const [algo, runs] of groups) {
      if (algo === 'sync') continue;
      const train = compareTimes(times(runs, 'timeToTargetMs'), times(sync[1], 'timeToTargetMs'));
      const wall = compareTimes(times(runs, 'wallTimeToTargetMs'), times(sync[1], 'wallTimeToTargetMs'));
      // Both clocks time the same confirmations: when one is incomplete, so is the other.
      lines.push(
        train.kind === 'incomplete'
          ? `  ${algo}: ${comparisonText(train)}`
          : `  ${algo}: training clock ${comparisonText(train)}; wall clock ${comparisonText(wall)}`,
      );
    }
    lines.push('', ...limitSection(groups, sync[1]), '');
  }
  lines.push(
    "Speed-up matrix, training clock (column median / row median; > 1 = row reached the target sooner; tie = the seeds' ranges overlap):",
  );
  const header = ['', ...groups.map(([algo]) => `vs ${algo}`)];
  const rows = groups.map(([row, rowRuns]) => [
    row,
    ...groups.map(([col, colRuns]) =>
      col === row ? '-' : comparisonCell(compareTimes(times(rowRuns, 'timeToTargetMs'), times(colRuns, 'timeToTargetMs'))),
    ),
  ]);
  lines.push(renderTable(header, rows, ['left', ...groups.map((): Align => 'right')]));
  if (multi) {
    lines.push(
      '',
      "Seed by seed, training clock (each seed's column time / its row time, the two runs starting from the same initial model; " +
        'median (min–max) over the seeds; a range above 1 means the row was sooner in every seed, below 1 later in every one; - = a seed missed the target or has no pair):',
    );
    const paired = groups.map(([row, rowRuns]) => [
      row,
      ...groups.map(([col, colRuns]) => (col === row ? '-' : pairedCell(pairedRatios(rowRuns, colRuns)))),
    ]);
    lines.push(renderTable(header, paired, ['left', ...groups.map((): Align => 'right')]));
  }
  return lines.join('\n');
}

/** Samples a second and samples to the target per algorithm, against fast-only's when it ran: the two factors of a time to target. */
function samplesSection(groups: readonly [Algo, RunResult[]][]): string {
  const reference = groups.some(([algo]) => algo === 'fast-only') ? 'fast-only' : null;
  const rows = samplesRows(groups, reference);
  const header = ['algo', 'samples/s', 'to target', ...(reference ? ['samples/s vs fast-only', 'to target vs fast-only'] : [])];
  return [
    `Samples (median (min–max) over the seeds; ${SAMPLES_DEFINITION}` +
      (reference
        ? "; vs fast-only = the algorithm's median over fast-only's (a ratio of medians, not paired by seed), so its time to target less profiling over fast-only's is about the second ratio over the first; - where a seed missed the target"
        : '') +
      '):',
    renderTable(header, rows, header.map((_, i): Align => (i === 0 ? 'left' : 'right'))),
  ].join('\n');
}

/**
 * The summary printed after a benchmark: environment, (with --sweep) the
 * sweep table, per-algorithm over seeds, per-run workers, speed-ups, failures.
 */
export function formatTable(results: BenchFile): string {
  const { runs, config } = results;
  const seeds = config.seeds;
  const multi = seeds.length > 1;
  const parts = [
    describeEnvironment(results.environment),
    `Target accuracy: ${percent(config.targetAccuracy, 2, 'none')}; time limit ${config.maxSeconds} s per run` +
      (config.maxRounds === null ? '' : `, ${config.maxRounds} rounds`) +
      (multi ? `; seeds ${seeds.join(', ')}` : `; seed ${seeds[0] ?? config.seed}`) +
      (results.warmUpRounds ? `; ${results.warmUpRounds} warm-up round(s) before the runs, on no clock` : ''),
  ];
  if (results.baseline && results.baseline.length > 0) {
    parts.push(`Each worker alone, against bare tfjs on the same backend:\n${baselineTable(results.baseline)}`);
  }
  if (results.pool) parts.push(poolLines(results.pool).join('\n'));
  const sweep = config.sweep;
  if (runs.length === 0) {
    parts.push('No run finished.');
  } else {
    // A sweep judges each algorithm at its own best value: the tables below see only those runs.
    const section = sweep === undefined ? null : sweepSection(runs, sweep, seeds, results.failures);
    if (section) parts.push(section.table, section.chosen);
    const groups = groupBy(section ? section.runs : runs, (r) => r.algo);
    if (groups.length > 0) parts.push(runsTable(groups, seeds), workersTable(groups));
    const speed = speedupSection(groups, multi);
    if (speed !== '') parts.push(speed);
    if (groups.length > 0) parts.push(samplesSection(groups));
  }
  if (results.failures.length > 0) {
    const value = (f: BenchFailure): string =>
      sweep === undefined || f.sweepValue === undefined ? '' : ` ${sweep.key} ${formatSweepValue(f.sweepValue)}`;
    const who = (f: BenchFailure): string => `${f.algo ?? '(page)'}${value(f)}${multi && f.seed !== null ? ` seed ${f.seed}` : ''}`;
    parts.push(['Failures:', ...results.failures.map((f) => `  ${who(f)}: ${f.message}`)].join('\n'));
  }
  return parts.join('\n\n');
}
