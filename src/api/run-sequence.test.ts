import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, validateConfig, type RunConfig } from '../core/config';
import { ConfigStore } from './config-store';
import { NoSavedRunError, resumeSaved, runSequence, type SequenceStep } from './run-sequence';

/** A runner that records what it ran and fails on the items listed. */
function fakeRunner(failOn: readonly string[] = [], thrown: (item: string) => unknown = (item) => new Error(`${item} broke`)) {
  const ran: string[] = [];
  const runOne = async (item: string): Promise<string> => {
    ran.push(item);
    await Promise.resolve();
    if (failOn.includes(item)) throw thrown(item);
    return `${item} done`;
  };
  return { ran, runOne };
}

describe('runSequence', () => {
  it('runs every item in order, one at a time, and collects the results', async () => {
    let inFlight = 0;
    let most = 0;
    const report = await runSequence(['a', 'b', 'c'], async (item, index) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((wake) => setTimeout(wake, 1));
      inFlight--;
      return `${index}:${item}`;
    });
    expect(report.results).toEqual(['0:a', '1:b', '2:c']);
    expect(report.steps.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(report.failures).toEqual([]);
    expect(report.ended).toBe('completed');
    expect(most).toBe(1);
  });

  it('records a failure and goes on by default', async () => {
    const { ran, runOne } = fakeRunner(['b']);
    const report = await runSequence(['a', 'b', 'c'], runOne);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(report.results).toEqual(['a done', 'c done']);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ item: 'b', index: 1 });
    expect(report.failures[0]?.error.message).toBe('b broke');
    expect(report.steps[1]?.outcome.kind).toBe('error');
    expect(report.ended).toBe('completed');
  });

  it('stops at the first failure with stopOnFailure', async () => {
    const { ran, runOne } = fakeRunner(['b']);
    const report = await runSequence(['a', 'b', 'c'], runOne, { stopOnFailure: true });
    expect(ran).toEqual(['a', 'b']);
    expect(report.ended).toBe('failed');
    expect(report.results).toEqual(['a done']);
  });

  it('turns anything thrown into an Error with its string form', async () => {
    const { runOne } = fakeRunner(['a'], () => 'plain string');
    const report = await runSequence(['a'], runOne);
    expect(report.failures[0]?.error).toBeInstanceOf(Error);
    expect(report.failures[0]?.error.message).toBe('plain string');
  });

  it('starts nothing once cancelled; the run in progress finishes and is kept', async () => {
    const controller = new AbortController();
    const ran: string[] = [];
    const report = await runSequence(
      ['a', 'b', 'c'],
      async (item) => {
        ran.push(item);
        // Stop pressed during the second run.
        if (item === 'b') controller.abort();
        return item;
      },
      { signal: controller.signal },
    );
    expect(ran).toEqual(['a', 'b']);
    expect(report.results).toEqual(['a', 'b']);
    expect(report.ended).toBe('cancelled');
  });

  it('runs nothing when cancelled before it starts', async () => {
    const { ran, runOne } = fakeRunner();
    const report = await runSequence(['a'], runOne, { signal: { aborted: true } });
    expect(ran).toEqual([]);
    expect(report.steps).toEqual([]);
    expect(report.ended).toBe('cancelled');
  });

  it('calls between only between runs, with the previous step and the next item', async () => {
    const { runOne } = fakeRunner(['a']);
    const calls: [SequenceStep<string, string>, string][] = [];
    await runSequence(['a', 'b', 'c'], runOne, { between: (previous, next) => void calls.push([previous, next]) });
    expect(calls.map(([p, n]) => [p.item, p.outcome.kind, n])).toEqual([
      ['a', 'error', 'b'],
      ['b', 'result', 'c'],
    ]);
  });

  it('skips between once cancelled, and honours a cancel made during it', async () => {
    const signal = { aborted: false };
    const { ran, runOne } = fakeRunner();
    let hooks = 0;
    const report = await runSequence(['a', 'b', 'c'], runOne, {
      signal,
      between: async () => {
        hooks++;
        await Promise.resolve();
        signal.aborted = true;
      },
    });
    expect(hooks).toBe(1);
    expect(ran).toEqual(['a']);
    expect(report.ended).toBe('cancelled');
  });

  it('awaits between before the next run, and rejects when it throws', async () => {
    const order: string[] = [];
    await runSequence(
      ['a', 'b'],
      async (item) => void order.push(`run ${item}`),
      {
        between: async () => {
          await new Promise((wake) => setTimeout(wake, 1));
          order.push('between');
        },
      },
    );
    expect(order).toEqual(['run a', 'between', 'run b']);
    const { runOne } = fakeRunner();
    await expect(
      runSequence(['a', 'b'], runOne, {
        between: () => {
          throw new Error('no new page');
        },
      }),
    ).rejects.toThrow('no new page');
  });

  it('completes at once on an empty list', async () => {
    const report = await runSequence([], async () => 1);
    expect(report).toEqual({ steps: [], results: [], failures: [], ended: 'completed' });
  });
});

describe('resumeSaved', () => {
  const saved = { config: validateConfig({ algo: 'sync', tauFast: 8 }), round: 12 };

  it('puts the saved config in the store before the run starts, and runs the saved run', async () => {
    const store = new ConfigStore({ tauFast: 16 });
    const seen: { tauFast: number; round: number }[] = [];
    const result = await resumeSaved({
      load: async () => saved,
      store,
      run: async (config: RunConfig, s: typeof saved) => {
        seen.push({ tauFast: store.get().tauFast, round: s.round });
        return `${config.algo} from ${s.round}`;
      },
    });
    expect(result).toBe('sync from 12');
    expect(seen).toEqual([{ tauFast: 8, round: 12 }]);
    expect(store.get().algo).toBe('sync');
  });

  it('throws NoSavedRunError when nothing is saved, leaving the store alone', async () => {
    const store = new ConfigStore({ tauFast: 16 });
    let runs = 0;
    const resume = resumeSaved({ load: async () => null, store, run: async () => void runs++ });
    await expect(resume).rejects.toBeInstanceOf(NoSavedRunError);
    await expect(resume).rejects.toThrow('No run is saved in this browser.');
    expect(runs).toBe(0);
    expect(store.get().tauFast).toBe(16);
  });

  it('does not run a saved config the store refuses', async () => {
    const store = new ConfigStore();
    let runs = 0;
    const bad = { config: { ...DEFAULT_CONFIG, lambda: 3 } };
    await expect(resumeSaved({ load: async () => bad, store, run: async () => void runs++ })).rejects.toBeInstanceOf(ConfigError);
    expect(runs).toBe(0);
  });

  it('loads the save the key names', async () => {
    const store = new ConfigStore();
    const keys: (string | undefined)[] = [];
    const load = async (key?: string) => {
      keys.push(key);
      return saved;
    };
    await resumeSaved({ load, store, run: async () => 1 }, 'run:abc');
    await resumeSaved({ load, store, run: async () => 1 });
    expect(keys).toEqual(['run:abc', undefined]);
  });

  it('leaves the config alone when the check refuses the save', async () => {
    const store = new ConfigStore({ tauFast: 16 });
    const changes: number[] = [];
    store.subscribe((c) => changes.push(c.tauFast));
    let runs = 0;
    const check = () => {
      throw new Error('Checkpoint saved run: theta[3] is NaN');
    };
    await expect(resumeSaved({ load: async () => saved, check, store, run: async () => void runs++ })).rejects.toThrow('theta[3] is NaN');
    expect(runs).toBe(0);
    expect(changes).toEqual([]);
    expect(store.get().tauFast).toBe(16);
  });

  it('gives the config back when the run is refused before it began, and keeps the run\'s once it had begun', async () => {
    const store = new ConfigStore({ tauFast: 16 });
    const refused = resumeSaved({
      load: async () => saved,
      store,
      started: () => false,
      run: async () => {
        throw new Error('A run is already in progress (phase training); stop it first.');
      },
    });
    await expect(refused).rejects.toThrow('already in progress');
    expect(store.get()).toMatchObject({ tauFast: 16, algo: 'biased' });

    const failed = resumeSaved({
      load: async () => saved,
      store,
      started: () => true,
      run: async () => {
        throw new Error('worker 0 failed');
      },
    });
    await expect(failed).rejects.toThrow('worker 0 failed');
    expect(store.get()).toMatchObject({ tauFast: 8, algo: 'sync' });
  });
});

describe('run-sequence.ts', () => {
  it('imports nothing that needs a browser or Node: the page and the CLI both load it', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('./run-sequence.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['../core/config', '../core/errors']);
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/\b(document|window|indexedDB|localStorage|process|require|Buffer)\b/);
  });
});
