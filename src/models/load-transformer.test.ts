import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng';
import { sampleText } from '../workers/text-sampler';
import { loadTransformer } from './load-transformer';
import { initialTheta, transformerSpec } from './spec';
import { paramSlices, readTransformerFile, transformerFileJson } from './transformer-file';
import { transformerForward } from './transformer';

const VOCAB = ['\n', ' ', '.', 'a', 'b', 'c', 'd', 'e'];

describe('a downloaded transformer', () => {
  const spec = transformerSpec({ vocab: VOCAB.length, contextLength: 8, layers: 1, dModel: 8, heads: 2, mlpWidth: 16 });
  const theta = initialTheta(spec, createRng(4));
  const json = JSON.parse(transformerFileJson(spec, VOCAB, 'tandem-model.weights.bin', { run: 1, round: 3 })) as unknown;
  const weights = theta.slice().buffer;

  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('loads back exactly: the same logits as the model it was written from, the same text for a seed', async () => {
    const model = loadTransformer(json, weights);
    const params = paramSlices(spec, theta).map((v, i) => tf.tensor(v, spec.params[i]?.shape ?? []));
    const expected = transformerForward(spec, params, tf.tensor2d([[4, 3, 1, 5]], [1, 4], 'int32'), false);
    const got = model.logits('ba c');
    expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
    const ids = await sampleText(spec, params, [4, 3], 12, 0.8, createRng(9));
    expect(await model.write('ba', { length: 12, temperature: 0.8, seed: 9 })).toBe(ids.map((i) => VOCAB[i]).join(''));
    expect(model.file.tandem).toEqual({ run: 1, round: 3 });
    tf.dispose([got, expected, ...params]);
    model.dispose();
  });

  it('refuses another format, weights of another size, a NaN weight and a character outside the vocabulary, saying which', () => {
    expect(() => readTransformerFile({ ...(json as object), format: 'tfjs-layers' }, weights)).toThrow(/format is "tfjs-layers"; this reader reads tandem-transformer\/1/);
    expect(() => readTransformerFile(json, weights.slice(4))).toThrow(/the weights hold \d+ bytes; \d+ parameters need \d+/);
    const nan = theta.slice();
    nan[5] = Number.NaN;
    expect(() => readTransformerFile(json, nan.buffer)).toThrow(/weight 5 is NaN/);
    const model = loadTransformer(json, weights);
    expect(() => model.logits('xyz')).toThrow(/"x" is not in the model's vocabulary/);
    model.dispose();
  });
});
