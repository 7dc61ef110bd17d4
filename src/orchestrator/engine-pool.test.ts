/**
 * The pool at the orchestrator level, through in-thread trainers whose
 * measurement windows are faked with the contention this machine shows (a
 * slow device that shares the other workers' cores): parking, its re-check,
 * and rounds sized to a worker slower than a round.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MeasureReport, RoundEvent } from '../protocol';
import type { FaultPlan } from './in-process-worker';
import { FILL_BOUND } from './rounds/local-round';
import { differs, nodeEngine, onRound, SMALL_RUN, type NodeEngine } from './testing/node-engine';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Worker 0 steps once per window (16 samples). While `hurts`, the others
 * train 160 samples in a window they share with it and 480 without it; when
 * not, 480 either way. Windows are told apart by their common deadline.
 */
function contention(state: { hurts: boolean }): FaultPlan {
  const windows = new Map<number, Set<number>>();
  return (id) => ({
    measure: async (untilMs: number): Promise<MeasureReport> => {
      const here = windows.get(untilMs) ?? new Set<number>();
      windows.set(untilMs, here);
      here.add(id);
      const t0 = performance.now();
      await sleep(untilMs - (performance.timeOrigin + performance.now()));
      const samples = id === 0 ? 16 : state.hurts && here.has(0) ? 160 : 480;
      const ms = performance.now() - t0;
      return { id, steps: samples / 16, samples, ms, stepMs: ms / (samples / 16) };
    },
  });
}

const worker = (e: RoundEvent | undefined, id: number) => e?.workers.find((w) => w.id === id);

describe('Engine pool (in-thread cpu workers, faked contention)', () => {
  let node: NodeEngine | null = null;
  afterEach(() => {
    node?.close();
    node = null;
  });
  const POOL = { ...SMALL_RUN, workers: [{ backend: 'cpu' as const, count: 3 }], parking: 'auto' as const, algo: 'biased' as const };

  it('parks a worker the others train faster without, says why, and counts epochs with the pool that trains', async () => {
    node = nodeEngine({ faults: contention({ hurts: true }) });
    const result = await node.engine.run({ ...POOL, maxRounds: 3 });
    const rounds = node.rounds();
    const why = result.workers.find((w) => w.id === 0)?.parked;
    expect(why).toMatch(/^worker 0 \(cpu\) parked: the pool trains 2\.\d+x the samples per second without it/);
    expect(result.workers.filter((w) => w.parked !== null).map((w) => w.id)).toEqual([0]);
    expect(rounds[0]?.notes).toContain(why);
    for (const e of rounds) {
      expect(worker(e, 0)).toMatchObject({ parked: why, steps: 0, tau: 0 });
      expect([worker(e, 1)?.steps, worker(e, 2)?.steps].every((s) => (s ?? 0) > 0)).toBe(true);
    }
    expect(node.engine.workers().map((w) => [w.id, w.role])).toEqual([
      [0, 'parked'],
      [1, expect.stringMatching(/fast|slow/)],
      [2, expect.stringMatching(/fast|slow/)],
    ]);
    // 512 samples / (16 x 2 training workers x 4 steps): the parked worker is not in K.
    expect(result.roundsPerEpoch).toBe(4);
    // Two measurement windows (with and without worker 0) are on the training clock, as profiling.
    expect(result.profileMs).toBeGreaterThan(600);
  });

  it('keeps every worker when none slows the others', async () => {
    node = nodeEngine({ faults: contention({ hurts: false }) });
    const result = await node.engine.run({ ...POOL, maxRounds: 1 });
    expect(result.workers.every((w) => w.parked === null)).toBe(true);
    expect(node.rounds()[0]?.notes.some((n) => /^worker 0 \(cpu\) trains: the pool is faster with it/.test(n))).toBe(true);
  });

  it('brings a parked worker back when a re-check finds the pool faster with it', async () => {
    const state = { hurts: true };
    node = nodeEngine({ faults: contention(state) });
    // From round 2 on, worker 0 no longer slows the others (a background job ended): the check before round 3 sees it.
    const off = onRound(node.engine, (e) => {
      if (e.round === 1) state.hurts = false;
    });
    const result = await node.engine.run({ ...POOL, adaptiveBudgets: true, poolCheckEvery: 2, maxRounds: 3 }).finally(off);
    const rounds = node.rounds();
    expect(worker(rounds[1], 0)?.parked).not.toBeNull();
    expect(worker(rounds[2], 0)).toMatchObject({ parked: null });
    expect(worker(rounds[2], 0)?.steps).toBeGreaterThan(0);
    expect(rounds[2]?.notes).toContain('worker 0 (cpu) trains again');
    expect(result.workers.every((w) => w.parked === null)).toBe(true);
  });

  it('a worker parked by a re-check hands back the samples it was dealt and did not train on', async () => {
    const state = { hurts: false };
    node = nodeEngine({ faults: contention(state) });
    const off = onRound(node.engine, (e) => {
      if (e.round === 1) state.hurts = true;
    });
    // Shards for the authors' period, 512 / (16 x 2 x 3) = 5 rounds of 32 samples: 160 each, 480 of the 512 dealt.
    // Worker 0 is parked before round 3 with 96 of its 160 untrained; workers 1 and 2 end their shards in round 5,
    // and the next deal serves those 96 first, then the 32 never dealt: after round 9 every sample has a loss.
    await node.engine.run({ ...POOL, algo: 'local', tauFast: 2, resampleEvery: 0, adaptiveBudgets: true, poolCheckEvery: 2, maxRounds: 9 }).finally(off);
    expect(worker(node.rounds()[2], 0)?.parked).not.toBeNull();
    const losses = (await node.views()).losses;
    expect([...losses].filter((l) => !Number.isFinite(l))).toHaveLength(0);
  });

  it('refuses workers auto where nothing detects the devices, naming the field', async () => {
    node = nodeEngine();
    await expect(node.engine.run({ ...SMALL_RUN, workers: 'auto' })).rejects.toThrow(/^Invalid workers: "auto"\. Allowed: an explicit pool here/);
  });

  it('with parking off, trains on every worker', async () => {
    node = nodeEngine({ faults: contention({ hurts: true }) });
    const result = await node.engine.run({ ...POOL, parking: 'off', maxRounds: 1 });
    expect(result.workers.map((w) => [w.id, w.parked, w.steps > 0])).toEqual([
      [0, null, true],
      [1, null, true],
      [2, null, true],
    ]);
  });
});

describe('Engine rounds with a worker slower than a round (faked step times)', () => {
  let node: NodeEngine | null = null;
  afterEach(() => {
    node?.close();
    node = null;
  });

  it.each([
    ['fill', [20, 1]],
    ['wait', [4, 1]],
  ] as const)('slowWorkers %s gives budgets %j', async (slowWorkers, taus) => {
    // Worker 1's one step (200 ms) outlasts worker 0's round (4 x 10 ms).
    node = nodeEngine({ stepTimes: (id) => (id === 0 ? 10 : 200) });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', adaptiveBudgets: false, slowWorkers, maxRounds: 1 });
    expect(result.workers.map((w) => w.tau)).toEqual(taus);
    // An epoch is 4 rounds of tauFast 4 (16 fast-worker steps); a round fill stretched to 20 steps is 1.25 of them.
    expect(result.roundsPerEpoch).toBe(4);
    expect(result.epochsDone).toBeCloseTo((taus[0] ?? 0) / 16, 9);
  });

  it.each([
    ['fill', true, 'fills by time'],
    ['fill-steps', true, 'takes its estimated steps'],
    ['fill', false, 'takes its fixed steps'],
  ] as const)('slowWorkers %s, adaptive budgets %s: the fast worker %s', async (slowWorkers, adaptiveBudgets, _) => {
    // Worker 1 paces the round (200 ms a step, budgets [20, 1]); in round 1 its step runs 400 ms late,
    // in round 2 it is done at once.
    node = nodeEngine({ stepTimes: (id) => (id === 0 ? 10 : 200), roundDelayMs: (id, round) => (id === 1 && round === 1 ? 400 : 0) });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', adaptiveBudgets, slowWorkers, maxRounds: 2 });
    const steps = node.rounds().map((e) => worker(e, 0)?.steps);
    expect(node.rounds().map((e) => worker(e, 0)?.tau)).toEqual([20, 20]);
    expect(node.rounds().map((e) => worker(e, 1)?.steps)).toEqual([1, 1]);
    if (slowWorkers === 'fill' && adaptiveBudgets) {
      // It went on stepping while the pacer ran late (up to FILL_BOUND x its budget), and stopped when the
      // pacer was done, once past tauFast (4).
      expect(steps[0]).toBeGreaterThan(20);
      expect(steps[0]).toBeLessThanOrEqual(FILL_BOUND * 20);
      expect(steps[1]).toBeLessThan(20);
      expect(steps[1]).toBeGreaterThanOrEqual(4);
    } else {
      expect(steps).toEqual([20, 20]);
    }
    // Its samples are what it trained on: steps times its batch.
    expect(result.workers[0]?.samples).toBe(((steps[0] ?? 0) + (steps[1] ?? 0)) * 16);
  });

  it.each([
    ['fill', 'fills its time'],
    ['fill-steps', 'takes its estimated steps'],
  ] as const)('slowWorkers %s, no step outlasting the round: the other worker %s while the fast one takes tauFast', async (slowWorkers, _) => {
    // Budgets [16, 8]: nobody has fewer than FILL_MIN_STEPS, so under fill the fast worker paces; in round 1
    // it starts 200 ms late while worker 1 may go on stepping.
    node = nodeEngine({ stepTimes: (id) => (id === 0 ? 10 : 20), roundDelayMs: (id, round) => (id === 0 && round === 1 ? 200 : 0) });
    await node.engine.run({ ...SMALL_RUN, algo: 'biased', tauFast: 16, slowWorkers, maxRounds: 2 });
    const [first, second] = node.rounds();
    expect([0, 1].map((id) => worker(first, id)?.tau)).toEqual([16, 8]);
    expect(worker(first, 0)?.steps).toBe(16);
    expect(worker(second, 0)?.steps).toBe(16);
    if (slowWorkers === 'fill') {
      expect(worker(first, 1)?.steps).toBeGreaterThan(8);
      expect(worker(first, 1)?.steps).toBeLessThanOrEqual(FILL_BOUND * 8);
    } else {
      expect([first, second].map((e) => worker(e, 1)?.steps)).toEqual([8, 8]);
    }
  });

  it('under fill, when the pacer leaves mid-round the filler finishes the round and trains on', async () => {
    node = nodeEngine({
      stepTimes: (id) => (id === 0 ? 10 : 200),
      faults: (id) => (id === 1 ? { runRound: async () => Promise.reject(new Error('device lost')) } : {}),
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 2 });
    const [first, second] = node.rounds();
    // It filled until the pacer's call failed (here, in one thread, its whole bound: the failure is
    // told after a grace timer) and at least its budget of 20; the next round it trains alone, tauFast.
    expect(worker(first, 0)?.steps).toBeGreaterThanOrEqual(20);
    expect(worker(first, 0)?.steps).toBeLessThanOrEqual(FILL_BOUND * 20);
    expect(second?.workers.map((w) => [w.id, w.steps])).toEqual([[0, 4]]);
    expect(result.workers.find((w) => w.id === 1)?.left).not.toBeNull();
  });

  it('under fill, a worker with few steps keeps its estimated count while the fast one fills by time', async () => {
    // Budgets [20, 3, 1]: worker 1's step (60 ms) is too long to stop on time, so it takes its 3 and waits.
    node = nodeEngine({
      stepTimes: (id) => [10, 60, 200][id] ?? 10,
      roundDelayMs: (id, round) => (id === 2 && round === 1 ? 400 : 0),
    });
    await node.engine.run({ ...SMALL_RUN, workers: [{ backend: 'cpu', count: 3 }], algo: 'biased', maxRounds: 1 });
    const [e] = node.rounds();
    expect([0, 1, 2].map((id) => worker(e, id)?.tau)).toEqual([20, 3, 1]);
    expect(worker(e, 0)?.steps).toBeGreaterThan(20);
    expect(worker(e, 1)?.steps).toBe(3);
    expect(worker(e, 2)?.steps).toBe(1);
  });
});

describe('Engine learning rate for the pool', () => {
  let node: NodeEngine | null = null;
  afterEach(() => {
    node?.close();
    node = null;
  });

  it('scales it with the workers averaged, ramping up over the warm-up rounds; fast-only keeps it', async () => {
    node = nodeEngine();
    const config = { ...SMALL_RUN, lrScaling: 'linear' as const, lrWarmupRounds: 2, learningRate: 0.05, maxRounds: 3 };
    await node.engine.run({ ...config, algo: 'biased' });
    const rates = (events: RoundEvent[]) => events.map((e) => e.notes.filter((n) => n.startsWith('learning rate')));
    // Two workers: 0.05 x 1.5 in round 1, x 2 from round 2 (said when it changes).
    expect(rates(node.rounds())).toEqual([['learning rate 0.075'], ['learning rate 0.1'], []]);
    await node.engine.run({ ...config, algo: 'fast-only' });
    expect(rates(node.rounds().slice(3))).toEqual([[], [], []]);
  });
});

describe('Engine with a batch size per backend', () => {
  let node: NodeEngine | null = null;
  afterEach(() => {
    node?.close();
    node = null;
  });
  // Worker 0 "webgpu" at batch 32, worker 1 "wasm" at 16, both computing on the cpu; fixed, faked speeds so the budgets are known.
  const PAIR = {
    ...SMALL_RUN,
    algo: 'biased' as const,
    workers: [
      { backend: 'webgpu' as const, count: 1 },
      { backend: 'wasm' as const, count: 1 },
    ],
    batchSize: 16,
    batchSizeByBackend: { webgpu: 32 },
    adaptiveBudgets: false,
    maxRounds: 2,
  };

  it('trains each worker at its own batch, counts an epoch at the fast worker\'s, and weighs samples apart from steps', async () => {
    node = nodeEngine({ nameBackends: true, stepTimes: (id) => (id === 0 ? 10 : 20) });
    const views = await node.views();
    const bySteps = await node.engine.run({ ...PAIR, aggregation: 'steps' });
    const thetaSteps = views.global.slice();
    // Budgets from time: worker 1 steps at half the speed, so half the steps, each of half the samples.
    expect(bySteps.workers.map((w) => [w.id, w.tau, w.samples / w.steps])).toEqual([
      [0, 4, 32],
      [1, 2, 16],
    ]);
    // 512 / (32 x 2 workers x 4 steps) = 2 rounds an epoch.
    expect(bySteps.roundsPerEpoch).toBe(2);
    await node.engine.run({ ...PAIR, aggregation: 'samples' });
    // Worker 0 did 2x the steps and 4x the samples: the two weightings now give different models.
    expect(differs(views.global, thetaSteps)).not.toBeNull();
    await node.engine.run({ ...PAIR, aggregation: 'steps' });
    expect(differs(views.global, thetaSteps)).toBeNull();
  });

  it('refuses a bad entry, naming it', async () => {
    node = nodeEngine({ nameBackends: true });
    await expect(node.engine.run({ ...PAIR, batchSizeByBackend: 'gpu:64' as never })).rejects.toThrow(
      /^Invalid batchSizeByBackend: "gpu:64". Allowed: backend:size pairs like "webgpu:128,wasm:32"/,
    );
    await expect(node.engine.run({ ...PAIR, batchSizeByBackend: { wasm: 0 } })).rejects.toThrow(/^Invalid batchSizeByBackend.wasm: 0/);
  });
});
