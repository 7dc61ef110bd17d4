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
