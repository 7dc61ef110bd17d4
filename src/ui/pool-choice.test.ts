import { describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import { POOL_BACKENDS } from './fields';
import { poolFound } from '../backends/capabilities';
import { explicitFromAuto, poolCounts, poolSummary, startedPool } from './pool-choice';

const adapter = { vendor: 'v', architecture: 'a', device: 'd', description: '', isFallbackAdapter: false };

describe('the machine auto reads', () => {
  it('has webgpu when there is an adapter and a core count', () => {
    expect(poolFound({ adapter, hardwareConcurrency: 2 })).toEqual({ webgpu: true, cores: 2 });
    expect(poolFound({ adapter: null, hardwareConcurrency: 6 })).toEqual({ webgpu: false, cores: 6 });
  });
});

describe('startedPool', () => {
  it('is what auto starts once the machine is known, else null', () => {
    expect(startedPool('auto', { webgpu: true, cores: 2 })).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
    ]);
    expect(startedPool('auto', { webgpu: false, cores: 4 })).toEqual([{ backend: 'wasm', count: 4 }]);
    expect(startedPool('auto', null)).toBeNull();
  });

  it('keeps an explicit pool whatever the machine, as a copy', () => {
    const pool = [{ backend: 'cpu' as const, count: 3 }];
    const started = startedPool(pool, { webgpu: true, cores: 8 });
    expect(started).toEqual(pool);
    expect(started).not.toBe(pool);
  });

  it('turns auto into an explicit pool that starts the same workers, or one wasm worker before detection', () => {
    expect(explicitFromAuto({ webgpu: true, cores: 2 })).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
    ]);
    expect(explicitFromAuto(null)).toEqual([{ backend: 'wasm', count: 1 }]);
    // Whatever it gives must be a pool the validator takes.
    expect(validateConfig({ workers: explicitFromAuto(null) }).workers).toEqual([{ backend: 'wasm', count: 1 }]);
  });
});

describe('poolCounts', () => {
  it('adds up each backend in the spinbuttons order', () => {
    const counts = poolCounts([
      { backend: 'wasm', count: 2 },
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 1 },
    ]);
    expect(POOL_BACKENDS).toEqual(['webgpu', 'wasm', 'cpu']);
    expect(counts).toEqual([1, 3, 0]);
  });
});

describe('poolSummary', () => {
  it('says what auto starts on this machine and that parking decides who trains', () => {
    const config = validateConfig({ workers: 'auto', parking: 'auto' });
    expect(poolSummary(config, { webgpu: true, cores: 2 })).toBe('auto: webgpu:1, wasm:2 on this machine; parking decides who trains.');
    expect(poolSummary(config, { webgpu: false, cores: 3 })).toBe('auto: wasm:3 on this machine; parking decides who trains.');
  });

  it('says how auto is built while the machine is being detected', () => {
    expect(poolSummary(validateConfig({ workers: 'auto' }), null)).toBe(
      'auto: one webgpu worker if this browser has an adapter and one wasm worker per logical core (detecting…); parking decides who trains.',
    );
  });

  it('says every worker trains when parking is off', () => {
    expect(poolSummary(validateConfig({ workers: 'auto', parking: 'off' }), { webgpu: true, cores: 1 })).toBe(
      'auto: webgpu:1, wasm:1 on this machine; parking is off, so every worker trains.',
    );
  });

  it('lists an explicit pool in start order, whatever the machine', () => {
    const machine = { webgpu: true, cores: 8 };
    expect(poolSummary(validateConfig({ workers: 'webgpu:1,wasm:2' }), machine)).toBe(
      '3 workers, started in this order: webgpu:1,wasm:2; parking decides who trains.',
    );
    expect(poolSummary(validateConfig({ workers: 'wasm:1' }), machine)).toBe('1 worker, started in this order: wasm:1.');
  });
});
