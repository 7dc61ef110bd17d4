import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/config';
import { MAX_EVERY, readWritingSettings, WRITING_DEFAULTS, writeDue } from './writing-panel';

describe('writeDue', () => {
  const due = (round: number, every: number, lastWritten: number | null = null, ended = false) => writeDue({ round, every, lastWritten, ended });

  it('writes every N rounds', () => {
    const rounds = Array.from({ length: 12 }, (_, i) => i + 1);
    expect(rounds.filter((r) => due(r, 5))).toEqual([5, 10]);
    expect(rounds.filter((r) => due(r, 1))).toEqual(rounds);
  });

  it('writes once more at the end, unless that round was just written', () => {
    expect(due(3, 5, null, true)).toBe(true);
    expect(due(10, 5, 10, true)).toBe(false);
    expect(due(12, 5, 10, true)).toBe(true);
  });

  it('never writes twice for one round, nor with 0 (off), nor before a round has trained', () => {
    expect(due(5, 5, 5)).toBe(false);
    expect(due(5, 0)).toBe(false);
    expect(due(7, 0, null, true)).toBe(false);
    expect(due(0, 5, null, true)).toBe(false);
  });
});

describe('readWritingSettings', () => {
  const raw = { prompt: WRITING_DEFAULTS.prompt, length: '200', temperature: '0.8', every: '5' };
  const refusal = (over: Partial<typeof raw>): ConfigError => {
    try {
      readWritingSettings({ ...raw, ...over });
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error(`${JSON.stringify(over)} was accepted`);
  };

  it('reads the defaults', () => {
    expect(readWritingSettings(raw)).toEqual(WRITING_DEFAULTS);
    expect(WRITING_DEFAULTS).toEqual({ prompt: 'Call me Ishmael. ', length: 200, temperature: 0.8, every: 5 });
    expect(readWritingSettings({ ...raw, length: ' 1000 ', temperature: '2', every: '0' })).toMatchObject({ length: 1000, temperature: 2, every: 0 });
  });

  it('names the control, the value and what is allowed', () => {
    expect(refusal({ temperature: '3' }).message).toBe('Invalid temperature: 3. Allowed: a number from 0.1 to 2.');
    expect(refusal({ temperature: '0.05' }).key).toBe('temperature');
    expect(refusal({ temperature: 'warm' }).message).toBe('Invalid temperature: "warm". Allowed: a number from 0.1 to 2.');
    expect(refusal({ every: '-1' }).message).toBe(`Invalid every: -1. Allowed: an integer from 0 (off) to ${MAX_EVERY}.`);
    expect(refusal({ every: '2.5' }).key).toBe('every');
    expect(refusal({ length: '0' }).message).toMatch(/^Invalid length: 0\. Allowed: an integer from 1 to 1000/);
    expect(refusal({ length: '1001' }).key).toBe('length');
    expect(refusal({ length: '' }).key).toBe('length');
    expect(refusal({ prompt: 'x'.repeat(1001) }).key).toBe('prompt');
  });
});
