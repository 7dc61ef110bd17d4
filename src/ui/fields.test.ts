import { describe, expect, it } from 'vitest';
import { BACKENDS, CONFIG_KEYS } from '../core/config';
import {
  FIELDS,
  GROUPS,
  accessibleName,
  poolAutoName,
  poolFieldName,
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

describe('text-only fields', () => {
  it('marks the transformer settings as text-only, and nothing else', () => {
    expect(FIELDS.filter((f) => f.only === 'text').map((f) => f.key).sort()).toEqual(['contextLength', 'dModel', 'heads', 'layers', 'mlpWidth']);
    expect(FIELDS.find((f) => f.key === 'contextLength')?.group).toBe('data');
    expect(FIELDS.find((f) => f.key === 'dataset')?.suggestions).toContain('moby-dick');
  });
});
