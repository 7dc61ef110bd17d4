import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, DEFAULT_CONFIG, validateConfig } from './config';
import { formatUrlConfig, parseUrlConfig, readConfigText, urlErrorText } from './config-url';

describe('parseUrlConfig', () => {
  it('gives the defaults for an empty query', () => {
    expect(parseUrlConfig('')).toEqual({ config: validateConfig({}), errors: [] });
    expect(parseUrlConfig('?').errors).toEqual([]);
  });

  it('reads every kind of value', () => {
    const { config, errors } = parseUrlConfig(
      '?algo=sync&workers=webgpu:1,wasm:2&tauFast=16&targetAccuracy=none&maxRounds=5&adaptiveBudgets=false&lambda=0.5&weightDecay=1e-4',
    );
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      algo: 'sync',
      workers: [
        { backend: 'webgpu', count: 1 },
        { backend: 'wasm', count: 2 },
      ],
      tauFast: 16,
      targetAccuracy: null,
      maxRounds: 5,
      adaptiveBudgets: false,
      lambda: 0.5,
      weightDecay: 1e-4,
    });
  });

  it('accepts percent-encoded separators and null', () => {
    const { config, errors } = parseUrlConfig('workers=wasm%3A3%2Ccpu%3A1&maxRounds=null');
    expect(errors).toEqual([]);
    expect(config.workers).toEqual([
      { backend: 'wasm', count: 3 },
      { backend: 'cpu', count: 1 },
    ]);
    expect(config.maxRounds).toBeNull();
  });

  it('replaces a bad parameter by its default, names it, and keeps the rest', () => {
    const { config, errors } = parseUrlConfig('?tauFast=0&algo=local&lambda=abc&seed=7');
    expect(config.tauFast).toBe(DEFAULT_CONFIG.tauFast);
    expect(config.lambda).toBe(DEFAULT_CONFIG.lambda);
    expect(config.algo).toBe('local');
    expect(config.seed).toBe(7);
    expect(errors.map((e) => e.key)).toEqual(['tauFast', 'lambda']);
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect(errors[0]?.message).toBe('Invalid tauFast: 0. Allowed: an integer from 1 to 4096.');
    expect(errors[1]?.message).toContain('"abc"');
  });

  it('reports unknown, duplicated and ill-typed parameters by name', () => {
    const { config, errors } = parseUrlConfig('tauFats=4&tauFast=8&tauFast=9&adaptiveBudgets=yes&workers=gpu:1&tauFast=');
    expect(errors.map((e) => e.key)).toEqual(['tauFats', 'tauFast', 'adaptiveBudgets', 'workers', 'tauFast']);
    expect(errors[0]?.allowed).toContain('a config key');
    expect(config.tauFast).toBe(8);
    expect(config.adaptiveBudgets).toBe(DEFAULT_CONFIG.adaptiveBudgets);
    expect(config.workers).toEqual(DEFAULT_CONFIG.workers);
  });

  it('reads lists and dataset specs as the validator does', () => {
    const { config, errors } = parseUrlConfig('slowdown=1:8,2:4@10&lrDecayEpochs=80,60&dataset=mnist');
    expect(errors).toEqual([]);
    expect(config.slowdown).toEqual([
      { worker: 1, factor: 8, fromRound: 1 },
      { worker: 2, factor: 4, fromRound: 10 },
    ]);
    expect(config.lrDecayEpochs).toEqual([60, 80]);
    expect(config.dataset).toBe('mnist');
    expect(parseUrlConfig('slowdown=none&lrDecayEpochs=').config).toMatchObject({ slowdown: [], lrDecayEpochs: [] });
  });

  it('refuses null for a key that cannot be null', () => {
    const { config, errors } = parseUrlConfig('batchSize=none');
    expect(config.batchSize).toBe(DEFAULT_CONFIG.batchSize);
    expect(errors[0]?.key).toBe('batchSize');
  });

  it('ignores settings that every object has, never using one as a value', () => {
    const { config, errors } = parseUrlConfig('__proto__=1&constructor=x&toString=y&hasOwnProperty=z&tauFast.x=1&tauFast=8');
    expect(config).toEqual(validateConfig({ tauFast: 8 }));
    expect(errors.map((e) => e.key)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'tauFast.x']);
    expect(errors.map((e) => urlErrorText(e))).toEqual([
      'Ignored: unknown setting __proto__.',
      'Ignored: unknown setting constructor.',
      'Ignored: unknown setting toString.',
      'Ignored: unknown setting hasOwnProperty.',
      'Ignored: unknown setting tauFast.x.',
    ]);
    expect(({} as Record<string, unknown>)['tauFast']).toBeUndefined();
  });

  it('quotes __proto__ and constructor given as values, and names the default used instead', () => {
    const { config, errors } = parseUrlConfig('tauFast=__proto__&dataset=constructor&workers=__proto__&slowdown=constructor');
    expect(config).toEqual(validateConfig({}));
    expect(errors.map((e) => urlErrorText(e))).toEqual([
      'Invalid tauFast: "__proto__". Allowed: a decimal number. Using the default, 32.',
      expect.stringMatching(/^Invalid dataset: "constructor"\. Allowed: .* Using the default, fashion-mnist\.$/),
      expect.stringMatching(/^Invalid workers: "__proto__"\. Allowed: .* Using the default, auto\.$/),
      expect.stringMatching(/^Invalid slowdown: "constructor"\. Allowed: .* Using the default, none\.$/),
    ]);
  });

  it('names the setting a sub-key error belongs to, and the value kept over another base', () => {
    const [error] = parseUrlConfig('workers=wasm:9').errors;
    expect(urlErrorText(error!)).toMatch(/^Invalid workers: "wasm:9"\. Allowed: .* Using the default, auto\.$/);
    const base = validateConfig({ tauFast: 4 });
    expect(urlErrorText(parseUrlConfig('tauFast=0', base).errors[0]!, base)).toBe('Invalid tauFast: 0. Allowed: an integer from 1 to 4096. Using the previous value, 4.');
  });

  it('says a repeated parameter is ignored, not replaced by the default', () => {
    const { errors } = parseUrlConfig('tauFast=8&tauFast=9');
    expect(urlErrorText(errors[0]!)).toBe('Ignored: tauFast=9; tauFast is given more than once and the first value is used.');
  });

  it('cuts a very long value or name in its messages', () => {
    const long = '9'.repeat(500);
    const [value, name] = parseUrlConfig(`dataset=${long}&${'k'.repeat(300)}=1`).errors;
    expect(value?.message).toContain(`"${'9'.repeat(80)}"… (500 characters)`);
    expect(value?.message).not.toContain('9'.repeat(81));
    // The allowed list (every dataset kind, text ones included) is most of what remains.
    expect(value?.message.length).toBeLessThan(400);
    expect(name?.message).toBe(`Ignored: unknown setting ${'k'.repeat(80)}… (300 characters).`);
  });

  it('reads over another base', () => {
    const base = validateConfig({ tauFast: 4 });
    expect(parseUrlConfig('seed=3', base).config).toMatchObject({ tauFast: 4, seed: 3 });
  });
});

describe('formatUrlConfig', () => {
  it('writes every key and round-trips', () => {
    const config = validateConfig({
      algo: 'fast-only',
      workers: 'wasm:2,cpu:1',
      targetAccuracy: 0.85,
      maxRounds: null,
      biasedSampling: false,
      learningRate: 0.0125,
      weightDecay: 0,
      slowdown: '0:4@3',
      lrDecayEpochs: '5,10',
    });
    const text = formatUrlConfig(config);
    expect(text).toContain('workers=wasm:2,cpu:1');
    expect(text).toContain('maxRounds=none');
    expect(text).toContain('slowdown=0:4@3');
    expect(text).toContain('lrDecayEpochs=5,10');
    expect(text.split('&')).toHaveLength(Object.keys(DEFAULT_CONFIG).length);
    expect(parseUrlConfig(text)).toEqual({ config, errors: [] });
  });

  it('round-trips workers=auto, over an explicit base too', () => {
    const explicit = validateConfig({ workers: 'webgpu:1,wasm:2' });
    const auto = validateConfig({ workers: 'auto' }, explicit);
    expect(auto.workers).toBe('auto');
    const text = formatUrlConfig(auto);
    expect(text.split('&')).toContain('workers=auto');
    expect(parseUrlConfig(text, explicit)).toEqual({ config: auto, errors: [] });
    expect(parseUrlConfig('workers=auto', explicit).config.workers).toBe('auto');
    // And back: an explicit pool in the URL replaces auto.
    expect(parseUrlConfig(formatUrlConfig(explicit), auto)).toEqual({ config: explicit, errors: [] });
  });

  it('refuses a misspelt auto by name and keeps the pool it had', () => {
    const { config, errors } = parseUrlConfig('workers=atuo');
    expect(errors.map((e) => e.key)).toEqual(['workers']);
    expect(errors[0]?.allowed).toContain('auto');
    expect(config.workers).toBe('auto');
  });

  it('round-trips the defaults', () => {
    expect(parseUrlConfig(formatUrlConfig(DEFAULT_CONFIG))).toEqual({ config: validateConfig({}), errors: [] });
  });
});

describe('parseUrlConfig on any input', () => {
  /** Every error is a ConfigError naming a parameter that was in the query; the config is always valid. */
  function check(search: string): void {
    const names = new Set([...new URLSearchParams(search).keys()]);
    const { config, errors } = parseUrlConfig(search);
    expect(validateConfig(config)).toEqual(config);
    for (const e of errors) {
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.name).toBe('ConfigError');
      expect(names.has(e.key)).toBe(true);
      expect(urlErrorText(e)).toContain(e.message);
      if (e.message.startsWith('Ignored:')) expect(e.message).toMatch((CONFIG_KEYS as string[]).includes(e.key) ? /is given more than once/ : /^Ignored: unknown setting /);
      else expect(e.message).toContain(`Invalid ${e.key.length > 80 ? e.key.slice(0, 40) : e.key}`);
      expect(urlErrorText(e)).not.toContain('[object');
    }
  }

  it('never throws on random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 500 });
  });

  it('never throws on malformed parameters of real keys', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('none', 'null', 'NaN', 'Infinity', '-1', '0', '1e999', 'true', ' ', ',', ':', '@', '%', '%zz', '__proto__'),
      fc.double().map(String),
      fc.integer().map(String),
      fc.array(fc.constantFrom('webgpu', 'wasm', 'cpu', 'gpu', ':', ',', '@', '1', '-2', '9', '1.5', ''), { maxLength: 8 }).map((p) => p.join('')),
    );
    const name = fc.oneof(fc.constantFrom(...CONFIG_KEYS), fc.constantFrom('constructor', '__proto__', 'toString', ''), fc.string({ maxLength: 8 }));
    const encode = fc.boolean();
    const query = fc.array(fc.tuple(name, text, encode), { maxLength: 12 }).map((params) =>
      params.map(([k, v, e]) => `${e ? encodeURIComponent(k) : k}=${e ? encodeURIComponent(v) : v}`).join('&'),
    );
    fc.assert(fc.property(query, fc.boolean(), (q, mark) => check(mark ? `?${q}` : q)), { numRuns: 1000 });
  });
});

describe('parseUrlConfig: dataset and model', () => {
  it('reads a text dataset with the transformer, in either order, and the model follows a dataset given alone', () => {
    for (const query of ['dataset=moby-dick&model=transformer&contextLength=32', 'model=transformer&contextLength=32&dataset=moby-dick']) {
      const { config, errors } = parseUrlConfig(query);
      expect(errors).toEqual([]);
      expect(config).toMatchObject({ dataset: 'moby-dick', model: 'transformer', contextLength: 32 });
    }
    expect(parseUrlConfig('dataset=moby-dick')).toMatchObject({ config: { model: 'transformer' }, errors: [] });
    expect(parseUrlConfig('dataset=mnist&model=mlp')).toMatchObject({ config: { dataset: 'mnist', model: 'mlp' }, errors: [] });
  });

  it('keeps the dataset of a mismatched pair and reports the model as other bad values are', () => {
    const { config, errors } = parseUrlConfig('tauFast=0&dataset=moby-dick&model=cnn');
    expect(config).toMatchObject({ dataset: 'moby-dick', model: 'transformer' });
    // The URL's order: the dataset is read first, but its errors are not listed first.
    expect(errors.map((e) => e.key)).toEqual(['tauFast', 'model']);
    expect(errors[1]?.message).toBe('Invalid model: "cnn". Allowed: transformer for the text dataset moby-dick.');
    expect(urlErrorText(errors[1]!, undefined, config)).toBe(
      'Invalid model: "cnn". Allowed: transformer for the text dataset moby-dick. Using transformer, the model for the dataset moby-dick.',
    );
    // A value kept as it was still reads as the default.
    expect(urlErrorText(errors[0]!, undefined, config)).toBe('Invalid tauFast: 0. Allowed: an integer from 1 to 4096. Using the default, 32.');
  });

  it('refuses the transformer on an image dataset, keeping the default model', () => {
    const { config, errors } = parseUrlConfig('model=transformer');
    expect(config.model).toBe(DEFAULT_CONFIG.model);
    expect(errors[0]?.message).toMatch(/^Invalid model: "transformer"\. Allowed: mlp, cnn, resnet20 for the image dataset fashion-mnist/);
    expect(urlErrorText(errors[0]!, undefined, config)).toMatch(/Using the default, cnn\.$/);
  });

  it('writes a text config back as a URL that reads the same', () => {
    const config = validateConfig({ dataset: 'moby-dick', model: 'transformer', contextLength: 32, dModel: 48, heads: 4 });
    expect(parseUrlConfig(formatUrlConfig(config))).toEqual({ config, errors: [] });
  });
});

describe('parseUrlConfig: rules across settings', () => {
  it('names the parameter refused when a rule across settings names another', () => {
    const { config, errors } = parseUrlConfig('dataset=moby-dick&dModel=9');
    expect(config.dModel).toBe(DEFAULT_CONFIG.dModel);
    expect(errors.map((e) => e.key)).toEqual(['dModel']);
    expect(urlErrorText(errors[0]!)).toBe(
      `Invalid dModel: 9. With it, invalid heads: ${DEFAULT_CONFIG.heads}. Allowed: a divisor of dModel (9). Using the default, ${DEFAULT_CONFIG.dModel}.`,
    );
  });
});

describe('readConfigText', () => {
  it('reads one value as its URL parameter is read, over a base', () => {
    expect(readConfigText('tauFast', ' 16 ')).toBe(16);
    expect(readConfigText('maxRounds', 'none')).toBeNull();
    expect(readConfigText('workers', 'webgpu:1,wasm:2')).toEqual([
      { backend: 'webgpu', count: 1 },
      { backend: 'wasm', count: 2 },
    ]);
    expect(readConfigText('adaptiveBudgets', 'false')).toBe(false);
    const text = validateConfig({ dataset: 'moby-dick', model: 'transformer' });
    expect(readConfigText('dModel', '48', text)).toBe(48);
  });

  it('refuses as parseUrlConfig does, naming the key even when a rule across settings refused it', () => {
    expect(() => readConfigText('tauFast', '0x10')).toThrow('Invalid tauFast: "0x10". Allowed: a decimal number.');
    expect(() => readConfigText('tauFast', '0')).toThrow('Invalid tauFast: 0. Allowed: an integer from 1 to 4096.');
    const text = validateConfig({ dataset: 'moby-dick', model: 'transformer' });
    const e = (() => {
      try {
        readConfigText('dModel', '9', text);
      } catch (error) {
        return error as ConfigError;
      }
      return null;
    })();
    expect(e?.key).toBe('dModel');
    expect(e?.message).toBe(parseUrlConfig('dataset=moby-dick&dModel=9').errors[0]?.message);
  });
});
