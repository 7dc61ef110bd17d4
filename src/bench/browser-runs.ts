/**
 * The benchmark's browser side: build and serve the page, launch Chromium,
 * open the page, and drive one `tandem.run` in it with progress, a guard
 * timer and Ctrl-C. `npm run bench` and `npm run bench:paper` share it.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import type { SequenceStep } from '../api/run-sequence';
import { validateConfig, type Algo, type RunConfig } from '../core/config';
import { messageOf, stackOf } from '../core/errors';
import { percent, seconds } from '../core/format';
import type { RunPhase, RunResult } from '../protocol';
import type {} from '../tandem-global';
import { CHROMIUM_ARGS, chromiumExecutable } from './chromium';
import { LOCAL_DATA_PREFIX, serveLocalDataset } from './local-files';
import type { BenchFailure } from './report';
import type { SweepValue } from './sweep';

/** How often a running benchmark prints its latest round. */
const PROGRESS_EVERY_MS = 5_000;
/** Dataset download from the preview server and parsing, before `ready()` resolves. */
const PAGE_READY_TIMEOUT_MS = 180_000;
/**
 * maxSeconds bounds only the training clock: loading, backend start-up,
 * profiling and evaluations come on top. Past maxSeconds * 2 + this, a run is
 * taken to be hung.
 */
const RUN_MARGIN_MS = 300_000;
/** How long a run gets to wind down after `tandem.stop()`. */
const STOP_GRACE_MS = 60_000;

/** Everything that must be closed however the benchmark ends. */
export class Resources {
  server: PreviewServer | null = null;
  browser: Browser | null = null;
  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Browser first: its page holds connections to the server open.
      await this.browser?.close().catch((error: unknown) => warn(`closing the browser failed: ${messageOf(error)}`));
      await this.server?.close().catch((error: unknown) => warn(`closing the preview server failed: ${messageOf(error)}`));
    })();
    return this.closing;
  }
}

export function warn(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Runs scripts/prepare-data.mjs as `npm run build` does, so dist/ holds the dataset. */
async function prepareData(root: string): Promise<void> {
  const script = join(root, 'scripts', 'prepare-data.mjs');
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, [script], { cwd: root, stdio: 'inherit' });
    child.once('error', fail);
    child.once('exit', done);
  });
  if (code !== 0) throw new Error(`${script} exited with code ${String(code)}; see its message above.`);
}

export async function buildPage(root: string): Promise<void> {
  await prepareData(root);
  await build({ root, logLevel: 'warn' });
}

/**
 * `vite preview` on `port` (0 = any free one). It reads vite.config.ts, which
 * sends COOP/COEP so the page is cross-origin isolated.
 */
export async function startPreview(root: string, port: number | undefined): Promise<{ server: PreviewServer; url: string }> {
  const server = await preview({
    root,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: port ?? 0, strictPort: port !== undefined, open: false },
  });
  const address = server.httpServer.address() as AddressInfo | string | null;
  if (address === null || typeof address === 'string') {
    await server.close();
    throw new Error(`vite preview is not listening on a TCP port (address: ${String(address)}).`);
  }
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

export function launchChromium(headed: boolean): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    args: [...CHROMIUM_ARGS],
    headless: !headed,
    // The benchmark handles Ctrl-C itself: finish the current run gracefully first.
    handleSIGINT: false,
    handleSIGTERM: false,
  });
}

/** Page errors recorded against the run in progress, so a run that threw is not reported clean. */
export class PageErrors {
  algo: Algo | null = null;
  seed: number | null = null;
  /** With --sweep, the swept key's value of the run in progress; undefined otherwise. */
  sweepValue: SweepValue | undefined = undefined;
  readonly failures: BenchFailure[] = [];

  record(message: string): void {
    const value = this.sweepValue === undefined ? {} : { sweepValue: this.sweepValue };
    this.failures.push({ algo: this.algo, seed: this.seed, ...value, message: `page error: ${message}` });
  }
}

export async function openPage(browser: Browser, url: string, errors: PageErrors, dataDir: string | null): Promise<Page> {
  const page = await browser.newPage();
  if (dataDir) await serveLocalDataset(page, dataDir);
  page.on('console', (msg) => {
    // Chromium asks for /favicon.ico on its own; its 404 says nothing about the run.
    // A local dataset folder may hold only some of the files the reader asks for (a CIFAR-10 subset).
    const url = msg.location().url;
    if (msg.type() !== 'error' || url.endsWith('/favicon.ico') || url.includes(LOCAL_DATA_PREFIX)) return;
    process.stderr.write(`[${msg.worker() ? 'worker' : 'page'} console.error] ${msg.text()}\n`);
  });
  page.on('pageerror', (error) => {
    process.stderr.write(`[page error] ${error.stack ?? error.message}\n`);
    errors.record(error.message);
  });
  page.on('crash', () => {
    process.stderr.write('[page crashed]\n');
    errors.record('the page crashed');
  });
  await page.goto(url);
  await page.waitForFunction(() => window.tandem !== undefined, undefined, { timeout: PAGE_READY_TIMEOUT_MS });
  await page.evaluate(() => window.tandem.ready());
  return page;
}

interface Progress {
  phase: RunPhase;
  last: { round: number; trainMs: number; loss: number; accuracy: number | null } | null;
}

/**
 * Prints phase changes and each new round, each line tagged `[tag]`, until
 * `signal` aborts. Polling keeps it independent of the page's event wiring.
 */
async function printProgress(page: Page, tag: string, signal: AbortSignal): Promise<void> {
  let phase: RunPhase | null = null;
  let round = -1;
  while (!signal.aborted) {
    await sleep(PROGRESS_EVERY_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    let now: Progress;
    try {
      now = await page.evaluate((): Progress => {
        const events = window.tandem.events();
        const last = events[events.length - 1];
        return {
          phase: window.tandem.phase(),
          last: last ? { round: last.round, trainMs: last.trainMs, loss: last.loss, accuracy: last.accuracy } : null,
        };
      });
    } catch {
      return; // The page is gone; the run's own promise reports why.
    }
    if (now.phase !== phase && now.phase !== 'training') console.log(`  [${tag}] ${now.phase}`);
    phase = now.phase;
    if (now.phase === 'training' && now.last && now.last.round !== round) {
      round = now.last.round;
      console.log(
        `  [${tag}] round ${round}  train ${seconds(now.last.trainMs)}  ` +
          `loss ${now.last.loss.toFixed(4)}  acc ${percent(now.last.accuracy, 2, '-')}`,
      );
    }
  }
}

type Settled = { kind: 'result'; result: RunResult } | { kind: 'error'; error: unknown };

async function stopRun(page: Page, running: Promise<Settled>): Promise<Settled | null> {
  await Promise.race([page.evaluate(() => window.tandem.stop()).catch(() => undefined), sleep(STOP_GRACE_MS)]);
  return Promise.race([running, sleep(STOP_GRACE_MS).then(() => null)]);
}

export interface RunOutcome {
  result: RunResult | null;
  failure: string | null;
  /** False when the page must be replaced before the next run. */
  pageUsable: boolean;
}

/**
 * One `tandem.run`, bounded by a guard timer and by Ctrl-C; always settles.
 * `tag` names the run on its progress lines (default: the algorithm).
 */
export async function runOne(
  page: Page,
  config: Partial<RunConfig> & { algo: Algo },
  interrupt: AbortSignal,
  tag: string = config.algo,
): Promise<RunOutcome> {
  const maxSeconds = validateConfig(config).maxSeconds;
  const guardMs = maxSeconds * 2_000 + RUN_MARGIN_MS;
  // Every run starts on a page that keeps no earlier run (charts, runs table, kept weights), so the
  // page draws and lists only the run in progress however many ran before it.
  const running: Promise<Settled> = page.evaluate((cfg) => {
    window.tandem.clearRuns();
    return window.tandem.run(cfg);
  }, config).then(
    (result): Settled => ({ kind: 'result', result }),
    (error: unknown): Settled => ({ kind: 'error', error }),
  );
  const done = new AbortController();
  const progress = printProgress(page, tag, done.signal);
  const guard = new AbortController();
  // Listeners go when the run settles: the interrupt signal outlives many runs.
  const settled = new AbortController();
  const stopped = (signal: AbortSignal, why: 'timeout' | 'interrupt') =>
    new Promise<typeof why>((wake) =>
      signal.addEventListener('abort', () => wake(why), { once: true, signal: settled.signal }),
    );
  const timer = setTimeout(() => guard.abort(), guardMs);
  try {
    const first = await Promise.race([running, stopped(guard.signal, 'timeout'), stopped(interrupt, 'interrupt')]);
    if (typeof first !== 'string') {
      return first.kind === 'result'
        ? { result: first.result, failure: null, pageUsable: true }
        : // A rejection may come from a crashed page or a wedged worker pool: start the next run afresh.
          { result: null, failure: `run rejected: ${messageOf(first.error)}`, pageUsable: false };
    }
    const reason =
      first === 'timeout'
        ? `no result after ${seconds(guardMs, 0)} (maxSeconds ${maxSeconds} * 2 + ${seconds(RUN_MARGIN_MS, 0)} margin)`
        : 'interrupted';
    const after = await stopRun(page, running);
    if (after === null) return { result: null, failure: `${reason}; the run did not stop`, pageUsable: false };
    if (after.kind === 'error') {
      return { result: null, failure: `${reason}; then the run failed: ${messageOf(after.error)}`, pageUsable: false };
    }
    return { result: after.result, failure: `${reason}; stopped early`, pageUsable: true };
  } finally {
    clearTimeout(timer);
    settled.abort();
    done.abort();
    await progress;
  }
}

/**
 * Trains `rounds` rounds of `config` on `page` and throws them away, so the
 * workers the next runs reuse have compiled their code. Returns the page to
 * run on: a new one (from `open`) when the warm-up left this one unusable. A
 * failed warm-up is warned about, not counted as a run (a page error during
 * it is recorded as any page error is); the runs that follow report their own.
 */
export async function warmUp(
  page: Page,
  open: () => Promise<Page>,
  config: Partial<RunConfig> & { algo: Algo },
  rounds: number,
  interrupt: AbortSignal,
): Promise<Page> {
  if (rounds === 0 || interrupt.aborted) return page;
  // fast-only trains one worker: every worker must step to compile its code, so its warm-up is local SGD.
  const algo = config.algo === 'fast-only' ? 'local' : config.algo;
  console.log(`\nWarming up: ${rounds} round(s) of ${algo}, not counted...`);
  const quiet = { ...config, algo, maxRounds: rounds, targetAccuracy: null, epochs: null, checkpointEvery: 0 };
  const outcome = await runOne(page, quiet, interrupt, 'warm-up');
  if (outcome.failure !== null) warn(`warm-up: ${outcome.failure}`);
  return outcome.pageUsable ? page : replacePage(page, open);
}

/**
 * False when a run threw or left its page hung or crashed: that page would
 * fail every later run too, so the next one gets a new page.
 */
export function leftPageUsable(step: SequenceStep<unknown, RunOutcome>): boolean {
  return step.outcome.kind === 'result' && step.outcome.result.pageUsable;
}

/** Closes `page` (whatever state it is in) and opens its replacement. */
export async function replacePage(page: Page, open: () => Promise<Page>): Promise<Page> {
  await page.close().catch(() => undefined);
  return open();
}

/** A second SIGINT sooner than this after the first is the same Ctrl-C. */
const SIGINT_REPEAT_MS = 1_000;

/**
 * Ctrl-C handling for a command that drives browsers: the first SIGINT
 * aborts `signal` (the runs in progress stop and what finished is written;
 * `message` says so); a second quits at once, closing `resources`; SIGTERM
 * quits at once. `dispose` removes the handlers.
 */
export function interruptOnSignals(resources: Resources, message: string): { signal: AbortSignal; dispose(): void } {
  const interrupt = new AbortController();
  let firstSigint = 0;
  const onSigint = (): void => {
    if (!interrupt.signal.aborted) {
      warn(message);
      firstSigint = Date.now();
      interrupt.abort();
      return;
    }
    // One Ctrl-C can arrive twice: from the terminal and relayed by tsx's parent process.
    if (Date.now() - firstSigint < SIGINT_REPEAT_MS) return;
    void resources.close().finally(() => process.exit(130));
  };
  const onSigterm = (): void => void resources.close().finally(() => process.exit(143));
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    signal: interrupt.signal,
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

/** Runs `entry` when `moduleUrl` is the script Node was started with, then exits with its code. */
export function runAsScript(moduleUrl: string, entry: (argv: string[]) => Promise<number>): void {
  if (moduleUrl !== pathToFileURL(resolve(process.argv[1] ?? '')).href) return;
  // Exit explicitly: vite leaves a stdin listener behind that can keep the process alive.
  entry(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      warn(stackOf(error));
      process.exit(1);
    },
  );
}

