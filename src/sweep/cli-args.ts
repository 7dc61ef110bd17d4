/**
 * `npm run sweep`'s command line: its own flags (--grid, --random, --trials,
 * --draw-seed, --browsers, --app-url, --retries, --out) and every flag of
 * `npm run bench` but --sweep, --baseline and its --out, read by the
 * benchmark's parser (src/bench/args.ts), so a config flag means and checks
 * the same in both. Every error names the flag, the value and what is allowed.
 */
import { BenchArgsError, flagName, parseBenchArgs, readFlagValue, usage as benchUsage, type BenchOptions, type ConfigKey } from '../bench/args';
import { parseNumber } from '../bench/arg-values';
import { messageOf, quote } from '../core/errors';
import { SweepPlanError, checkPlan, expandTrials, type AxisValue, type SweepPlan, type Trial } from './plan';
import { GRID_EXAMPLE, RANDOM_EXAMPLE, camel, parseGridAxis, parseRandomAxis, type ValueReader } from './plan-text';

/** Local headless Chromium instances at most: each runs a whole pool of training workers. */
export const MAX_LOCAL_BROWSERS = 8;
export const MAX_RETRIES = 10;
export const DEFAULT_RETRIES = 2;

/** Where trials run: N local Chromium instances, or browser servers reached over Playwright's protocol. */
export type BrowserSource = { kind: 'local'; count: number } | { kind: 'remote'; endpoints: string[] };

export interface SweepOptions {
  /** The benchmark's options: algorithms, seeds, config flags, port, build, headed. */
  bench: BenchOptions;
  plan: SweepPlan;
  trials: Trial[];
  browsers: BrowserSource;
  /** The page every browser opens; null: build and serve this project with vite preview. */
  appUrl: string | null;
  retries: number;
  /** Output folder: sweep.json, trials.csv, report.md, plots. */
  out: string;
  help: boolean;
}

const OWN_FLAGS = ['grid', 'random', 'trials', 'draw-seed', 'browsers', 'app-url', 'retries', 'out'] as const;
type OwnFlag = (typeof OWN_FLAGS)[number];
const REPEATABLE: readonly OwnFlag[] = ['grid', 'random'];
/** Benchmark flags with no meaning in a sweep, and what to use instead. */
const REFUSED: Record<string, string> = {
  sweep: 'npm run sweep takes --grid KEY=VALUES (repeatable) and --random KEY=LOW:HIGH instead',
  baseline: 'the bare-tfjs baseline is for npm run bench -- --baseline N',
  'warm-up': 'npm run sweep does not warm up (each browser starts its own workers); the warm-up is for npm run bench and bench:paper',
};

/** `bench-results/sweep-2026-11-30T21-00-00Z`. */
export function defaultSweepOut(now: Date): string {
  return `bench-results/sweep-${now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
}

function isOwn(name: string): name is OwnFlag {
  return (OWN_FLAGS as readonly string[]).includes(name);
}

/** Splits argv into this command's flags (name -> values in order) and the benchmark's. */
function splitArgs(argv: readonly string[]): { own: Map<OwnFlag, string[]>; rest: string[] } {
  const own = new Map<OwnFlag, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--([a-z-]+)(?:=([\s\S]*))?$/.exec(arg);
    const name = m?.[1];
    if (name !== undefined && Object.hasOwn(REFUSED, name)) throw new BenchArgsError(`--${name}`, m?.[2] ?? argv[i + 1], REFUSED[name] ?? '', `--${name}: ${REFUSED[name]}.`);
    if (name === undefined || !isOwn(name)) {
      rest.push(arg);
      continue;
    }
    let value = m?.[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new BenchArgsError(`--${name}`, undefined, 'a value after the flag', `Flag --${name} needs a value. See --help.`);
      i++;
    }
    const values = own.get(name) ?? [];
    if (values.length > 0 && !REPEATABLE.includes(name)) {
      throw new BenchArgsError(`--${name}`, value, 'the flag once', `Flag --${name} is given more than once; give it once.`);
    }
    own.set(name, [...values, value]);
  }
  return { own, rest };
}

function integerFlag(flag: string, text: string, min: number, max: number, what: string): number {
  const allowed = `an integer from ${min} to ${max} (${what})`;
  const n = parseNumber(flag, text, allowed);
  if (!Number.isInteger(n) || n < min || n > max) throw new BenchArgsError(flag, text, allowed);
  return n;
}

/** `--browsers 2` or `--browsers ws://host:3000/abc,ws://...`. */
export function parseBrowsers(text: string): BrowserSource {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { kind: 'local', count: integerFlag('--browsers', t, 1, MAX_LOCAL_BROWSERS, 'local headless Chromium instances') };
  const endpoints = t.split(',').map((e) => e.trim());
  for (const e of endpoints) {
    let ok = false;
    try {
      const url = new URL(e);
      ok = (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new BenchArgsError(
        '--browsers',
        text,
        `a number of local browsers from 1 to ${MAX_LOCAL_BROWSERS}, or comma-separated ws:// or wss:// endpoints of browser servers (Playwright launchServer or run-server)`,
        `Invalid --browsers ${quote(text)}: ${quote(e)} is not a ws:// or wss:// endpoint. Allowed: a number of local browsers from 1 to ${MAX_LOCAL_BROWSERS}, or comma-separated ws:// or wss:// endpoints of browser servers (Playwright launchServer or run-server).`,
      );
    }
  }
  if (new Set(endpoints).size !== endpoints.length) throw new BenchArgsError('--browsers', text, 'each endpoint once');
  return { kind: 'remote', endpoints };
}

function parseAppUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // Reported below.
  }
  throw new BenchArgsError('--app-url', text, 'an http:// or https:// URL of the Tandem page that every browser can reach');
}

/** A plan error as a flag error: the field is the flag. */
function asFlagError(error: unknown, flag: string, text: string | undefined): Error {
  const where = text === undefined ? flag : `${flag} ${quote(text)}`;
  if (error instanceof BenchArgsError) {
    if (error.flag === flag) return error;
    // A value the key's own flag refuses: say it came from this flag.
    return new BenchArgsError(flag, text, error.allowed, `Invalid ${where}: ${camel(error.flag.slice(2))} ${error.value === undefined ? '(no value)' : quote(error.value)} is not allowed. Allowed: ${error.allowed}.`);
  }
  const message = messageOf(error);
  return new BenchArgsError(flag, text, 'see --help', message.startsWith(flag) ? message : `${where}: ${message}`);
}

export function parseSweepArgs(argv: readonly string[], now: Date = new Date()): SweepOptions {
  const { own, rest } = splitArgs(argv);
  const bench = parseBenchArgs(rest, now);
  const first = (name: OwnFlag): string | undefined => own.get(name)?.[0];
  const out = first('out') ?? defaultSweepOut(now);
  if (out.trim() === '') throw new BenchArgsError('--out', out, 'a folder path');
  const options: SweepOptions = {
    bench,
    plan: { grid: [], random: [], trials: 0, algos: bench.algos, seeds: bench.seeds, drawSeed: 1 },
    trials: [],
    browsers: { kind: 'local', count: 1 },
    appUrl: null,
    retries: DEFAULT_RETRIES,
    out,
    help: bench.help,
  };
  if (options.help) return options;

  // A value is read by its key's own flag parser over the config flags given, for every algorithm.
  const read: ValueReader = (key, text) => readFlagValue(key as ConfigKey, text, bench.config, bench.algos) as AxisValue;
  const plan = options.plan;
  for (const text of own.get('grid') ?? []) {
    try {
      plan.grid.push(parseGridAxis('--grid', text, read));
    } catch (e) {
      throw asFlagError(e, '--grid', text);
    }
  }
  for (const text of own.get('random') ?? []) {
    try {
      plan.random.push(parseRandomAxis('--random', text, read));
    } catch (e) {
      throw asFlagError(e, '--random', text);
    }
  }
  const trials = first('trials');
  if (trials !== undefined) plan.trials = integerFlag('--trials', trials, 1, 200, 'random draws');
  else if (plan.random.length > 0) throw new BenchArgsError('--trials', undefined, 'an integer from 1 to 200', '--random needs --trials N: how many random draws to run.');
  const drawSeed = first('draw-seed');
  if (drawSeed !== undefined) plan.drawSeed = integerFlag('--draw-seed', drawSeed, 0, 2 ** 32 - 1, 'the seed of the random draws');
  for (const axis of [...plan.grid, ...plan.random]) {
    if (Object.hasOwn(bench.config, axis.key)) {
      throw new BenchArgsError(`--${flagName(axis.key)}`, String(bench.config[axis.key]), `not together with a sweep of ${axis.key}`, `${axis.key} is swept and also given as its own flag; drop one.`);
    }
  }
  try {
    checkPlan(plan);
    options.trials = expandTrials(plan);
  } catch (e) {
    const field = e instanceof SweepPlanError ? e.field : 'keys';
    const flag = field === 'trials' ? '--trials' : plan.random.some((a) => a.key === field) ? '--random' : '--grid';
    if (plan.grid.length === 0 && plan.random.length === 0) {
      throw new BenchArgsError('--grid', undefined, `--grid ${GRID_EXAMPLE} or --random ${RANDOM_EXAMPLE} --trials N`, `A sweep needs --grid KEY=VALUES or --random KEY=LOW:HIGH (with --trials N). See --help.`);
    }
    throw asFlagError(e, flag, undefined);
  }
  const browsers = first('browsers');
  if (browsers !== undefined) options.browsers = parseBrowsers(browsers);
  const appUrl = first('app-url');
  if (appUrl !== undefined) options.appUrl = parseAppUrl(appUrl);
  const retries = first('retries');
  if (retries !== undefined) options.retries = integerFlag('--retries', retries, 0, MAX_RETRIES, 're-runs of a trial whose browser was lost');
  return options;
}

export function sweepUsage(): string {
  const rows: [string, string][] = [
    ['--grid KEY=VALUES', `every combination of the listed values, e.g. ${GRID_EXAMPLE}; repeatable (one per key); values holding commas are separated by ; (workers=wasm:2;webgpu:1,wasm:2)`],
    ['--random KEY=LOW:HIGH[:log]', `random search over a numeric key, e.g. ${RANDOM_EXAMPLE} (uniform, or uniform in log; integer keys draw integers); repeatable; needs --trials`],
    ['--trials N', 'random draws (1 to 200), each crossed with every grid point'],
    ['--draw-seed N', 'seed of the random draws (default 1): the same flags draw the same values'],
    ['--algos LIST', 'algorithms, each run at every setting (default: all four)'],
    ['--seeds LIST', 'seeds, each run at every setting (or --repeat N; default the config seed)'],
    ['--browsers N|URLS', `N local headless Chromium instances (1 to ${MAX_LOCAL_BROWSERS}, default 1), or comma-separated ws:// endpoints of browser servers on other machines (npx playwright run-server, or launchServer)`],
    ['--app-url URL', 'the Tandem page every browser opens (default: this project, built and served here by vite preview on 127.0.0.1)'],
    ['--retries N', `re-runs of a trial whose browser died or disconnected, on another browser (0 to ${MAX_RETRIES}, default ${DEFAULT_RETRIES})`],
    ['--out DIR', 'output folder: sweep.json, trials.csv, report.md, accuracy.png (default bench-results/sweep-<UTC timestamp>); given again, a sweep skips the trials it holds'],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const bench = benchUsage()
    .split('\n')
    .filter((line) => /^ {2}--/.test(line) && !/^ {2}--(algos|seeds|sweep|out|baseline|warm-up) /.test(line));
  return [
    'Usage: npm run sweep -- (--grid KEY=VALUES ... | --random KEY=LOW:HIGH --trials N) [flags]',
    '',
    'Runs every trial (setting x algorithm x seed) in headless Chromium through',
    'window.tandem, each browser taking the next trial when it is free; writes',
    'sweep.json and trials.csv after every trial, then report.md with the table',
    'and the accuracy plot.',
    '',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    '',
    'Every config flag of npm run bench (not together with the key it sweeps):',
    ...bench,
    '',
    'Example: npm run sweep -- --grid tauFast=8,16,32 --grid lambda=0.25,1 --random learningRate=0.02:0.2:log --trials 3 --seeds 1,2 --algos biased --browsers 2',
  ].join('\n');
}
