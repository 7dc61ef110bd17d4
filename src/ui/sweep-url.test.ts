import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, validateConfig } from '../core/config';
import { parseUrlConfig, urlErrorText } from '../core/config-url';
import type { SweepPlan } from '../sweep/plan';
import { readFields } from './sweep-form';
import { SWEEP_PARAMS, parseSweepUrl, sweepQuery } from './sweep-url';

const base = validateConfig({ seed: 5 });

/** The plan a query string's sweep gives, through the panel's fields. */
function planOf(search: string): SweepPlan {
  const { fields, errors } = parseSweepUrl(search, base);
  expect(errors.map((e) => e.message)).toEqual([]);
  if (!fields) throw new Error(`no sweep in ${search}`);
  return readFields(fields, base);
}

describe('sweep URL parameters', () => {
  it('writes a plan readably and reads it back', () => {
    const plan: SweepPlan = {
      grid: [
        { key: 'tauFast', values: [8, 16, 32] },
        { key: 'workers', values: [[{ backend: 'wasm', count: 1 }], [{ backend: 'webgpu', count: 1 }, { backend: 'wasm', count: 2 }]] },
      ],
      random: [{ key: 'learningRate', lo: 0.01, hi: 0.2, scale: 'log', integer: false }],
      trials: 6,
      algos: ['biased', 'sync'],
      seeds: [1, 2],
      drawSeed: 3,
    };
    const query = sweepQuery(plan);
    expect(query).toBe(
      'sweepGrid=tauFast=8,16,32&sweepGrid=workers=wasm:1;webgpu:1,wasm:2&sweepRandom=learningRate=0.01:0.2:log' +
        '&sweepTrials=6&sweepDrawSeed=3&sweepSeeds=1,2&sweepAlgos=biased,sync',
    );
    expect(planOf(`?algo=sync&${query}`)).toEqual(plan);
    expect(sweepQuery(null)).toBe('');
  });

  it('round-trips any grid of tauFast and lambda values, seeds and algorithms', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 4096 }), { minLength: 2, maxLength: 5 }),
        fc.uniqueArray(fc.double({ min: 0.001, max: 1, noNaN: true }).map((x) => Number(x.toPrecision(4))), { minLength: 2, maxLength: 4 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 3 }),
        fc.subarray(['biased', 'local', 'sync', 'fast-only'] as const, { minLength: 1 }),
        (taus, lambdas, seeds, algos) => {
          const plan: SweepPlan = {
            grid: [
              { key: 'tauFast', values: taus },
              { key: 'lambda', values: lambdas },
            ],
            random: [],
            trials: 0,
            algos: [...algos],
            seeds,
            drawSeed: 1,
          };
          expect(planOf(`?${sweepQuery(plan)}`)).toEqual(plan);
        },
      ),
    );
  });

  it('takes keys joined by | as well as repeated parameters, and defaults to the config’s seed and algorithm', () => {
    const plan = planOf('?algo=local&sweepGrid=tauFast=8,16|lambda=0.1,0.5');
    expect(plan.grid.map((a) => a.key)).toEqual(['tauFast', 'lambda']);
    expect(plan.seeds).toEqual([5]);
    expect(plan.algos).toEqual(['biased']);
    expect(parseSweepUrl('?tauFast=8', base)).toEqual({ fields: null, errors: [] });
  });

  it('reports each refused parameter by name, value and what is allowed, and keeps the rest', () => {
    const { fields, errors } = parseSweepUrl(
      '?sweepGrid=tauFast=0,8&sweepGrid=lambda=0.1,0.5&sweepGrid=bogus=1,2&sweepSeeds=1,x&sweepAlgos=biased,fast' +
        '&sweepTrials=4&sweepGrid=batchSize=16,32&sweepGrid=lambda=0.2,0.3&sweepGrid=epochs=1&sweepGrid=momentum=0,0.9&sweepGrid=weightDecay=0,0.001',
      base,
    );
    expect(errors.every((e) => e instanceof ConfigError)).toBe(true);
    expect(errors.map((e) => [e.key, e.value, e.message])).toEqual([
      ['sweepGrid', 'tauFast=0,8', 'Invalid tauFast: 0. Allowed: an integer from 1 to 4096. Left out of the sweep.'],
      ['sweepGrid', 'bogus=1,2', expect.stringMatching(/^"bogus" is not a config key\. Keys: .* Left out of the sweep\.$/)],
      ['sweepSeeds', '1,x', expect.stringMatching(/^"1,x": each seed must be an integer from 0 to 4294967295/)],
      ['sweepAlgos', 'biased,fast', '"fast" is no algorithm. Allowed: one or more of biased, local, sync, fast-only, comma-separated. Left out of the sweep.'],
      ['sweepGrid', 'lambda=0.2,0.3', 'lambda is swept twice; the first is used. Left out of the sweep.'],
      ['sweepGrid', 'epochs=1', 'epochs has 1 value(s); a grid key takes 2 to 20. Left out of the sweep.'],
      ['sweepGrid', 'weightDecay=0,0.001', 'The page\'s sweep varies at most 3 keys. Left out of the sweep.'],
      ['sweepTrials', '4', 'Ignored: sweepTrials=4; it is for random ranges (sweepRandom), and the sweep has none.'],
    ]);
    // The accepted keys reach the panel as typed.
    expect(fields?.axes.map((a) => [a.key, a.values])).toEqual([
      ['lambda', '0.1,0.5'],
      ['batchSize', '16,32'],
      ['momentum', '0,0.9'],
    ]);
    // The page lists them as it lists refused config parameters: the message as it is.
    expect(urlErrorText(errors[0] as ConfigError)).toBe(errors[0]?.message);
  });

  it('ignores a repeated single parameter after the first, as config parameters are', () => {
    const { fields, errors } = parseSweepUrl('?sweepGrid=tauFast=8,16&sweepSeeds=1,2&sweepSeeds=3', base);
    expect(fields?.seeds).toBe('1,2');
    expect(errors.map((e) => e.message)).toEqual(['Ignored: sweepSeeds=3; sweepSeeds is given more than once and the first value is used.']);
  });

  it('is not an unknown setting to the config’s own parameters', () => {
    const search = '?tauFast=16&sweepGrid=lambda=0.1,0.5&sweepSeeds=1,2&sweepAlgos=biased&sweepTrials=3&sweepRandom=x&sweepDrawSeed=1&bogus=1';
    const { config, errors } = parseUrlConfig(search, DEFAULT_CONFIG, SWEEP_PARAMS);
    expect(config.tauFast).toBe(16);
    expect(errors.map((e) => e.key)).toEqual(['bogus']);
    // Without the list they would be.
    expect(parseUrlConfig(search).errors.map((e) => e.key)).toContain('sweepGrid');
  });
});
