import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../backends/capabilities';
import type { SaveStore } from '../checkpoint/store';
import { ConfigError } from '../core/config';
import type { Engine } from '../orchestrator/engine';
import type { GenerateRequest, GenerateResult } from '../protocol';
import { checkGenerateRequest, createTandemApi } from './automation';
import { ConfigStore } from './config-store';
import { EngineClaims } from './engine-claims';
import { RunArchive } from './run-archive';
import { SweepSession } from './sweep-session';
import { SweepPlanError } from '../sweep/plan';
import type { RunConfig } from '../core/config';
import type { RunResult, SweepRequest } from '../protocol';

/**
 * The API over an engine that only writes: it records what reached it. A
 * sweep's trial waits for `release` when given; `pageSequence` says whether
 * the page runs a sequence.
 */
function apiWithWriter(options: { release?: Promise<void>; pageSequence?: () => boolean } = {}) {
  const asked: GenerateRequest[] = [];
  const ran: RunConfig[] = [];
  const engineRuns: Partial<RunConfig>[] = [];
  const engine = {
    diagnostics: {},
    generate: async (request: GenerateRequest): Promise<GenerateResult> => {
      asked.push(request);
      return { text: 'x'.repeat(request.length), round: 3, ms: 1 };
    },
    run: async (config: Partial<RunConfig>) => {
      engineRuns.push(config);
      return { config } as unknown as RunResult;
    },
  } as unknown as Engine;
  const claims = new EngineClaims();
  const api = createTandemApi(
    engine,
    Promise.resolve(),
    new Promise<Readonly<Capabilities>>(() => {}),
    new ConfigStore(),
    new RunArchive(),
    async () => [],
    {} as SaveStore,
    new SweepSession({
      run: async (config) => {
        ran.push(config);
        await options.release;
        return { config, history: [], workers: [], wallMs: 10 } as unknown as RunResult;
      },
      busy: () => false,
      where: async () => ({ browser: 'this page', userAgent: 'test', adapter: 'none', cores: 2 }),
      now: () => 0,
      claims,
    }),
    claims,
  );
  // As the page registers its Start, Run all and resume.
  if (options.pageSequence) claims.add(options.pageSequence, 'the page runs a sequence (Start, Run all or a resume)', 'stop it or let it finish first.');
  return { api, asked, ran, engineRuns };
}

describe('runs that would slip in between the runs of a sequence', () => {
  it('are refused while a sweep runs, saying so, and go ahead once it has ended', async () => {
    let release = (): void => undefined;
    const { api, engineRuns } = apiWithWriter({ release: new Promise<void>((r) => (release = r)) });
    const sweep = api.sweep({ grid: ['tauFast=8,16'] });
    await expect(api.run({ algo: 'sync' })).rejects.toThrow(
      /^Cannot start a run while a sweep is running; end it \(endSweep or stop\) first\.$/,
    );
    await expect(api.start()).rejects.toThrow(/while a sweep is running/);
    await expect(api.resumeSaved()).rejects.toThrow(/^Cannot resume a saved run while a sweep is running/);
    expect(engineRuns).toEqual([]);
    release();
    await sweep;
    await api.run({ algo: 'sync' });
    expect(engineRuns).toEqual([{ algo: 'sync' }]);
  });

  it('are refused, a sweep too, while the page runs Start, Run all or a resume', async () => {
    let active = true;
    const { api, engineRuns, ran } = apiWithWriter({ pageSequence: () => active });
    await expect(api.run({})).rejects.toThrow(/^Cannot start a run while the page runs a sequence \(Start, Run all or a resume\); stop it or let it finish first\.$/);
    await expect(api.sweep({ grid: ['tauFast=8,16'] })).rejects.toThrow(/^Cannot start a sweep while the page runs a sequence/);
    // Measurements lend the workers too.
    await expect(api.checkPool({})).rejects.toThrow(/^Cannot measure the pool while the page runs a sequence/);
    await expect(api.baseline({})).rejects.toThrow(/^Cannot time the baseline while the page runs a sequence/);
    expect([engineRuns, ran]).toEqual([[], []]);
    active = false;
    await api.run({});
    expect(engineRuns).toHaveLength(1);
  });
});

describe('tandem.generate', () => {
  it('passes a valid request to the engine and returns what it wrote', async () => {
    const { api, asked } = apiWithWriter();
    await expect(api.generate({ prompt: 'Call me Ishmael. ', length: 5, temperature: 0.8 })).resolves.toEqual({ text: 'xxxxx', round: 3, ms: 1 });
    await api.generate({ prompt: 'a', length: 1000, temperature: 5, seed: 7 });
    expect(asked).toEqual([
      { prompt: 'Call me Ishmael. ', length: 5, temperature: 0.8 },
      { prompt: 'a', length: 1000, temperature: 5, seed: 7 },
    ]);
  });

  it('refuses each bad field by name, value and what is allowed, before the engine is asked', async () => {
    const { api, asked } = apiWithWriter();
    const ok = { prompt: 'Call me', length: 10, temperature: 1 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...ok, length: 0 }, /^Invalid length: 0\. Allowed: an integer from 1 to 1000\.$/],
      [{ ...ok, length: 1001 }, /^Invalid length: 1001\. Allowed: an integer from 1 to 1000\.$/],
      [{ ...ok, length: 2.5 }, /^Invalid length: 2\.5\./],
      [{ ...ok, length: '10' }, /^Invalid length: "10"\./],
      [{ ...ok, temperature: 0 }, /^Invalid temperature: 0\. Allowed: a number in \(0, 5\]\.$/],
      [{ ...ok, temperature: 5.01 }, /^Invalid temperature: 5\.01\./],
      [{ ...ok, temperature: Number.NaN }, /^Invalid temperature: NaN\./],
      [{ ...ok, prompt: 'x'.repeat(1001) }, /^Invalid prompt: "x+"… \(1001 characters\)\. Allowed: .*1000 characters\.$/],
      [{ ...ok, prompt: 42 }, /^Invalid prompt: 42\./],
      [{ ...ok, seed: -1 }, /^Invalid seed: -1\./],
    ];
    for (const [request, message] of cases) {
      const refused = api.generate(request as unknown as GenerateRequest);
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(message);
    }
    await expect(api.generate(null as unknown as GenerateRequest)).rejects.toThrow(/Allowed: an object \{prompt, length, temperature, seed\?\}/);
    expect(asked).toEqual([]);
  });

  it('counts a prompt’s characters as code points', () => {
    const emoji = '😀'.repeat(1000);
    expect(checkGenerateRequest({ prompt: emoji, length: 1, temperature: 1 }).prompt).toBe(emoji);
  });
});

describe('tandem.sweep', () => {
  it('runs each trial over the page config and keeps the results', async () => {
    const { api, ran } = apiWithWriter();
    api.setConfig({ tauFast: 4, maxRounds: 2 });
    expect(api.sweepResults()).toBeNull();
    const file = await api.sweep({ grid: ['tauFast=8,16'], seeds: [1, 2] });
    expect(ran.map((c) => [c.tauFast, c.seed, c.maxRounds])).toEqual([
      [8, 1, 2],
      [16, 1, 2],
      [8, 2, 2],
      [16, 2, 2],
    ]);
    expect(file.trials.map((t) => t.id)).toEqual(['biased seed=1 tauFast=8', 'biased seed=1 tauFast=16', 'biased seed=2 tauFast=8', 'biased seed=2 tauFast=16']);
    expect(file.base.tauFast).toBe(4);
    expect(api.sweepResults()?.trials).toHaveLength(4);
    api.clearSweep();
    expect(api.sweepResults()).toBeNull();
  });

  it('refuses a bad request naming the field, the value and what is allowed, before anything runs', async () => {
    const { api, ran } = apiWithWriter();
    const cases: [unknown, string, RegExp][] = [
      [{ grid: ['tauFast=0,8'] }, 'grid', /grid: Invalid tauFast: 0\. Allowed: an integer from 1 to 4096\./],
      [{ grid: ['tauFast=8'] }, 'grid', /tauFast has 1 value\(s\); a grid key takes 2 to 20/],
      [{ grid: 'bogus=1,2' }, 'grid', /"bogus" is not a config key/],
      [{ grid: [8] }, 'grid', /Invalid grid: \[8\]\. Allowed: strings KEY=V1,V2/],
      [{ random: ['learningRate=0:1:log'] }, 'random', /a log range must be above 0|Invalid learningRate: 0/],
      [{ random: ['learningRate=0.01:0.2'], trials: 0 }, 'trials', /Random search takes a number of trials from 1 to 200; got 0/],
      [{ grid: ['tauFast=8,16'], trials: 3 }, 'trials', /A number of trials is for random ranges/],
      [{ grid: ['tauFast=8,16'], seeds: [1, -1] }, 'seeds', /Invalid seeds: -1\. Allowed: an integer from 0 to 4294967295/],
      [{ grid: ['tauFast=8,16'], seeds: [1, 1] }, 'seeds', /One or more distinct seeds/],
      [{ grid: ['tauFast=8,16'], algos: ['fast'] }, 'algos', /"fast" is no algorithm\. Allowed: one or more of biased, local, sync, fast-only/],
      [{ grid: ['tauFast=8,16'], drawSeed: 1.5 }, 'drawSeed', /Invalid drawSeed: 1\.5/],
      [{ grid: ['tauFast=8,16'], tau: 1 }, 'tau', /Unknown sweep field "tau"\. Fields: grid, random, trials, seeds, algos, drawSeed/],
      [{ grid: ['seed=1,2'] }, 'grid', /seed cannot be swept: seeds are their own axis/],
      [{}, 'grid', /at least one key to vary/],
      [{ grid: ['tauFast=8,16', 'lambda=0.1,0.5', 'batchSize=16,32', 'momentum=0,0.9'] }, 'grid', /at most 3 keys; got 4/],
    ];
    for (const [request, field, message] of cases) {
      const refused = api.sweep(request as SweepRequest);
      await expect(refused).rejects.toBeInstanceOf(SweepPlanError);
      await expect(refused).rejects.toMatchObject({ field });
      await expect(refused).rejects.toThrow(message);
    }
    expect(ran).toEqual([]);
  });
});
