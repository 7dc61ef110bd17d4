/**
 * The same CNN written the usual tfjs way (tf.layers + tf.train.momentum),
 * trained on the same batches in the same worker. Timing it against the
 * TrainerCore step shows what Tandem's own machinery (shared-memory batches,
 * per-sample losses, flat optimizer) costs on top of bare tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { median } from '../core/schedule';
import type { ModelSpec } from '../models/spec';

/**
 * The CNN as a tf.layers model. Its weights, in order, have exactly the
 * shapes of ModelSpec.params, so theta maps onto it one to one.
 */
export function layersModel(spec: ModelSpec): tf.Sequential {
  switch (spec.name) {
    case 'cnn':
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: spec.inputShape, filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: spec.classes }),
        ],
      });
    case 'mlp':
      return tf.sequential({
        layers: [
          tf.layers.flatten({ inputShape: spec.inputShape }),
          tf.layers.dense({ units: 128, activation: 'relu' }),
          tf.layers.dense({ units: spec.classes }),
        ],
      });
    case 'resnet20':
      // Option-A shortcuts (zero-padded channels) have no tf.layers equivalent.
      throw new Error('No tf.layers form for model resnet20 (its option-A shortcuts have no layer); mlp and cnn have one.');
    case 'transformer':
      throw new Error('No tf.layers form for model transformer (causal attention has no tfjs layer); mlp and cnn have one.');
    default: {
      const never: never = spec.name;
      throw new Error(`Unknown model ${JSON.stringify(never)}`);
    }
  }
}

export async function bareStepTimes(
  spec: ModelSpec,
  batches: readonly [tf.Tensor4D, tf.Tensor1D][],
  warmupSteps: number,
  settings: { learningRate: number; momentum: number },
): Promise<{ stepMs: number; samplesMs: number[] }> {
  const model = layersModel(spec);
  const optimizer = tf.train.momentum(settings.learningRate, settings.momentum);
  const times: number[] = [];
  try {
    for (const [i, [x, y]] of batches.entries()) {
      const t0 = performance.now();
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, spec.classes), model.apply(x) as tf.Tensor2D) as tf.Scalar,
        true,
      );
      // Wait for the result, as a training loop that logs its loss does.
      await loss?.data();
      loss?.dispose();
      if (i >= warmupSteps) times.push(performance.now() - t0);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return { stepMs: median(times), samplesMs: times };
}

/**
 * Tandem's own step and the same model in bare tfjs, on the same batches
 * (`windows` of training indices): median ms of each after `warmupSteps`.
 * Tandem's step builds its batch from shared memory inside the timed region;
 * the bare loop gets ready tensors, which favours bare tfjs.
 */
export async function tandemAndBare(input: {
  spec: ModelSpec;
  windows: readonly Int32Array[];
  warmupSteps: number;
  settings: { learningRate: number; momentum: number };
  step: (indices: Int32Array) => Promise<unknown>;
  batch: (indices: Int32Array) => [tf.Tensor4D, tf.Tensor1D];
}): Promise<{ tandemStepMs: number; bareStepMs: number }> {
  const own: number[] = [];
  for (const [s, indices] of input.windows.entries()) {
    const t0 = performance.now();
    await input.step(indices);
    if (s >= input.warmupSteps) own.push(performance.now() - t0);
  }
  const batches = input.windows.map(input.batch);
  try {
    const bare = await bareStepTimes(input.spec, batches, input.warmupSteps, input.settings);
    return { tandemStepMs: median(own), bareStepMs: bare.stepMs };
  } finally {
    tf.dispose(batches.flat());
  }
}
