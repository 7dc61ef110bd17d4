import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALGOS, CONFIG_KEYS, validateConfig } from '../core/config';
import { DECIMAL_SYNTAX } from '../core/config-checks';
import { parseUrlConfig } from '../core/config-url';
import { balancedOrder } from './arg-values';
import { BenchArgsError, KNOWN_FLAGS, MAX_SEEDS, benchItems, defaultOutPath, flagName, parseBenchArgs, usage } from './args';
import { failure, NOW, parse } from './args-fixture';


describe('parseBenchArgs', () => {
  it('uses defaults for an empty command line', () => {
    expect(parse()).toEqual({
      algos: [...ALGOS],
      seeds: [1],
      config: {},
      out: 'bench-results/run-2025-03-04T05-06-07Z.json',
      headed: false,
      baselineSteps: 0,
      warmUpRounds: 3,
      help: false,
    });
    expect(defaultOutPath(NOW)).not.toMatch(/:/);
  });

  it('parses --warm-up and rejects a bad one by name', () => {
    expect(parse('--warm-up', '0').warmUpRounds).toBe(0);
    expect(parse('--warm-up', '10').warmUpRounds).toBe(10);
    expect(() => parse('--warm-up', '1.5')).toThrow(/^Invalid --warm-up: "1.5". Allowed: an integer from 0 to 1000/);
    expect(() => parse('--warm-up=-2')).toThrow(/^Invalid --warm-up: "-2". Allowed: an integer from 0 to 1000/);
    expect(() => parse('--warm-up', '1001')).toThrow(/^Invalid --warm-up: "1001"/);
    expect(usage()).toMatch(/--warm-up N\s+before the runs, train N rounds/);
  });

  it('parses --baseline and rejects a bad one by name', () => {
    expect(parse('--baseline', '20').baselineSteps).toBe(20);
    expect(() => parse('--baseline', '2x')).toThrow(/--baseline/);
    expect(() => parse('--baseline', '-1')).toThrow(/--baseline/);
  });

  it('parses the documented example', () => {
    const options = parse(
      '--algos', 'biased,sync,local,fast-only',
      '--workers', 'webgpu:1,wasm:2',
      '--tau-fast', '32',
      '--lambda', '0.25',
      '--target-accuracy', '0.85',
      '--max-seconds', '300',
      '--seed', '1',
      '--out', 'bench-results/run.json',
    );
    expect(options.algos).toEqual(['biased', 'sync', 'local', 'fast-only']);
    expect(options.config).toEqual({
      workers: [
        { backend: 'webgpu', count: 1 },
        { backend: 'wasm', count: 2 },
      ],
      tauFast: 32,
      lambda: 0.25,
      targetAccuracy: 0.85,
      maxSeconds: 300,
      seed: 1,
    });
    expect(options.out).toBe('bench-results/run.json');
  });

  it('has a flag for every config key but algo', () => {
    for (const key of CONFIG_KEYS) {
      if (key === 'algo') continue;
      expect(KNOWN_FLAGS).toContain(`--${flagName(key)}`);
      expect(usage()).toContain(`--${flagName(key)}`);
    }
    expect(KNOWN_FLAGS).not.toContain('--algo');
  });

  it('accepts every kind of config value', () => {
    const { config } = parse(
      '--bias-direction', 'fast',
      '--aggregation=uniform',
      '--unbalanced-steps', 'false',
      '--biased-sampling', 'true',
      '--weighted-aggregation', 'false',
      '--adaptive-budgets', 'false',
      '--batch-size', '64',
      '--learning-rate', '1e-2',
      '--momentum', '0',
      '--weight-decay', '.0005',
      '--max-rounds', '20',
      '--eval-every', '2',
      '--eval-samples', '1000',
      '--profile-steps', '3',
      '--warmup-steps', '0',
      '--fallback', 'refuse',
    );
    expect(config).toEqual({
      biasDirection: 'fast',
      aggregation: 'uniform',
      unbalancedSteps: false,
      biasedSampling: true,
      weightedAggregation: false,
      adaptiveBudgets: false,
      batchSize: 64,
      learningRate: 0.01,
      momentum: 0,
      weightDecay: 0.0005,
      maxRounds: 20,
      evalEvery: 2,
      evalSamples: 1000,
      profileSteps: 3,
      warmupSteps: 0,
      fallback: 'refuse',
    });
  });

  it('maps none to null', () => {
    expect(parse('--target-accuracy', 'none', '--max-rounds', 'none').config).toEqual({
      targetAccuracy: null,
      maxRounds: null,
    });
    expect(failure(['--max-seconds', 'none']).message).toBe(`Invalid --max-seconds: "none". Allowed: ${DECIMAL_SYNTAX}.`);
    expect(failure(['--max-rounds', 'x']).message).toBe(`Invalid --max-rounds: "x". Allowed: ${DECIMAL_SYNTAX}, or none.`);
  });

  it('takes switches and the runner options', () => {
    const options = parse('--headed', '--skip-build', '--port', '4400');
    expect(options).toMatchObject({ headed: true, skipBuild: true, port: 4400 });
    expect(parse('-h').help).toBe(true);
    // Help is printed even when the rest of the line is wrong.
    expect(parse('--help', '--tau-fast', 'x').help).toBe(true);
  });

  it('rejects booleans other than true and false, and values given to switches', () => {
    const error = failure(['--unbalanced-steps', 'yes']);
    expect(error.flag).toBe('--unbalanced-steps');
    expect(error.message).toBe('Invalid --unbalanced-steps: "yes". Allowed: true or false.');
    expect(failure(['--biased-sampling']).message).toContain("'--biased-sampling <value>' argument missing");
    expect(failure(['--headed=yes']).flag).toBe('--headed');
  });

  it('rejects an unknown flag, naming it and listing the known ones', () => {
    const error = failure(['--tau-fast', '8', '--tau-slow', '2']);
    expect(error.flag).toBe('--tau-slow');
    expect(error.message).toMatch(/^Unknown flag --tau-slow\. Known flags: --algos, /);
    expect(error.message).toContain('--tau-fast');
    expect(failure(['--algo', 'sync']).flag).toBe('--algo');
  });

  it.each(['12abc', '', ' ', 'NaN', 'Infinity', '0x10', '1_000', '1,5'])('rejects the malformed number %j', (text) => {
    const error = failure(['--tau-fast', text]);
    expect(error.flag).toBe('--tau-fast');
    expect(error.value).toBe(text);
    expect(error.message).toBe(`Invalid --tau-fast: ${JSON.stringify(text)}. Allowed: ${DECIMAL_SYNTAX}.`);
  });

  it('reports range errors from validateConfig under the flag name', () => {
    expect(failure(['--tau-fast', '0']).message).toBe('Invalid --tau-fast: "0". Allowed: an integer from 1 to 4096.');
    expect(failure(['--batch-size', '2.5']).flag).toBe('--batch-size');
    expect(failure(['--lambda=-1']).message).toBe('Invalid --lambda: "-1". Allowed: a number in (0, 1].');
    expect(failure(['--target-accuracy', '1.5']).message).toBe(
      'Invalid --target-accuracy: "1.5". Allowed: a number in (0, 1], or none.',
    );
    expect(failure(['--aggregation', 'mean']).message).toBe(
      'Invalid --aggregation: "mean". Allowed: one of steps, samples, uniform.',
    );
  });

  it.each([
    ['biased,,sync'],
    ['biased,sgd'],
    [''],
    ['sync,sync'],
    ['Biased'],
  ])('rejects the algo list %j', (list) => {
    const error = failure(['--algos', list]);
    expect(error.flag).toBe('--algos');
    expect(error.message).toBe(
      `Invalid --algos: ${JSON.stringify(list)}. Allowed: a comma-separated list, each once, of biased, local, sync, fast-only.`,
    );
  });

  it('accepts spaces around algo names', () => {
    expect(parse('--algos', 'sync, biased').algos).toEqual(['sync', 'biased']);
  });

  it('takes workers auto (resolved in the page) and per-backend batch sizes', () => {
    const { config } = parse('--workers', 'auto', '--batch-size-by-backend', 'webgpu:128,wasm:32');
    expect(config.workers).toBe('auto');
    // Text flags go to the page as written; the one validator reads them there.
    expect(validateConfig(config).batchSizeByBackend).toEqual({ webgpu: 128, wasm: 32 });
    expect(failure(['--batch-size-by-backend', 'webgpu:0']).message).toBe('Invalid --batch-size-by-backend: "webgpu:0". Allowed: batchSizeByBackend.webgpu to be an integer from 1 to 4096.');
  });

  it.each([
    ['gpu:1', 'auto, or a list like "webgpu:1,wasm:2" with backends webgpu, wasm, cpu'],
    ['webgpu:x', 'auto, or a list like "webgpu:1,wasm:2" with backends webgpu, wasm, cpu'],
    ['webgpu:9', 'workers[0].count to be an integer from 0 to 8'],
    ['webgpu:0,wasm:0', 'between 1 and 8 workers in all'],
  ])('rejects the workers spec %j', (spec, allowed) => {
    const error = failure(['--workers', spec]);
    expect(error.flag).toBe('--workers');
    expect(error.message).toBe(`Invalid --workers: ${JSON.stringify(spec)}. Allowed: ${allowed}.`);
  });

  it('rejects a repeated flag, a positional argument, a bad port and an empty out path', () => {
    expect(failure(['--seed', '1', '--seed', '2']).message).toBe('Flag --seed is given more than once; give it once.');
    expect(failure(['biased']).message).toBe('Unexpected argument "biased": this command takes flags only. See --help.');
    expect(failure(['--port', '70000']).flag).toBe('--port');
    expect(failure(['--port', '80a']).flag).toBe('--port');
    expect(failure(['--out', '']).flag).toBe('--out');
  });

  it('names an unknown flag that every object has', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      const error = failure([`--${name}`, 'x']);
      expect(error.flag).toBe(`--${name}`);
      expect(error.message).toMatch(new RegExp(`^Unknown flag --${name}\\. Known flags: `));
    }
  });

  it('cuts very long values, flags and arguments in its messages', () => {
    const long = 'x'.repeat(500);
    expect(failure(['--tau-fast', long]).message).toBe(`Invalid --tau-fast: "${'x'.repeat(80)}"… (500 characters). Allowed: ${DECIMAL_SYNTAX}.`);
    expect(failure([`--${long}`]).message).toMatch(new RegExp(`^Unknown flag --${'x'.repeat(78)}… \\(502 characters\\)\\. Known flags`));
    expect(failure([long]).message).toBe(`Unexpected argument "${'x'.repeat(80)}"… (500 characters): this command takes flags only. See --help.`);
    // The validator's message, relayed under the flag.
    expect(failure(['--dataset', long]).message).toMatch(/^Invalid --dataset: "x{80}"… \(500 characters\)\. Allowed: /);
    expect(failure(['--seeds', '1,2', '--repeat', long]).message).toMatch(/^--repeat "x{80}"… \(500 characters\) cannot be combined/);
    for (const argv of [['--tau-fast', long], [`--${long}`], [long], ['--dataset', long], ['--slowdown', long]]) {
      expect(failure(argv).message).not.toContain('x'.repeat(81));
    }
  });

  it('validates for every listed algorithm before anything starts', () => {
    // A value that is wrong for all of them fails whatever the list.
    expect(failure(['--algos', 'fast-only', '--eval-samples', '10001']).flag).toBe('--eval-samples');
  });
});

describe('--seeds and --repeat', () => {
  it('run the listed seeds, or N seeds from --seed (default 1)', () => {
    expect(parse('--seeds', '3,1, 2').seeds).toEqual([3, 1, 2]);
    expect(parse('--repeat', '3').seeds).toEqual([1, 2, 3]);
    expect(parse('--repeat', '2', '--seed', '7').seeds).toEqual([7, 8]);
    expect(parse('--seed', '7').seeds).toEqual([7]);
    expect(parse('--seeds=0').seeds).toEqual([0]);
  });

  it('leave the seed of the config to each run', () => {
    expect(parse('--seeds', '1,2').config).toEqual({});
    expect(parse('--repeat', '2', '--seed', '7').config).toEqual({ seed: 7 });
  });

  it.each(['', '1,,2', '1,1', '-1', '1.5', 'x', '4294967296', '0x10', `0-${MAX_SEEDS}`])('reject the seed list %j by name', (list) => {
    // The = form: node's parser reads `--seeds -1` as a missing value.
    const error = failure([`--seeds=${list}`]);
    expect(error.flag).toBe('--seeds');
    expect(error.value).toBe(list);
    expect(error.message).toBe(
      `Invalid --seeds: ${JSON.stringify(list)}. Allowed: a comma-separated list of 1 to ${MAX_SEEDS} distinct integers from 0 to 4294967295, e.g. 1,2,3.`,
    );
  });

  it('reject more seeds than a benchmark needs', () => {
    const many = Array.from({ length: MAX_SEEDS + 1 }, (_, i) => i).join(',');
    expect(failure(['--seeds', many]).flag).toBe('--seeds');
  });

  it.each(['0', '-2', '2.5', 'x', '', String(MAX_SEEDS + 1)])('reject the repeat count %j by name', (n) => {
    const error = failure([`--repeat=${n}`]);
    expect(error.flag).toBe('--repeat');
    expect(error.message).toBe(`Invalid --repeat: ${JSON.stringify(n)}. Allowed: an integer from 1 to ${MAX_SEEDS} (that many seeds from --seed 1 up).`);
  });

  it('reject a repeat that would run past the largest seed', () => {
    expect(failure(['--repeat', '3', '--seed', '4294967294']).message).toBe(
      'Invalid --repeat: "3". Allowed: an integer from 1 to 2 (that many seeds from --seed 4294967294 up).',
    );
  });

  it('refuse --seeds with --repeat or --seed, naming both', () => {
    const both = failure(['--seeds', '1,2', '--repeat', '3']);
    expect(both.flag).toBe('--repeat');
    expect(both.message).toMatch(/^--repeat "3" cannot be combined with --seeds/);
    const seed = failure(['--seed', '4', '--seeds', '1,2']);
    expect(seed.flag).toBe('--seeds');
    expect(seed.message).toMatch(/^--seeds "1,2" cannot be combined with --seed:/);
  });

  it('are documented in --help', () => {
    expect(usage()).toMatch(/--seeds LIST\s+run every algorithm once per seed/);
    expect(usage()).toMatch(/--repeat N\s+run every algorithm with N seeds/);
    expect(KNOWN_FLAGS).toEqual(expect.arrayContaining(['--seeds', '--repeat']));
  });

  it('order the runs seed by seed, every algorithm within a seed, the order changing from seed to seed', () => {
    expect(benchItems(['biased', 'sync'], [1, 2])).toEqual([
      { algo: 'biased', seed: 1 },
      { algo: 'sync', seed: 1 },
      { algo: 'sync', seed: 2 },
      { algo: 'biased', seed: 2 },
    ]);
    expect(benchItems(['biased', 'sync', 'local'], [1, 2, 3]).map((r) => r.algo)).toEqual(
      ['biased', 'sync', 'local', 'sync', 'local', 'biased', 'local', 'biased', 'sync'],
    );
  });

  it('balance the order: over a cycle each item runs first as often, and right after each other item as often', () => {
    for (const n of [2, 3, 4, 5, 6]) {
      const items = Array.from({ length: n }, (_, i) => i);
      const cycle = n % 2 === 0 ? n : 2 * n;
      const rows = Array.from({ length: cycle }, (_, r) => balancedOrder(items, r));
      expect(rows[0]).toEqual(items);
      const firsts = new Map<number, number>();
      const after = new Map<string, number>();
      for (const row of rows) {
        expect([...row].sort((a, b) => a - b)).toEqual(items);
        firsts.set(row[0] ?? -1, (firsts.get(row[0] ?? -1) ?? 0) + 1);
        for (let j = 1; j < n; j++) after.set(`${row[j - 1]}>${row[j]}`, (after.get(`${row[j - 1]}>${row[j]}`) ?? 0) + 1);
      }
      expect(new Set(firsts.values()), `n ${n}`).toEqual(new Set([cycle / n]));
      expect(after.size, `n ${n}`).toBe(n * (n - 1));
      expect(new Set(after.values()), `n ${n}`).toEqual(new Set([cycle / n]));
    }
    expect(balancedOrder([], 3)).toEqual([]);
    expect(balancedOrder(['a'], 3)).toEqual(['a']);
  });
});

describe('parseBenchArgs on arbitrary command lines', () => {
  const flags = ['--algos', '--workers', '--tau-fast', '--lambda', '--target-accuracy', '--max-rounds', '--dataset', '--slowdown', '--lr-decay-epochs', '--baseline', '--nope', '--seed', '--stop-at-target', '--seeds', '--repeat'];
  it('throws only BenchArgsError, naming a flag', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...flags), fc.string({ maxLength: 12 }), fc.constantFrom('1', '-1', '0.5', 'none', 'wasm:2', 'true', 'x1', '1,2', '3,3')), { maxLength: 8 }),
        (argv) => {
          try {
            parseBenchArgs(argv, NOW);
          } catch (e) {
            expect(e).toBeInstanceOf(BenchArgsError);
            expect((e as Error).message).toMatch(/--|flag|argument/i);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * One table for both ways of typing a number: a URL parameter (core/config-url.ts)
 * and a flag (args.ts) go through parseDecimal, so each input is taken as the
 * same number, or refused by both with the same words.
 */
describe('numbers read the same in a URL and as a flag', () => {
  const REFUSED = 'refused';
  it.each([
    ['16', 16],
    ['1e3', 1000],
    ['1E-1', 0.1],
    [' 5 ', 5],
    ['.5', 0.5],
    ['5.', 5],
    ['+5', 5],
    ['', REFUSED],
    [' ', REFUSED],
    ['0x10', REFUSED],
    ['0X1A', REFUSED],
    ['0o7', REFUSED],
    ['0b1', REFUSED],
    ['1_000', REFUSED],
    ['1,5', REFUSED],
    ['12abc', REFUSED],
    ['Infinity', REFUSED],
    ['1e999', REFUSED],
    ['NaN', REFUSED],
    ['five', REFUSED],
  ])('%j: %s', (text, expected) => {
    const url = parseUrlConfig(`maxSeconds=${encodeURIComponent(text)}`);
    let flag: number | BenchArgsError;
    try {
      flag = parseBenchArgs([`--max-seconds=${text}`], NOW).config.maxSeconds as number;
    } catch (error) {
      flag = error as BenchArgsError;
    }
    if (expected === REFUSED) {
      expect(url.errors.map((e) => e.message)).toEqual([`Invalid maxSeconds: ${JSON.stringify(text)}. Allowed: ${DECIMAL_SYNTAX}.`]);
      expect(flag).toBeInstanceOf(BenchArgsError);
      expect((flag as BenchArgsError).message).toBe(`Invalid --max-seconds: ${JSON.stringify(text)}. Allowed: ${DECIMAL_SYNTAX}.`);
    } else {
      expect(url.errors).toEqual([]);
      expect(url.config.maxSeconds).toBe(expected);
      expect(flag).toBe(expected);
    }
  });

  it('and out of range, both refuse with the range', () => {
    expect(parseUrlConfig('maxSeconds=-5').errors[0]?.message).toBe('Invalid maxSeconds: -5. Allowed: a number in (0, 86400].');
    expect(failure(['--max-seconds=-5']).message).toBe('Invalid --max-seconds: "-5". Allowed: a number in (0, 86400].');
  });
});
