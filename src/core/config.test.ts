import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG,
  formatWorkerSpec,
  mechanismsOf,
  parseWorkerSpec,
  resolveWorkers,
  validateConfig,
  workerCount,
} from './config';
import { checkWorkerRules, DECIMAL_SYNTAX, fieldKeyOf, parseDecimal } from './config-checks';
import { IMAGE_MODEL_AFTER_TEXT, isTextDataset, modelForDataset, withModelForDataset } from './config-rules';
import { clip, MAX_ECHO_CHARS, quote } from './errors';

describe('validateConfig', () => {
  it('fills defaults and keeps given values', () => {
    const c = validateConfig({ tauFast: 8, algo: 'sync' });
    expect(c.tauFast).toBe(8);
    expect(c.algo).toBe('sync');
    expect(c.lambda).toBe(DEFAULT_CONFIG.lambda);
    // auto: how many is known once the browser is asked.
    expect(workerCount(c)).toBeNull();
    expect(workerCount(validateConfig({ workers: 'webgpu:1,wasm:2' }))).toBe(3);
  });

  it.each([
    [{ tauFast: 0 }, 'tauFast', 'an integer from 1'],
    [{ tauFast: 2.5 }, 'tauFast', 'integer'],
    [{ lambda: 0 }, 'lambda', '(0, 1]'],
    [{ lambda: 1.5 }, 'lambda', '(0, 1]'],
    [{ algo: 'adam' }, 'algo', 'biased, local, sync, fast-only'],
    [{ targetAccuracy: 2 }, 'targetAccuracy', 'or null'],
    [{ adaptiveBudgets: 'yes' }, 'adaptiveBudgets', 'true or false'],
    [{ workers: 'tpu:1' }, 'workers', 'webgpu, wasm, cpu'],
    [{ workers: 'wasm:9' }, 'workers', 'from 0 to 8'],
    [{ workers: 'wasm:0' }, 'workers', 'between 1 and 8'],
    [{ workers: [{ backend: 'wasm', count: -1 }] }, 'workers[0].count', 'integer from 0 to 8'],
    [{ tauFats: 3 }, 'tauFats', 'a known key'],
    [{ learningRate: Number.NaN }, 'learningRate', '(0, 10]'],
  ])('rejects %j naming %s', (input, key, allowed) => {
    try {
      validateConfig(input);
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const err = e as ConfigError;
      expect(err.key).toBe(key);
      expect(err.message).toContain(key);
      expect(err.message).toContain(allowed);
    }
  });

  it('accepts the flag form of workers and round-trips it', () => {
    const groups = parseWorkerSpec('webgpu:1, wasm:2,cpu');
    expect(groups).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
      { backend: 'cpu', count: 1 },
    ]);
    expect(formatWorkerSpec(groups)).toBe('webgpu:1,wasm:2,cpu:1');
    expect(validateConfig({ workers: 'wasm:2' }).workers).toEqual([{ backend: 'wasm', count: 2 }]);
  });

  it('does not share the base object', () => {
    const base = validateConfig({ workers: 'webgpu:1' });
    const c = validateConfig({}, base);
    if (c.workers === 'auto') throw new Error('expected the explicit pool');
    c.workers[0]!.count = 7;
    expect(base.workers).toEqual([{ backend: 'webgpu', count: 1 }]);
  });

  it('takes auto, the default, and builds it from what the browser has: one webgpu worker with an adapter, a wasm worker per core', () => {
    expect(DEFAULT_CONFIG.workers).toBe('auto');
    expect(validateConfig({ workers: 'auto' }).workers).toBe('auto');
    expect(resolveWorkers('auto', { webgpu: true, cores: 2 })).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
    ]);
    expect(resolveWorkers('auto', { webgpu: false, cores: 8 })).toEqual([{ backend: 'wasm', count: 8 }]);
    expect(resolveWorkers('auto', { webgpu: true, cores: 0 })).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 1 },
    ]);
    expect(resolveWorkers([{ backend: 'cpu', count: 3 }], { webgpu: true, cores: 2 })).toEqual([{ backend: 'cpu', count: 3 }]);
    expect(() => validateConfig({ workers: 'auto2' })).toThrow(/Invalid workers: "auto2". Allowed: auto, or a list/);
  });

  it('throws only ConfigError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...Object.keys(DEFAULT_CONFIG), 'x'), fc.anything()), (input) => {
        try {
          validateConfig(input);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.anything(), (input) => {
        try {
          validateConfig(input);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
    );
  });
});

describe('mechanismsOf', () => {
  it('maps each algorithm to the mechanisms in force', () => {
    const biased = mechanismsOf(validateConfig({}));
    expect(biased).toMatchObject({ unbalancedSteps: true, biasedSampling: true, aggregation: 'steps', synchronous: false });
    expect(mechanismsOf(validateConfig({ algo: 'local' }))).toMatchObject({ unbalancedSteps: false, biasedSampling: false, aggregation: 'uniform' });
    expect(mechanismsOf(validateConfig({ algo: 'sync' })).synchronous).toBe(true);
    expect(mechanismsOf(validateConfig({ algo: 'fast-only' })).fastOnly).toBe(true);
  });

  it('turns each ablation switch off on its own', () => {
    expect(mechanismsOf(validateConfig({ unbalancedSteps: false })).unbalancedSteps).toBe(false);
    expect(mechanismsOf(validateConfig({ biasedSampling: false })).biasedSampling).toBe(false);
    expect(mechanismsOf(validateConfig({ weightedAggregation: false })).aggregation).toBe('uniform');
    expect(mechanismsOf(validateConfig({ lambda: 1 })).biasedSampling).toBe(false);
    expect(mechanismsOf(validateConfig({ aggregation: 'samples' })).aggregation).toBe('samples');
  });
});

describe('echoed input is cut', () => {
  it('keeps short text whole and cuts long text after MAX_ECHO_CHARS, saying how long it was', () => {
    expect(clip('abc')).toBe('abc');
    expect(clip('a'.repeat(MAX_ECHO_CHARS))).toBe('a'.repeat(MAX_ECHO_CHARS));
    expect(clip('a'.repeat(200))).toBe(`${'a'.repeat(80)}… (200 characters)`);
    expect(quote('ab"c')).toBe('"ab\\"c"');
    expect(quote('a'.repeat(200))).toBe(`"${'a'.repeat(80)}"… (200 characters)`);
    // A surrogate pair is not split: the emoji at 80..81 goes whole or not at all.
    expect(clip(`${'a'.repeat(79)}😀${'b'.repeat(50)}`)).toBe(`${'a'.repeat(79)}… (131 characters)`);
  });

  it.each([
    ['a long string', { dataset: 'x'.repeat(5000) }, 'dataset', /^Invalid dataset: "x{80}"… \(5000 characters\)\. Allowed: /],
    ['a long list', { slowdown: Array.from({ length: 500 }, () => ({ worker: 99, factor: 1 })) }, 'slowdown', /^Invalid slowdown: \[\{"worker":99.{60,}… \(\d+ characters\)\. Allowed: /],
    ['a long unknown key', { ['k'.repeat(300)]: 1 }, 'k'.repeat(300), /^Invalid k{80}… \(300 characters\): 1\. Allowed: a known key/],
  ])('in ConfigError: %s', (_what, input, key, message) => {
    try {
      validateConfig(input);
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      // The key stays whole for code; the message cuts what the user gave.
      expect((e as ConfigError).key).toBe(key);
      expect((e as ConfigError).message).toMatch(message);
    }
  });
});

describe('parseDecimal: the one rule for numbers typed as text (URL parameters, flags)', () => {
  it.each([
    ['16', 16], ['-2.5', -2.5], ['+5', 5], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['1E-3', 0.001], [' 7\t', 7],
    ['', null], ['  ', null], ['0x10', null], ['0b1', null], ['0o7', null], ['1_000', null], ['1,5', null],
    ['12abc', null], ['Infinity', null], ['-Infinity', null], ['NaN', null], ['1e999', null], ['e3', null], ['.', null], ['--1', null],
  ])('%j -> %s', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
  });

  it('agrees with Number() on every decimal it accepts', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(parseDecimal(String(n))).toBe(Number(String(n)));
      }),
    );
    expect(DECIMAL_SYNTAX).toMatch(/decimal/);
  });
});

describe('checkWorkerRules: slowdown rules name workers of the pool', () => {
  const rule = (worker: number, text = `${worker}:4`) => ({ worker, text });

  it('refuses a rule past the pool, naming the rule, the worker and the pool size', () => {
    expect(() => checkWorkerRules('slowdown', '5:4', [rule(5)], 3)).toThrow(
      new ConfigError(
        'slowdown',
        '5:4',
        'rules for workers 0 to 2 (the pool has 3 workers, numbered from 0 in the order of workers); rule 5:4 names worker 5',
      ),
    );
    try {
      checkWorkerRules('slowdown', '0:2,1:8@10', [rule(0, '0:2'), rule(1, '1:8@10')], 1);
    } catch (e) {
      expect((e as ConfigError).message).toBe(
        'Invalid slowdown: "0:2,1:8@10". Allowed: rules for workers 0 to 0 (the pool has 1 worker, numbered from 0 in the order of workers); rule 1:8@10 names worker 1.',
      );
    }
    expect.assertions(2);
  });

  it('validateConfig refuses a slowdown rule past an explicit pool, and leaves an auto pool to the engine', () => {
    expect(() => validateConfig({ workers: 'webgpu:1,wasm:2', slowdown: '5:4' })).toThrow(
      'Invalid slowdown: "5:4". Allowed: rules for workers 0 to 2 (the pool has 3 workers, numbered from 0 in the order of workers); rule 5:4 names worker 5.',
    );
    expect(() => validateConfig({ workers: 'webgpu:1,wasm:2', slowdown: '2:4' })).not.toThrow();
    expect(() => validateConfig({ workers: 'auto', slowdown: '5:4' })).not.toThrow();
  });

  it('accepts rules within the pool, and any rule for an auto pool (its size is known in the browser)', () => {
    expect(() => checkWorkerRules('slowdown', '2:4', [rule(0), rule(2)], 3)).not.toThrow();
    expect(() => checkWorkerRules('slowdown', '7:4', [rule(7)], null)).not.toThrow();
    expect(() => checkWorkerRules('slowdown', 'none', [], 1)).not.toThrow();
  });
});

describe('fieldKeyOf', () => {
  it("maps a nested error key to the config key it belongs to", () => {
    expect(fieldKeyOf('workers[1].count')).toBe('workers');
    expect(fieldKeyOf('batchSizeByBackend.wasm')).toBe('batchSizeByBackend');
    expect(fieldKeyOf('tauFast')).toBe('tauFast');
  });
});

describe('modelForDataset', () => {
  it('brings the transformer with a text dataset and takes it away with an image one', () => {
    expect(modelForDataset('moby-dick', 'cnn')).toBe('transformer');
    expect(modelForDataset('text:books/a.txt', 'resnet20')).toBe('transformer');
    expect(modelForDataset('moby-dick', 'transformer')).toBe('transformer');
    expect(modelForDataset('fashion-mnist', 'transformer')).toBe(IMAGE_MODEL_AFTER_TEXT);
    expect(IMAGE_MODEL_AFTER_TEXT).toBe('cnn');
    // An image model stays with another image dataset.
    expect(modelForDataset('mnist', 'mlp')).toBe('mlp');
    expect(modelForDataset('cifar10', 'resnet20')).toBe('resnet20');
  });

  it('keeps every dataset change a valid config', () => {
    let config = validateConfig({});
    for (const dataset of ['moby-dick', 'mnist', 'text:a.txt', 'cifar10', 'fashion-mnist']) {
      config = validateConfig(withModelForDataset({ dataset }, config), config);
      expect(config.dataset).toBe(dataset);
      expect(config.model === 'transformer').toBe(isTextDataset(dataset));
    }
  });

  it('adds the model only when it must change, and never over an explicit one', () => {
    expect(withModelForDataset({ dataset: 'mnist' }, { model: 'mlp' })).toEqual({ dataset: 'mnist' });
    expect(withModelForDataset({ dataset: 'moby-dick' }, { model: 'mlp' })).toEqual({ dataset: 'moby-dick', model: 'transformer' });
    expect(withModelForDataset({ dataset: 'moby-dick', model: 'cnn' }, { model: 'mlp' })).toEqual({ dataset: 'moby-dick', model: 'cnn' });
    expect(withModelForDataset({ tauFast: 4 }, { model: 'transformer' })).toEqual({ tauFast: 4 });
  });
});
