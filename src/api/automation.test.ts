import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../backends/capabilities';
import type { SaveStore } from '../checkpoint/store';
import { ConfigError } from '../core/config';
import type { Engine } from '../orchestrator/engine';
import type { GenerateRequest, GenerateResult } from '../protocol';
import { checkGenerateRequest, createTandemApi } from './automation';
import { ConfigStore } from './config-store';
import { RunArchive } from './run-archive';

/** The API over an engine that only writes: it records what reached it. */
function apiWithWriter() {
  const asked: GenerateRequest[] = [];
  const engine = {
    diagnostics: {},
    generate: async (request: GenerateRequest): Promise<GenerateResult> => {
      asked.push(request);
      return { text: 'x'.repeat(request.length), round: 3, ms: 1 };
    },
  } as unknown as Engine;
  const api = createTandemApi(
    engine,
    Promise.resolve(),
    new Promise<Readonly<Capabilities>>(() => {}),
    new ConfigStore(),
    new RunArchive(),
    async () => [],
    {} as SaveStore,
  );
  return { api, asked };
}

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
