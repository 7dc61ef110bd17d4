import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import { RunClock, roundsPerEpoch } from './run-clock';

/** A clock whose `now` the test moves by hand. */
function clockOf(partial: Partial<RunConfig>, resumed: { trainMs: number; wallMs: number } | null = null) {
  let now = 1000;
  const clock = new RunClock(validateConfig(partial, DEFAULT_CONFIG), resumed, () => now);
  return { clock, advance: (ms: number) => (now += ms) };
}

describe('RunClock', () => {
  it('counts wall time from its creation (run() called) and only rounds on the training clock', async () => {
    const { clock, advance } = clockOf({});
    advance(500); // loading, start-up, profiling
    const { ms } = await clock.round(async () => {
      advance(200);
    });
    advance(300); // evaluation
    clock.evaluated(0.5, 300);
    expect(ms).toBe(200);
    expect(clock.trainMs).toBe(200);
    expect(clock.evalMs).toBe(300);
    expect(clock.wallMs()).toBe(1000);
  });

  it('goes on from a checkpoint: training clock and wall time of its last round', () => {
    const { clock, advance } = clockOf({}, { trainMs: 4000, wallMs: 9000 });
    advance(100);
    expect(clock.trainMs).toBe(4000);
    expect(clock.wallMs()).toBe(9100);
  });

  it('sets the time to target at the first evaluation that reaches it, on the training clock', async () => {
    const { clock, advance } = clockOf({ targetAccuracy: 0.8 });
    await clock.round(async () => advance(100));
    clock.evaluated(0.79, 10);
    expect(clock.timeToTargetMs).toBeNull();
    await clock.round(async () => advance(100));
    clock.evaluated(0.8, 10);
    await clock.round(async () => advance(100));
    clock.evaluated(0.9, 10);
    expect(clock.timeToTargetMs).toBe(200);
  });

  it('stops for target, user, rounds, epochs and time, in that precedence', async () => {
    const target = clockOf({ targetAccuracy: 0.5, maxRounds: 1 });
    target.clock.evaluated(0.6, 1);
    expect(target.clock.stopAfter(1, true)).toBe('target');
    const goOn = clockOf({ targetAccuracy: 0.5, stopAtTarget: false, maxRounds: 3 });
    goOn.clock.evaluated(0.6, 1);
    expect(goOn.clock.stopAfter(1, false)).toBeNull();
    expect(goOn.clock.stopAfter(1, true)).toBe('user');
    expect(goOn.clock.stopAfter(3, false)).toBe('rounds');
    const epochs = clockOf({ epochs: 2 });
    epochs.clock.roundsPerEpoch = 3;
    expect(epochs.clock.epochRounds()).toBe(6);
    expect(epochs.clock.stopAfter(5, false)).toBeNull();
    expect(epochs.clock.stopAfter(6, false)).toBe('epochs');
    expect(epochs.clock.epochAt(4)).toBe(1);
    const time = clockOf({ maxSeconds: 1 });
    await time.clock.round(async () => time.advance(999));
    expect(time.clock.stopAfter(1, false)).toBeNull();
    await time.clock.round(async () => time.advance(1));
    expect(time.clock.stopAfter(2, false)).toBe('time');
  });

  it('counts an epoch as floor(N / (B * K * tauFast)) rounds, at least 1', () => {
    expect(roundsPerEpoch(60_000, { batchSize: 32, tauFast: 32 }, 3)).toBe(19);
    expect(roundsPerEpoch(100, { batchSize: 32, tauFast: 32 }, 3)).toBe(1);
  });
});
