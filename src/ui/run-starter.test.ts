import { describe, expect, it } from 'vitest';
import { ConfigStore } from '../api/config-store';
import type { Checkpoint } from '../checkpoint/format';
import { validateConfig, type RunConfig } from '../core/config';
import type { RunResult } from '../protocol';
import { RunStarter, type RunEngine } from './run-starter';

/** An engine whose runs wait until the test settles them. */
class FakeEngine implements RunEngine {
  readonly runs: { config: RunConfig; resume: Checkpoint | null; settle: (error?: Error) => void }[] = [];
  stops = 0;

  run(config: RunConfig, resume: Checkpoint | null): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.runs.push({
        config,
        resume,
        settle: (error) => (error ? reject(error) : resolve({ algo: config.algo, config } as RunResult)),
      });
    });
  }

  stop(): void {
    this.stops++;
    this.runs.at(-1)?.settle();
  }
}

/** Lets the starter's awaits run until the next run has started (or the sequence ended). */
const tick = () => new Promise((wake) => setTimeout(wake, 0));

function setup(saved: Checkpoint | null = null, checkSaved: (c: Checkpoint) => void = () => undefined) {
  const engine = new FakeEngine();
  const loaded: (string | undefined)[] = [];
  const store = new ConfigStore({ tauFast: 16 });
  const said: [string, boolean][] = [];
  let changes = 0;
  let offeredAgain = 0;
  let engineBusy = false;
  const starter = new RunStarter({
    engine,
    store,
    loadSaved: async (key) => {
      loaded.push(key);
      return saved;
    },
    checkSaved,
    engineBusy: () => engineBusy,
    say: (text, error) => said.push([text, error]),
    changed: () => changes++,
    resumeFailed: async () => void offeredAgain++,
  });
  return {
    engine,
    store,
    loaded,
    said,
    starter,
    changes: () => changes,
    offeredAgain: () => offeredAgain,
    setEngineBusy: (busy: boolean) => (engineBusy = busy),
  };
}

describe('RunStarter', () => {
  it('runs each algorithm on the base config, one after the other, naming its place in Run all', async () => {
    const { engine, starter } = setup();
    const done = starter.runAlgos(['biased', 'sync', 'local'], validateConfig({ tauFast: 8 }));
    expect(starter.active).toBe(true);
    await tick();
    expect(engine.runs.map((r) => r.config.algo)).toEqual(['biased']);
    expect(starter.takePendingConfig()).toMatchObject({ algo: 'biased', tauFast: 8 });
    expect(starter.takePendingConfig()).toBeNull();
    engine.runs[0]?.settle();
    await tick();
    expect(starter.prefix()).toBe('Run all 2 of 3 (sync): ');
    engine.runs[1]?.settle();
    await tick();
    engine.runs[2]?.settle();
    await done;
    expect(engine.runs.map((r) => r.config.algo)).toEqual(['biased', 'sync', 'local']);
    expect(starter.active).toBe(false);
    expect(starter.prefix()).toBe('');
  });

  it('gives a single Start no prefix', async () => {
    const { engine, starter } = setup();
    const done = starter.runAlgos(['sync'], validateConfig({}));
    await tick();
    expect(starter.prefix()).toBe('');
    engine.runs[0]?.settle();
    await done;
  });

  it('starts no further run after Stop', async () => {
    const { engine, starter } = setup();
    const done = starter.runAlgos(['biased', 'sync'], validateConfig({}));
    await tick();
    starter.stop();
    await done;
    expect(engine.stops).toBe(1);
    expect(engine.runs).toHaveLength(1);
  });

  it('says which run of Run all failed, as an error, and runs no more', async () => {
    const { engine, starter, said } = setup();
    const done = starter.runAlgos(['biased', 'sync'], validateConfig({}));
    await tick();
    engine.runs[0]?.settle(new Error('worker 0 lost'));
    await done;
    expect(said).toEqual([['Run all 1 of 2 (biased): Run failed: worker 0 lost', true]]);
    expect(engine.runs).toHaveLength(1);
    expect(starter.takePendingConfig()).toBeNull();
  });

  it('starts nothing while a run holds the engine or a sequence is under way', async () => {
    const { engine, starter, setEngineBusy } = setup();
    setEngineBusy(true);
    await starter.runAlgos(['sync'], validateConfig({}));
    await starter.resumeSaved();
    expect(engine.runs).toHaveLength(0);
    setEngineBusy(false);
    const first = starter.runAlgos(['sync'], validateConfig({}));
    await starter.runAlgos(['local'], validateConfig({}));
    await tick();
    expect(engine.runs.map((r) => r.config.algo)).toEqual(['sync']);
    engine.runs[0]?.settle();
    await first;
  });

  it('tells the page when a sequence starts and ends', async () => {
    const { engine, starter, changes } = setup();
    const done = starter.runAlgos(['sync'], validateConfig({}));
    expect(changes()).toBe(1);
    await tick();
    engine.runs[0]?.settle();
    await done;
    expect(changes()).toBe(2);
  });

  it('resumes the saved run with its config in the store', async () => {
    const saved = { config: validateConfig({ algo: 'sync', tauFast: 8 }), round: 6 } as Checkpoint;
    const { engine, store, starter } = setup(saved);
    const done = starter.resumeSaved();
    await tick();
    expect(store.get().tauFast).toBe(8);
    expect(engine.runs[0]?.resume).toBe(saved);
    expect(starter.takePendingConfig()).toBe(saved.config);
    engine.runs[0]?.settle();
    await done;
  });

  it('says why a resume could not go on, and offers the saved run again', async () => {
    const { engine, starter, said, offeredAgain } = setup(null);
    await starter.resumeSaved();
    expect(engine.runs).toHaveLength(0);
    expect(said).toEqual([['The saved run could not go on: No run is saved in this browser.', true]]);
    expect(offeredAgain()).toBe(1);
    expect(starter.active).toBe(false);
  });

  it('resumes the save the key names', async () => {
    const saved = { config: validateConfig({ algo: 'sync' }), round: 6 } as Checkpoint;
    const { engine, starter, loaded } = setup(saved);
    const done = starter.resumeSaved('run:abc');
    await tick();
    expect(loaded).toEqual(['run:abc']);
    engine.runs[0]?.settle();
    await done;
  });

  it('leaves the controls alone when the save is refused, or the engine refuses the run before it begins', async () => {
    const saved = { config: validateConfig({ algo: 'sync', tauFast: 8 }), round: 6 } as Checkpoint;
    const refusing = setup(saved, () => {
      throw new Error('Checkpoint saved run r1: theta[0] is NaN');
    });
    await refusing.starter.resumeSaved();
    expect(refusing.engine.runs).toHaveLength(0);
    expect(refusing.store.get().tauFast).toBe(16);
    expect(refusing.said).toEqual([['The saved run could not go on: Checkpoint saved run r1: theta[0] is NaN', true]]);

    // The engine rejects before announcing the run (the page never took its config): the controls get theirs back.
    const { engine, starter, store, said } = setup(saved);
    const done = starter.resumeSaved();
    await tick();
    expect(store.get().tauFast).toBe(8);
    engine.runs[0]?.settle(new Error('The checkpoint is of cnn on mnist, but the config asks for cnn on fashion-mnist.'));
    await done;
    expect(store.get().tauFast).toBe(16);
    expect(said.at(-1)?.[1]).toBe(true);
  });

  it('keeps the resumed config on show when the run fails after it began', async () => {
    const saved = { config: validateConfig({ algo: 'sync', tauFast: 8 }), round: 6 } as Checkpoint;
    const { engine, starter, store } = setup(saved);
    const done = starter.resumeSaved();
    await tick();
    expect(starter.takePendingConfig()).toBe(saved.config);
    engine.runs[0]?.settle(new Error('worker 0 lost'));
    await done;
    expect(store.get().tauFast).toBe(8);
  });
});
