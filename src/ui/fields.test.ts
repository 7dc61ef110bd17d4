import { describe, expect, it } from 'vitest';
import { BACKENDS, CONFIG_KEYS, isTextDataset, validateConfig } from '../core/config';
import {
  FIELDS,
  GROUPS,
  IMAGE_MODEL_AFTER_TEXT,
  accessibleName,
  modelForDataset,
  poolAutoName,
  poolFieldName,
  withModelForDataset,
} from './fields';

describe('FIELDS', () => {
  it('has exactly one control per config key', () => {
    expect(FIELDS.map((f) => f.key).sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it('names each control after its key, uniquely', () => {
    const names = [
      ...FIELDS.filter((f) => f.kind !== 'workers').map(accessibleName),
      ...BACKENDS.map(poolFieldName),
      poolAutoName(),
    ];
    expect(new Set(names).size).toBe(names.length);
    for (const f of FIELDS) expect(accessibleName(f)).toContain(`(${f.key})`);
    expect(accessibleName({ label: 'tau_F', key: 'tauFast' })).toBe('tau_F (tauFast)');
    expect(poolAutoName()).toBe('Auto pool (workers)');
  });

  it('puts every field in a known group', () => {
    const groups = new Set(GROUPS.map((g) => g.id));
    for (const f of FIELDS) expect(groups.has(f.group)).toBe(true);
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

  it('marks the transformer settings as text-only, and nothing else', () => {
    expect(FIELDS.filter((f) => f.only === 'text').map((f) => f.key).sort()).toEqual(['contextLength', 'dModel', 'heads', 'layers', 'mlpWidth']);
    expect(FIELDS.find((f) => f.key === 'contextLength')?.group).toBe('data');
    expect(FIELDS.find((f) => f.key === 'dataset')?.suggestions).toContain('moby-dick');
  });
});
