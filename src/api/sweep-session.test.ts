import { describe, expect, it } from 'vitest';
import { validateConfig, type RunConfig } from '../core/config';
import { RunStateError } from '../orchestrator/run-state-error';
import type { RunResult } from '../protocol';
import { SweepPlanError, type SweepPlan } from '../sweep/plan';
import { SweepSession, type SweepSnapshot } from './sweep-session';

/** Runs that wait until the test settles them; the clock moves 1000 ms per trial. */
function setup(busy = false) {
  const runs: { config: RunConfig; settle: (error?: Error) => void }[] = [];
  let clock = 0;
  const snapshots: SweepSnapshot[] = [];
  const session = new SweepSession({
    run: (config) =>
      new Promise<RunResult>((resolve, reject) => {
        runs.push({
          config,
          settle: (error) => {
            clock += 1000;
            if (error) reject(error);
            else resolve({ config, algo: config.algo, workers: [], wallMs: 900, trainMs: 800, evalMs: 90, timeToTargetMs: null, finalAccuracy: 0.5 } as unknown as RunResult);
          },
        });
      }),
    busy: () => busy,
    where: async () => ({ browser: 'this page', userAgent: 'test', adapter: 'none', cores: 2 }),
    now: () => clock,
  });
  session.subscribe((s) => snapshots.push(s));
  return { session, runs, snapshots };
}

const tick = () => new Promise((wake) => setTimeout(wake, 0));
const base = validateConfig({ tauFast: 4, maxRounds: 2, targetAccuracy: 0.3 });
const plan = (values: number[]): SweepPlan => ({ grid: [{ key: 'tauFast', values }], random: [], trials: 0, algos: ['biased'], seeds: [1], drawSeed: 1 });

describe('SweepSession', () => {
  it('runs the trials one after another over the base, recording each as it ends', async () => {
    const { session, runs } = setup();
    const done = session.start(plan([8, 16]), base);
    await tick();
    expect(session.running).toBe(true);
    expect(runs.map((r) => [r.config.tauFast, r.config.maxRounds, r.config.seed])).toEqual([[8, 2, 1]]);
    expect(session.currentTrial()?.trial.id).toBe('biased seed=1 tauFast=8');
    expect(session.snapshot()).toMatchObject({ phase: 'running', total: 2, durationsMs: [] });
    runs[0]?.settle();
    await tick();
    expect(runs).toHaveLength(2);
    expect(session.snapshot().durationsMs).toEqual([1000]);
    expect(session.results()?.trials.map((t) => t.summary?.finalAccuracy)).toEqual([0.5]);
    runs[1]?.settle(new Error('the worker was lost'));
    const file = await done;
    expect(file).toMatchObject({ kind: 'tandem-sweep', version: 1, targetAccuracy: 0.3, base: { tauFast: 4 } });
    expect(file.trials.map((t) => [t.id, t.failure, t.where?.browser])).toEqual([
      ['biased seed=1 tauFast=8', null, 'this page'],
      ['biased seed=1 tauFast=16', 'the worker was lost', 'this page'],
    ]);
    expect(session.snapshot()).toMatchObject({ phase: 'done', ended: 'completed', current: null, durationsMs: [1000, 1000] });
    expect(session.running).toBe(false);
  });

  it('ends after the trial running when asked, and keeps the results until cleared', async () => {
    const { session, runs } = setup();
    const done = session.start(plan([8, 16, 32]), base);
    await tick();
    session.stopAfterTrial();
    expect(session.snapshot().phase).toBe('stopping');
    // The trial running is not stopped by the session: it ends on its own (or by the page's Stop).
    expect(runs).toHaveLength(1);
    runs[0]?.settle();
    const file = await done;
    expect(runs).toHaveLength(1);
    expect(file.trials).toHaveLength(1);
    expect(session.snapshot()).toMatchObject({ phase: 'done', ended: 'ended', total: 3 });
    expect(session.results()?.trials).toHaveLength(1);
    session.clear();
    expect(session.snapshot()).toMatchObject({ phase: 'idle', file: null, total: 0 });
    expect(session.results()).toBeNull();
  });

  it('refuses a second sweep, a busy engine, clearing while running, and a trial config the validator refuses', async () => {
    const { session, runs } = setup();
    const done = session.start(plan([8, 16]), base);
    await expect(session.start(plan([8, 16]), base)).rejects.toBeInstanceOf(RunStateError);
    expect(() => session.clear()).toThrow(RunStateError);
    await tick();
    runs[0]?.settle();
    await tick();
    runs[1]?.settle();
    await done;

    await expect(setup(true).session.start(plan([8, 16]), base)).rejects.toThrow(/A run is in progress/);
    // heads divides the base's dModel 64 but not a swept dModel of 36 with heads 8: named by its trial, before anything runs.
    const fresh = setup();
    const combos: SweepPlan = { ...plan([8, 16]), grid: [{ key: 'dModel', values: [64, 36] }, { key: 'heads', values: [4, 8] }] };
    const refused = fresh.session.start(combos, base);
    await expect(refused).rejects.toBeInstanceOf(SweepPlanError);
    await expect(refused).rejects.toThrow(/^Trial 4 \(biased seed=1 dModel=36 heads=8\) cannot run: Invalid heads: 8/);
    expect(fresh.runs).toEqual([]);
    expect(fresh.session.snapshot().phase).toBe('idle');
  });
});
