import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quote } from '../core/errors';
import { CONFIG_KEYS, DEFAULT_CONFIG, type Algo } from '../core/config';
import type { RunResult } from '../protocol';
import { BenchArgsError, parseBenchArgs, usage } from './args';
import { failure, NOW, parse } from './args-fixture';
import { formatTable, type BenchFile } from './report';
import { FIXTURE_ENV, fakeRun } from './run-fixture';
import { MAX_SWEEP_VALUES, bestValue, bestRuns, formatSweep, groupSweep, judgeSweep, sweepItems, withSweepValue, type Sweep, type SweepGroup } from './sweep';
import { BEST_MARK } from './sweep-report';


/** The message for `--sweep text`, checked to name the flag and the text. */
function sweepError(text: string, ...argv: string[]): string {
  const error = failure([...argv, `--sweep=${text}`]);
  expect(error.flag).toBe('--sweep');
  expect(error.value).toBe(text);
  return error.message;
}

describe('--sweep on the command line', () => {
  it('takes a config key or its flag spelling, and values each as the key\'s flag reads them', () => {
    expect(parse('--sweep', 'learningRate=0.025,0.05,0.1,0.2').sweep).toEqual({ key: 'learningRate', values: [0.025, 0.05, 0.1, 0.2] });
    expect(parse('--sweep', ' tau-fast = 8, 32 ').sweep).toEqual({ key: 'tauFast', values: [8, 32] });
    expect(parse('--sweep=maxRounds=none,20').sweep).toEqual({ key: 'maxRounds', values: [null, 20] });
    expect(formatSweep({ key: 'maxRounds', values: [null, 20] })).toBe('maxRounds=none,20');
  });

  it('leaves the config and the options as they were without it', () => {
    expect(parse('--sweep', 'learningRate=0.05,0.1').config).toEqual({});
    expect('sweep' in parse('--learning-rate', '0.1')).toBe(false);
  });

  it('is documented in --help, and --help works next to a bad one', () => {
    expect(usage()).toMatch(/--sweep KEY=LIST\s+run every algorithm with every seed at each value of one numeric config key/);
    expect(parse('--help', '--sweep', 'nope').help).toBe(true);
  });

  it('rejects a text without KEY=, an unknown key and a key that is not numeric, listing the keys it takes', () => {
    for (const text of ['learningRate', 'lr=0.1,0.2', 'model=1,2', 'workers=1,2', 'biasedSampling=0,1', '=0.1,0.2']) {
      const message = sweepError(text);
      expect(message).toMatch(new RegExp(`^Invalid --sweep: ${JSON.stringify(text)}\\. Allowed: KEY=V1,V2,\\.\\.\\. \\(e\\.g\\. learningRate=0\\.025,0\\.05,0\\.1,0\\.2\\) with KEY one of `));
    }
  });

  it('takes exactly the numeric keys, but the seed and the target', () => {
    const allowed = failure(['--sweep', 'nope=1,2']).allowed;
    const keys = (/with KEY one of (.*)$/.exec(allowed)?.[1] ?? '').split(', ');
    const numeric = CONFIG_KEYS.filter((key) => typeof DEFAULT_CONFIG[key] === 'number' || DEFAULT_CONFIG[key] === null);
    expect([...keys].sort()).toEqual(numeric.filter((key) => key !== 'seed' && key !== 'targetAccuracy').sort());
    expect(keys).toEqual(expect.arrayContaining(['learningRate', 'momentum', 'weightDecay', 'lambda', 'tauFast', 'batchSize', 'maxRounds', 'epochs']));
  });

  it('says why the seed and the target cannot be swept', () => {
    expect(sweepError('seed=1,2')).toMatch(/^Invalid --sweep: "seed=1,2": seed cannot be swept: .*--seeds or --repeat/);
    expect(sweepError('target-accuracy=0.8,0.9')).toMatch(/targetAccuracy cannot be swept: .*always pick the lowest/);
  });

  it.each([
    ['learningRate=0.1,abc', '"abc" is not a valid learningRate. Allowed: a decimal number.'],
    ['learningRate=0.1,,0.2', '"" is not a valid learningRate. Allowed: a decimal number.'],
    ['learningRate=none,0.1', '"none" is not a valid learningRate. Allowed: a decimal number.'],
    ['learningRate=0.05,20', '"20" is not a valid learningRate. Allowed: a number in (0, 10].'],
    ['learningRate=0x10,0.1', '"0x10" is not a valid learningRate. Allowed: a decimal number.'],
    ['tau-fast=8,2.5', '"2.5" is not a valid tauFast. Allowed: an integer from 1 to 4096.'],
    ['maxRounds=none,0', '"0" is not a valid maxRounds. Allowed: an integer from 1 to 1000000, or none.'],
  ])('checks each value of %j as the config flag does', (text, why) => {
    expect(sweepError(text)).toBe(`Invalid --sweep: ${JSON.stringify(text)}: ${why}`);
  });

  it('wants 2 to MAX_SWEEP_VALUES distinct values', () => {
    const allowed = `Allowed: learningRate=V1,V2,... with 2 to ${MAX_SWEEP_VALUES} distinct values.`;
    expect(sweepError('learningRate=0.1')).toBe(`Invalid --sweep: "learningRate=0.1". ${allowed}`);
    expect(sweepError('learningRate=')).toMatch(/"" is not a valid learningRate/);
    expect(sweepError('learningRate=0.1,0.2,0.10')).toBe(`Invalid --sweep: "learningRate=0.1,0.2,0.10": learningRate 0.1 is listed twice. ${allowed}`);
    const many = Array.from({ length: MAX_SWEEP_VALUES + 1 }, (_, i) => (i + 1) / 100).join(',');
    expect(sweepError(`learningRate=${many}`)).toBe(`Invalid --sweep: ${quote(`learningRate=${many}`)}. ${allowed}`);
    const most = Array.from({ length: MAX_SWEEP_VALUES }, (_, i) => (i + 1) / 100).join(',');
    expect(parse('--sweep', `learningRate=${most}`).sweep?.values).toHaveLength(MAX_SWEEP_VALUES);
  });

  it('takes one --sweep per run', () => {
    const error = failure(['--sweep', 'learningRate=0.05,0.1', '--sweep', 'momentum=0,0.9']);
    expect(error.flag).toBe('--sweep');
    expect(error.message).toBe(
      'Flag --sweep is given more than once: a bench run sweeps one config key. Give one --sweep and run the benchmark again for another key.',
    );
  });

  it('refuses the swept key given as its own flag too, naming both', () => {
    expect(sweepError('learningRate=0.05,0.2', '--learning-rate', '0.1')).toBe(
      '--sweep "learningRate=0.05,0.2" cannot be combined with --learning-rate: the sweep sets learningRate in every run. Give one of them.',
    );
    expect(sweepError('learning-rate=0.05,0.2', '--learning-rate', '0.1')).toMatch(/cannot be combined with --learning-rate/);
    // Another key's flag is fine.
    expect(parse('--momentum', '0.5', '--sweep', 'learningRate=0.05,0.2').config).toEqual({ momentum: 0.5 });
  });

  it('throws only BenchArgsError naming --sweep, whatever the text', () => {
    const parts = fc.constantFrom('learningRate', 'learning-rate', 'seed', 'model', 'maxRounds', '=', ',', '0.1', 'none', '-1', '1e3', ' ', 'x');
    fc.assert(
      fc.property(fc.array(fc.oneof(parts, fc.string({ maxLength: 4 })), { maxLength: 8 }), (pieces) => {
        const text = pieces.join('');
        try {
          parseBenchArgs([`--sweep=${text}`], NOW);
        } catch (e) {
          expect(e).toBeInstanceOf(BenchArgsError);
          expect((e as BenchArgsError).flag).toBe('--sweep');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('sweep runs', () => {
  it('go seed by seed, value by value, every algorithm at a value back to back, their order changing at each', () => {
    expect(sweepItems(['biased', 'sync'], [1, 2], [0.05, 0.1])).toEqual([
      { algo: 'biased', seed: 1, value: 0.05 },
      { algo: 'sync', seed: 1, value: 0.05 },
      { algo: 'sync', seed: 1, value: 0.1 },
      { algo: 'biased', seed: 1, value: 0.1 },
      { algo: 'biased', seed: 2, value: 0.05 },
      { algo: 'sync', seed: 2, value: 0.05 },
      { algo: 'sync', seed: 2, value: 0.1 },
      { algo: 'biased', seed: 2, value: 0.1 },
    ]);
  });

  it('set the swept key in each run\'s config and nothing else', () => {
    const base = { momentum: 0.5, algo: 'sync' as const, seed: 3 };
    expect(withSweepValue(base, 'learningRate', 0.2)).toEqual({ momentum: 0.5, algo: 'sync', seed: 3, learningRate: 0.2 });
    expect(withSweepValue({}, 'maxRounds', null)).toEqual({ maxRounds: null });
    expect(base).toEqual({ momentum: 0.5, algo: 'sync', seed: 3 });
  });
});

const SWEEP: Sweep = { key: 'learningRate', values: [0.05, 0.1, 0.2] };

/** A run of `algo` at learning rate `lr`. */
function at(lr: number, algo: Algo, time: number | null, extra: Partial<RunResult> = {}, seed = 1): RunResult {
  const run = fakeRun(algo, time, extra, seed);
  return { ...run, config: { ...run.config, learningRate: lr } };
}

/** A cell of `value` with one run per entry, [time to target, final accuracy], and `failed` seeds without a result. */
function cell(value: number, runs: [number | null, number | null][], failed = 0): SweepGroup<Pick<RunResult, 'timeToTargetMs' | 'finalAccuracy'>> {
  const [first, ...rest] = runs.map(([timeToTargetMs, finalAccuracy]) => ({ timeToTargetMs, finalAccuracy }));
  if (!first) throw new Error('a cell needs a run');
  return { value, runs: [first, ...rest], failed };
}

describe('groupSweep', () => {
  it('groups by algorithm and by the value each run\'s config recorded, values in the sweep\'s order', () => {
    const runs = [at(0.2, 'sync', 1), at(0.3, 'biased', 5), at(0.2, 'biased', 3), at(0.05, 'biased', 2), at(0.05, 'biased', 4, {}, 2)];
    const groups = groupSweep(runs, SWEEP);
    expect(groups.map(([algo, cells]) => [algo, cells.map((c) => [c.value, c.runs.map((r) => r.timeToTargetMs)])])).toEqual([
      ['sync', [[0.2, [1]]]],
      // 0.3 is not in the list (a hand-edited file): kept, after the listed values.
      ['biased', [[0.05, [2, 4]], [0.2, [3]], [0.3, [5]]]],
    ]);
  });

  it('counts, per cell, the seeds that failed without a result there', () => {
    const runs = [at(0.05, 'biased', 2000, {}, 1), at(0.05, 'biased', 2100, {}, 2), at(0.1, 'biased', 1000, {}, 1)];
    const failures = [
      // Seed 3 at 0.05 left no result: counted once, however many failures it had.
      { algo: 'biased' as const, seed: 3, sweepValue: 0.05, message: 'run rejected' },
      { algo: 'biased' as const, seed: 3, sweepValue: 0.05, message: 'page error' },
      // Seed 2 at 0.05 has a result (stopped early): its result speaks for it.
      { algo: 'biased' as const, seed: 2, sweepValue: 0.05, message: 'interrupted; stopped early' },
      // Another algorithm, another value, no run at all.
      { algo: 'sync' as const, seed: 5, sweepValue: 0.05, message: 'x' },
      { algo: 'biased' as const, seed: 4, sweepValue: 0.2, message: 'x' },
      { algo: null, seed: null, message: 'page load' },
    ];
    const [biased] = groupSweep(runs, SWEEP, failures);
    expect(biased?.[1].map((c) => [c.value, c.failed])).toEqual([
      [0.05, 1],
      [0.1, 0],
    ]);
  });
});

describe('bestValue', () => {
  it('picks the smallest median training-clock time among the values every seed reached the target with', () => {
    const best = bestValue(
      [
        cell(0.05, [[5000, 0.86], [6000, 0.86], [7000, 0.86]]),
        cell(0.1, [[3000, 0.85], [4000, 0.85], [9000, 0.85]]),
        // Faster, but one seed missed: not eligible.
        cell(0.2, [[1000, 0.9], [1000, 0.9], [null, 0.7]]),
      ],
    );
    expect(best).toEqual({ value: 0.1, rule: 'time' });
  });

  it('counts a seed whose run failed without a result as not reaching the target', () => {
    const slow = cell(0.05, [[5000, 0.86], [6000, 0.86], [7000, 0.86]]);
    expect(bestValue([slow, cell(0.1, [[1000, 0.9], [1100, 0.9]], 1)])).toEqual({ value: 0.05, rule: 'time' });
    expect(bestValue([slow, cell(0.1, [[1000, 0.9], [1100, 0.9]])])).toEqual({ value: 0.1, rule: 'time' });
  });

  it('falls back to the highest median final accuracy when no value reached the target in every seed', () => {
    const best = bestValue(
      [
        cell(0.05, [[null, 0.80], [null, 0.81], [null, 0.82]]),
        cell(0.1, [[2000, 0.84], [null, 0.83], [null, 0.70]]),
        cell(0.2, [[null, 0.79], [null, 0.90], [null, 0.60]]),
      ],
    );
    expect(best).toEqual({ value: 0.1, rule: 'accuracy' });
  });

  it('breaks a tie in time by the higher final accuracy, then by the value listed first', () => {
    const byAccuracy = bestValue([cell(0.05, [[4000, 0.85]]), cell(0.1, [[4000, 0.87]]), cell(0.2, [[4000, 0.86]])]);
    expect(byAccuracy).toEqual({ value: 0.1, rule: 'time' });
    expect(bestValue([cell(0.2, [[4000, 0.85]]), cell(0.1, [[4000, 0.85]])])).toEqual({ value: 0.2, rule: 'time' });
    expect(bestValue([cell(0.1, [[4000, null]]), cell(0.2, [[4000, 0.85]])])).toEqual({ value: 0.2, rule: 'time' });
  });

  it('breaks a tie in accuracy by the value listed first', () => {
    expect(bestValue([cell(0.2, [[null, 0.8]]), cell(0.05, [[null, 0.8]]), cell(0.1, [[null, 0.7]])])).toEqual({ value: 0.2, rule: 'accuracy' });
  });

  it('chooses nothing when no run has a time or an accuracy', () => {
    expect(bestValue([cell(0.05, [[null, null]]), cell(0.1, [[null, null]])])).toBeNull();
    expect(bestValue([])).toBeNull();
  });

  it('judges every algorithm on its own and keeps only the runs at each one\'s best value', () => {
    const runs = [at(0.05, 'biased', 3000), at(0.1, 'biased', 2000), at(0.05, 'sync', 5000), at(0.1, 'sync', 9000)];
    const judged = judgeSweep(runs, SWEEP);
    expect(judged.map((j) => [j.algo, j.best])).toEqual([
      ['biased', { value: 0.1, rule: 'time' }],
      ['sync', { value: 0.05, rule: 'time' }],
    ]);
    expect(bestRuns(judged)).toEqual([runs[1], runs[2]]);
  });
});

function sweepFile(runs: RunResult[], seeds: number[], failures: BenchFile['failures'] = []): BenchFile {
  const { algo: _algo, ...rest } = { ...DEFAULT_CONFIG, targetAccuracy: 0.85, learningRate: 0.05 };
  return {
    startedAt: '2025-03-04T05:06:07.890Z',
    config: { ...rest, algos: [...new Set(runs.map((r) => r.algo))], seeds, sweep: SWEEP },
    environment: FIXTURE_ENV,
    runs,
    failures,
  };
}

/** The rows of the table in `part` (found by a line it contains), split into cells. */
function tableRows(text: string, header: RegExp): string[][] {
  const part = text.split('\n\n').find((p) => p.split('\n').some((l) => header.test(l))) ?? '';
  const lines = part.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  return lines.slice(start + 2).filter((l) => /^(biased|sync|local|fast-only) /.test(l)).map((l) => l.split(/\s{2,}/));
}

describe('the report of a sweep', () => {
  const seeds = [1, 2, 3];
  const times = (lr: number, algo: Algo, ts: (number | null)[], accuracy = 0.86) =>
    ts.map((t, i) => at(lr, algo, t, { finalAccuracy: accuracy }, seeds[i]));
  const runs = [
    ...times(0.05, 'biased', [6000, 6500, 7000]),
    ...times(0.1, 'biased', [2000, 2100, 2200]),
    // The fastest value, but one seed missed the target.
    ...times(0.2, 'biased', [1000, null, 1200]),
    // sync reaches the target in no value in every seed: judged by its final accuracy.
    ...times(0.05, 'sync', [9000, null, null], 0.84),
    ...times(0.1, 'sync', [null, null, null], 0.83),
    ...times(0.2, 'sync', [null, null, null], 0.8),
  ];
  const text = formatTable(sweepFile(runs, seeds, [{ algo: 'sync', seed: 2, sweepValue: 0.2, message: 'page error: boom' }]));

  it('prints the sweep table first, a row per algorithm and value with the main table\'s cells, the best marked', () => {
    expect(text.indexOf('Sweep of learningRate: 0.05, 0.1, 0.2')).toBeGreaterThan(-1);
    expect(text.indexOf('Sweep of learningRate')).toBeLessThan(text.indexOf('Each algorithm at its best learningRate'));
    const rows = tableRows(text, /^algo\s+learningRate\s+runs\s+time to target \(train\)/);
    // algo, value, runs, train, wall, final accuracy, best
    expect(rows).toEqual([
      ['biased', '0.05', '3', '6.5 s (6.0–7.0)', '7.5 s (7.0–8.0)', '86.00%'],
      ['biased', '0.1', '3', '2.1 s (2.0–2.2)', '3.1 s (3.0–3.2)', '86.00%', BEST_MARK],
      ['biased', '0.2', '3', '1.2 s (1.0–not reached; 2/3 reached)', '2.2 s (2.0–not reached; 2/3 reached)', '86.00%'],
      ['sync', '0.05', '3', 'not reached (9.0–not reached; 1/3 reached)', 'not reached (10.0–not reached; 1/3 reached)', '84.00%', BEST_MARK],
      ['sync', '0.1', '3', 'not reached (0/3)', 'not reached (0/3)', '83.00%'],
      ['sync', '0.2', '3', 'not reached (0/3)', 'not reached (0/3)', '80.00%'],
    ]);
  });

  it('says which rule chose each best value', () => {
    expect(text).toContain('* best learningRate per algorithm: the smallest median time to target on the training clock among the values with which every seed reached the target (a failed run did not); when no value did, the highest median final accuracy.');
    expect(text).toContain('Chosen by: biased 0.1 (time to target), sync 0.05 (final accuracy: no value reached the target in every seed).');
  });

  it('compares the algorithms in the main tables and speed-ups at their own best values only', () => {
    expect(text).toContain('Each algorithm at its best learningRate: biased 0.1, sync 0.05. The tables and speed-ups below use only these runs.');
    const main = tableRows(text, /^algo\s+runs\s+time to target \(train\)/);
    expect(main.map((r) => r.slice(0, 5))).toEqual([
      ['biased', '3', '2.1 s (2.0–2.2)', '3.1 s (3.0–3.2)', '86.00%'],
      ['sync', '3', 'not reached (9.0–not reached; 1/3 reached)', 'not reached (10.0–not reached; 1/3 reached)', '84.00%'],
    ]);
    expect(text).toContain('  biased: not compared: the target was reached in 3/3 vs 1/3 runs');
  });

  it('counts a seed that failed without a result against its value, and says so in the runs cell', () => {
    const lost = [...times(0.05, 'biased', [3000, 3100, 3200]), ...times(0.1, 'biased', [1000, 1100])];
    const out = formatTable(sweepFile(lost, seeds, [{ algo: 'biased', seed: 3, sweepValue: 0.1, message: 'run rejected: boom' }]));
    const rows = tableRows(out, /^algo\s+learningRate\s+runs/);
    expect(rows.map((r) => [r[1], r[2], r.at(-1)])).toEqual([
      ['0.05', '3', BEST_MARK],
      ['0.1', '2 (+1 failed)', '86.00%'],
    ]);
  });

  it('names the swept value of a failure', () => {
    expect(text).toContain('Failures:\n  sync learningRate 0.2 seed 2: page error: boom');
  });

  it('gives speed-ups between best values, not between the same value', () => {
    const both = [...times(0.05, 'biased', [3000, 3100, 3200]), ...times(0.1, 'biased', [1000, 1100, 1200]), ...times(0.05, 'sync', [5000, 5500, 6000]), ...times(0.1, 'sync', [8000, 8800, 9000])];
    const out = formatTable(sweepFile(both, seeds));
    // biased at 0.1 (1.1 s) against sync at 0.05 (5.5 s); at one shared value it would be 2.8x or 8.0x.
    expect(out).toContain('  biased: training clock 5.00x; wall clock');
  });

  it('leaves out an algorithm with no run to judge, and says so', () => {
    const blind = [at(0.05, 'biased', 2000), at(0.1, 'biased', 3000), at(0.05, 'local', null, { finalAccuracy: null }), at(0.1, 'local', null, { finalAccuracy: null })];
    const out = formatTable(sweepFile(blind, [1]));
    expect(out).toContain('Chosen by: biased 0.05 (time to target), local none (no run to judge).');
    expect(out).toContain('Each algorithm at its best learningRate: biased 0.05. The tables and speed-ups below use only these runs. Left out, with no run to judge: local.');
    expect(tableRows(out, /^algo\s+learningRate\s+time to target/).filter((r) => r.at(-1) === BEST_MARK)).toEqual([['biased', '0.05', '2.0 s', '3.0 s', '86.12%', BEST_MARK]]);
    expect(tableRows(out, /^algo\s+time to target \(train\)/).map((r) => r[0])).toEqual(['biased']);
  });
});
