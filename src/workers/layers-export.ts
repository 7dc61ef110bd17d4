/** A model's weights as a tfjs layers model (model.json parts + weights), for download. */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../models/spec';
import type { ModelArtifacts } from '../protocol';
import { layersModel } from './bare-baseline';

/** `weights` in `spec.params` order; the caller keeps them. Throws if tfjs produces no artifacts. */
export async function layersArtifacts(spec: ModelSpec, weights: readonly tf.Tensor[]): Promise<ModelArtifacts> {
  const model = layersModel(spec);
  try {
    model.setWeights([...weights]);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const artifacts = saved as tf.io.ModelArtifacts | null;
    if (!artifacts?.modelTopology || !artifacts.weightSpecs || !(artifacts.weightData instanceof ArrayBuffer)) {
      throw new Error(`tfjs produced no model artifacts for ${spec.name}.`);
    }
    return {
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })),
      weightData: artifacts.weightData,
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: null,
    };
  } finally {
    model.dispose();
  }
}
