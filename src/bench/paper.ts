/**
 * `npm run bench:paper`: the paper's comparisons on this machine, each
 * variant one headless run per seed, with a JSON file per experiment (every
 * run), one Markdown report (median and range over the seeds) and PNG plots
 * in the output folder. Flags: see paperUsage(). Exit codes as `npm run
 * bench`: 0 clean, 1 a run failed, 2 bad flags, 130 interrupted.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { runSequence } from '../api/run-sequence';
import { ConfigError, formatWorkerSpec, validateConfig, type RunConfig, type WorkerSpec } from '../core/config';
import { messageOf, stackOf } from '../core/errors';
import type { EnvironmentInfo } from '../protocol';
import { balancedOrder } from './arg-values';
import { BenchArgsError, parseBenchArgs, usage } from './args';
import {
  PageErrors,
  Resources,
  buildPage,
  interruptOnSignals,
  launchChromium,
  leftPageUsable,
  openPage,
  replacePage,
  runAsScript,
  runOne,
  warmUp,
  startPreview,
  warn,
} from './browser-runs';
import { checkOutputFolder, localDataset } from './local-files';
import { suiteMarkdown, type ExperimentResult, type SuiteResults, type VariantResult } from './paper-report';
import {
  COMPARE_SECONDS_PER_EPOCH,
  DEFAULT_SUITE,
  EXPERIMENT_NAMES,
  buildExperiment,
  type Experiment,
  type ExperimentName,
  type SuiteSettings,
  type Variant,
} from './paper-suite';
import { accuracyPlot, busyPlot } from './plots';
import { formatSweep } from './sweep';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Defaults that let the whole suite finish on a small machine; every one can be overridden by its flag. */
/**
 * The paper's setting: a fixed pool of one GPU worker and two CPU workers,
 * every worker training (no parking), so the experiments' worker indices
 * (slowdowns, roles) mean the same in every run. Evaluation is off the
 * compared (training) clock, so it comes as often as the 10% resolution
 * asks, uncapped.
 */
const SUITE_BASE: Partial<RunConfig> = {
  maxSeconds: 60,
  targetAccuracy: 0.8,
  evalSamples: 2000,
  workers: [
    { backend: 'webgpu', count: 1 },
    { backend: 'wasm', count: 2 },
  ],
  parking: 'off',
  maxEvalShare: 0,
};

export interface PaperOptions {
  experiments: ExperimentName[];
  outDir: string;
  suite: SuiteSettings;
  /** Flags for the base config, parsed by the benchmark's parser. */
  benchArgv: string[];
}

const PAPER_FLAGS = ['--experiments', '--out-dir', '--epochs-each', '--rounds', '--slowdown-factor'] as const;

export function paperUsage(): string {
  return [
    'Usage: npm run bench:paper -- [suite flags] [flags of npm run bench]',
    '',
    "Runs the paper's experiments, every variant once per seed (--seeds or --repeat), and writes",
    'one JSON file per experiment (every run), report.md (median and min–max over the seeds) and PNG plots.',
    '',
    `  --experiments LIST   ${EXPERIMENT_NAMES.join(',')} (default: all)`,
    '  --out-dir DIR        default bench-results/paper',
    `  --epochs-each N      epochs per run in compare (default ${DEFAULT_SUITE.epochs}); each run may train`,
    `                       ${COMPARE_SECONDS_PER_EPOCH} s per epoch, enough for sync and local here (--max-seconds overrides)`,
    `  --rounds N           rounds of adaptive (default ${DEFAULT_SUITE.rounds}; the slowdown starts halfway)`,
    `  --slowdown-factor K  slowdown of adaptive (default ${DEFAULT_SUITE.slowdownFactor})`,
    '',
    `Suite defaults for the base config: ${Object.entries(SUITE_BASE)
      .map(([k, v]) => `${k} ${k === 'workers' ? formatWorkerSpec(v as WorkerSpec) : String(v)}`)
      .join(', ')}.`,
    'The flags of npm run bench set the base config and the seeds (--algos is not used: each experiment names its own):',
    ...usage()
      .split('\n')
      // runSuite refuses --sweep: each experiment names its own variants.
      .filter((line) => line.startsWith('  -') && !line.startsWith('  --sweep ')),
  ].join('\n');
}

/** One run of the suite: a variant of an experiment at one seed. */
interface SuiteRun {
  experiment: Experiment;
  variant: Variant;
  seed: number;
}

/**
 * Experiment by experiment (each one's JSON and plots are written when its
 * last run ends), and within one seed-major, as `npm run bench`: drift over
 * the session falls on every variant alike, and a Ctrl-C leaves whole seeds;
 * the variants' order changes from seed to seed (balancedOrder).
 */
export function suiteRuns(experiments: readonly Experiment[], seeds: readonly number[]): SuiteRun[] {
  return experiments.flatMap((experiment) =>
    seeds.flatMap((seed, s) => balancedOrder(experiment.variants, s).map((variant) => ({ experiment, variant, seed }))),
  );
}

export function parsePaperArgs(argv: string[]): PaperOptions {
  const options: PaperOptions = {
    experiments: [...EXPERIMENT_NAMES],
    outDir: 'bench-results/paper',
    suite: { ...DEFAULT_SUITE },
    benchArgv: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!(PAPER_FLAGS as readonly string[]).includes(flag)) {
      options.benchArgv.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new BenchArgsError(flag, value, 'a value');
    const positive = (allowed: string): number => {
      const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
      if (!(n > 0)) throw new BenchArgsError(flag, value, allowed);
      return n;
    };
    switch (flag) {
      case '--experiments': {
        const names = value.split(',').map((s) => s.trim());
        const bad = names.find((n) => !(EXPERIMENT_NAMES as readonly string[]).includes(n));
        if (bad !== undefined || names.length === 0) {
          throw new BenchArgsError(flag, value, `a comma-separated list of ${EXPERIMENT_NAMES.join(', ')}`);
        }
        options.experiments = [...new Set(names)] as ExperimentName[];
        break;
      }
      case '--out-dir':
        options.outDir = value;
        break;
      case '--epochs-each':
        options.suite.epochs = positive('a positive number of epochs');
        break;
      case '--rounds': {
        const n = positive('an integer of at least 2');
        if (!Number.isInteger(n) || n < 2) throw new BenchArgsError(flag, value, 'an integer of at least 2');
        options.suite.rounds = n;
        break;
      }
      case '--slowdown-factor': {
        const n = positive('a number from 1 to 1000');
        if (n < 1 || n > 1000) throw new BenchArgsError(flag, value, 'a number from 1 to 1000');
        options.suite.slowdownFactor = n;
        break;
      }
    }
  }
  return options;
}

async function runSuite(argv: string[], root: string, resources: Resources, interrupt: AbortSignal): Promise<number> {
  const options = parsePaperArgs(argv);
  const bench = parseBenchArgs(options.benchArgv);
  if (bench.help) {
    console.log(paperUsage());
    return 0;
  }
  if (bench.sweep) {
    const text = formatSweep(bench.sweep);
    throw new BenchArgsError('--sweep', text, 'npm run bench only', `--sweep ${JSON.stringify(text)} is a flag of npm run bench, not of bench:paper: each experiment names its own variants. Sweep with npm run bench -- --sweep ${text}.`);
  }
  // Now, not after the last experiment: a folder that cannot be written would lose the suite's results.
  checkOutputFolder('--out-dir', options.outDir);
  // A --max-seconds given on the command line caps compare's runs too.
  if (bench.config.maxSeconds !== undefined) options.suite.compareMaxSeconds = bench.config.maxSeconds;
  const seeds = bench.seeds;
  const multi = seeds.length > 1;
  const startedAt = new Date().toISOString();
  let given: Partial<RunConfig> = { ...SUITE_BASE, ...bench.config };
  const local = localDataset(given.dataset);
  if (local) given = { ...given, dataset: local.dataset };
  const base = validateConfig(given);
  // Every variant must be valid before anything starts.
  const experiments = options.experiments.map((name) => buildExperiment(name, base, options.suite));
  for (const e of experiments) for (const v of e.variants) validateConfig({ ...given, ...v.config });

  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  if (!bench.skipBuild) {
    console.log('Building the page (vite build)...');
    await buildPage(root);
  }
  const { server, url } = await startPreview(root, bench.port);
  resources.server = server;
  const browser = await launchChromium(bench.headed);
  resources.browser = browser;
  const errors = new PageErrors();
  const open = (): Promise<Page> => openPage(browser, url, errors, local?.dir ?? null);
  let page = await open();
  const environment: EnvironmentInfo = await page.evaluate(() => window.tandem.environment());
  console.log(`WebGPU adapter: ${environment.adapter ? `${environment.adapter.vendor} / ${environment.adapter.architecture}` : 'none'}`);

  const done: ExperimentResult[] = [];
  let failed = 0;
  /** Experiments started and not yet written out, with their variants' results so far. */
  const started = new Map<Experiment, VariantResult[]>();
  /** Plots and JSON of an experiment once its last variant has run (or the suite was interrupted in it). */
  const writeExperiment = async (experiment: Experiment): Promise<void> => {
    const variants = started.get(experiment);
    if (!variants) return;
    started.delete(experiment);
    const plots = { accuracy: `${experiment.name}-accuracy.png`, busy: `${experiment.name}-busy.png` };
    const result: ExperimentResult = { ...experiment, variants, plots };
    try {
      await accuracyPlot(browser, experiment.title, variants, join(outDir, plots.accuracy));
      await busyPlot(browser, `${experiment.title}: busy (blue) and idle (red) share per worker`, variants, join(outDir, plots.busy));
    } catch (e) {
      failed++;
      warn(`plotting ${experiment.name} failed: ${messageOf(e)}`);
    }
    await writeFile(join(outDir, `${experiment.name}.json`), `${JSON.stringify({ startedAt, base, seeds, environment, ...result }, null, 2)}\n`);
    done.push(result);
  };
  // One sequence over every run of every experiment, so a page is replaced the same way within and across experiments.
  const runs = suiteRuns(experiments, seeds);
  const configOf = ({ variant, seed }: SuiteRun): Partial<RunConfig> & { algo: RunConfig['algo'] } => ({
    ...given,
    ...variant.config,
    algo: variant.config.algo ?? base.algo,
    seed,
  });
  // A new page starts new workers: warm them up before the runs are timed on them.
  const warm = async (run: SuiteRun | undefined): Promise<void> => {
    if (run) page = await warmUp(page, open, configOf(run), bench.warmUpRounds, interrupt);
  };
  await warm(runs[0]);
  const sequence = await runSequence(
    runs,
    async ({ experiment, variant, seed }) => {
      let variants = started.get(experiment);
      if (!variants) {
        variants = [];
        started.set(experiment, variants);
        console.log(`\n== ${experiment.title}`);
      }
      const config = configOf({ experiment, variant, seed });
      const tag = multi ? `${variant.label}, seed ${seed}` : variant.label;
      console.log(`-- ${tag}`);
      errors.algo = config.algo;
      errors.seed = seed;
      const outcome = await runOne(page, config, interrupt, tag).finally(() => {
        errors.algo = null;
        errors.seed = null;
      });
      if (outcome.failure) {
        failed++;
        warn(`${experiment.name} / ${tag}: ${outcome.failure}`);
      }
      variants.push({ ...variant, seed, result: outcome.result, failure: outcome.failure });
      return outcome;
    },
    {
      signal: interrupt,
      between: async (previous, next) => {
        if (!leftPageUsable(previous)) {
          page = await replacePage(page, open);
          await warm(next);
        }
        if (next.experiment !== previous.item.experiment) await writeExperiment(previous.item.experiment);
      },
    },
  );
  for (const f of sequence.failures) {
    failed++;
    warn(`${f.item.experiment.name} / ${f.item.variant.label}, seed ${f.item.seed}: ${messageOf(f.error)}`);
  }
  // The experiment the suite ended in (complete, or cut short by Ctrl-C).
  for (const experiment of [...started.keys()]) await writeExperiment(experiment);
  const command = `npm run bench:paper -- ${argv.join(' ')}`.trim();
  const suite: SuiteResults = { startedAt, command, base, seeds, environment, experiments: done };
  const report = join(outDir, 'report.md');
  await writeFile(report, suiteMarkdown(suite));
  console.log(`\nWrote ${report} and ${done.length} experiment(s) to ${outDir}`);
  if (interrupt.aborted) return 130;
  return failed > 0 || errors.failures.length > 0 ? 1 : 0;
}

export async function main(argv: string[], root: string = PROJECT_ROOT): Promise<number> {
  const resources = new Resources();
  const interrupt = interruptOnSignals(resources, 'interrupted: stopping the current run and writing what finished; Ctrl-C again to quit at once.');
  try {
    return await runSuite(argv, root, resources, interrupt.signal);
  } catch (error) {
    if (error instanceof BenchArgsError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    warn(stackOf(error));
    return 1;
  } finally {
    await resources.close();
    interrupt.dispose();
  }
}

runAsScript(import.meta.url, (argv) => main(argv));
