/**
 * The benchmark's command line: flags -> BenchOptions. Every RunConfig key
 * except `algo` has a flag (`tauFast` <-> `--tau-fast`), and the whole config
 * is validated here, per algorithm, so a bad value stops the benchmark before
 * a build or a browser is started.
 */
import { parseArgs } from 'node:util';
import {
  ALGOS,
  ConfigError,
  DEFAULT_CONFIG,
  formatBatchSizes,
  formatWorkerSpec,
  parseWorkerSpec,
  validateConfig,
  type Algo,
  type RunConfig,
} from '../core/config';
import { DECIMAL_SYNTAX } from '../core/config-checks';
import { asError, clip, messageOf, quote } from '../core/errors';
import { BenchArgsError, MAX_SEEDS, benchItems, parseNumber, parseSeedFlags, type BenchItem } from './arg-values';
import { MAX_SWEEP_VALUES, parseSweep, type NumericKey, type Sweep, type SweepValue } from './sweep';

export { BenchArgsError, MAX_SEEDS, benchItems, type BenchItem };

export type ConfigKey = Exclude<keyof RunConfig, 'algo'>;

/**
 * Rounds trained and thrown away before the runs. Workers start cold (no
 * compiled code): the first run on them stepped 15-40% slower than the same
 * config later in the session.
 */
export const DEFAULT_WARM_UP_ROUNDS = 3;
const MAX_WARM_UP_ROUNDS = 1000;

export interface BenchOptions {
  /** Algorithms to run, in this order, one after the other in the same page. */
  algos: Algo[];
  /**
   * Seeds to run every algorithm with (at least one, distinct): --seeds, or
   * --repeat N seeds from --seed, or just the one seed of the config.
   */
  seeds: number[];
  /** Only the keys given as flags; the page fills the rest from DEFAULT_CONFIG. */
  config: Partial<RunConfig>;
  /** --sweep: every algorithm and seed also at each of these values of one key; absent without the flag. */
  sweep?: Sweep;
  /** Path of the JSON result file. */
  out: string;
  headed: boolean;
  /** Preview server port; undefined = any free port. */
  port?: number;
  skipBuild?: boolean;
  /** Timed steps per worker for the bare-tfjs baseline; 0 = skip it. */
  baselineSteps: number;
  /** Rounds of the first run's config trained and thrown away before the runs, so no run starts on cold workers; 0 = none. */
  warmUpRounds: number;
  help: boolean;
}

/**
 * How a flag's text becomes a config value. Only the syntax is checked here;
 * ranges and choices are validateConfig's, so the rules live in one place.
 */
type ValueKind = 'number' | 'number-or-none' | 'boolean' | 'text' | 'workers';

interface ConfigFlag {
  kind: ValueKind;
  help: string;
}

/** Mapped over RunConfig so that a new config key cannot be left without a flag. */
const CONFIG_FLAGS: { [K in ConfigKey]: ConfigFlag } = {
  dataset: { kind: 'text', help: 'fashion-mnist | mnist | moby-dick | cifar10:DIR | idx:DIR (DIR: a local folder with the official file names) | text:FILE (a UTF-8 text file)' },
  model: { kind: 'text', help: 'mlp | cnn | resnet20 (images) | transformer (text)' },
  augmentation: { kind: 'text', help: 'auto (on for CIFAR-10) | on | off: random crop (pad 4) and flip' },
  lrDecayEpochs: { kind: 'text', help: 'epochs at which lr is multiplied by --lr-decay-factor, e.g. 60,80, or none' },
  lrDecayFactor: { kind: 'number', help: 'learning-rate decay factor in (0, 1]' },
  epochs: { kind: 'number-or-none', help: 'stop after this many epochs (floor(N / (B*K*tauFast)) rounds of tauFast fast-worker steps each, counted in steps), or none' },
  slowdown: { kind: 'text', help: 'emulated slow workers worker:factor[@fromRound], e.g. 1:8 or 2:4@10, or none' },
  workers: { kind: 'workers', help: 'worker pool: auto (one webgpu worker with an adapter, a wasm worker per core) or e.g. webgpu:1,wasm:2 (backends: webgpu, wasm, cpu)' },
  tauFast: { kind: 'number', help: 'local steps of the fastest worker per round' },
  lambda: { kind: 'number', help: 'high-loss ratio in (0, 1]; 1 = no bias' },
  biasDirection: { kind: 'text', help: 'which workers get the high-loss samples: slow | fast' },
  resampleEvery: { kind: 'number', help: 'rebuild the shards (and the high-loss selection) every N rounds; 0 = once per pass over the data' },
  biasPool: { kind: 'text', help: 'high-loss candidates: seen (samples with a recorded loss) | all (uniform, unseen first)' },
  aggregation: { kind: 'text', help: 'aggregation weights: steps | samples | uniform' },
  slowWorkers: { kind: 'text', help: 'a worker whose one step outlasts the round: fill (the others step until it is done) | fill-steps (they take the steps estimated to fit) | wait' },
  parking: { kind: 'text', help: 'auto (park workers that slow the pool, measured) | off' },
  poolCheckEvery: { kind: 'number', help: 'with adaptive budgets, re-check parking every N rounds; 0 = on roster changes only' },
  unbalancedSteps: { kind: 'boolean', help: 'biased: tau_i from measured speed' },
  biasedSampling: { kind: 'boolean', help: 'biased: loss-biased sampling' },
  weightedAggregation: { kind: 'boolean', help: 'biased: weighted aggregation' },
  adaptiveBudgets: { kind: 'boolean', help: 're-measure step times every round' },
  batchSize: { kind: 'number', help: 'samples per SGD step' },
  batchSizeByBackend: { kind: 'text', help: 'per-backend batch sizes overriding --batch-size, e.g. webgpu:128,wasm:32, or none' },
  learningRate: { kind: 'number', help: 'SGD learning rate' },
  momentum: { kind: 'number', help: 'SGD momentum in [0, 0.999]' },
  weightDecay: { kind: 'number', help: 'L2 weight decay' },
  lrScaling: { kind: 'text', help: 'learning rate for K averaged workers: none | linear (x K) | sqrt (x sqrt K)' },
  lrWarmupRounds: { kind: 'number', help: 'rounds over which a scaled learning rate ramps up from --learning-rate' },
  targetAccuracy: { kind: 'number-or-none', help: 'stop at this test accuracy in (0, 1], or none' },
  stopAtTarget: { kind: 'boolean', help: 'stop when the target is reached (false: record the time and go on)' },
  maxSeconds: { kind: 'number', help: 'training-clock limit per run, seconds' },
  maxRounds: { kind: 'number-or-none', help: 'round limit per run, or none' },
  evalEvery: { kind: 'number', help: 'evaluate every this many rounds' },
  evalEverySeconds: { kind: 'number', help: 'also evaluate after this many training-clock seconds since the last evaluation (sync: between steps); 0 = off' },
  targetResolution: { kind: 'number', help: 'while the target is pending, evaluate whenever the training clock grew by this fraction (rounds pause at a step for it); 0 = off' },
  targetWindow: { kind: 'number', help: 'targetResolution applies within this much accuracy of the target; further below, evaluations come 3x less often; 1 = always' },
  targetRefine: { kind: 'boolean', help: 'keep round-end models until the next evaluation and bisect a crossing wider than targetResolution among them' },
  maxEvalShare: { kind: 'number', help: 'the most of the time evaluation may take: the next one waits for enough training; 0 = no cap' },
  evalSamples: { kind: 'number', help: 'test samples per evaluation' },
  profileSteps: { kind: 'number', help: 'timed steps per worker when profiling' },
  warmupSteps: { kind: 'number', help: 'untimed warm-up steps per worker' },
  seed: { kind: 'number', help: 'random seed (the first of --repeat N; not with --seeds)' },
  fallback: { kind: 'text', help: 'when a backend cannot start: fallback | refuse' },
  checkpointEvery: { kind: 'number', help: 'checkpoint every this many rounds (0 = only at pause/stop)' },
  contextLength: { kind: 'number', help: 'text datasets: characters per sample window' },
  layers: { kind: 'number', help: 'transformer blocks' },
  dModel: { kind: 'number', help: 'transformer width' },
  heads: { kind: 'number', help: 'transformer attention heads (dividing dModel)' },
  mlpWidth: { kind: 'number', help: 'transformer MLP width' },
  keepSaves: { kind: 'number', help: "checkpoints of a run kept in the browser; a new one deletes the run's oldest beyond this many" },
  divergenceFactor: { kind: 'number', help: 'stop as diverged when the loss exceeds this multiple of the best so far' },
};

const CONFIG_KEYS = Object.keys(CONFIG_FLAGS) as ConfigKey[];

/** The keys whose flag reads a number: what --sweep may list values of (sweep.ts refuses a few more). */
const NUMERIC_KEYS = CONFIG_KEYS.filter((key): key is NumericKey => {
  const kind = CONFIG_FLAGS[key].kind;
  return kind === 'number' || kind === 'number-or-none';
});

/** `tauFast` -> `tau-fast`. */
export function flagName(key: ConfigKey): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const FLAG_TO_KEY = new Map<string, ConfigKey>(CONFIG_KEYS.map((key) => [flagName(key), key]));

const OPTIONS = {
  algos: { type: 'string' },
  seeds: { type: 'string' },
  repeat: { type: 'string' },
  sweep: { type: 'string' },
  out: { type: 'string' },
  port: { type: 'string' },
  headed: { type: 'boolean' },
  'skip-build': { type: 'boolean' },
  baseline: { type: 'string' },
  'warm-up': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(CONFIG_KEYS.map((key) => [flagName(key), { type: 'string' as const }])),
} as const satisfies Record<string, { type: 'string' | 'boolean'; short?: string }>;

export const KNOWN_FLAGS: readonly string[] = Object.keys(OPTIONS).map((name) => `--${name}`);

/** `bench-results/run-2025-01-31T12-00-00Z.json`: sortable and valid on every file system. */
export function defaultOutPath(now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return `bench-results/run-${stamp}.json`;
}

export function parseBenchArgs(argv: string[], now: Date = new Date()): BenchOptions {
  const values = parseFlags(argv);
  const help = values['help'] === true;
  const out = text(values, 'out') ?? defaultOutPath(now);
  if (out.trim() === '') throw new BenchArgsError('--out', out, 'a file path');
  const options: BenchOptions = {
    algos: parseAlgos(text(values, 'algos')),
    seeds: [DEFAULT_CONFIG.seed],
    config: {},
    out,
    headed: values['headed'] === true,
    baselineSteps: 0,
    warmUpRounds: DEFAULT_WARM_UP_ROUNDS,
    help,
  };
  const baseline = text(values, 'baseline');
  if (baseline !== undefined) {
    const n = parseNumber('--baseline', baseline, 'an integer from 0 to 1000 (timed steps per worker; 0 = skip)');
    if (!Number.isInteger(n) || n < 0 || n > 1000) {
      throw new BenchArgsError('--baseline', baseline, 'an integer from 0 to 1000 (timed steps per worker; 0 = skip)');
    }
    options.baselineSteps = n;
  }
  const warmUp = text(values, 'warm-up');
  if (warmUp !== undefined) {
    const allowed = `an integer from 0 to ${MAX_WARM_UP_ROUNDS} (rounds before the runs, not counted; 0 = none)`;
    const n = parseNumber('--warm-up', warmUp, allowed);
    if (!Number.isInteger(n) || n < 0 || n > MAX_WARM_UP_ROUNDS) throw new BenchArgsError('--warm-up', warmUp, allowed);
    options.warmUpRounds = n;
  }
  if (values['skip-build'] === true) options.skipBuild = true;
  const port = text(values, 'port');
  if (port !== undefined) {
    const n = parseNumber('--port', port, 'an integer from 0 to 65535 (0 = any free port)');
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new BenchArgsError('--port', port, 'an integer from 0 to 65535 (0 = any free port)');
    }
    options.port = n;
  }
  // `--help` must work even next to a half-typed command line.
  if (help) return options;

  const raw = new Map<ConfigKey, string>();
  const config: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = text(values, flagName(key));
    if (value === undefined) continue;
    raw.set(key, value);
    config[key] = parseValue(key, value);
  }
  for (const algo of options.algos) {
    try {
      validateConfig({ ...config, algo });
    } catch (error) {
      throw configErrorToFlag(error, raw);
    }
  }
  options.config = config as Partial<RunConfig>;
  options.seeds = parseSeedFlags(text(values, 'seeds'), text(values, 'repeat'), raw.has('seed'), options.config.seed ?? DEFAULT_CONFIG.seed);
  const sweep = text(values, 'sweep');
  if (sweep !== undefined) options.sweep = parseSweepFlag(sweep, config, options.algos, raw);
  return options;
}

/**
 * One value of `key` as its flag reads it, checked by validateConfig over
 * `config` for every algorithm; errors name the key's flag, the value and
 * what is allowed. --sweep and `npm run sweep`'s --grid and --random read
 * their values with it.
 */
export function readFlagValue(key: ConfigKey, item: string, config: Partial<RunConfig>, algos: readonly Algo[]): unknown {
  const parsed = parseValue(key, item);
  for (const algo of algos) {
    try {
      validateConfig({ ...config, [key]: parsed, algo });
    } catch (error) {
      throw configErrorToFlag(error, new Map([[key, item]]));
    }
  }
  return parsed;
}

/** --sweep, each value read by its key's flag parser and checked by validateConfig for every algorithm, as that flag would be. */
function parseSweepFlag(value: string, config: Record<string, unknown>, algos: readonly Algo[], raw: ReadonlyMap<ConfigKey, string>): Sweep {
  return parseSweep(value, {
    keys: NUMERIC_KEYS,
    flagName,
    flagGiven: (key) => raw.has(key),
    // The flag kinds of NUMERIC_KEYS read a number, or null for `none`.
    value: (key, item) => readFlagValue(key, item, config as Partial<RunConfig>, algos) as SweepValue,
  });
}



type Values = Record<string, string | boolean | undefined>;

function text(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** parseArgs, with its errors turned into ones that name the flag. */
function parseFlags(argv: string[]): Values {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
    } catch (error) {
      throw parseError(error, argv);
    }
  })();
  // parseArgs keeps the last of a repeated flag; a benchmark should not guess which one was meant.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && token.name === 'sweep') {
      throw new BenchArgsError(
        '--sweep',
        token.value,
        'one --sweep',
        'Flag --sweep is given more than once: a bench run sweeps one config key. Give one --sweep and run the benchmark again for another key.',
      );
    }
    if (seen.has(token.name)) {
      throw new BenchArgsError(`--${token.name}`, token.value, 'the flag once', `Flag --${token.name} is given more than once; give it once.`);
    }
    seen.add(token.name);
  }
  return parsed.values as Values;
}

function parseError(error: unknown, argv: string[]): Error {
  const code = (error as { code?: unknown } | null)?.code;
  // Node's messages end in a period; ours append a hint after them.
  const message = messageOf(error).replace(/\.\s*$/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // Re-parse leniently to learn exactly which flag was unknown.
    const { tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
    // Own keys only: `--constructor` is not a flag because every object has one.
    const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(OPTIONS, t.name));
    const flag = unknown?.kind === 'option' ? unknown.rawName : '(unknown)';
    return new BenchArgsError(flag, undefined, KNOWN_FLAGS.join(', '), `Unknown flag ${clip(flag)}. Known flags: ${KNOWN_FLAGS.join(', ')}. See --help.`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    // Node's message repeats the argument whole; ours cuts a long one.
    const { tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
    const positional = tokens.find((t) => t.kind === 'positional');
    const text = positional?.kind === 'positional' ? positional.value : '';
    return new BenchArgsError('(argument)', text, 'flags only', `Unexpected argument ${quote(text)}: this command takes flags only. See --help.`);
  }
  // Missing or ambiguous values, or a value given to a switch: node's message already names the flag.
  const flag = /'(--?[\w-]+)/.exec(message)?.[1] ?? '(flags)';
  return new BenchArgsError(flag, undefined, 'see --help', `${message}. See --help.`);
}

function parseValue(key: ConfigKey, value: string): unknown {
  const flag = `--${flagName(key)}`;
  const kind = CONFIG_FLAGS[key].kind;
  switch (kind) {
    case 'number':
      return parseNumber(flag, value, DECIMAL_SYNTAX);
    case 'number-or-none':
      return value.trim() === 'none' ? null : parseNumber(flag, value, `${DECIMAL_SYNTAX}, or none`);
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new BenchArgsError(flag, value, 'true or false');
    case 'text':
      return value;
    case 'workers':
      // auto is resolved in the page, from what the browser there has.
      if (value.trim() === 'auto') return 'auto';
      try {
        return parseWorkerSpec(value, flag);
      } catch (error) {
        if (error instanceof ConfigError) throw new BenchArgsError(flag, value, error.allowed);
        throw error;
      }
    default: {
      const never: never = kind;
      throw new Error(`Unhandled flag kind ${String(never)} for ${flag}`);
    }
  }
}

function parseAlgos(value: string | undefined): Algo[] {
  if (value === undefined) return [...ALGOS];
  const allowed = `a comma-separated list, each once, of ${ALGOS.join(', ')}`;
  const algos: Algo[] = [];
  for (const part of value.split(',')) {
    const name = part.trim();
    if (!(ALGOS as readonly string[]).includes(name) || algos.includes(name as Algo)) {
      throw new BenchArgsError('--algos', value, allowed);
    }
    algos.push(name as Algo);
  }
  return algos;
}

/** validateConfig names config keys (`workers[0].count`); the user typed flags. */
function configErrorToFlag(error: unknown, raw: ReadonlyMap<ConfigKey, string>): Error {
  if (!(error instanceof ConfigError)) return asError(error);
  const root = /^[A-Za-z]+/.exec(error.key)?.[0] ?? error.key;
  const key = FLAG_TO_KEY.get(flagName(root as ConfigKey));
  if (key === undefined) return error;
  let allowed = root === error.key ? error.allowed : `${error.key} to be ${error.allowed}`;
  // The flag spells null as `none`.
  if (CONFIG_FLAGS[key].kind === 'number-or-none') allowed = allowed.replace(/, or null$/, ', or none');
  return new BenchArgsError(`--${flagName(key)}`, raw.get(key), allowed);
}

function defaultText(key: ConfigKey): string {
  const value = DEFAULT_CONFIG[key];
  if (key === 'workers') return formatWorkerSpec(DEFAULT_CONFIG.workers);
  if (key === 'batchSizeByBackend') return formatBatchSizes(DEFAULT_CONFIG.batchSizeByBackend);
  if (Array.isArray(value) && value.length === 0) return 'none';
  return value === null ? 'none' : String(value);
}

export function usage(): string {
  const rows: [string, string][] = [
    ['--algos LIST', `algorithms to run in order (default ${ALGOS.join(',')})`],
    ['--seeds LIST', 'run every algorithm once per seed, e.g. 1,2,3; the tables give the median (min–max) over the seeds (not with --seed or --repeat)'],
    ['--repeat N', `run every algorithm with N seeds: --seed, --seed + 1, ... (default seed ${DEFAULT_CONFIG.seed}; not with --seeds)`],
    [
      '--sweep KEY=LIST',
      `run every algorithm with every seed at each value of one numeric config key, e.g. learningRate=0.025,0.05,0.1,0.2 (2 to ${MAX_SWEEP_VALUES} distinct values; ` +
        "not with the key's own flag); a sweep table marks each algorithm's best value (the fastest median time to target among the values every seed reached it with, " +
        'else the highest median final accuracy), and the tables after it compare each algorithm at its own best value',
    ],
    ...CONFIG_KEYS.map((key): [string, string] => {
      const spec = CONFIG_FLAGS[key];
      const arg = spec.kind === 'boolean' ? 'true|false' : spec.kind === 'workers' ? 'SPEC' : spec.kind === 'text' ? 'NAME' : 'N';
      return [`--${flagName(key)} ${arg}`, `${spec.help} (default ${defaultText(key)})`];
    }),
    ['--out FILE', 'result JSON (default bench-results/run-<UTC timestamp>.json)'],
    ['--port N', 'preview server port (default: any free port)'],
    ['--headed', 'show the browser window'],
    ['--skip-build', 'serve the existing dist/ without building'],
    ['--baseline N', 'first time each worker alone, N steps, against bare tfjs on its backend (0 = skip)'],
    [
      '--warm-up N',
      `before the runs, train N rounds of the first run's config and throw them away, so the first run does not start on cold workers (default ${DEFAULT_WARM_UP_ROUNDS}; 0 = none)`,
    ],
    ['-h, --help', 'print this help'],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    'Usage: npm run bench -- [flags]',
    '',
    'Builds the page, serves it cross-origin isolated, and for each seed runs each',
    'algorithm in headless Chromium through window.tandem; prints a table (median',
    'and min–max over the seeds; "tie" where two algorithms\' ranges overlap) and',
    'writes JSON with every run.',
    '',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`),
    '',
    'Example: npm run bench -- --algos biased,sync --workers webgpu:1,wasm:2 --target-accuracy 0.85 --repeat 3',
  ].join('\n');
}
