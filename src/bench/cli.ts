/**
 * `npm run bench`: builds the page, serves it cross-origin isolated with
 * `vite preview`, and runs each algorithm with each seed in turn
 * (src/api/run-sequence; order: args.ts benchItems, or with --sweep at each
 * value too: sweep.ts sweepItems) in Chromium through
 * `window.tandem`, in one page, or a new one after a run that hung or crashed
 * it. Prints progress, a summary table, and writes the BenchFile JSON. Exit
 * codes: 0 all runs clean, 1 a run failed, 2 bad flags (paths included:
 * checked before the build, see local-files.ts), 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSequence } from '../api/run-sequence';
import { ConfigError, DEFAULT_CONFIG, validateConfig, type Algo, type RunConfig } from '../core/config';
import { messageOf, stackOf } from '../core/errors';
import { percent, seconds } from '../core/format';
import type { Page } from '@playwright/test';
import type { BaselineOptions, EnvironmentInfo, PoolDecision, RunResult } from '../protocol';
import type {} from '../tandem-global';
import { BenchArgsError, benchItems, parseBenchArgs, usage, type BenchItem, type BenchOptions } from './args';
import {
  PageErrors,
  Resources,
  buildPage,
  interruptOnSignals,
  launchChromium,
  leftPageUsable,
  openPage,
  replacePage,
  warmUp,
  runAsScript,
  runOne,
  startPreview,
  warn,
  type RunOutcome,
} from './browser-runs';
import { checkBenchPaths, type LocalDataset } from './local-files';
import { baselineTable, describeAdapter, formatTable, poolLines, type BaselineRow, type BenchFailure, type BenchFile } from './report';
import { formatSweepValue, sweepItems, withSweepValue, type SweepValue } from './sweep';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The config the runs used, as it goes in the result file; `seed` is the
 * first of `seeds`, and with --sweep the swept key holds the first of its values.
 */
function resolvedConfig(options: BenchOptions): BenchFile['config'] {
  const { sweep } = options;
  const given = sweep ? withSweepValue(options.config, sweep.key, sweep.values[0]) : options.config;
  const { algo: _algo, ...rest } = validateConfig(given);
  return { ...rest, seed: options.seeds[0] ?? rest.seed, algos: options.algos, seeds: options.seeds, ...(sweep ? { sweep } : {}) };
}

/**
 * Writes the result file; if that fails after all (the disk filled, the
 * folder went away), writes it to the temp folder instead and says where:
 * a finished benchmark's results are not thrown away. Returns the path written.
 */
async function writeResults(out: string, text: string): Promise<string> {
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, text);
    return out;
  } catch (error) {
    const rescue = join(tmpdir(), basename(out));
    await writeFile(rescue, text);
    warn(`could not write ${out} (${messageOf(error)}); wrote the results to ${rescue} instead.`);
    return rescue;
  }
}

/** `local`: the dataset folder to serve, from checkBenchPaths; null when the dataset is not a local folder. */
async function bench(options: BenchOptions, local: LocalDataset | null, root: string, resources: Resources, interrupt: AbortSignal): Promise<number> {
  const startedAt = new Date().toISOString();
  if (options.skipBuild) {
    if (!existsSync(join(root, 'dist', 'index.html'))) {
      throw new Error('--skip-build given, but dist/index.html does not exist; run once without --skip-build.');
    }
  } else {
    console.log('Building the page (vite build)...');
    await buildPage(root);
  }
  // A local dataset folder is served to the page under a URL prefix.
  if (local) options.config = { ...options.config, dataset: local.dataset };
  const { server, url } = await startPreview(root, options.port);
  resources.server = server;
  console.log(`Serving ${url}`);

  const browser = await launchChromium(options.headed);
  resources.browser = browser;
  const errors = new PageErrors();
  const open = (): Promise<Page> => openPage(browser, url, errors, local?.dir ?? null);
  let page = await open();
  const environment: EnvironmentInfo = await page.evaluate(() => window.tandem.environment());
  console.log(`Browser: ${environment.userAgent}`);
  console.log(`WebGPU adapter: ${describeAdapter(environment)}`);
  console.log(`Cross-origin isolated: ${environment.crossOriginIsolated ? 'yes' : 'no'}`);
  if (!environment.crossOriginIsolated) {
    warn('the page is not cross-origin isolated (no SharedArrayBuffer); check the COOP/COEP headers in vite.config.ts.');
  }

  const failures: BenchFailure[] = [];
  let baseline: BaselineRow[] | undefined;
  if (options.baselineSteps > 0) {
    console.log(`\nTiming each worker alone against bare tfjs (${options.baselineSteps} steps)...`);
    const { workers, batchSize, dataset, model } = options.config;
    // The run's own pool, model and dataset: the baseline times what the runs train.
    const request: BaselineOptions = {
      steps: options.baselineSteps,
      ...(workers ? { workers } : {}),
      ...(batchSize ? { batchSize } : {}),
      ...(dataset ? { dataset } : {}),
      ...(model ? { model } : {}),
    };
    try {
      baseline = await page.evaluate((r) => window.tandem.baseline(r), request);
      console.log(baselineTable(baseline));
    } catch (e) {
      failures.push({ algo: null, seed: null, message: `baseline: ${messageOf(e)}` });
    }
  }

  // One pool for every algorithm: parking is decided here, once, and the runs train on what it kept.
  let pool: PoolDecision | undefined;
  if ((options.config.parking ?? DEFAULT_CONFIG.parking) === 'auto') {
    console.log('\nMeasuring the pool with and without each worker (parking auto)...');
    try {
      pool = await page.evaluate((c) => window.tandem.checkPool(c), { ...options.config });
      console.log(poolLines(pool).join('\n'));
      options = { ...options, config: { ...options.config, workers: pool.kept, parking: 'off' } };
    } catch (e) {
      failures.push({ algo: null, seed: null, message: `pool check: ${messageOf(e)}` });
    }
  }

  const { sweep } = options;
  // Without --sweep an item has no value: its run keeps the config's own.
  const items: (BenchItem & { value?: SweepValue })[] = sweep
    ? sweepItems(options.algos, options.seeds, sweep.values)
    : benchItems(options.algos, options.seeds);
  // The field that ties a failure to its run's swept value; absent without --sweep.
  const sweptValue = (value: SweepValue | undefined): Pick<BenchFailure, 'sweepValue'> => (sweep && value !== undefined ? { sweepValue: value } : {});
  const multi = options.seeds.length > 1;
  const configOf = ({ algo, seed, value }: BenchItem & { value?: SweepValue }): Partial<RunConfig> & { algo: Algo } => {
    const config = { ...options.config, algo, seed };
    return sweep && value !== undefined ? withSweepValue(config, sweep.key, value) : config;
  };
  // A new page starts new workers: warm them up before the runs are timed on them.
  const warm = async (item: (typeof items)[number] | undefined): Promise<void> => {
    if (item) page = await warmUp(page, open, configOf(item), options.warmUpRounds, interrupt);
  };
  await warm(items[0]);
  const sequence = await runSequence(
    items,
    async ({ algo, seed, value }, index) => {
      const at = sweep && value !== undefined ? { key: sweep.key, value } : null;
      const tag = `${algo}${at ? ` ${at.key}=${formatSweepValue(at.value)}` : ''}${multi ? ` seed ${seed}` : ''}`;
      console.log(
        `\nRunning ${algo}${at ? ` at ${at.key} ${formatSweepValue(at.value)}` : ''}${multi ? ` with seed ${seed}` : ''}` +
          `${multi || at ? ` (run ${index + 1} of ${items.length})` : ''}...`,
      );
      errors.algo = algo;
      errors.seed = seed;
      errors.sweepValue = at?.value;
      let outcome: RunOutcome;
      try {
        outcome = await runOne(page, configOf({ algo, seed, value }), interrupt, tag);
      } finally {
        errors.algo = null;
        errors.seed = null;
        errors.sweepValue = undefined;
      }
      const r = outcome.result;
      if (r) {
        console.log(
          `  [${tag}] done: ${r.rounds} rounds, train ${seconds(r.trainMs)}, wall ${seconds(r.wallMs)}, ` +
            `accuracy ${percent(r.finalAccuracy, 2, '-')}, stopped by ${r.stoppedBy}`,
        );
      }
      if (outcome.failure !== null) {
        warn(`${tag}: ${outcome.failure}`);
        // The table and the JSON keep the first line; the stack went to stderr above.
        failures.push({ algo, seed, ...sweptValue(value), message: outcome.failure.split('\n')[0] ?? outcome.failure });
      }
      return outcome;
    },
    {
      signal: interrupt,
      between: async (previous, next) => {
        if (leftPageUsable(previous)) return;
        page = await replacePage(page, open);
        await warm(next);
      },
    },
  );
  const runs: RunResult[] = sequence.results.flatMap((outcome) => (outcome.result ? [outcome.result] : []));
  failures.push(
    ...sequence.failures.map((f) => ({ algo: f.item.algo, seed: f.item.seed, ...sweptValue(f.item.value), message: `run failed: ${messageOf(f.error)}` })),
  );
  failures.push(...errors.failures);

  const file: BenchFile = {
    startedAt,
    config: resolvedConfig(options),
    environment,
    ...(baseline ? { baseline } : {}),
    ...(pool ? { pool } : {}),
    warmUpRounds: options.warmUpRounds,
    runs,
    failures,
  };
  console.log(`\n${formatTable(file)}\n`);
  const out = resolve(options.out);
  const written = await writeResults(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`Wrote ${written}`);
  if (interrupt.aborted) return 130;
  return failures.length > 0 || written !== out ? 1 : 0;
}

/** `root`: the Vite project to build and serve; the project itself unless a caller names another. */
export async function main(argv: string[], root: string = PROJECT_ROOT): Promise<number> {
  let options: BenchOptions;
  let local: LocalDataset | null;
  try {
    options = parseBenchArgs(argv);
    if (options.help) {
      console.log(usage());
      return 0;
    }
    // Before the build and the browser: a bad --out would otherwise fail only once every run is done.
    local = checkBenchPaths(options);
  } catch (error) {
    if (error instanceof BenchArgsError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const resources = new Resources();
  const interrupt = interruptOnSignals(resources, 'interrupted: stopping the current run and writing what finished; Ctrl-C again to quit at once.');
  try {
    return await bench(options, local, root, resources, interrupt.signal);
  } catch (error) {
    warn(stackOf(error));
    return interrupt.signal.aborted ? 130 : 1;
  } finally {
    await resources.close();
    interrupt.dispose();
  }
}

runAsScript(import.meta.url, (argv) => main(argv));
