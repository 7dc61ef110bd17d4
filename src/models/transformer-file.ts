/**
 * A trained transformer as two files anyone can load: `model.json`, which
 * says what the model is (its sizes, its vocabulary in id order, its
 * parameters' names and shapes, and the run it came from), and the weights,
 * every parameter's float32 values in that order, little-endian. tf.layers
 * has no causal attention layer, so this is not the tfjs layers format;
 * load-transformer.ts reads it back and writes with it. Pure (no tfjs).
 */
import { paramCount, paramSize, transformerSpec, type ModelSpec } from './spec';

export const TRANSFORMER_FORMAT = 'tandem-transformer/1';

export interface TransformerFile {
  format: typeof TRANSFORMER_FORMAT;
  /** The sizes transformerSpec builds the model from. */
  options: { vocab: number; contextLength: number; layers: number; dModel: number; heads: number; mlpWidth: number };
  /** Characters by id: what the model reads and writes. */
  vocabulary: string[];
  /** Every parameter, in the weights file's order. */
  params: { name: string; shape: number[] }[];
  /** The weights file, beside this one. */
  weightsFile: string;
  /** Where the model came from: run, config, round, whole-test-set accuracy and loss. */
  tandem: Record<string, unknown>;
}

/** model.json for `spec` (a transformer) with `vocabulary` and what the run says of itself. */
export function transformerFileJson(spec: ModelSpec, vocabulary: readonly string[], weightsFile: string, tandem: Record<string, unknown>): string {
  const s = spec.sequence;
  if (!s) throw new Error(`${spec.name} is not a transformer; it is exported in the tfjs layers format.`);
  const file: TransformerFile = {
    format: TRANSFORMER_FORMAT,
    options: { vocab: s.vocab, contextLength: s.contextLength, layers: s.layers, dModel: s.dModel, heads: s.heads, mlpWidth: s.mlpWidth },
    vocabulary: [...vocabulary],
    params: spec.params.map((p) => ({ name: p.name, shape: [...p.shape] })),
    weightsFile,
    tandem,
  };
  return JSON.stringify(file);
}

/** Reads model.json and the weights back; a file of another kind, or weights of another size, are refused with why. */
export function readTransformerFile(json: unknown, weights: ArrayBuffer): { spec: ModelSpec; theta: Float32Array; vocabulary: string[]; file: TransformerFile } {
  const fail = (what: string): never => {
    throw new Error(`Not a Tandem transformer file: ${what}`);
  };
  if (typeof json !== 'object' || json === null) return fail('model.json is not an object.');
  const file = json as TransformerFile;
  if (file.format !== TRANSFORMER_FORMAT) return fail(`format is ${JSON.stringify(file.format)}; this reader reads ${TRANSFORMER_FORMAT}.`);
  const o = file.options;
  if (typeof o !== 'object' || o === null) return fail('options are missing.');
  if (!Array.isArray(file.vocabulary) || file.vocabulary.length !== o.vocab || !file.vocabulary.every((c) => typeof c === 'string')) {
    fail(`the vocabulary has ${Array.isArray(file.vocabulary) ? file.vocabulary.length : 'no'} characters; options.vocab says ${o.vocab}.`);
  }
  const spec = transformerSpec(o);
  const names = spec.params.map((p) => `${p.name}[${p.shape.join(',')}]`).join(' ');
  const listed = (file.params ?? []).map((p) => `${p.name}[${p.shape.join(',')}]`).join(' ');
  if (names !== listed) fail('its parameter list is not the one its options build.');
  const count = paramCount(spec);
  if (weights.byteLength !== 4 * count) fail(`the weights hold ${weights.byteLength} bytes; ${count} parameters need ${4 * count}.`);
  const theta = new Float32Array(weights.slice(0));
  const bad = theta.findIndex((v) => !Number.isFinite(v));
  if (bad !== -1) fail(`weight ${bad} is ${theta[bad]}.`);
  return { spec, theta, vocabulary: [...file.vocabulary], file };
}

/** Each parameter's slice of `theta`, in spec order (what load-transformer.ts makes tensors of). */
export function paramSlices(spec: ModelSpec, theta: Float32Array): Float32Array[] {
  let at = 0;
  return spec.params.map((p) => {
    const n = paramSize(p);
    const slice = theta.subarray(at, at + n);
    at += n;
    return slice;
  });
}
