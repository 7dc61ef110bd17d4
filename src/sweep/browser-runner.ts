/**
 * One browser of a sweep as a TrialRunner: a local headless Chromium, or a
 * browser server on another machine reached with Playwright's `connect` (the
 * protocol of `launchServer` and `npx playwright run-server`). It opens the
 * Tandem page once, reads what the machine has (user agent, adapter, cores),
 * decides its pool once when parking is auto (as the benchmark does), and
 * runs trials there one at a time through `window.tandem.run`. A browser
 * that disconnects mid-trial makes the trial reject with BrowserLost, so the
 * scheduler hands it to another.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from '@playwright/test';
import { DEFAULT_CONFIG, type RunConfig } from '../core/config';
import { messageOf } from '../core/errors';
import type { EnvironmentInfo, PoolDecision } from '../protocol';
import { PageErrors, launchChromium, openPage, replacePage, runOne } from '../bench/browser-runs';
import { CHROMIUM_ARGS } from '../bench/chromium';
import { formatWorkerSpec } from '../core/pool-spec';
import { trialConfig, formatSettings, type SweepKey, type Trial } from './plan';
import { finishedRecord, failedRecord, trialWhere, type TrialRecord, type TrialWhere } from './records';
import { BrowserLost, type TrialRunner } from './scheduler';

/** How long to wait for a remote browser server to accept the connection. */
const CONNECT_TIMEOUT_MS = 30_000;
/** After a run rejects, how long the disconnect event gets to arrive before the browser is taken as alive. */
const DISCONNECT_GRACE_MS = 1_000;

/**
 * Connects to a browser server. A `launchServer` browser is already running
 * with its own flags; `npx playwright run-server` launches one per
 * connection, with the launch options this header asks for. It takes the
 * WebGPU flags (args) only when started with --unsafe; without them the
 * browser there runs its WASM workers only.
 */
function connect(endpoint: string, headed: boolean): Promise<Browser> {
  return chromium.connect(endpoint, {
    timeout: CONNECT_TIMEOUT_MS,
    headers: { 'x-playwright-launch-options': JSON.stringify({ headless: !headed, args: [...CHROMIUM_ARGS] }) },
  });
}

export interface BrowserRunnerOptions {
  /** `local 1`, or the endpoint. */
  name: string;
  /** null: launch a local Chromium; else a ws:// endpoint to connect to. */
  endpoint: string | null;
  headed: boolean;
  appUrl: string;
  /** A local dataset folder the page reads through routes (--dataset idx:DIR), or null. */
  dataDir: string | null;
  /** The config every trial starts from. */
  base: Partial<RunConfig>;
  /** Keys the sweep varies: a sweep of the pool itself leaves parking to each trial. */
  swept: readonly SweepKey[];
  interrupt: AbortSignal;
  log: (line: string) => void;
}

export class BrowserRunner implements TrialRunner {
  readonly name: string;
  private page: Page;
  private lostReason: string | null = null;
  private constructor(
    private readonly options: BrowserRunnerOptions,
    /** Page errors of the trial in progress (openPage reports them here). */
    private readonly errors: PageErrors,
    private readonly browser: Browser,
    page: Page,
    readonly where: TrialWhere,
    /** The pool the trials train on (parking decided once), or null to leave each trial's own. */
    readonly pool: PoolDecision | null,
  ) {
    this.name = options.name;
    this.page = page;
    browser.on('disconnected', () => {
      this.lostReason ??= `${options.name} disconnected`;
    });
  }

  /** Launches or connects, opens the page, reads the machine, checks the pool; throws with the browser's name on failure. */
  static async start(options: BrowserRunnerOptions): Promise<BrowserRunner> {
    const browser = options.endpoint === null ? await launchChromium(options.headed) : await connect(options.endpoint, options.headed);
    try {
      const errors = new PageErrors();
      const page = await openPage(browser, options.appUrl, errors, options.dataDir);
      const env: EnvironmentInfo = await page.evaluate(() => window.tandem.environment());
      const where = trialWhere(options.name, env);
      options.log(`[${options.name}] ${env.userAgent}; WebGPU ${where.adapter}; ${where.cores} cores${env.crossOriginIsolated ? '' : '; NOT cross-origin isolated'}`);
      let pool: PoolDecision | null = null;
      const poolSwept = options.swept.some((k) => k === 'workers' || k === 'parking');
      if (!poolSwept && (options.base.parking ?? DEFAULT_CONFIG.parking) === 'auto') {
        options.log(`[${options.name}] measuring the pool with and without each worker (parking auto)...`);
        pool = await page.evaluate((c) => window.tandem.checkPool(c), { ...options.base });
        for (const note of pool.notes) options.log(`[${options.name}] ${note}`);
        options.log(`[${options.name}] its trials train on ${formatWorkerSpec(pool.kept)} (decided in ${(pool.measureMs / 1000).toFixed(1)} s, on no trial's clock)`);
      }
      return new BrowserRunner(options, errors, browser, page, where, pool);
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw new Error(`${options.name}: ${messageOf(error)}`);
    }
  }

  private configOf(trial: Trial): ReturnType<typeof trialConfig> {
    const base = this.pool ? { ...this.options.base, workers: this.pool.kept, parking: 'off' as const } : this.options.base;
    return trialConfig(base, trial);
  }

  async run(trial: Trial, attempt: number): Promise<TrialRecord> {
    if (this.lostReason !== null || !this.browser.isConnected()) throw new BrowserLost(this.lostReason ?? `${this.name} is not connected`);
    this.errors.failures.length = 0;
    this.errors.algo = trial.algo;
    this.errors.seed = trial.seed;
    const tag = `${this.name} | ${trial.algo} seed ${trial.seed} ${formatSettings(trial.settings)}`;
    const outcome = await runOne(this.page, this.configOf(trial), this.options.interrupt, tag);
    if (outcome.result === null) {
      // A page.evaluate that rejected because the browser went away can come just before the disconnect event.
      if (this.browser.isConnected()) await sleep(DISCONNECT_GRACE_MS);
      if (this.lostReason !== null || !this.browser.isConnected()) throw new BrowserLost(`${this.lostReason ?? `${this.name} disconnected`} (${outcome.failure ?? 'no result'})`);
    }
    const pageErrors = this.errors.failures.map((f) => f.message);
    const failure = [outcome.failure, ...pageErrors].filter((m): m is string => m !== null).join('; ') || null;
    const record = outcome.result ? { ...finishedRecord(trial, outcome.result, this.where, attempt), failure } : failedRecord(trial, failure ?? 'no result', this.where, attempt);
    if (!outcome.pageUsable) {
      try {
        this.page = await replacePage(this.page, () => openPage(this.browser, this.options.appUrl, this.errors, this.options.dataDir));
      } catch (error) {
        this.lostReason ??= `${this.name}: the page could not be opened again (${messageOf(error)})`;
      }
    }
    return record;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  /** For the plots: a live browser, or null once it is gone. */
  liveBrowser(): Browser | null {
    return this.browser.isConnected() ? this.browser : null;
  }
}
