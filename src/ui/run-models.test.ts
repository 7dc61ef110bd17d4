import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../core/config';
import { createRng } from '../core/rng';
import { forward } from '../models/forward';
import { initialTheta, modelSpec, paramOffsets, paramSize } from '../models/spec';
import type { DatasetInfo } from '../protocol';
import type { Checkpoint } from '../checkpoint/format';
import { finalModel, layersModelFiles, modelFileJson, modelMetadata, type FinalModel } from './run-models';

const INFO: DatasetInfo = {
  id: 'fashion-mnist',
  model: 'cnn',
  trainSize: 60_000,
  testSize: 10_000,
  shape: [28, 28, 1],
  classes: 10,
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  text: null,
};

function kept(seed: number): FinalModel {
  const spec = modelSpec('cnn', [28, 28, 1], 10);
  const checkpoint = {
    runId: `run-${seed}`,
    config: validateConfig({ model: 'cnn', dataset: 'fashion-mnist', seed }),
    model: 'cnn',
    datasetId: 'fashion-mnist',
    round: 7,
    fullAccuracy: 0.81,
    theta: initialTheta(spec, createRng(seed)),
  } as Checkpoint;
  return finalModel(checkpoint, INFO);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('finalModel', () => {
  it("refuses a dataset in memory that is not the run's", () => {
    expect(() => finalModel({ datasetId: 'mnist', model: 'cnn' } as Checkpoint, INFO)).toThrow(
      "The engine holds cnn on fashion-mnist, not this run's cnn on mnist.",
    );
    expect(() => finalModel({ datasetId: 'mnist', model: 'cnn' } as Checkpoint, null)).toThrow('The engine holds no dataset');
  });
});

describe('the downloaded model', () => {
  it('is the kept weights, says which run it is and how to feed it, and loads back in tfjs with the same logits', async () => {
    const m = kept(3);
    const artifacts = await layersModelFiles(m);
    // The weights file is theta itself: run #2's file is run #2's weights, whatever the workers hold.
    expect(new Float32Array(artifacts.weightData)).toEqual(m.theta);

    const metadata = modelMetadata(m, 2, 0.83);
    expect(metadata.tandem).toMatchObject({
      run: 2,
      runId: 'run-3',
      algo: 'biased',
      round: 7,
      accuracy: 0.83,
      datasetId: 'fashion-mnist',
      input: { shape: [null, 28, 28, 1], dtype: 'float32', layout: 'NHWC', scale: '1/255' },
      output: 'logits',
    });
    const json = JSON.parse(modelFileJson(artifacts, 'tandem-model.weights.bin', metadata)) as tf.io.ModelJSON;
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory(await tf.io.getModelArtifactsForJSON(json, async () => [artifacts.weightSpecs, artifacts.weightData])),
    );
    expect(loaded.getUserDefinedMetadata()).toEqual(JSON.parse(JSON.stringify(metadata)));

    // Its predictions are Tandem's own forward pass over theta: logits, no softmax.
    const spec = modelSpec('cnn', [28, 28, 1], 10);
    const offsets = paramOffsets(spec);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const params = spec.params.map((p, i) => tf.tensor(m.theta.slice(offsets[i], (offsets[i] ?? 0) + paramSize(p)), p.shape));
    const ours = await forward(spec, params, x).logits.array();
    const theirs = await (loaded.predict(x) as tf.Tensor2D).array();
    ours.flat().forEach((v, i) => expect(theirs.flat()[i]).toBeCloseTo(v, 4));
    expect(theirs[0]?.reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 2);
    loaded.dispose();
    tf.dispose([x, ...params]);
  });
});
