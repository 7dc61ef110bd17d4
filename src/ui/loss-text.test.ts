import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint/format';
import { validateConfig } from '../core/config';
import type { RoundEvent } from '../protocol';
import { NO_LOSS, lossText, restoredEvents } from './loss-text';

/** A saved run whose last round's loss was NaN, read back as "Resume saved run" reads it. */
function resumedHistory(): RoundEvent[] {
  const history = [
    { round: 1, loss: 2.3, accuracy: 0.1 },
    { round: 2, loss: Number.NaN, accuracy: null },
  ] as RoundEvent[];
  const bytes = encodeCheckpoint({
    savedAt: '2026-01-01T00:00:00.000Z',
    runId: 'r1',
    config: validateConfig({ model: 'mlp', dataset: 'mnist' }),
    datasetId: 'mnist',
    model: 'mlp',
    round: 2,
    trainMs: 10,
    learningRate: 0.05,
    fullAccuracy: null,
    totals: null,
    history,
    theta: new Float32Array(4),
    losses: new Float32Array(2),
  });
  return decodeCheckpoint('saved', bytes).history;
}

describe('lossText', () => {
  it('writes a loss with its decimals, and n/a for NaN, infinity, null or nothing', () => {
    expect(lossText(0.12345)).toBe('0.123');
    expect(lossText(2, 2)).toBe('2.00');
    for (const missing of [Number.NaN, Number.POSITIVE_INFINITY, null, undefined]) expect(lossText(missing)).toBe(NO_LOSS);
  });
});

describe('restoredEvents', () => {
  it("gives a resumed run's NaN loss back as a number the readouts can format, shown as n/a", () => {
    const saved = resumedHistory();
    // JSON made the NaN a null: formatting it as the readouts did threw "Cannot read properties of null (reading 'toFixed')".
    expect(saved[1]?.loss).toBeNull();
    const events = restoredEvents(saved);
    const last = events.at(-1) as RoundEvent;
    expect(Number.isNaN(last.loss)).toBe(true);
    expect(() => last.loss.toFixed(3)).not.toThrow();
    expect(lossText(last.loss)).toBe('n/a');
    expect(events[0]).toBe(saved[0]);
  });
});
