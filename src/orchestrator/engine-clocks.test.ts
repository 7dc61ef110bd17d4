/**
 * What the engine reports as time and accuracy, through in-thread trainers
 * on the cpu backend: the target judged on the whole test set, the training
 * clock with profiling on it, the wall clock from run(), equal epochs for
 * every algorithm, runs cut short marked, rounds evaluated inside (sync
 * between steps, local SGD paused at a step) to resolve the time to target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EvalReport } from '../protocol';
import type { FaultPlan } from './in-process-worker';
import { differs, FASHION_TEST, nodeEngine, onRound, SMALL_RUN, type NodeEngine } from './testing/node-engine';

/**
 * Evaluations score `subset` on the first `evalSamples` test images and
 * `rest` on the others, slice by slice, so a crossing can be seen on the
 * subset and not on the whole set (whose accuracy is their mix).
 */
function fakeAccuracy(evalSamples: number, subset: number, rest: number): FaultPlan {
  return () => ({
    evaluate: async (start: number, count: number): Promise<EvalReport> => {
      const inSubset = Math.max(0, Math.min(start + count, evalSamples) - start);
      return { accuracy: (inSubset * subset + (count - inSubset) * rest) / count, loss: 1, samples: count, evalMs: 1 };
    },
  });
}

/** The whole test set's accuracy under fakeAccuracy. */
const mixed = (evalSamples: number, subset: number, rest: number) => (evalSamples * subset + (FASHION_TEST - evalSamples) * rest) / FASHION_TEST;

describe('Engine clocks and targets (in-thread cpu workers)', () => {
  let node: NodeEngine | null = null;
  afterEach(() => {
    node?.close();
    node = null;
  });

  it('does not take a crossing seen on the evaluation subset that the whole test set does not confirm', async () => {
    node = nodeEngine({ faults: fakeAccuracy(64, 0.9, 0.5) });
    const result = await node.engine.run({ ...SMALL_RUN, evalSamples: 64, targetAccuracy: 0.8, maxRounds: 3 });
    expect(result.timeToTargetMs).toBeNull();
    expect(result.wallTimeToTargetMs).toBeNull();
    expect(result.stoppedBy).toBe('rounds');
    const rounds = node.rounds();
    // Slices count whole images, so the faked fractions come back to within a sample.
    for (const e of rounds) {
      expect(e.accuracy).toBeCloseTo(0.9, 1);
      expect(e.fullAccuracy).toBeCloseTo(mixed(64, 0.9, 0.5), 1);
    }
    expect(result.finalAccuracy).toBeCloseTo(mixed(64, 0.9, 0.5), 1);
  });

  it('takes a confirmed crossing: time to target on the training clock, its interval, the wall clock at confirmation, and a final accuracy from the same set', async () => {
    node = nodeEngine({ faults: fakeAccuracy(64, 0.9, 0.85) });
    const result = await node.engine.run({ ...SMALL_RUN, evalSamples: 64, targetAccuracy: 0.8, maxRounds: 3 });
    const [first] = node.rounds();
    expect(result.stoppedBy).toBe('target');
    expect(result.rounds).toBe(1);
    expect(result.timeToTargetMs).toBe(first?.trainMs);
    expect(result.targetAfterMs).toBe(0);
    expect(result.wallTimeToTargetMs).toBeGreaterThan(result.timeToTargetMs ?? Infinity);
    expect(result.wallTimeToTargetMs).toBeLessThanOrEqual(result.wallMs);
    expect(result.finalAccuracy).toBeCloseTo(0.85, 1);
    // One confirmation: the subset's 64 images and the other 192 (fewer than an evaluation batch each, so the
    // fastest worker took each part whole).
    expect(result.wholeTestSet?.evaluations).toBe(1);
    expect(result.wholeTestSet?.workers).toBe(1);
    // The slices' time is the workers' own account (faked here: 1 ms a part), the whole the orchestrator's.
    expect(result.wholeTestSet?.meanSliceMs).toBe(2);
    expect(result.wholeTestSet?.meanMs).toBeGreaterThan(0);
  });

  it('puts profiling on the training clock and everything since run() on the wall clock', async () => {
    node = nodeEngine();
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'local', maxRounds: 3 });
    const rounds = node.rounds();
    const roundsMs = rounds.reduce((sum, e) => sum + e.roundMs, 0);
    expect(result.profileMs).toBeGreaterThan(0);
    expect(result.trainMs).toBeCloseTo(result.profileMs + roundsMs, 6);
    expect(rounds[0]?.trainMs).toBeCloseTo(result.profileMs + (rounds[0]?.roundMs ?? 0), 6);
    // Loading, start-up, profiling, evaluation: the wall clock has them all.
    expect(result.wallMs).toBeGreaterThanOrEqual(result.trainMs + result.evalMs);
    expect(rounds[0]?.wallMs).toBeGreaterThan((rounds[0]?.trainMs ?? 0) + (rounds[0]?.evalMs ?? 0));
  });

  it('counts epochs with the pool the run started with, fast-only as biased', async () => {
    node = nodeEngine();
    // slowWorkers wait: no worker's budget follows the other's measured step (fill would, by timing noise).
    const config = { ...SMALL_RUN, maxRounds: null, epochs: 1, tauFast: 2, slowWorkers: 'wait' as const };
    const biased = await node.engine.run({ ...config, algo: 'biased' });
    const fastOnly = await node.engine.run({ ...config, algo: 'fast-only' });
    // 512 samples / (16 * 2 workers * 2 steps) = 8 rounds: the fast worker does 16 steps in either.
    expect(biased.roundsPerEpoch).toBe(8);
    expect(fastOnly.roundsPerEpoch).toBe(8);
    expect(fastOnly.rounds).toBe(biased.rounds);
    expect(fastOnly.workers).toHaveLength(1);
    expect(fastOnly.workers[0]?.steps).toBe(16);
    expect(biased.epochsDone).toBe(1);
    expect(biased.cutShort).toBe(false);
  });

  it('marks a run that its time cap stopped short of its epochs', async () => {
    node = nodeEngine();
    const result = await node.engine.run({ ...SMALL_RUN, maxRounds: null, epochs: 50, maxSeconds: 0.2 });
    expect(result.stoppedBy).toBe('time');
    expect(result.cutShort).toBe(true);
    expect(result.epochsDone).toBeLessThan(50);
    expect(result.epochsDone).toBeCloseTo(result.rounds / result.roundsPerEpoch, 9);
  });

  it('evaluates sync between steps when evalEverySeconds is due, and ends the round at a confirmed target', async () => {
    node = nodeEngine({ faults: fakeAccuracy(FASHION_TEST, 0.9, 0.9) });
    // Every step is due: the first probe reaches the (faked) target and ends round 1 after one step.
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'sync', tauFast: 8, evalEverySeconds: 1e-6, targetAccuracy: 0.8, maxRounds: 3 });
    const [first] = node.rounds();
    expect(result.stoppedBy).toBe('target');
    expect(first?.probes).toHaveLength(1);
    expect(first?.workers.every((w) => w.steps === 1)).toBe(true);
    expect(result.timeToTargetMs).toBe(first?.probes[0]?.trainMs);
    expect(result.timeToTargetMs).toBeLessThanOrEqual(first?.trainMs ?? 0);
    expect(result.finalAccuracy).toBeCloseTo(0.9, 1);
  });

  it('probes sync rounds without ending them while the target is not reached', async () => {
    node = nodeEngine();
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'sync', tauFast: 4, evalEverySeconds: 1e-6, targetAccuracy: null, maxRounds: 2 });
    const rounds = node.rounds();
    expect(result.rounds).toBe(2);
    // Three gaps between four steps per round, each probed; then the round-end evaluation.
    expect(rounds.map((e) => e.probes.length)).toEqual([3, 3]);
    expect(rounds.every((e) => e.accuracy !== null && e.workers.every((w) => w.steps === 4))).toBe(true);
    const probeTimes = rounds.flatMap((e) => e.probes.map((p) => p.trainMs));
    expect([...probeTimes].sort((a, b) => a - b)).toEqual(probeTimes);
  });

  it('pauses local-SGD rounds for evaluations without changing what they train', async () => {
    node = nodeEngine();
    const views = await node.views();
    const config = { ...SMALL_RUN, algo: 'local' as const, tauFast: 4, maxRounds: 2, targetAccuracy: null };
    await node.engine.run({ ...config, evalEverySeconds: 0 });
    const plain = views.global.slice();
    expect(node.rounds().every((e) => e.probes.length === 0)).toBe(true);
    // Every step due: stretches of one step, an evaluation between each.
    await node.engine.run({ ...config, evalEverySeconds: 1e-6 });
    const paused = node.rounds().slice(2);
    expect(paused.map((e) => e.probes.length)).toEqual([3, 3]);
    expect(paused.every((e) => e.workers.every((w) => w.steps === 4))).toBe(true);
    expect(differs(views.global, plain)).toBeNull();
  });

  it('while the target is pending, evaluates biased rounds inside and takes the crossing there, the evaluation before it as its interval', async () => {
    let evaluations = 0;
    // Two whole evaluations below the target, then above it: the third evaluation is the crossing.
    node = nodeEngine({
      faults: () => ({
        evaluate: async (_start: number, count: number): Promise<EvalReport> => {
          evaluations += count;
          return { accuracy: evaluations > 2 * FASHION_TEST ? 0.9 : 0.5, loss: 1, samples: count, evalMs: 1 };
        },
      }),
    });
    const result = await node.engine.run({
      ...SMALL_RUN,
      algo: 'biased',
      // Rounds long beside the evaluation gaps (10% of the clock), so the crossing falls inside one, never at its end.
      tauFast: 640,
      // No round paced by a worker timing noise made look many times slower: its end would close the round.
      slowWorkers: 'wait',
      // Probes only: a round that ended unevaluated under load would be a kept model, and narrowing would
      // evaluate it (the faked accuracy counts evaluations, not models).
      targetRefine: false,
      evalEvery: 1000,
      evalEverySeconds: 0,
      targetResolution: 0.1,
      targetAccuracy: 0.8,
      maxRounds: 50,
    });
    const rounds = node.rounds();
    const probes = rounds.flatMap((e) => e.probes);
    expect(result.stoppedBy).toBe('target');
    expect(probes.length).toBeGreaterThan(0);
    const evaluated = rounds.flatMap((e) => [...e.probes.map((p) => p.trainMs), ...(e.accuracy === null ? [] : [e.trainMs])]);
    expect(evaluated).toHaveLength(3);
    expect(result.timeToTargetMs).toBe(evaluated[2]);
    expect(result.targetAfterMs).toBe(evaluated[1]);
    // The round the target was reached in ended there: its workers did not finish their budgets.
    const last = rounds.at(-1);
    expect(last?.probes.at(-1)?.trainMs).toBe(result.timeToTargetMs);
    expect(last?.workers.some((w) => w.steps < w.tau)).toBe(true);
    // Its evaluations happened inside it, and its evalMs counts them; every round's together are the run's.
    expect(last?.accuracy).toBeNull();
    expect(last?.evalMs).toBeGreaterThan(0);
    expect(rounds.reduce((sum, e) => sum + e.evalMs, 0)).toBeCloseTo(result.evalMs, 6);
  });

  it('narrows a crossing between sparse evaluations by bisecting the round-end models kept since the one before', async () => {
    // The faked accuracy follows the model evaluated: 0.9 from round 6's on. Each round's model is
    // recorded as its event arrives; one not recorded yet is the round in progress.
    const seen: { round: number; theta: Float32Array }[] = [];
    let views: Awaited<ReturnType<NodeEngine['views']>> | null = null;
    const roundOf = (): number => {
      const g = views?.global;
      const hit = g ? seen.find((s) => differs(s.theta, g) === null) : undefined;
      return hit?.round ?? seen.length + 1;
    };
    node = nodeEngine({
      faults: () => ({
        evaluate: async (_start: number, count: number): Promise<EvalReport> => ({
          accuracy: roundOf() >= 6 ? 0.9 : 0.5,
          loss: 1,
          samples: count,
          evalMs: 1,
        }),
      }),
    });
    views = await node.views();
    const off = onRound(node.engine, (e) => seen.push({ round: e.round, theta: (views as NonNullable<typeof views>).global.slice() }));
    // Evaluated after rounds 4 and 8 only: the crossing is seen at 8, with 4 before it.
    const config = { ...SMALL_RUN, algo: 'local' as const, evalEvery: 4, evalEverySeconds: 0, targetResolution: 0, targetAccuracy: 0.8, maxRounds: 12 };
    const result = await node.engine.run(config);
    const rounds = node.rounds();
    const at = (round: number) => rounds.find((e) => e.round === round)?.trainMs;
    expect(result.stoppedBy).toBe('target');
    expect(result.rounds).toBe(8);
    expect(result.timeToTargetMs).toBe(at(6));
    expect(result.targetAfterMs).toBe(at(5));
    // The run knew at round 8's confirmation; narrowing came after and does not move the wall clock back.
    expect(result.wallTimeToTargetMs).toBeGreaterThan(rounds.find((e) => e.round === 7)?.wallMs ?? Infinity);
    // Round 6's model (the middle of 5, 6, 7) first, then round 5's; theta_bar is round 8's again after.
    // (Slices count whole images, so the faked fractions come back to within a sample.)
    const refined = rounds.at(-1)?.refined ?? [];
    expect(refined.map((p) => p.trainMs)).toEqual([at(6), at(5)]);
    expect(refined[0]?.fullAccuracy).toBeCloseTo(0.9, 1);
    expect(refined[1]?.fullAccuracy).toBeCloseTo(0.5, 1);
    expect(differs(views.global, seen.at(-1)?.theta ?? new Float32Array())).toBeNull();
    expect(result.finalAccuracy).toBeCloseTo(0.9, 1);

    // Off: the crossing stays where the sparse evaluations put it, and no model is kept.
    seen.length = 0;
    const plain = await node.engine.run({ ...config, targetRefine: false });
    const plainRounds = node.rounds().slice(rounds.length);
    expect(plain.timeToTargetMs).toBe(plainRounds.find((e) => e.round === 8)?.trainMs);
    expect(plain.targetAfterMs).toBe(plainRounds.find((e) => e.round === 4)?.trainMs);
    expect(plainRounds.every((e) => e.refined === undefined)).toBe(true);
    off();
  });

  it('has fast-only’s benched worker evaluate beside the one that trains', async () => {
    const evaluatedBy: number[] = [];
    node = nodeEngine({
      // Worker 0 is the faster: it trains; worker 1 is benched. Worker 0 cannot evaluate here, so every
      // evaluation that succeeds was worker 1's.
      stepTimes: (worker) => (worker === 0 ? 1 : 2),
      faults: (id) => ({
        evaluate: async (_start: number, count: number): Promise<EvalReport> => {
          evaluatedBy.push(id);
          if (id === 0) throw new Error('worker 0 cannot evaluate in this test');
          return { accuracy: 0.42, loss: 1, samples: count, evalMs: 1 };
        },
      }),
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'fast-only', slowWorkers: 'wait', targetAccuracy: null, maxRounds: 2 });
    expect(result.workers.map((w) => w.id)).toEqual([0]);
    // (Slices count whole images: 0.42 of 256 comes back as 108/256.)
    expect(node.rounds().map((e) => e.accuracy)).toEqual([108 / 256, 108 / 256]);
    expect(result.finalAccuracy).toBe(108 / 256);
    expect(evaluatedBy).toContain(1);
  });
});
