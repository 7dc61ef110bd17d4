/** The paper suite's results and their Markdown report. Pure: tested from hand-made results. */
import { formatWorkerSpec, isTextDataset, type RunConfig } from '../core/config';
import { percent } from '../core/format';
import type { EnvironmentInfo, RunResult } from '../protocol';
import { variantLabel, workersCell } from './paper-cells';
import type { ExperimentName, Variant } from './paper-suite';
import { describeAdapter } from './report';
import { bestFinished, bitsPerCharCell, finalAccuracyCell, looseNote, trainTimeCell, wallTimeCell } from './run-summary';
import { LIMIT_DEFINITION, limitPairs, limitSentence } from './throughput-limit';
import { COUNT, EPOCHS, SECONDS, SHARE, formatSpread, groupBy, present, ratioOf } from './stats';
import { markdownRow } from './text-table';

/** One run: a variant at one seed. An experiment lists them in run order (for each seed, every variant). */
export interface VariantResult extends Variant {
  seed: number;
  result: RunResult | null;
  failure: string | null;
}

export interface ExperimentResult {
  name: ExperimentName;
  title: string;
  description: string;
  variants: VariantResult[];
  /** PNG file names beside the report. */
  plots: { accuracy: string; busy: string };
}

export interface SuiteResults {
  startedAt: string;
  command: string;
  base: RunConfig;
  /** Every variant ran once per seed. */
  seeds: number[];
  environment: EnvironmentInfo;
  experiments: ExperimentResult[];
}


/** A variant's runs, one per seed, grouped by label in the order the variants first ran. */
export function variantGroups(variants: readonly VariantResult[]): { variant: VariantResult; runs: VariantResult[] }[] {
  return groupBy(variants, (v) => v.label).map(([, runs]) => ({ variant: runs[0], runs }));
}

/** The results of `runs`, leaving out those that failed. */
function resultsOf(runs: readonly VariantResult[]): RunResult[] {
  return runs.flatMap((v) => (v.result ? [v.result] : []));
}

/** The table, then its footnotes: loose evaluation intervals, failed runs, and (equal epochs) the best finished variant. */
export function experimentTable(e: ExperimentResult, target: number | null, seeds: readonly number[]): string {
  const multi = seeds.length > 1;
  const t = percent(target, 2, 'target');
  // A text model's loss in bits per character (the whole test set's loss / ln 2), as npm run bench's tables give it.
  const text = e.variants.some((v) => v.result !== null && isTextDataset(v.result.config.dataset));
  const bits = text ? ['bits/char'] : [];
  const header = markdownRow(['variant', ...(multi ? ['runs'] : []), `time to ${t} (train)`, `time to ${t} (wall)`, 'final accuracy', ...bits, 'rounds', 'epochs', 'train time', 'eval share of wall', 'workers']);
  const rule = markdownRow(['---', ...(multi ? ['---:'] : []), '---:', '---:', '---:', ...bits.map(() => '---:'), '---:', '---:', '---:', '---:', '---']);
  const notes: string[] = [];
  const groups = variantGroups(e.variants);
  const rows = groups.map(({ variant, runs }) => {
    const results = resultsOf(runs);
    for (const v of runs) if (v.failure !== null) notes.push(`${v.label}${multi ? `, seed ${v.seed}` : ''}: ${v.failure}`);
    const count = multi ? [results.length === runs.length ? String(runs.length) : `${results.length} of ${runs.length}`] : [];
    if (results.length === 0) return markdownRow([variant.label, ...count, 'failed', '–', '–', ...bits.map(() => '–'), '–', '–', '–', '–', runs[0]?.failure ?? 'no result']);
    const train = trainTimeCell(results);
    if (target !== null && train.loose !== null) notes.push(looseNote(variant.label, train.loose, results.length));
    return markdownRow([
      variantLabel(variant, results),
      ...count,
      target === null ? 'no target' : train.text,
      target === null ? 'no target' : wallTimeCell(results),
      finalAccuracyCell(results),
      ...(text ? [bitsPerCharCell(results)] : []),
      formatSpread(results.map((r) => r.rounds), COUNT),
      formatSpread(results.map((r) => r.epochsDone), EPOCHS),
      formatSpread(results.map((r) => r.trainMs), SECONDS),
      formatSpread(present(results.map((r) => ratioOf(r.evalMs, r.wallMs))), SHARE),
      workersCell(results),
    ]);
  });
  notes.push(...limitNotes(groups));
  const epochs = e.variants.map((v) => v.config.epochs).find((x): x is number => typeof x === 'number') ?? null;
  if (epochs !== null) notes.push(bestLine(epochs, groups.map(({ variant, runs }) => [variant.label, resultsOf(runs)])));
  return [header, rule, ...rows, ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : [])].join('\n');
}

/**
 * With one sync variant beside others, each other variant's speed-up against
 * sync's throughput limit, seed by seed (see throughput-limit.ts).
 */
function limitNotes(groups: readonly { variant: VariantResult; runs: VariantResult[] }[]): string[] {
  const syncs = groups.filter(({ variant }) => variant.config.algo === 'sync');
  const [sync] = syncs;
  if (!sync || syncs.length > 1) return [];
  const notes: string[] = [];
  for (const { variant, runs } of groups) {
    if (variant === sync.variant) continue;
    const pairs = limitPairs(resultsOf(runs), resultsOf(sync.runs));
    if (pairs !== null) notes.push(limitSentence(variant.label, pairs));
  }
  if (notes.length === 0) return [];
  return [
    `Against sync's throughput limit (${LIMIT_DEFINITION}), seed by seed; variants that missed the target in a seed are left out:`,
    ...notes,
  ];
}

/** The equal-epoch verdict: only variants whose every run finished its epochs are ranked. */
function bestLine(epochs: number, groups: [string, RunResult[]][]): string {
  const { best, cut } = bestFinished(groups);
  const ranked =
    best === null
      ? `No variant finished its ${epochs} epoch(s) in every run, so none is ranked.`
      : `Best final accuracy after ${epochs} epoch(s), among the variants whose every run finished them: ${best.name} (${percent(best.accuracy, 2)}).`;
  return cut.length === 0 ? ranked : `${ranked} Cut short, so not compared: ${cut.join(', ')}.`;
}

export function suiteMarkdown(s: SuiteResults): string {
  const env = s.environment;
  const parts = [
    '# Tandem: the paper\'s experiments',
    '',
    `Run ${s.startedAt} with \`${s.command}\`.`,
    '',
    `- Browser: ${env.userAgent}`,
    `- WebGPU adapter: ${describeAdapter(env)}`,
    `- Cross-origin isolated: ${env.crossOriginIsolated ? 'yes' : 'no'}; WASM SIMD: ${env.wasmSimd ? 'yes' : 'no'}; cores: ${env.hardwareConcurrency}`,
    `- Base config: dataset ${s.base.dataset}, model ${s.base.model}, workers ${formatWorkerSpec(s.base.workers)}, ` +
      `tau_F ${s.base.tauFast}, batch ${s.base.batchSize}, lr ${s.base.learningRate}, lambda ${s.base.lambda}, ` +
      `time limit ${s.base.maxSeconds} s per run (unless an experiment says otherwise)`,
    `- Seeds: ${s.seeds.join(', ')}` +
      (s.seeds.length > 1 ? '; every cell is the median (min–max) over them, a run that did not reach the target ranking after every time' : ''),
    '',
    'Time to target (train) is the training clock (profiling and rounds, evaluation excluded) at the evaluation that reached the target; ' +
      '(wall) is the wall clock from the start of the run until the whole test set confirmed it, everything included. ' +
      'Where the evaluation before the target was more than 10% of the time earlier, the cell gives the interval the crossing lies in. ' +
      'A worker\'s step is the median step time it measured in its last round. Rows marked * used emulated slowdown: the worker sleeps after each step ' +
      'so that the step takes k times its measured time; the time without the wait is given beside it.',
  ];
  for (const e of s.experiments) {
    parts.push(
      '',
      `## ${e.title}`,
      '',
      e.description,
      '',
      experimentTable(e, s.base.targetAccuracy, s.seeds),
      '',
      `![accuracy against training time](${e.plots.accuracy}) ![busy and idle time per worker](${e.plots.busy})`,
    );
  }
  return `${parts.join('\n')}\n`;
}
