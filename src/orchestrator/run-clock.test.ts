import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import type { RoundEvent } from '../protocol';
import { FAR_RESOLUTION_FACTOR, MIN_PROBE_GAP_MS, RunClock, roundIterations, roundsPerEpoch } from './run-clock';

/** A clock whose `now` the test moves by hand. */
function clockOf(partial: Partial<RunConfig>, resumed: { trainMs: number; wallMs: number } | null = null) {
  let now = 1000;
  const clock = new RunClock(validateConfig(partial, DEFAULT_CONFIG), resumed, () => now);
  return { clock, advance: (ms: number) => (now += ms) };
}

describe('RunClock', () => {
  it('counts wall time from run() and puts profiling and rounds, not evaluation, on the training clock', async () => {
    const { clock, advance } = clockOf({});
    advance(300); // loading, start-up
    await clock.profiling(async () => advance(200));
    const { ms } = await clock.round(async () => {
      advance(100);
      // An evaluation inside the round (sync, between steps) is off the training clock.
      await clock.evaluation(async () => advance(50));
      expect(clock.trainMsNow()).toBe(300);
      advance(100);
    });
    await clock.evaluation(async () => advance(250));
    expect(ms).toBe(200);
    expect(clock.profileMs).toBe(200);
    expect(clock.trainMs).toBe(400);
    expect(clock.evalMs).toBe(300);
    expect(clock.wallMs()).toBe(1000);
  });

  it('goes on from a checkpoint: training clock and wall time of its last round', () => {
    const { clock, advance } = clockOf({}, { trainMs: 4000, wallMs: 9000 });
    advance(100);
    expect(clock.trainMs).toBe(4000);
    expect(clock.wallMs()).toBe(9100);
  });

  it('takes the first confirmed crossing as the time to target, with the evaluation before it and the wall clock', async () => {
    const { clock, advance } = clockOf({ targetAccuracy: 0.8 });
    await clock.round(async () => advance(100));
    clock.evaluated(clock.trainMs, false);
    await clock.round(async () => advance(100));
    // A subset crossing the whole test set did not confirm is not a time to target.
    clock.evaluated(clock.trainMs, false);
    expect(clock.timeToTargetMs).toBeNull();
    await clock.round(async () => advance(100));
    await clock.evaluation(async () => {
      advance(40);
      clock.evaluated(clock.trainMs, true);
    });
    await clock.round(async () => advance(100));
    clock.evaluated(clock.trainMs, true);
    expect(clock.timeToTargetMs).toBe(300);
    expect(clock.targetAfterMs).toBe(200);
    expect(clock.wallTimeToTargetMs).toBe(340);
  });

  it('says an evaluation is due once evalEverySeconds of training passed since the last one', async () => {
    const { clock, advance } = clockOf({ evalEverySeconds: 1, targetAccuracy: null });
    await clock.round(async () => {
      advance(600);
      expect(clock.evaluationDue()).toBe(false);
      advance(400);
      expect(clock.evaluationDue()).toBe(true);
      clock.evaluated(clock.trainMsNow(), false);
      expect(clock.evaluationDue()).toBe(false);
    });
    expect(clockOf({ evalEverySeconds: 0 }).clock.evaluationDue()).toBe(false);
  });

  it('while a target is pending, asks for an evaluation once the training clock grew by targetResolution', async () => {
    const { clock, advance } = clockOf({ targetAccuracy: 0.8, evalEverySeconds: 5, targetResolution: 0.1 });
    // Early on, the floor: evaluations at least MIN_PROBE_GAP_MS apart (the first one, with nothing measured, FAR_RESOLUTION_FACTOR times that).
    const first = FAR_RESOLUTION_FACTOR * MIN_PROBE_GAP_MS;
    await clock.round(async () => advance(first - 1));
    expect(clock.evaluationDue()).toBe(false);
    await clock.round(async () => advance(1));
    expect(clock.evaluationDue()).toBe(true);
    clock.evaluated(clock.trainMs, false, 0.79);
    expect(clock.msUntilEvaluation()).toBe(MIN_PROBE_GAP_MS);
    await clock.round(async () => advance(20_000 - first));
    clock.evaluated(clock.trainMs, false);
    expect(clock.msUntilEvaluation()).toBe(2000);
    await clock.round(async () => advance(2000));
    // Whatever the crossing, the evaluation before it is within a tenth of its time.
    clock.evaluated(clock.trainMs, true);
    expect(clock.timeToTargetMs).toBe(22_000);
    expect((clock.timeToTargetMs! - clock.targetAfterMs!) / clock.timeToTargetMs!).toBeLessThanOrEqual(0.1);
    // Once reached, or with no target, or at 0, only evalEverySeconds counts.
    expect(clock.msUntilEvaluation()).toBe(5000);
    expect(clockOf({ targetAccuracy: null, evalEverySeconds: 5 }).clock.msUntilEvaluation()).toBe(5000);
    expect(clockOf({ targetAccuracy: 0.8, evalEverySeconds: 0, targetResolution: 0 }).clock.msUntilEvaluation()).toBe(Infinity);
  });

  it('evaluates FAR_RESOLUTION_FACTOR times less often before the first evaluation and while the last accuracy is more than targetWindow below the target', async () => {
    const { clock, advance } = clockOf({ targetAccuracy: 0.85, evalEverySeconds: 0, targetResolution: 0.1, targetWindow: 0.05 });
    await clock.round(async () => advance(10_000));
    clock.evaluated(clock.trainMs, false, 0.7);
    expect(clock.msUntilEvaluation()).toBeCloseTo(10_000 * 0.1 * FAR_RESOLUTION_FACTOR, 6);
    // At the window's edge and inside it: the fine cadence.
    clock.evaluated(clock.trainMs, false, 0.8);
    expect(clock.msUntilEvaluation()).toBe(1000);
    clock.evaluated(clock.trainMs, false, 0.84);
    expect(clock.msUntilEvaluation()).toBe(1000);
    // No accuracy given: the last one stands.
    clock.evaluated(clock.trainMs, false);
    expect(clock.msUntilEvaluation()).toBe(1000);
    // Before any evaluation the model starts from scratch: far, floor included.
    const fresh = clockOf({ targetAccuracy: 0.85, evalEverySeconds: 0, targetResolution: 0.1, targetWindow: 0.05 });
    expect(fresh.clock.msUntilEvaluation()).toBe(FAR_RESOLUTION_FACTOR * MIN_PROBE_GAP_MS);
    // Far at a small time: the floor is FAR_RESOLUTION_FACTOR times coarser too.
    await fresh.clock.round(async () => fresh.advance(100));
    fresh.clock.evaluated(fresh.clock.trainMs, false, 0.5);
    expect(fresh.clock.msUntilEvaluation()).toBe(FAR_RESOLUTION_FACTOR * MIN_PROBE_GAP_MS);
    // targetWindow 1: always fine, from the first evaluation.
    const always = clockOf({ targetAccuracy: 0.85, evalEverySeconds: 0, targetResolution: 0.1, targetWindow: 1 });
    expect(always.clock.msUntilEvaluation()).toBe(MIN_PROBE_GAP_MS);
    await always.clock.round(async () => always.advance(10_000));
    always.clock.evaluated(always.clock.trainMs, false, 0.1);
    expect(always.clock.msUntilEvaluation()).toBe(1000);
  });

  it('calls the time limit once the training clock passes maxSeconds, in the middle of a round or of profiling, not during evaluation', async () => {
    vi.useFakeTimers();
    try {
      const { clock, advance } = clockOf({ maxSeconds: 2 });
      let expired = 0;
      const cancel = clock.watchTimeLimit(() => expired++);
      await clock.profiling(async () => {
        advance(500);
        vi.advanceTimersByTime(1000);
      });
      expect(expired).toBe(0);
      await clock.round(async () => {
        advance(1000);
        await clock.evaluation(async () => advance(5000));
        vi.advanceTimersByTime(1000);
        // 1.5 s on the training clock: the evaluation does not count.
        expect(expired).toBe(0);
        advance(600);
        vi.advanceTimersByTime(1000);
        expect(expired).toBe(1);
      });
      vi.advanceTimersByTime(10_000);
      expect(expired).toBe(1);
      cancel();
      // Cancelled before the limit: never called.
      const other = clockOf({ maxSeconds: 2 });
      let late = 0;
      other.clock.watchTimeLimit(() => late++)();
      await other.clock.round(async () => other.advance(3000));
      vi.advanceTimersByTime(10_000);
      expect(late).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits after an evaluation until evaluating stays within maxEvalShare of the time', async () => {
    const { clock, advance } = clockOf({ targetAccuracy: 0.8, evalEverySeconds: 5, targetResolution: 0.1, maxEvalShare: 0.2 });
    await clock.round(async () => advance(10_000));
    // An evaluation costing 500 ms: the next may come 500 x 0.8 / 0.2 = 2000 ms of training later, not 1000 (10%).
    await clock.evaluation(async () => {
      advance(500);
      // Within targetWindow of the target: the fine cadence (1000 ms here).
      clock.evaluated(clock.trainMs, false, 0.79);
    });
    expect(clock.msUntilEvaluation()).toBe(2000);
    await clock.round(async () => advance(1999));
    expect(clock.evaluationAffordable()).toBe(false);
    await clock.round(async () => advance(1));
    expect(clock.evaluationAffordable()).toBe(true);
    expect(clock.evaluationDue()).toBe(true);
    // No cap: the cadence alone.
    const free = clockOf({ targetAccuracy: 0.8, evalEverySeconds: 5, targetResolution: 0.1, maxEvalShare: 0 });
    await free.clock.round(async () => free.advance(10_000));
    await free.clock.evaluation(async () => {
      free.advance(500);
      free.clock.evaluated(free.clock.trainMs, false, 0.79);
    });
    expect(free.clock.msUntilEvaluation()).toBe(1000);
    expect(free.clock.evaluationAffordable()).toBe(true);
  });

  it('finds a resumed run\'s time to target in its history, probes included, on whole-test-set figures only', () => {
    const event = (round: number, trainMs: number, accuracy: number | null, fullAccuracy: number | null, probes: RoundEvent['probes'] = []) =>
      ({ round, trainMs, accuracy, fullAccuracy, probes }) as RoundEvent;
    const { clock } = clockOf({ targetAccuracy: 0.8 });
    clock.resumeTarget([
      event(1, 100, 0.7, null),
      event(2, 200, 0.81, 0.79),
      event(3, 300, 0.79, null, [{ trainMs: 250, accuracy: 0.82, fullAccuracy: 0.805 }]),
    ]);
    expect(clock.timeToTargetMs).toBe(250);
    expect(clock.targetAfterMs).toBe(200);
  });

  it('resumes a narrowed crossing as it was narrowed: the earliest confirmed kept model, the latest miss before it', () => {
    const { clock } = clockOf({ targetAccuracy: 0.8 });
    const crossing = {
      round: 8, trainMs: 800, accuracy: 0.85, fullAccuracy: 0.84, probes: [],
      refined: [
        { trainMs: 600, accuracy: 0.83, fullAccuracy: 0.82 },
        { trainMs: 500, accuracy: 0.79, fullAccuracy: null },
        { trainMs: 550, accuracy: 0.81, fullAccuracy: 0.79 },
      ],
    } as unknown as RoundEvent;
    clock.resumeTarget([{ round: 4, trainMs: 400, accuracy: 0.7, fullAccuracy: null, probes: [] } as unknown as RoundEvent, crossing]);
    expect(clock.timeToTargetMs).toBe(600);
    expect(clock.targetAfterMs).toBe(550);
  });

  it('narrows a recorded crossing only inside itself', () => {
    const { clock } = clockOf({ targetAccuracy: 0.8 });
    clock.evaluated(100, false);
    clock.evaluated(500, true);
    const wall = clock.wallTimeToTargetMs;
    expect(() => clock.narrowTarget(50, 300)).toThrow('Invalid narrowed crossing (50, 300]: it should lie inside the recorded one (100, 500].');
    expect(() => clock.narrowTarget(200, 600)).toThrow(/should lie inside/);
    clock.narrowTarget(200, 300);
    expect([clock.targetAfterMs, clock.timeToTargetMs, clock.wallTimeToTargetMs]).toEqual([200, 300, wall]);
  });

  it('stops for target, user, rounds, epochs and time, in that precedence', async () => {
    const target = clockOf({ targetAccuracy: 0.5, maxRounds: 1 });
    target.clock.evaluated(0, true);
    expect(target.clock.stopAfter(1, true)).toBe('target');
    const goOn = clockOf({ targetAccuracy: 0.5, stopAtTarget: false, maxRounds: 3 });
    goOn.clock.evaluated(0, true);
    expect(goOn.clock.stopAfter(1, false)).toBeNull();
    expect(goOn.clock.stopAfter(1, true)).toBe('user');
    expect(goOn.clock.stopAfter(3, false)).toBe('rounds');
    // Epochs count fast-worker iterations: 2 epochs of 3 rounds of tauFast 4 are 24 of them, however many rounds held them.
    const epochs = clockOf({ epochs: 2, tauFast: 4 });
    epochs.clock.roundsPerEpoch = 3;
    expect(epochs.clock.epochSteps()).toBe(24);
    epochs.clock.fastSteps = 23;
    expect(epochs.clock.stopAfter(2, false)).toBeNull();
    epochs.clock.fastSteps = 24;
    expect(epochs.clock.stopAfter(2, false)).toBe('epochs');
    epochs.clock.fastSteps = 12;
    expect(epochs.clock.epochsDone()).toBe(1);
    const time = clockOf({ maxSeconds: 1 });
    await time.clock.round(async () => time.advance(999));
    expect(time.clock.stopAfter(1, false)).toBeNull();
    await time.clock.round(async () => time.advance(1));
    expect(time.clock.stopAfter(2, false)).toBe('time');
  });

  it("counts a round's iterations as the fast worker's steps: all of them beside a slow pacer, at most its budget else", () => {
    // A slow worker (1 step) paced the round: the fast worker's 80 steps filling it count.
    expect(roundIterations([{ tau: 32, steps: 80 }, { tau: 1, steps: 1 }])).toBe(80);
    // The fast worker paced with its 32: the other's 40 filling its time (faster that round) do not count.
    expect(roundIterations([{ tau: 32, steps: 32 }, { tau: 28, steps: 40 }])).toBe(32);
    expect(roundIterations([{ tau: 32, steps: 32 }, { tau: 32, steps: 35 }])).toBe(32);
    // Cut short by a stop, parked workers beside, nobody trained, no budgets recorded.
    expect(roundIterations([{ tau: 32, steps: 12 }, { tau: 0, steps: 0 }])).toBe(12);
    expect(roundIterations([])).toBe(0);
    expect(roundIterations([{ tau: 0, steps: 9 }, { tau: 0, steps: 1 }])).toBe(9);
  });

  it('resumes its fast-worker iterations from the history as the live run counted them', () => {
    const { clock } = clockOf({ tauFast: 4 });
    const event = (round: number, steps: number[], taus = steps.map(() => 4)) =>
      ({ round, workers: steps.map((s, id) => ({ id, steps: s, tau: taus[id] })) }) as unknown as RoundEvent;
    // Each round's iterations; a round nobody trained in adds none; rounds past the checkpoint are not counted.
    clock.resumeFastSteps([event(1, [9, 1], [9, 1]), event(2, []), event(3, [7, 2], [8, 2]), event(4, [5, 5])], 3);
    expect(clock.fastSteps).toBe(9 + 0 + 7);
    // A round the history lacks, or lists without workers, counts tauFast; one listed twice counts once.
    const noWorkers = { round: 2 } as unknown as RoundEvent;
    clock.resumeFastSteps([event(1, [9, 1], [9, 1]), event(1, [9, 1], [9, 1]), noWorkers], 3);
    expect(clock.fastSteps).toBe(9 + 4 + 4);
  });

  it('counts an epoch as floor(N / (B * K * tauFast)) rounds, at least 1', () => {
    expect(roundsPerEpoch(60_000, { batchSize: 32, tauFast: 32 }, 3)).toBe(19);
    expect(roundsPerEpoch(100, { batchSize: 32, tauFast: 32 }, 3)).toBe(1);
  });
});
