import { describe, expect, it } from 'vitest';
import { BenchArgsError } from '../bench/arg-values';
import { defaultSweepOut, parseBrowsers, parseSweepArgs, sweepUsage } from './cli-args';

const NOW = new Date('2026-11-30T21:00:00.123Z');

function refused(argv: string[]): BenchArgsError {
  try {
    parseSweepArgs(argv, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchArgsError);
    return error as BenchArgsError;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('npm run sweep flags', () => {
  it('reads grids, a random range, the benchmark flags and its own', () => {
    const o = parseSweepArgs(
      ['--grid', 'tau-fast=8,16', '--grid=lambda=0.25,1', '--random', 'learningRate=0.02:0.2:log', '--trials', '3', '--algos', 'biased,sync', '--seeds', '1,2', '--max-seconds', '30', '--browsers', '2', '--retries', '1', '--out', 'x/y'],
      NOW,
    );
    expect(o.plan.grid).toEqual([
      { key: 'tauFast', values: [8, 16] },
      { key: 'lambda', values: [0.25, 1] },
    ]);
    expect(o.plan.random).toEqual([{ key: 'learningRate', lo: 0.02, hi: 0.2, scale: 'log', integer: false }]);
    expect(o.trials).toHaveLength(2 * 2 * 3 * 2 * 2);
    expect(o.bench.config).toEqual({ maxSeconds: 30 });
    expect(o.browsers).toEqual({ kind: 'local', count: 2 });
    expect([o.retries, o.out, o.appUrl]).toEqual([1, 'x/y', null]);
  });

  it('defaults: one local browser, 2 retries, a timestamped folder, the same trials from the same flags', () => {
    const o = parseSweepArgs(['--random', 'lambda=0.1:1', '--trials', '4'], NOW);
    expect([o.browsers, o.retries, o.out]).toEqual([{ kind: 'local', count: 1 }, 2, 'bench-results/sweep-2026-11-30T21-00-00Z']);
    expect(defaultSweepOut(NOW)).toBe(o.out);
    expect(parseSweepArgs(['--random', 'lambda=0.1:1', '--trials', '4'], NOW).trials).toEqual(o.trials);
    expect(parseSweepArgs(['--random', 'lambda=0.1:1', '--trials', '4', '--draw-seed', '9'], NOW).trials).not.toEqual(o.trials);
  });

  it('takes browser servers by endpoint and the page by URL', () => {
    expect(parseBrowsers('ws://10.0.0.2:3000/abc, wss://grid.example/playwright')).toEqual({ kind: 'remote', endpoints: ['ws://10.0.0.2:3000/abc', 'wss://grid.example/playwright'] });
    expect(parseSweepArgs(['--grid', 'tauFast=8,16', '--app-url', 'http://10.0.0.1:4173'], NOW).appUrl).toBe('http://10.0.0.1:4173/');
  });

  const cases: [string, string[], string, RegExp][] = [
    ['no axis', [], '--grid', /needs --grid KEY=VALUES or --random/],
    ['one value', ['--grid', 'tauFast=8'], '--grid', /^--grid: tauFast has 1 value/],
    ['a value its flag refuses', ['--grid', 'lambda=0.5,2'], '--grid', /Invalid --grid "lambda=0.5,2": lambda "2" is not allowed\. Allowed: a number in \(0, 1\]/],
    ['a key swept and given', ['--grid', 'tauFast=8,16', '--tau-fast', '4'], '--tau-fast', /swept and also given/],
    ['a random range without trials', ['--random', 'lambda=0.1:0.9'], '--trials', /needs --trials/],
    ['trials without a range', ['--grid', 'tauFast=8,16', '--trials', '3'], '--trials', /random ranges/],
    ['--sweep', ['--sweep', 'learningRate=0.1,0.2'], '--sweep', /takes --grid/],
    ['--baseline', ['--grid', 'tauFast=8,16', '--baseline', '5'], '--baseline', /npm run bench/],
    ['--warm-up', ['--grid', 'tauFast=8,16', '--warm-up', '3'], '--warm-up', /does not warm up/],
    ['zero browsers', ['--grid', 'tauFast=8,16', '--browsers', '0'], '--browsers', /from 1 to 8/],
    ['an http endpoint', ['--grid', 'tauFast=8,16', '--browsers', 'http://h:1/x'], '--browsers', /not a ws:\/\/ or wss:\/\/ endpoint/],
    ['a bad page URL', ['--grid', 'tauFast=8,16', '--app-url', 'localhost:4173'], '--app-url', /http:\/\/ or https:\/\/ URL/],
    ['too many retries', ['--grid', 'tauFast=8,16', '--retries', '11'], '--retries', /from 0 to 10/],
    ['--out twice', ['--grid', 'tauFast=8,16', '--out', 'a', '--out', 'b'], '--out', /more than once/],
    ['a flag without its value', ['--grid'], '--grid', /needs a value/],
    ['an unknown flag', ['--grid', 'tauFast=8,16', '--tauFast', '4'], '--tauFast', /Unknown flag/],
  ];
  it.each(cases)('refuses %s, naming the flag', (_name, argv, flag, message) => {
    const e = refused(argv);
    expect(e.flag).toBe(flag);
    expect(e.message).toMatch(message);
  });

  it('documents every flag of its own and the benchmark’s config flags', () => {
    const text = sweepUsage();
    for (const flag of ['--grid', '--random', '--trials', '--draw-seed', '--browsers', '--app-url', '--retries', '--out', '--learning-rate', '--workers']) expect(text).toContain(flag);
    expect(text).not.toMatch(/^ {2}--sweep /m);
  });
});
