import { describe, expect, it } from 'vitest';
import type { RoundReport } from '../../protocol';
import type { Member } from '../run-state';
import { addStretch, type Progress } from './local-round';

const report = (steps: number, loss: number): RoundReport => ({
  id: 0, round: 1, steps, samples: steps * 32, busyMs: 10, stepMs: steps > 0 ? 5 : 0, measuredStepMs: steps > 0 ? 5 : 0, exchangeMs: 1, loss, finite: true,
});

describe('addStretch', () => {
  it('sums a member’s stretches; one a stop cut before its first step (loss NaN) adds its time, never a NaN loss', () => {
    const p: Progress = { member: {} as Member, steps: 0, busyMs: 0, exchangeMs: 0, lossSum: 0, stepMsSum: 0, measuredMsSum: 0, finite: true, fills: false, closed: false };
    addStretch(p, report(3, 2));
    addStretch(p, report(0, Number.NaN));
    expect(p.steps).toBe(3);
    expect(p.lossSum).toBe(6);
    expect(p.stepMsSum).toBe(15);
    expect(p.busyMs).toBe(20);
    expect(p.exchangeMs).toBe(2);
  });
});
