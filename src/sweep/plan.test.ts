import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../core/config';
import { SweepPlanError, expandSettings, formatSettings, expandTrials, trialConfig, trialCount, type SweepPlan } from './plan';
import { formatGridAxis, formatRandomAxis, parseGridAxis, parseRandomAxis, parseSeedList, sweepKey, type ValueReader } from './plan-text';

/** Reads a value as a URL parameter would: numbers, `none`, text. */
const read: ValueReader = (key, text) => {
  const value = text === 'none' ? null : Number.isNaN(Number(text)) ? text : Number(text);
  return validateConfig({ [key]: value })[key] as never;
};

function plan(over: Partial<SweepPlan>): SweepPlan {
  return { grid: [], random: [], trials: 0, algos: ['biased'], seeds: [1], drawSeed: 1, ...over };
}

describe('grid expansion', () => {
  it('crosses every value of every key, last key fastest, then algorithms, seed-major', () => {
    const p = plan({
      grid: [
        { key: 'tauFast', values: [8, 16] },
        { key: 'lambda', values: [0.25, 0.5, 1] },
      ],
      algos: ['biased', 'local'],
      seeds: [1, 2],
    });
    const trials = expandTrials(p);
    expect(trials).toHaveLength(2 * 3 * 2 * 2);
    expect(trialCount(p)).toBe(24);
    expect(trials.slice(0, 3).map((t) => t.id)).toEqual([
      'biased seed=1 tauFast=8 lambda=0.25',
      'local seed=1 tauFast=8 lambda=0.25',
      'biased seed=1 tauFast=8 lambda=0.5',
    ]);
    expect(trials.every((t, i) => t.index === i)).toBe(true);
    // Seed 1 first: every setting once before any trial of seed 2.
    expect(trials.slice(0, 12).every((t) => t.seed === 1)).toBe(true);
    expect(new Set(trials.map((t) => t.id)).size).toBe(trials.length);
    // Trials of one setting share its number.
    expect(trials.filter((t) => t.setting === 0).map((t) => `${t.algo}/${t.seed}`)).toEqual(['biased/1', 'local/1', 'biased/2', 'local/2']);
  });

  it('gives a trial its config: the base, its settings, its algorithm and seed', () => {
    const [first] = expandTrials(plan({ grid: [{ key: 'learningRate', values: [0.1, 0.2] }], seeds: [7] }));
    expect(first && trialConfig({ tauFast: 4, learningRate: 0.05 }, first)).toEqual({ tauFast: 4, learningRate: 0.1, algo: 'biased', seed: 7 });
  });
});

describe('random search', () => {
  const random = plan({
    random: [
      { key: 'learningRate', lo: 0.01, hi: 0.2, scale: 'log', integer: false },
      { key: 'tauFast', lo: 4, hi: 64, scale: 'linear', integer: true },
    ],
    trials: 12,
  });

  it('draws the same values from the same plan, inside the ranges, integers where the key takes them', () => {
    const a = expandSettings(random);
    expect(a).toEqual(expandSettings({ ...random }));
    expect(a).toHaveLength(12);
    for (const s of a) {
      expect(s.learningRate).toBeGreaterThanOrEqual(0.01);
      expect(s.learningRate).toBeLessThanOrEqual(0.2);
      expect(Number.isInteger(s.tauFast)).toBe(true);
      expect(s.tauFast).toBeGreaterThanOrEqual(4);
      expect(s.tauFast).toBeLessThanOrEqual(64);
    }
    expect(new Set(a.map((s) => s.learningRate)).size).toBeGreaterThan(6);
    expect(expandSettings({ ...random, drawSeed: 2 })).not.toEqual(a);
  });

  it('keeps earlier draws when trials are added or a grid key is crossed in', () => {
    const more = expandSettings({ ...random, trials: 20 });
    expect(more.slice(0, 12)).toEqual(expandSettings(random));
    const crossed = expandSettings({ ...random, grid: [{ key: 'lambda', values: [0.25, 1] }] });
    expect(crossed).toHaveLength(24);
    expect(crossed.slice(0, 12).map(({ lambda: _l, ...rest }) => rest)).toEqual(expandSettings(random));
  });

  it('log draws spread over the decades', () => {
    const draws = expandSettings({ ...random, trials: 200 }).map((s) => s.learningRate as number);
    const low = draws.filter((v) => v < Math.sqrt(0.01 * 0.2)).length;
    expect(low).toBeGreaterThan(70);
    expect(low).toBeLessThan(130);
  });

  it('numbers random trials by draw, since two draws may land on the same values', () => {
    const ids = expandTrials(random).map((t) => t.id);
    expect(ids[0]).toMatch(/^draw 1: biased seed=1 learningRate=[0-9.]+ tauFast=\d+$/);
    expect(new Set(ids).size).toBe(12);
  });
});

describe('plan checks name the field', () => {
  const cases: [string, Partial<SweepPlan>, string, RegExp][] = [
    ['no key', {}, 'keys', /at least one key/],
    ['one value', { grid: [{ key: 'tauFast', values: [8] }] }, 'tauFast', /2 to 20/],
    ['a repeated value', { grid: [{ key: 'tauFast', values: [8, 8] }] }, 'tauFast', /8 twice/],
    ['a key twice', { grid: [{ key: 'tauFast', values: [8, 16] }], random: [{ key: 'tauFast', lo: 1, hi: 4, scale: 'linear', integer: true }], trials: 2 }, 'tauFast', /twice/],
    ['the seed', { grid: [{ key: 'seed' as never, values: [1, 2] }] }, 'seed', /own axis/],
    ['trials without a range', { grid: [{ key: 'tauFast', values: [8, 16] }], trials: 3 }, 'trials', /random ranges/],
    ['a range without trials', { random: [{ key: 'lambda', lo: 0.1, hi: 1, scale: 'linear', integer: false }] }, 'trials', /1 to 200/],
    ['an empty range', { random: [{ key: 'lambda', lo: 0.5, hi: 0.5, scale: 'linear', integer: false }], trials: 2 }, 'lambda', /below the upper/],
    ['too many trials', { grid: [{ key: 'tauFast', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, { key: 'batchSize', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }], seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], algos: ['biased', 'sync'] }, 'keys', /2200 trials/],
  ];
  it.each(cases)('%s', (_name, over, field, message) => {
    let error: unknown;
    try {
      expandTrials(plan(over));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SweepPlanError);
    expect((error as SweepPlanError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });
});

describe('axis text', () => {
  it('reads a grid by config key or flag name, with ; between values that hold commas', () => {
    expect(parseGridAxis('--grid', 'tau-fast=8,16,32', read)).toEqual({ key: 'tauFast', values: [8, 16, 32] });
    expect(parseGridAxis('--grid', 'targetResolution=0.1, 0.2', read)).toEqual({ key: 'targetResolution', values: [0.1, 0.2] });
    const workers = parseGridAxis('--grid', 'workers=wasm:2;webgpu:1,wasm:2', (key, text) => validateConfig({ [key]: text })[key] as never);
    expect(workers.values).toEqual([[{ backend: 'wasm', count: 2 }], [{ backend: 'webgpu', count: 1 }, { backend: 'wasm', count: 2 }]]);
    expect(formatGridAxis(workers)).toBe('workers=wasm:2;webgpu:1,wasm:2');
    expect(formatSettings({ slowdown: [{ worker: 1, factor: 4, fromRound: 10 }], batchSizeByBackend: { webgpu: 128 }, lrDecayEpochs: [60, 80] })).toBe(
      'slowdown=1:4@10 batchSizeByBackend=webgpu:128 lrDecayEpochs=60,80',
    );
  });

  it('reads a random range, log or linear, integer for integer keys', () => {
    expect(parseRandomAxis('--random', 'learningRate=0.01:0.2:log', read)).toEqual({ key: 'learningRate', lo: 0.01, hi: 0.2, scale: 'log', integer: false });
    expect(parseRandomAxis('--random', 'tau-fast=4:64', read)).toEqual({ key: 'tauFast', lo: 4, hi: 64, scale: 'linear', integer: true });
  });

  it('writes back what it reads', () => {
    for (const text of ['tauFast=8,16,32', 'lambda=0.25,1']) expect(formatGridAxis(parseGridAxis('f', text, read))).toBe(text);
    expect(formatRandomAxis(parseRandomAxis('f', 'learningRate=0.01:0.2:log', read))).toBe('learningRate=0.01:0.2:log');
  });

  const bad: [string, (t: string) => unknown, string, RegExp][] = [
    ['no =', (t) => parseGridAxis('--grid', t, read), 'tauFast', /KEY=VALUES/],
    ['unknown key', (t) => parseGridAxis('--grid', t, read), 'tauFats=1,2', /"tauFats" is not a config key/],
    ['unsweepable key', (t) => parseGridAxis('--grid', t, read), 'seed=1,2', /seed cannot be swept/],
    ['empty value', (t) => parseGridAxis('--grid', t, read), 'tauFast=8,,16', /an empty value/],
    ['range syntax', (t) => parseRandomAxis('--random', t, read), 'lambda=0.1-0.9', /LOW:HIGH/],
    ['reversed range', (t) => parseRandomAxis('--random', t, read), 'lambda=0.9:0.1', /low bound 0.9 must be below the high bound 0.1/],
    ['text in a range', (t) => parseRandomAxis('--random', t, read), 'algo=a:b', /algo cannot be swept/],
    ['a non-number bound', (t) => parseRandomAxis('--random', t, read), 'biasDirection=slow:fast', /"slow" is not a number/],
    ['log at zero', (t) => parseRandomAxis('--random', t, read), 'weightDecay=0:0.1:log', /above 0/],
  ];
  it.each(bad)('refuses %s, naming the flag and the value', (_name, parse, text, message) => {
    expect(() => parse(text)).toThrow(SweepPlanError);
    expect(() => parse(text)).toThrow(message);
    try {
      parse(text);
    } catch (e) {
      expect((e as SweepPlanError).field).toMatch(/^--(grid|random)$/);
    }
  });

  it('passes on the reader’s own error for a value the key does not allow', () => {
    expect(() => parseGridAxis('--grid', 'lambda=0.5,2', read)).toThrow(/lambda/);
  });

  it('reads seeds, each once', () => {
    expect(parseSeedList('seeds', '1, 2,3')).toEqual([1, 2, 3]);
    expect(() => parseSeedList('seeds', '1,1')).toThrow(/each seed once/);
    expect(() => parseSeedList('seeds', '1,x')).toThrow(/integer from 0/);
    expect(sweepKey('k', 'learning-rate')).toBe('learningRate');
    expect(DEFAULT_CONFIG.seed).toBeTypeOf('number');
  });
});
