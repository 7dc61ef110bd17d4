/**
 * The benchmark's result file and its text summary. Pure: no I/O, so the
 * table can be tested from a hand-made file and re-printed from a saved one.
 */
import type { Algo, RunConfig } from '../core/config';
import { percent, seconds } from '../core/format';
import type { BaselineReport, EnvironmentInfo, RunResult } from '../protocol';

/** The flags' config as run: DEFAULT_CONFIG plus the flags, for every algorithm listed. */
export type BenchConfig = Omit<RunConfig, 'algo'> & { algos: Algo[] };

/** A run that did not produce a clean result (rejected, timed out, page error). */
export interface BenchFailure {
  /** Null when the failure is not tied to one run (page load, environment). */
  algo: Algo | null;
  message: string;
}

/** What `npm run bench` writes: one file per invocation, runs in `config.algos` order. */
export interface BenchFile {
  /** ISO 8601, when the benchmark started. */
  startedAt: string;
  config: BenchConfig;
  environment: EnvironmentInfo;
  runs: RunResult[];
  failures: BenchFailure[];
  /** Each worker alone: Tandem's step vs bare tfjs (present with --baseline). */
  baseline?: BaselineRow[];
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

type Align = 'left' | 'right';

/** Plain-text table: columns padded to their widest cell. */
export function renderTable(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => {
        const width = widths[c] ?? cell.length;
        return align[c] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** For the columns whose header names the unit ('train s'): the number alone. */
const bareSeconds = (ms: number): string => (ms / 1000).toFixed(1);
/** A share that is undefined (nothing measured) prints as '-', not NaN%. */
const share = (part: number, whole: number): string => (whole > 0 ? percent(part / whole) : '-');

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

function timeToTarget(run: RunResult): string {
  if (run.timeToTargetMs !== null) return seconds(run.timeToTargetMs);
  return run.config.targetAccuracy === null ? 'no target' : 'not reached';
}

function runsTable(runs: readonly RunResult[]): string {
  const header = ['algo', 'time to target', 'final acc', 'rounds', 'train s', 'eval s', 'agg+exch', 'stopped by'];
  const rows = runs.map((r) => [
    r.algo,
    timeToTarget(r),
    percent(r.finalAccuracy, 2, '-'),
    String(r.rounds),
    bareSeconds(r.trainMs),
    bareSeconds(r.evalMs),
    share(r.aggregateMs + r.exchangeMs, r.trainMs),
    r.stoppedBy,
  ]);
  return renderTable(header, rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left']);
}

function workersTable(runs: readonly RunResult[]): string {
  const header = ['algo', 'worker', 'backend', 'step ms', 'tau', 'steps', 'busy', 'idle'];
  const rows = runs.flatMap((r) =>
    r.workers.map((w) => [
      r.algo,
      String(w.id),
      w.requested === w.backend ? w.backend : `${w.backend} (asked ${w.requested})`,
      w.stepMs.toFixed(1),
      String(w.tau),
      String(w.steps),
      share(w.busyMs, w.busyMs + w.idleMs),
      share(w.idleMs, w.busyMs + w.idleMs),
    ]),
  );
  return renderTable(header, rows, ['left', 'right', 'left', 'right', 'right', 'right', 'right', 'right']);
}

/** How many times sooner `a` reached the target than `b`; null unless both did. */
export function speedup(a: RunResult, b: RunResult): number | null {
  if (a.timeToTargetMs === null || b.timeToTargetMs === null || a.timeToTargetMs <= 0) return null;
  return b.timeToTargetMs / a.timeToTargetMs;
}

function speedupSection(runs: readonly RunResult[]): string {
  if (runs.length < 2) return '';
  if (!runs.some((r) => r.timeToTargetMs !== null)) return 'Speed-up: no run reached the target accuracy.';
  const lines: string[] = [];
  const sync = runs.find((r) => r.algo === 'sync');
  if (sync) {
    lines.push('Speed-up vs sync (sync time to target / algo time to target):');
    for (const r of runs) {
      if (r === sync) continue;
      const s = speedup(r, sync);
      lines.push(`  ${r.algo}: ${s === null ? 'n/a (target not reached by both)' : `${s.toFixed(2)}x`}`);
    }
    lines.push('');
  }
  lines.push('Speed-up matrix (column time / row time; > 1 = row reached the target sooner):');
  const header = ['', ...runs.map((r) => `vs ${r.algo}`)];
  const rows = runs.map((row) => [
    row.algo,
    ...runs.map((col) => {
      if (col === row) return '-';
      const s = speedup(row, col);
      return s === null ? 'n/a' : `${s.toFixed(2)}x`;
    }),
  ]);
  lines.push(renderTable(header, rows, ['left', ...runs.map((): Align => 'right')]));
  return lines.join('\n');
}

/** The summary printed after a benchmark: environment, per-run, per-worker, speed-ups, failures. */
export function formatTable(results: BenchFile): string {
  const { runs, config } = results;
  const target = percent(config.targetAccuracy, 2, 'none');
  const parts = [
    describeEnvironment(results.environment),
    `Target accuracy: ${target}; time limit ${config.maxSeconds} s per run` +
      (config.maxRounds === null ? '' : `, ${config.maxRounds} rounds`),
  ];
  if (results.baseline && results.baseline.length > 0) {
    parts.push(`Each worker alone, against bare tfjs on the same backend:\n${baselineTable(results.baseline)}`);
  }
  if (runs.length === 0) {
    parts.push('No run finished.');
  } else {
    parts.push(runsTable(runs), workersTable(runs));
    const speed = speedupSection(runs);
    if (speed !== '') parts.push(speed);
  }
  if (results.failures.length > 0) {
    parts.push(['Failures:', ...results.failures.map((f) => `  ${f.algo ?? '(page)'}: ${f.message}`)].join('\n'));
  }
  return parts.join('\n\n');
}
