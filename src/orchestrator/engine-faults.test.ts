/**
 * Runs that meet faults, through in-thread trainers on the cpu backend: a
 * diverging model, a stop during profiling, a worker lost while profiling,
 * and every worker removed mid-run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../core/config';
import type { SharedViews } from '../shared-memory/layout';
import { differs, nodeEngine, onRound, SMALL_RUN, untilPhase, type NodeEngine } from './testing/node-engine';

describe('Engine faults (in-thread cpu workers)', () => {
  let node: NodeEngine;
  let views: SharedViews;

  beforeAll(async () => {
    node = nodeEngine();
    views = await node.views();
  });
  afterAll(() => node.close());

  /** theta_bar when training starts (key 0) and after each round, as the run goes. */
  function recordThetas(): { thetas: Map<number, Float32Array>; off: () => void } {
    const thetas = new Map<number, Float32Array>();
    const offStart = node.engine.on((e) => {
      if (e.type === 'phase' && e.phase === 'training' && !thetas.has(0)) thetas.set(0, views.global.slice());
    });
    const offRound = onRound(node.engine, (e) => thetas.set(e.round, views.global.slice()));
    return {
      thetas,
      off: () => {
        offStart();
        offRound();
      },
    };
  }

  it('a run diverging from its first round (learning rate 10, momentum 0.99) stops as diverged, restoring exactly the last good theta_bar', async () => {
    const { thetas, off } = recordThetas();
    // Local SGD on fixed budgets: the same trajectory every time, with a mean training loss of about 1e5 in round 1.
    const diverging: Partial<RunConfig> = { ...SMALL_RUN, algo: 'local', adaptiveBudgets: false, learningRate: 10, momentum: 0.99, maxRounds: 6 };
    const result = await node.engine.run(diverging).finally(off);

    expect(result.stoppedBy).toBe('diverged');
    const good = thetas.get(result.rounds - 1);
    expect(good, `theta_bar after round ${result.rounds - 1}`).toBeDefined();
    expect(differs(node.engine.checkpoint()?.theta ?? [], good ?? []), 'checkpoint theta_bar').toBeNull();
    expect(differs(views.global, good ?? []), 'theta_bar').toBeNull();
  });

  it('a round in which every worker publishes NaN is divergence: theta_bar of the round before is restored exactly', async () => {
    const { thetas, off } = recordThetas();
    let lossesAtTwo: Float32Array | null = null;
    const offPause = onRound(node.engine, (e) => {
      if (e.round !== 2) return;
      lossesAtTwo = views.losses.slice();
      node.engine.pause();
    });
    const run = node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 5 });
    await untilPhase(node.engine, 'paused', run);
    offPause();
    for (const w of node.engine.workers()) await node.engine.diagnostics.injectNaN(w.id);
    node.engine.resume();
    const result = await run.finally(off);

    expect(result.stoppedBy).toBe('diverged');
    expect(result.rounds).toBe(3);
    expect(differs(node.engine.checkpoint()?.theta ?? [], thetas.get(2) ?? []), 'checkpoint theta_bar').toBeNull();
    expect(differs(views.global, thetas.get(2) ?? []), 'theta_bar').toBeNull();
    // The checkpoint is of round 2 as a whole: the diverged round's losses and its event are not in it.
    const saved = node.engine.checkpoint();
    expect(saved?.round).toBe(2);
    expect(saved?.history.map((e) => e.round)).toEqual([1, 2]);
    expect(differs(saved?.losses ?? [], lossesAtTwo ?? []), 'checkpoint loss table').toBeNull();
  });

  it('stop() during profiling ends the run with no round trained, never going back to training', async () => {
    const phasesBefore = node.phases().length;
    const roundsBefore = node.rounds().length;
    const off = node.engine.on((e) => {
      if (e.type === 'phase' && e.phase === 'profiling') node.engine.stop();
    });
    const result = await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 3 }).finally(off);

    expect(result.stoppedBy).toBe('user');
    expect(result.rounds).toBe(0);
    expect(result.history).toEqual([]);
    expect(node.rounds().length).toBe(roundsBefore);
    const phases = node.phases().slice(phasesBefore);
    expect(phases).toContain('profiling');
    expect(phases.slice(phases.indexOf('profiling'))).not.toContain('training');
    expect(phases.at(-1)).toBe('done');

    // The stop belonged to that run: the next one trains.
    const next = await node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 1 });
    expect(next.stoppedBy).toBe('rounds');
    expect(next.rounds).toBe(1);
  });

  it('with every worker removed mid-run, pauses with theta_bar intact; stop() then ends it as the user’s', async () => {
    const removedAt: Float32Array[] = [];
    const off = onRound(node.engine, (e) => {
      if (e.round !== 2) return;
      removedAt.push(views.global.slice());
      for (const w of node.engine.workers()) node.engine.removeWorker(w.id);
    });
    const run = node.engine.run({ ...SMALL_RUN, algo: 'biased', maxRounds: 6 });
    const message = await untilPhase(node.engine, 'paused', run).finally(off);
    const kept = removedAt[0] ?? new Float32Array(0);
    expect(removedAt).toHaveLength(1);

    expect(message).toMatch(/no worker is left/i);
    expect(node.engine.phase()).toBe('paused');
    expect(differs(views.global, kept), 'theta_bar').toBeNull();
    expect(differs(node.engine.checkpoint()?.theta ?? [], kept), 'checkpoint theta_bar').toBeNull();

    node.engine.stop();
    const result = await run;
    expect(result.stoppedBy).toBe('user');
    expect(result.workers.map((w) => w.left)).toEqual([expect.stringMatching(/removed/), expect.stringMatching(/removed/)]);
    expect(differs(views.global, kept), 'theta_bar').toBeNull();
    expect(differs(node.engine.checkpoint()?.theta ?? [], kept), 'checkpoint theta_bar').toBeNull();
  });
});

describe('Engine with a worker that crashes while profiling', () => {
  let node: NodeEngine;
  const crash: Partial<RunConfig> = { ...SMALL_RUN, algo: 'biased', maxRounds: 2 };

  beforeAll(() => {
    node = nodeEngine({
      faults: (id) => (id === 1 ? { profile: () => Promise.reject(new Error('simulated crash while profiling')) } : {}),
    });
  });
  afterAll(() => node.close());

  it('trains on with the others and notes the loss', async () => {
    const result = await node.engine.run(crash);

    expect(result.stoppedBy).toBe('rounds');
    expect(result.rounds).toBe(2);
    expect(node.rounds().map((e) => e.workers.map((w) => w.id))).toEqual([[0], [0]]);
    expect(result.workers.find((w) => w.id === 0)?.left).toBeNull();
    expect(result.workers.find((w) => w.id === 1)?.left).toMatch(/simulated crash while profiling/);
    expect(node.rounds()[0]?.notes.join('\n')).toMatch(/worker 1\b.*simulated crash while profiling/);
  });
});
