import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, validateConfig } from '../core/config';
import { ConfigStore } from './config-store';

describe('ConfigStore', () => {
  it('validates updates over the current value and notifies listeners', () => {
    const store = new ConfigStore({ tauFast: 8 });
    const seen: number[] = [];
    store.subscribe((c) => seen.push(c.tauFast));
    store.set({ lambda: 0.5 });
    expect(store.get()).toMatchObject({ tauFast: 8, lambda: 0.5 });
    expect(seen).toEqual([8]);
    store.reset();
    expect(store.get().tauFast).toBe(DEFAULT_CONFIG.tauFast);
  });

  it('keeps the old value when an update is invalid', () => {
    const store = new ConfigStore();
    expect(() => store.set({ lambda: 3 })).toThrow(ConfigError);
    expect(store.get().lambda).toBe(DEFAULT_CONFIG.lambda);
  });

  it('hands out copies', () => {
    const store = new ConfigStore(validateConfig({ workers: 'webgpu:1,wasm:2' }));
    const workers = store.get().workers;
    if (workers === 'auto') throw new Error('expected the explicit pool');
    workers[0]!.count = 5;
    expect(store.get().workers).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
    ]);
  });
});
