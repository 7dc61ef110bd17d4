/**
 * Whole runs of every algorithm on a Fashion-MNIST slice, through in-thread
 * trainers on the cpu backend: they finish, learn, report each round once,
 * leak nothing, replay from their seed, report measured step times, and
 * resume from a checkpoint exactly where they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../checkpoint/format';
import { ALGOS, type RunConfig } from '../core/config';
import type { RoundEvent } from '../protocol';
import type { SharedViews } from '../shared-memory/layout';
import { differs, nodeEngine, onRound, SMALL_RUN, type NodeEngine } from './testing/node-engine';

/** 10 classes: chance is 0.1. */
const CLEARLY_LEARNED = 0.3;

describe('Engine on a Fashion-MNIST slice (in-thread cpu workers)', () => {
  let node: NodeEngine;
  let views: SharedViews;
  const saved: Checkpoint[] = [];

  beforeAll(async () => {
    node = nodeEngine({ onCheckpoint: (c) => void saved.push(c) });
    views = await node.views();
  });
  afterAll(() => node.close());

  /** Runs `config` and returns its result with the round events it emitted. */
  async function runWithRounds(config: Partial<RunConfig>, resume: Checkpoint | null = null) {
    const rounds: RoundEvent[] = [];
    const off = onRound(node.engine, (e) => rounds.push(e));
    const result = await node.engine.run(config, resume).finally(off);
    return { result, rounds };
  }

  it.each(ALGOS)('%s: finishes, learns, emits one round event per round, and leaks no tensors', async (algo) => {
    const { result, rounds } = await runWithRounds({ ...SMALL_RUN, algo, maxRounds: 5 });

    expect(result.stoppedBy).toBe('rounds');
    expect(result.rounds).toBe(5);
    expect(rounds.map((e) => e.round)).toEqual([1, 2, 3, 4, 5]);
    expect(result.history.map((h) => h.round)).toEqual([1, 2, 3, 4, 5]);
    expect(result.finalAccuracy).toBeGreaterThan(CLEARLY_LEARNED);

    const pool = algo === 'fast-only' ? 1 : 2;
    const tensors = new Map<number, number[]>();
    for (const e of rounds) {
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.workers).toHaveLength(pool);
      for (const w of e.workers) {
        expect(w.steps).toBeGreaterThan(0);
        tensors.set(w.id, [...(tensors.get(w.id) ?? []), w.tensors]);
      }
    }
    for (const [id, counts] of tensors) {
      expect(counts[0], `worker ${id} tensors`).toBeGreaterThan(0);
      expect(counts, `worker ${id} tensors per round`).toEqual(counts.map(() => counts[0]));
    }
  });

  it('replays a run from its seed: same augmentation, same theta_bar and losses, twice on one pool', async () => {
    const config: Partial<RunConfig> = { ...SMALL_RUN, algo: 'local', augmentation: 'on', adaptiveBudgets: false, maxRounds: 3, seed: 11 };
    const first = await node.engine.run(config);
    const firstTheta = node.engine.checkpoint()?.theta;
    const starts = node.starts();
    const second = await node.engine.run(config);
    const secondTheta = node.engine.checkpoint()?.theta;

    expect(node.starts(), 'trainers started for the second run').toBe(starts);
    expect(firstTheta).toBeDefined();
    expect(secondTheta).toBeDefined();
    expect(differs(secondTheta ?? [], firstTheta ?? []), 'final theta_bar').toBeNull();
    expect(second.history.map((h) => h.loss)).toEqual(first.history.map((h) => h.loss));
    expect(second.finalAccuracy).toBe(first.finalAccuracy);
  });

  it('with fixed budgets, reports the step time worker 1 measured under its slowdown, not its profiled one', async () => {
    const result = await node.engine.run({
      ...SMALL_RUN,
      algo: 'biased',
      adaptiveBudgets: false,
      maxRounds: 2,
      slowdown: [{ worker: 1, factor: 4, fromRound: 2 }],
    });
    const slowed = result.workers.find((w) => w.id === 1);
    expect(slowed).toBeDefined();
    expect(slowed?.slowdown).toBe(4);
    // The sleep stretches each step to 4x its measured time.
    expect((slowed?.stepMs ?? 0) / (slowed?.measuredStepMs ?? Number.POSITIVE_INFINITY)).toBeGreaterThan(3);
  });

  it.each(['biased', 'sync'] as const)(
    '%s: a checkpoint of round 2, resumed, starts from the state of round 2 and goes on from round 3',
    async (algo) => {
      const config: Partial<RunConfig> = { ...SMALL_RUN, algo, maxRounds: 4, checkpointEvery: 1 };
      const states = new Map<number, { theta: Float32Array; losses: Float32Array; taken: Checkpoint | null }>();
      saved.length = 0;
      const off = onRound(node.engine, (e) =>
        states.set(e.round, { theta: views.global.slice(), losses: views.losses.slice(), taken: node.engine.checkpoint() }),
      );
      await node.engine.run(config).finally(off);
      const atTwo = states.get(2);
      const checkpoint = saved.find((c) => c.round === 2);
      if (!atTwo || !checkpoint) throw new Error(`No state or checkpoint of round 2: rounds ${[...states.keys()].join(', ')}.`);
      // Saved (checkpointEvery) and taken (engine.checkpoint()) alike hold round 2's state.
      for (const c of [checkpoint, atTwo.taken]) {
        expect(c?.round).toBe(2);
        expect(differs(c?.theta ?? [], atTwo.theta), 'theta_bar of the round-2 checkpoint').toBeNull();
        expect(differs(c?.losses ?? [], atTwo.losses), 'loss table of the round-2 checkpoint').toBeNull();
      }

      // The state the resumed run trains from, read when it starts training.
      const starts: { theta: Float32Array; losses: Float32Array }[] = [];
      const offStart = node.engine.on((e) => {
        if (e.type === 'phase' && e.phase === 'training') starts.push({ theta: views.global.slice(), losses: views.losses.slice() });
      });
      const resumed = await runWithRounds(config, checkpoint).finally(offStart);
      const from = starts[0];
      expect(from).toBeDefined();
      expect(differs(from?.theta ?? [], atTwo.theta), 'theta_bar the resumed run starts from').toBeNull();
      expect(differs(from?.losses ?? [], atTwo.losses), 'loss table the resumed run starts from').toBeNull();
      expect(resumed.rounds.map((e) => e.round)).toEqual([3, 4]);
      expect(resumed.result.rounds).toBe(4);
      expect(resumed.result.history.map((h) => h.round)).toEqual([1, 2, 3, 4]);
    },
  );
});

describe('Engine checkpoints taken while a round is in progress', () => {
  let node: NodeEngine;
  let views: SharedViews;
  /** Set by the test: called when a worker has finished its part of a round the engine has not closed yet. */
  let duringRound: (worker: number, round: number) => void = () => undefined;

  beforeAll(async () => {
    node = nodeEngine({ afterRunRound: (worker, round) => duringRound(worker, round) });
    views = await node.views();
  });
  afterAll(() => node.close());

  it('holds the last whole round: theta_bar and loss table of round 2 while round 3 trains', async () => {
    const atRound = new Map<number, { theta: Float32Array; losses: Float32Array }>();
    const midRound: Checkpoint[] = [];
    duringRound = (_worker, round) => {
      const c = round === 3 ? node.engine.checkpoint() : null;
      if (c) midRound.push(c);
    };
    const off = onRound(node.engine, (e) => atRound.set(e.round, { theta: views.global.slice(), losses: views.losses.slice() }));
    await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 3 }).finally(off);
    duringRound = () => undefined;

    const atTwo = atRound.get(2);
    expect(atTwo).toBeDefined();
    // One checkpoint per worker, each taken after that worker's round-3 steps wrote their losses.
    expect(midRound).toHaveLength(2);
    for (const c of midRound) {
      expect(c.round).toBe(2);
      expect(c.history.map((e) => e.round)).toEqual([1, 2]);
      expect(differs(c.theta, atTwo?.theta ?? []), 'theta_bar of the mid-round checkpoint').toBeNull();
      expect(differs(c.losses, atTwo?.losses ?? []), 'loss table of the mid-round checkpoint').toBeNull();
    }
  });
});
