/**
 * The transformer on a text dataset, through the engine and in-thread
 * trainers on the cpu backend: every algorithm trains it, the accuracy is
 * per character, checkpoints resume it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../checkpoint/format';
import { ALGOS, type RunConfig } from '../core/config';
import { nodeEngine, TEXT, type NodeEngine } from './testing/node-engine';

const TEXT_RUN: Partial<RunConfig> = {
  dataset: TEXT,
  model: 'transformer',
  contextLength: 16,
  layers: 1,
  dModel: 16,
  heads: 2,
  mlpWidth: 32,
  workers: [{ backend: 'cpu', count: 2 }],
  batchSize: 8,
  tauFast: 8,
  learningRate: 0.05,
  warmupSteps: 0,
  profileSteps: 1,
  maxRounds: 6,
  parking: 'off',
  maxEvalShare: 0,
  checkpointEvery: 0,
  augmentation: 'off',
  seed: 3,
};

describe('Engine on text (in-thread cpu workers)', () => {
  let node: NodeEngine;
  const saved: Checkpoint[] = [];

  beforeAll(() => {
    node = nodeEngine({ onCheckpoint: (c) => void saved.push(c) });
  });
  afterAll(() => node.close());

  it.each(ALGOS)('%s trains the transformer: next-character accuracy well above one in the vocabulary', async (algo) => {
    const result = await node.engine.run({ ...TEXT_RUN, algo });
    const info = node.engine.datasetInfo();
    expect(info?.text?.contextLength).toBe(16);
    const vocabulary = info?.text?.vocabulary.length ?? 0;
    expect(vocabulary).toBeGreaterThan(10);
    expect(result.stoppedBy).toBe('rounds');
    // The repeated sentences are easy: far above guessing (1 / vocabulary) within a few rounds.
    expect(result.finalAccuracy ?? 0).toBeGreaterThan(3 / vocabulary);
    const losses = node.rounds().slice(-6).map((e) => e.loss);
    expect(losses.at(-1) ?? Infinity).toBeLessThan(losses[0] ?? 0);
  });

  it('a saved transformer run resumes from its round, and a changed context length lays the text out again', async () => {
    saved.length = 0;
    await node.engine.run({ ...TEXT_RUN, algo: 'biased', maxRounds: 2, checkpointEvery: 1 });
    const checkpoint = saved.find((c) => c.round === 2);
    if (!checkpoint) throw new Error('No checkpoint of round 2.');
    const resumed = await node.engine.run({ ...TEXT_RUN, algo: 'biased', maxRounds: 4 }, checkpoint);
    expect(resumed.rounds).toBe(4);
    expect(resumed.history.map((h) => h.round)).toEqual([1, 2, 3, 4]);

    await node.engine.run({ ...TEXT_RUN, algo: 'biased', contextLength: 24, maxRounds: 1 });
    expect(node.engine.datasetInfo()?.text?.contextLength).toBe(24);
    expect(node.engine.datasetInfo()?.shape).toEqual([1, 25, 1]);
  });

  it('refuses an image model on text and the transformer on images, naming what fits', async () => {
    await expect(node.engine.run({ ...TEXT_RUN, model: 'cnn' })).rejects.toThrow(/Invalid model: "cnn"\. Allowed: transformer for the text dataset/);
    await expect(node.engine.run({ ...TEXT_RUN, dataset: 'fashion-mnist' })).rejects.toThrow(/Invalid model: "transformer"\. Allowed: mlp, cnn, resnet20 for the image dataset/);
    await expect(node.engine.run({ ...TEXT_RUN, dModel: 18, heads: 4 })).rejects.toThrow(/Invalid heads: 4\. Allowed: a divisor of dModel \(18\)/);
  });
});
