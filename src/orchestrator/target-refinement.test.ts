import { describe, expect, it } from 'vitest';
import { bisectCrossing, RoundSnapshots } from './target-refinement';

/** A bisection over `times` where the model at time t reaches the target when `reached(t)`. */
async function bisect(times: number[], afterMs: number, atMs: number, resolution: number, reached: (t: number) => boolean) {
  const asked: number[] = [];
  const out = await bisectCrossing(times, afterMs, atMs, resolution, async (i) => {
    const t = times[i] as number;
    asked.push(t);
    return reached(t);
  });
  return { ...out, asked };
}

describe('bisectCrossing', () => {
  const times = [110, 120, 130, 140, 150, 160, 170];

  it('finds the first kept model that reaches the target, with the one before it, in log2 evaluations (resolution 0)', async () => {
    const r = await bisect(times, 100, 180, 0, (t) => t >= 140);
    expect([r.afterMs, r.atMs]).toEqual([130, 140]);
    expect(r.asked).toEqual([140, 120, 130]);
    expect(r.steps.map((s) => s.reached)).toEqual([true, false, false]);
  });

  it('leaves the crossing at the evaluation that confirmed it when every kept model is below', async () => {
    const r = await bisect(times, 100, 180, 0, () => false);
    expect([r.afterMs, r.atMs]).toEqual([170, 180]);
    expect(r.asked).toEqual([140, 160, 170]);
  });

  it('stops as soon as the interval is within the resolution of the time to target', async () => {
    // (100, 180] is 44% wide; after one step (140, 180] is 22%; after two (160, 180] is 11%, within 0.15.
    const r = await bisect(times, 100, 180, 0.15, (t) => t >= 165);
    expect([r.afterMs, r.atMs]).toEqual([160, 180]);
    expect(r.asked).toEqual([140, 160]);
    // Already narrow enough: nothing is evaluated.
    const none = await bisect(times, 170, 180, 0.1, () => true);
    expect(none.asked).toEqual([]);
    expect([none.afterMs, none.atMs]).toEqual([170, 180]);
  });

  it('returns an evaluated confirmation with an evaluated miss just before it when accuracy goes up and down', async () => {
    const above = new Set([120, 150, 160]);
    const r = await bisect(times, 100, 180, 0, (t) => above.has(t));
    expect(above.has(r.atMs) || r.atMs === 180).toBe(true);
    expect(r.asked).toContain(r.afterMs);
    expect(above.has(r.afterMs)).toBe(false);
    // No kept model lies strictly between the two.
    expect(times.filter((t) => t > r.afterMs && t < r.atMs).every((t) => r.asked.includes(t))).toBe(true);
  });

  it('does nothing without kept models', async () => {
    const r = await bisect([], 100, 180, 0, () => true);
    expect([r.afterMs, r.atMs, r.asked.length]).toEqual([100, 180, 0]);
  });
});

describe('RoundSnapshots', () => {
  it('keeps copies, lists those strictly inside an interval, and forgets them on clear', () => {
    const kept = new RoundSnapshots();
    const theta = new Float32Array([1, 2]);
    kept.record(10, theta);
    theta[0] = 5;
    kept.record(20, theta);
    kept.record(30, theta);
    expect(kept.inside(10, 30).map((s) => s.trainMs)).toEqual([20]);
    expect(Array.from(kept.inside(0, 40)[0]?.theta ?? [])).toEqual([1, 2]);
    kept.clear();
    expect(kept.size).toBe(0);
  });

  it('drops every second model (the newest kept) when over its memory, then keeps every second round, so the kept ones stay evenly spread', () => {
    // Room for four models of two floats.
    const kept = new RoundSnapshots(4 * 8);
    for (let t = 1; t <= 5; t++) kept.record(t, new Float32Array(2));
    expect(kept.inside(0, 99).map((s) => s.trainMs)).toEqual([1, 3, 5]);
    for (let t = 6; t <= 9; t++) kept.record(t, new Float32Array(2));
    expect(kept.inside(0, 99).map((s) => s.trainMs)).toEqual([1, 5, 9]);
    // After an evaluation every round is kept again.
    kept.clear();
    kept.record(10, new Float32Array(2));
    kept.record(11, new Float32Array(2));
    expect(kept.inside(0, 99).map((s) => s.trainMs)).toEqual([10, 11]);
  });
});
