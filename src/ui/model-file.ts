/**
 * A kept model (theta) as tfjs layers artifacts, on the page's main thread:
 * the same tf.layers model the workers export (src/workers/layers-export.ts),
 * given the kept weights instead of shared memory's. Imported dynamically
 * by run-models.ts, so the page loads tfjs only when a model is downloaded.
 */
import * as tf from '@tensorflow/tfjs';
import { modelSpec, paramCount, paramOffsets, paramSize } from '../models/spec';
import type { ModelArtifacts } from '../protocol';
import { layersArtifacts } from '../workers/layers-export';
import type { FinalModel } from './run-models';

export async function layersArtifactsOf(m: FinalModel): Promise<ModelArtifacts> {
  // The CPU backend: a one-off copy of weights needs no GPU, and the page's GPU belongs to the trainers.
  await tf.setBackend('cpu');
  const [height, width, channels] = m.shape;
  const spec = modelSpec(m.model, [height, width, channels], m.classes);
  const expected = paramCount(spec);
  if (m.theta.length !== expected) {
    throw new Error(`The kept model holds ${m.theta.length} weights; ${m.model} on ${m.datasetId} has ${expected}.`);
  }
  const offsets = paramOffsets(spec);
  const weights = spec.params.map((p, i) => {
    const at = offsets[i] ?? 0;
    return tf.tensor(m.theta.slice(at, at + paramSize(p)), p.shape);
  });
  try {
    return await layersArtifacts(spec, weights);
  } finally {
    tf.dispose(weights);
  }
}
