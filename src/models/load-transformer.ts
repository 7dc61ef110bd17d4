/**
 * Loads a transformer Download model wrote (transformer-file.ts) and writes
 * with it, in a page or in Node, on whatever tfjs backend is set:
 *
 *   const model = loadTransformer(JSON.parse(jsonText), weightsArrayBuffer);
 *   console.log(await model.write('Call me Ishmael. ', { length: 200, temperature: 0.8 }));
 *   model.dispose();
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../core/rng';
import { sampleText } from '../workers/text-sampler';
import type { ModelSpec } from './spec';
import { transformerForward } from './transformer';
import { paramSlices, readTransformerFile, type TransformerFile } from './transformer-file';

export interface LoadedTransformer {
  spec: ModelSpec;
  /** Characters by id. */
  vocabulary: readonly string[];
  file: TransformerFile;
  /** Continues `prompt` (characters of the vocabulary) by `length` characters; the same seed writes the same text. */
  write(prompt: string, options: { length: number; temperature?: number; seed?: number }): Promise<string>;
  /** The next-character logits at every position of `text` ([1, characters, vocab], caller disposes). */
  logits(text: string): tf.Tensor3D;
  dispose(): void;
}

export function loadTransformer(json: unknown, weights: ArrayBuffer): LoadedTransformer {
  const { spec, theta, vocabulary, file } = readTransformerFile(json, weights);
  const params = paramSlices(spec, theta).map((values, i) => tf.tensor(values, spec.params[i]?.shape ?? [values.length]));
  const ids = new Map(vocabulary.map((c, i) => [c, i]));
  const encode = (text: string): number[] =>
    Array.from(text, (c) => {
      const id = ids.get(c);
      if (id === undefined) throw new Error(`The character ${JSON.stringify(c)} is not in the model's vocabulary (${vocabulary.length} characters).`);
      return id;
    });
  return {
    spec,
    vocabulary,
    file,
    async write(prompt, { length, temperature = 0.8, seed = 0 }) {
      const out = await sampleText(spec, params, encode(prompt), length, temperature, createRng(seed));
      return out.map((id) => vocabulary[id] ?? '').join('');
    },
    logits(text) {
      const context = encode(text).slice(-(spec.sequence?.contextLength ?? 1));
      return tf.tidy(() => transformerForward(spec, params, tf.tensor2d(context, [1, context.length], 'int32'), false));
    },
    dispose() {
      tf.dispose(params);
    },
  };
}
