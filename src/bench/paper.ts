/**
 * `npm run bench:paper`: the paper's comparisons on this machine, each
 * variant one headless run, with a JSON file per experiment, one Markdown
 * report and PNG plots in the output folder.
 *
 * Flags: every config flag of `npm run bench` (the base config), plus
 *   --experiments LIST  compare,ablation,heterogeneity,lambda,direction,adaptive (default: all)
 *   --out-dir DIR       default bench-results/paper
 *   --epochs-each N     epochs per run in `compare` (default 1)
 *   --rounds N          rounds of `adaptive` (default 12; the slowdown starts halfway)
 *   --slowdown-factor K slowdown of `adaptive` (default 4)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { runSequence } from '../api/run-sequence';
import { ConfigError, validateConfig, type RunConfig } from '../core/config';
import { messageOf, stackOf } from '../core/errors';
import type { EnvironmentInfo } from '../protocol';
import { BenchArgsError, parseBenchArgs } from './args';
import {
  PageErrors,
  Resources,
  buildPage,
  launchChromium,
  leftPageUsable,
  openPage,
  replacePage,
  runAsScript,
  runOne,
  startPreview,
  warn,
} from './browser-runs';
import { localDataset } from './local-files';
import { suiteMarkdown, type ExperimentResult, type SuiteResults, type VariantResult } from './paper-report';
import { DEFAULT_SUITE, EXPERIMENT_NAMES, buildExperiment, type Experiment, type ExperimentName, type SuiteSettings } from './paper-suite';
import { accuracyPlot, busyPlot } from './plots';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Defaults that let the whole suite finish on a small machine; every one can be overridden by its flag. */
const SUITE_BASE: Partial<RunConfig> = { maxSeconds: 60, targetAccuracy: 0.8, evalSamples: 2000 };

export interface PaperOptions {
  experiments: ExperimentName[];
  outDir: string;
  suite: SuiteSettings;
  /** Flags for the base config, parsed by the benchmark's parser. */
  benchArgv: string[];
}

const PAPER_FLAGS = ['--experiments', '--out-dir', '--epochs-each', '--rounds', '--slowdown-factor'] as const;

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
    await writeFile(join(outDir, `${experiment.name}.json`), `${JSON.stringify({ startedAt, base, environment, ...result }, null, 2)}\n`);
    done.push(result);
  };
  // One sequence over every variant of every experiment, so a page is replaced the same way within and across experiments.
  const runs = experiments.flatMap((experiment) => experiment.variants.map((variant) => ({ experiment, variant })));
  const sequence = await runSequence(
    runs,
    async ({ experiment, variant }) => {
      let variants = started.get(experiment);
      if (!variants) {
        variants = [];
        started.set(experiment, variants);
        console.log(`\n== ${experiment.title}`);
      }
      const config = { ...given, ...variant.config, algo: variant.config.algo ?? base.algo };
      console.log(`-- ${variant.label}`);
      const outcome = await runOne(page, config, interrupt);
      if (outcome.failure) {
        failed++;
        warn(`${experiment.name} / ${variant.label}: ${outcome.failure}`);
      }
      variants.push({ label: variant.label, config: variant.config, result: outcome.result, failure: outcome.failure });
      return outcome;
    },
    {
      signal: interrupt,
      between: async (previous, next) => {
        if (!leftPageUsable(previous)) page = await replacePage(page, open);
        if (next.experiment !== previous.item.experiment) await writeExperiment(previous.item.experiment);
      },
    },
  );
  for (const f of sequence.failures) {
    failed++;
    warn(`${f.item.experiment.name} / ${f.item.variant.label}: ${messageOf(f.error)}`);
  }
  // The experiment the suite ended in (complete, or cut short by Ctrl-C).
  for (const experiment of [...started.keys()]) await writeExperiment(experiment);
  const command = `npm run bench:paper -- ${argv.join(' ')}`.trim();
  const suite: SuiteResults = { startedAt, command, base, environment, experiments: done };
  const report = join(outDir, 'report.md');
  await writeFile(report, suiteMarkdown(suite));
  console.log(`\nWrote ${report} and ${done.length} experiment(s) to ${outDir}`);
  if (interrupt.aborted) return 130;
  return failed > 0 || errors.failures.length > 0 ? 1 : 0;
}

export async function main(argv: string[], root: string = PROJECT_ROOT): Promise<number> {
  const resources = new Resources();
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.on('SIGINT', onSigint);
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
    process.off('SIGINT', onSigint);
  }
}

runAsScript(import.meta.url, (argv) => main(argv));
