import { describe, expect, it } from 'vitest';
import { describeVerdict, PARK_MARGIN, parkingCandidates, throughputOf, verdict, type PoolWindow } from './parking';

/** A 1 s window in which each worker trained `samples`. */
const windowOf = (samples: Record<number, number>, wallMs = 1000): PoolWindow => ({
  workers: Object.entries(samples).map(([id, n]) => ({ id: Number(id), samples: n })),
  wallMs,
});

describe('parking', () => {
  // This machine: SwiftShader WebGPU (one 1.25 s step) beside two WASM workers that step 28 ms with it and 11 ms without.
  const withGpu = windowOf({ 0: 32, 1: 1440, 2: 1408 }, 1250);
  const without = windowOf({ 1: 3712, 2: 3680 }, 1250);

  it('counts the samples of every worker over the window', () => {
    expect(throughputOf(withGpu)).toBeCloseTo(2880 / 1.25);
    expect(() => throughputOf(windowOf({ 0: 1 }, 0))).toThrow(/wallMs: 0/);
  });

  it('measures without the workers below an equal share, least first', () => {
    expect(parkingCandidates(withGpu)).toEqual([0]);
    expect(parkingCandidates(windowOf({ 0: 10, 1: 5, 2: 100 }))).toEqual([1, 0]);
    expect(parkingCandidates(windowOf({ 0: 50, 1: 50 }))).toEqual([]);
    expect(parkingCandidates(windowOf({ 0: 50 }))).toEqual([]);
  });

  it('parks a worker the others train faster without, and says by how much', () => {
    const v = verdict(0, withGpu, without);
    expect(v.park).toBe(true);
    expect(v.without / v.withIt).toBeCloseTo(7392 / 2880);
    expect(v.share).toBeCloseTo(32 / 2880);
    expect(describeVerdict(v, 'webgpu')).toBe(
      'worker 0 (webgpu) parked: the pool trains 2.57x the samples per second without it (5914 vs 2304 samples/s); it did 1.1% of them',
    );
  });

  it('keeps a worker whose absence gains less than the margin: measurement noise between equal workers', () => {
    const v = verdict(1, windowOf({ 0: 1000, 1: 950 }), windowOf({ 0: 2000 }, 950));
    expect(v.without / v.withIt).toBeLessThan(1 + PARK_MARGIN);
    expect(v.park).toBe(false);
    expect(describeVerdict(v, 'wasm')).toMatch(/^worker 1 \(wasm\) trains: the pool is only 1\.08x as fast without it \(2105 vs 1950 samples\/s\), within the 10% margin/);
  });

  it('keeps a worker that adds samples, however few', () => {
    const v = verdict(0, windowOf({ 0: 32, 1: 1000 }), windowOf({ 1: 1000 }));
    expect(v.park).toBe(false);
    expect(describeVerdict(v, 'webgpu')).toMatch(/^worker 0 \(webgpu\) trains: the pool is faster with it/);
  });
});
