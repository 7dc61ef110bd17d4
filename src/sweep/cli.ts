/**
 * `npm run sweep`: a hyperparameter sweep in headless browsers. Builds and
 * serves the page (or uses --app-url), starts or connects the browsers
 * (--browsers), and hands each free browser the next trial
 * (scheduler.ts); after every trial writes sweep.json and trials.csv, at the
 * end report.md and the accuracy plot. Given an output folder that holds
 * this sweep, it runs only the trials not finished there. Exit codes: 0
 * every trial finished clean, 1 a trial failed or was not run, 2 bad flags,
 * 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from '@playwright/test';
import { BenchArgsError } from '../bench/arg-values';
import { Resources, buildPage, interruptOnSignals, launchChromium, runAsScript, startPreview, warn } from '../bench/browser-runs';
import { checkOutputFolder, localDataset } from '../bench/local-files';
import type { VariantResult } from '../bench/paper-report';
import { accuracyPlot } from '../bench/plots';
import { ConfigError, DEFAULT_CONFIG } from '../core/config';
import { messageOf } from '../core/errors';
import { percent, seconds } from '../core/format';
import { BrowserRunner } from './browser-runner';
import { parseSweepArgs, sweepUsage, type SweepOptions } from './cli-args';
import { REPORT_MD, SWEEP_JSON, resumeFrom, writeProgress } from './output';
import { SweepPlanError, formatSettings } from './plan';
import { compareTrials, sweptKeys, timeLeftMs, type SweepFile, type TrialRecord } from './records';
import { settingLabel, settingRows, sweepMarkdown } from './report';
import { runTrials } from './scheduler';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Lines on the accuracy plot: beyond this many (setting, algorithm) rows it is unreadable, so the best ones. */
const PLOT_LINES = 8;
const PLOT_FILE = 'accuracy.png';

/** `3/8 done, 1 failed, about 2m 10s left`. */
function progressLine(done: number, failed: number, total: number, durations: readonly number[], browsers: number): string {
  const left = total - done;
  const leftMs = timeLeftMs(durations, left);
  let eta = 'estimating the time left';
  if (leftMs !== null && left > 0) {
    const ms = leftMs / Math.max(1, browsers);
    eta = `about ${ms >= 60_000 ? `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s` : seconds(ms, 0)} left`;
  } else if (left === 0) eta = 'all done';
  return `${done}/${total} done, ${failed} failed, ${eta}`;
}

/** The best rows' median runs on one plot (uPlot in a page of a live browser). */
async function plot(browser: Browser, file: SweepFile, dir: string): Promise<string[]> {
  const rows = settingRows(file.trials);
  const ranked = [...file.trials].filter((t) => t.result !== null).sort(compareTrials);
  const order = new Map<string, number>();
  for (const t of ranked) {
    const key = `${t.algo} ${settingLabel(t.settings)}`;
    if (!order.has(key)) order.set(key, order.size);
  }
  const chosen = rows
    .map((r) => ({ r, label: `${r.algo} ${settingLabel(r.settings)}` }))
    .filter(({ label }) => (order.get(label) ?? Infinity) < PLOT_LINES);
  const variants: VariantResult[] = chosen.flatMap(({ r, label }) => r.runs.map((result) => ({ label, config: {}, seed: result.config.seed, result, failure: null })));
  if (variants.length === 0) return [];
  const more = order.size > PLOT_LINES ? ` (the ${PLOT_LINES} best of ${order.size})` : '';
  await accuracyPlot(browser, `Test accuracy against training time${more}`, variants, join(dir, PLOT_FILE));
  return [PLOT_FILE];
}

async function sweep(
  options: SweepOptions,
  resumed: ReturnType<typeof resumeFrom>,
  dataDir: string | null,
  root: string,
  resources: Resources,
  interrupt: AbortSignal,
  command: string,
): Promise<number> {
  const out = resolve(options.out);
  const base = options.bench.config;
  const { plan, trials } = options;
  const doneIds = new Set(resumed.done.map((r) => r.id));
  const todo = trials.filter((t) => !doneIds.has(t.id));
  const file: SweepFile = {
    kind: 'tandem-sweep',
    version: 1,
    startedAt: resumed.startedAt ?? new Date().toISOString(),
    plan,
    base,
    targetAccuracy: base.targetAccuracy !== undefined ? base.targetAccuracy : DEFAULT_CONFIG.targetAccuracy,
    trials: [...resumed.done],
  };
  console.log(
    `Sweep of ${trials.length} trials (${sweptKeys(plan).join(', ')} x ${plan.algos.length} algorithm(s) x ${plan.seeds.length} seed(s))` +
      (resumed.done.length > 0 ? `: ${resumed.done.length} already done in ${out}, ${todo.length} to run.` : '.'),
  );

  let appUrl = options.appUrl;
  if (todo.length > 0 && appUrl === null) {
    if (options.bench.skipBuild) {
      if (!existsSync(join(root, 'dist', 'index.html'))) throw new Error('--skip-build given, but dist/index.html does not exist; run once without --skip-build.');
    } else {
      console.log('Building the page (vite build)...');
      await buildPage(root);
    }
    const { server, url } = await startPreview(root, options.bench.port);
    resources.server = server;
    appUrl = url;
    console.log(`Serving ${url}`);
    if (options.browsers.kind === 'remote') {
      warn(`remote browsers will open ${url}, which only a browser on this machine reaches; give --app-url with an address they can reach.`);
    }
  }

  const runners: BrowserRunner[] = [];
  const startedRunners = new Set<string>();
  if (todo.length > 0 && appUrl !== null) {
    const sources =
      options.browsers.kind === 'local'
        ? Array.from({ length: options.browsers.count }, (_, i) => ({ name: `local ${i + 1}`, endpoint: null }))
        : options.browsers.endpoints.map((e) => ({ name: e, endpoint: e }));
    const url = appUrl;
    const started = await Promise.allSettled(
      sources.map((s) =>
        BrowserRunner.start({ ...s, headed: options.bench.headed, appUrl: url, dataDir, base, swept: sweptKeys(plan), interrupt, log: (line) => console.log(line) }),
      ),
    );
    for (const s of started) {
      if (s.status === 'fulfilled') {
        runners.push(s.value);
        startedRunners.add(s.value.name);
      } else warn(`a browser could not start: ${messageOf(s.reason)}`);
    }
    if (runners.length === 0) throw new Error('No browser could start; see the messages above.');
  }

  const durations: number[] = [];
  const startedAt = new Map<string, number>();
  let failed = file.trials.filter((t) => t.failure !== null).length;
  let writes = Promise.resolve();
  const save = (): void => {
    const snapshot = { ...file, trials: [...file.trials] };
    writes = writes.then(() => writeProgress(out, snapshot)).catch((error: unknown) => warn(`could not write ${out}: ${messageOf(error)}`));
  };
  save();
  const report = await runTrials(todo, runners, {
    retries: options.retries,
    signal: interrupt,
    events: {
      started: (t, runner, attempt) => {
        startedAt.set(t.id, Date.now());
        console.log(`\n[${runner}] trial ${t.index + 1}/${trials.length}: ${t.algo} seed ${t.seed} ${formatSettings(t.settings)}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      },
      finished: (record: TrialRecord, runner) => {
        durations.push(Date.now() - (startedAt.get(record.id) ?? Date.now()));
        file.trials.push(record);
        if (record.failure !== null) failed += 1;
        const s = record.summary;
        console.log(
          `[${runner}] trial ${record.index + 1} ${s ? `done: ${s.rounds} rounds, time to target ${seconds(s.timeToTargetMs, 1, 'not reached')} (train), ` + `${seconds(s.wallTimeToTargetMs, 1, 'not reached')} (wall), accuracy ${percent(s.finalAccuracy, 2)}` : 'failed'}` +
            `${record.failure ? ` (${record.failure})` : ''}`,
        );
        console.log(`  ${progressLine(file.trials.length, failed, trials.length, durations, runners.length)}`);
        save();
      },
      lost: (t, runner, reason, requeued) => {
        warn(`${runner} was lost during trial ${t.index + 1} (${reason}); ${requeued ? 'the trial goes to another browser' : 'the trial has used its retries'}.`);
      },
    },
  });
  // Trials that used up their retries are recorded by the scheduler, not through `finished`.
  for (const r of report.records) {
    if (file.trials.some((t) => t.id === r.id)) continue;
    file.trials.push(r);
    failed += 1;
  }
  save();
  await writes;

  const live = runners.map((r) => r.liveBrowser()).find((b): b is Browser => b !== null);
  let plots: string[] = [];
  try {
    const browser = live ?? (resources.browser = await launchChromium(false));
    plots = await plot(browser, file, out);
  } catch (error) {
    warn(`the accuracy plot could not be drawn: ${messageOf(error)}`);
  }
  await writeFile(join(out, REPORT_MD), sweepMarkdown(file, command, plots));
  await Promise.all(runners.map((r) => r.close()));
  console.log(`\nWrote ${join(out, SWEEP_JSON)}, trials.csv, ${REPORT_MD}${plots.length > 0 ? `, ${plots.join(', ')}` : ''}`);
  const rows = settingRows(file.trials).filter((r) => r.best);
  for (const r of rows) console.log(`Best for ${r.algo}: ${settingLabel(r.settings)}`);
  if (report.notRun.length > 0) warn(`${report.notRun.length} trial(s) not run${interrupt.aborted ? ' (interrupted)' : ': no browser was left'}; run the same command again to run them.`);
  if (interrupt.aborted) return 130;
  return failed > 0 || report.notRun.length > 0 ? 1 : 0;
}

export async function main(argv: string[], root: string = PROJECT_ROOT): Promise<number> {
  let options: SweepOptions;
  let dataDir: string | null;
  let resumed: ReturnType<typeof resumeFrom>;
  try {
    options = parseSweepArgs(argv);
    if (options.help) {
      console.log(sweepUsage());
      return 0;
    }
    checkOutputFolder('--out', options.out);
    const local = localDataset(options.bench.config.dataset);
    if (local) options.bench.config = { ...options.bench.config, dataset: local.dataset };
    dataDir = local?.dir ?? null;
    // A folder holding another sweep is a flag error, before any build or browser.
    resumed = resumeFrom(resolve(options.out), options.plan, options.bench.config, options.trials);
  } catch (error) {
    if (error instanceof BenchArgsError || error instanceof ConfigError || error instanceof SweepPlanError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const resources = new Resources();
  const interrupt = interruptOnSignals(resources, 'interrupted: stopping the trials in progress and writing what finished; Ctrl-C again to quit at once.');
  try {
    return await sweep(options, resumed, dataDir, root, resources, interrupt.signal, `npm run sweep -- ${argv.join(' ')}`);
  } catch (error) {
    warn(messageOf(error));
    return interrupt.signal.aborted ? 130 : 1;
  } finally {
    await resources.close();
    interrupt.dispose();
  }
}

runAsScript(import.meta.url, (argv) => main(argv));
