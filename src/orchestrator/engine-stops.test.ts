/**
 * Runs that end or resume in ways a user causes, through in-thread trainers
 * on the cpu backend: a stop or the time limit in the middle of a round, a
 * learning rate too high to learn, a worker removed while profiling, a
 * checkpoint whose model holds NaN, and a resume that keeps one timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../checkpoint/format';
import type { RunConfig } from '../core/config';
import type { SharedViews } from '../shared-memory/layout';
import { differs, nodeEngine, onRound, SMALL_RUN, type NodeEngine } from './testing/node-engine';

/** Resolves once `engine` says it is training (or profiling), polling so a short phase is not missed. */
function whenPhase(node: NodeEngine, phase: string): Promise<void> {
  return new Promise((resolve) => {
    const off = node.engine.on((e) => {
      if (e.type === 'phase' && e.phase === phase) {
        off();
        resolve();
      }
    });
  });
}

describe('Engine stops and resumes (in-thread cpu workers)', () => {
  let node: NodeEngine;
  const saved: Checkpoint[] = [];

  beforeAll(async () => {
    node = nodeEngine({ onCheckpoint: (c) => void saved.push(c) });
    // The dataset, prepared once before the runs.
    await node.views();
  });
  afterAll(() => node.close());

  it('a learning rate too high to learn is not a finished run: diverged, or at chance, and the message names learningRate', async () => {
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'local', learningRate: 10, maxRounds: 8 });
    expect(result.message).toMatch(/learningRate \(now 10\)/);
    if (result.stoppedBy !== 'diverged') expect(result.message).toMatch(/sits at chance/);
  });

  it('refuses, before starting any worker, a batch whose step cannot fit a WASM worker, naming the batch that would', async () => {
    const starts = node.starts();
    await expect(node.engine.run({ ...SMALL_RUN, model: 'resnet20', workers: [{ backend: 'wasm', count: 2 }], batchSize: 1024 })).rejects.toThrow(
      /^Invalid batchSize: 1024\. resnet20 on 28x28x1 images at batch 1024 needs about [0-9.]+ GiB per wasm worker .* Use a batch of at most \d+ for wasm/,
    );
    await expect(node.engine.run({ ...SMALL_RUN, model: 'resnet20', workers: [{ backend: 'cpu', count: 1 }, { backend: 'wasm', count: 1 }], batchSizeByBackend: { wasm: 2048 } })).rejects.toThrow(
      /^Invalid batchSizeByBackend\.wasm: 2048\./,
    );
    expect(node.starts()).toBe(starts);
  });

  it('refuses to resume a checkpoint whose model holds NaN, naming the weight, and saves nothing over the good save', async () => {
    saved.length = 0;
    await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 2, checkpointEvery: 1 });
    const good = saved.at(-1);
    if (!good) throw new Error('No checkpoint saved.');
    const count = saved.length;
    const bad: Checkpoint = { ...good, theta: good.theta.map((v, i) => (i === 3 ? Number.NaN : v)) };
    await expect(node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 4 }, bad)).rejects.toThrow(/weight 3 is NaN/);
    expect(saved).toHaveLength(count);
  });

  it('a resumed run keeps one timeline: wall clock increasing, and every total covers the whole run', async () => {
    saved.length = 0;
    const config: Partial<RunConfig> = { ...SMALL_RUN, algo: 'biased', maxRounds: 3, checkpointEvery: 1 };
    const first = await node.engine.run(config);
    const checkpoint = saved.find((c) => c.round === 3);
    if (!checkpoint) throw new Error('No checkpoint of round 3.');
    expect(checkpoint.totals?.workers.map((w) => w.steps)).toEqual(first.workers.map((w) => w.steps));
    expect(checkpoint.fullAccuracy).toBe(first.finalAccuracy);

    const walls: number[] = [];
    const off = onRound(node.engine, (e) => walls.push(e.wallMs));
    const resumed = await node.engine.run({ ...config, maxRounds: 5 }, checkpoint).finally(off);
    const history = [...checkpoint.history.map((e) => e.wallMs), ...walls];
    expect(history).toHaveLength(5);
    for (let i = 1; i < history.length; i++) expect(history[i], `wall clock at round ${i + 1}`).toBeGreaterThan(history[i - 1] ?? Infinity);
    expect(resumed.wallMs).toBeGreaterThan(checkpoint.totals?.wallMs ?? Infinity);
    // Rounds 4 and 5 added to rounds 1-3, per worker and in every sum.
    const own = node.rounds().slice(-2);
    for (const w of resumed.workers) {
      const before = first.workers.find((x) => x.id === w.id);
      const after = own.reduce((n, e) => n + (e.workers.find((x) => x.id === w.id)?.steps ?? 0), 0);
      expect(w.steps, `worker ${w.id} steps`).toBe((before?.steps ?? 0) + after);
      expect(w.busyMs).toBeGreaterThan(before?.busyMs ?? Infinity);
    }
    expect(resumed.evalMs).toBeGreaterThan(first.evalMs);
    expect(resumed.aggregateMs).toBeGreaterThan(first.aggregateMs);
    expect(resumed.profileMs).toBeGreaterThan(first.profileMs);
  });

  it('a worker removed while profiling leaves; the run goes on with the others and says so', async () => {
    const profiling = whenPhase(node, 'profiling').then(() => {
      expect(node.engine.workers().map((w) => w.id)).toEqual([0, 1]);
      node.engine.removeWorker(1);
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 2 });
    await profiling;
    expect(result.stoppedBy).toBe('rounds');
    expect(result.workers.find((w) => w.id === 1)?.left).toMatch(/removed by request/);
    expect(result.history.flatMap((h) => h.notes ?? []).join('\n')).toMatch(/worker 1\b.*removed by request/);
  });
});

describe('Engine stop in the middle of a round (in-thread cpu workers)', () => {
  let node: NodeEngine;
  let views: SharedViews;
  /** Called when a worker has finished a stretch of a round the engine has not closed yet. */
  let duringRound: (worker: number, round: number) => void = () => undefined;

  beforeAll(async () => {
    node = nodeEngine({ afterRunRound: (worker, round) => duringRound(worker, round) });
    views = await node.views();
  });
  afterAll(() => node.close());

  it('stop() ends the round in progress at the steps taken, and that shorter round is averaged', async () => {
    // A target never reached and an evaluation every 20 ms of training: rounds run in short stretches, and
    // the stop comes between two of round 2's (in a browser a worker also stops inside a stretch, at its next step).
    const config: Partial<RunConfig> = {
      ...SMALL_RUN, algo: 'local', adaptiveBudgets: false, tauFast: 64, maxRounds: 4, targetAccuracy: 0.99, evalEverySeconds: 0.02,
    };
    let atStop: Float32Array | null = null;
    duringRound = (_worker, round) => {
      if (round !== 2 || atStop) return;
      atStop = views.global.slice();
      node.engine.stop();
    };
    const result = await node.engine.run(config).finally(() => (duringRound = () => undefined));
    expect(result.stoppedBy).toBe('user');
    expect(result.rounds).toBe(2);
    const steps = node.rounds().at(-1)?.workers.map((w) => w.steps) ?? [];
    expect(steps.some((s) => s > 0)).toBe(true);
    expect(Math.max(...steps)).toBeLessThan(64);
    // The partial round counted: theta_bar moved from round 1's and is finite.
    expect(differs(views.global, atStop ?? [])).not.toBeNull();
    expect(views.global.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(result.finalAccuracy ?? Number.NaN)).toBe(true);
  });
  it('after a stop, the next run trains its rounds whole', async () => {
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'local', adaptiveBudgets: false, maxRounds: 2 });
    expect(result.stoppedBy).toBe('rounds');
    expect(node.rounds().slice(-2).flatMap((e) => e.workers.map((w) => w.steps))).toEqual([4, 4, 4, 4]);
  });

});

describe('Engine workers while a run profiles (in-thread cpu workers)', () => {
  let node: NodeEngine;

  beforeAll(() => {
    node = nodeEngine();
  });
  afterAll(() => node.close());

  it('lists the workers while they profile, takes a worker asked for then, and refuses a backend that does not exist', async () => {
    let listed: number[] = [];
    let joined: Promise<number> | null = null;
    const off = node.engine.on((e) => {
      if (e.type === 'phase' && e.phase === 'profiling' && joined === null) {
        listed = node.engine.workers().map((w) => w.id);
        joined = node.engine.addWorker('cpu');
      }
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 2 }).finally(off);
    expect(listed).toEqual([0, 1]);
    expect(await joined).toBe(2);
    expect(result.workers.map((w) => w.id).sort()).toEqual([0, 1, 2]);
    expect(node.rounds().at(-1)?.workers.map((w) => w.id)).toEqual([0, 1, 2]);

    for (const bad of [['wasm'], null, 'gpu', '']) {
      await expect(node.engine.addWorker(bad as never)).rejects.toThrow(/^Invalid addWorker backend: .+\. Allowed: one of webgpu, wasm, cpu\.$/);
    }
    await expect(node.engine.addWorker('cpu')).rejects.toThrow(/start a run first/);
  });
});
