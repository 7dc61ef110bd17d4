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

  it.each(ALGOS)('%s trains the transformer: next-character accuracy well above one in the vocabulary, bits per character below the unigram entropy', async (algo) => {
    const result = await node.engine.run({ ...TEXT_RUN, algo });
    const info = node.engine.datasetInfo();
    expect(info?.text?.contextLength).toBe(16);
    const vocabulary = info?.text?.vocabulary.length ?? 0;
    expect(vocabulary).toBeGreaterThan(10);
    expect(result.stoppedBy).toBe('rounds');
    // The repeated sentences are easy: far above guessing (1 / vocabulary) within a few rounds.
    expect(result.finalAccuracy ?? 0).toBeGreaterThan(3 / vocabulary);
    // Bits per character on the whole test set, below what character frequencies alone give.
    expect((result.finalLoss ?? Infinity) / Math.LN2).toBeLessThan(info?.text?.unigramBitsPerChar ?? 0);
    expect(node.rounds().at(-1)?.testLoss).toBeGreaterThan(0);
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

  it('writes: the continuation has the length asked for, from the vocabulary; the same seed writes the same text; during a run, between rounds', async () => {
    await node.engine.run({ ...TEXT_RUN, algo: 'biased', maxRounds: 3 });
    const vocabulary = new Set(node.engine.datasetInfo()?.text?.vocabulary ?? []);
    const a = await node.engine.generate({ prompt: 'the whale ', length: 40, temperature: 0.8, seed: 5 });
    expect([...a.text]).toHaveLength(40);
    expect([...a.text].every((c) => vocabulary.has(c))).toBe(true);
    expect(a.round).toBe(3);
    expect((await node.engine.generate({ prompt: 'the whale ', length: 40, temperature: 0.8, seed: 5 })).text).toBe(a.text);

    // Asked in the middle of a run: answered after a round, by the model of that round.
    let asked: Promise<{ text: string; round: number }> | null = null;
    const off = node.engine.on((e) => {
      if (e.type === 'round' && e.event.round === 1 && asked === null) asked = node.engine.generate({ prompt: 'the ', length: 10, temperature: 1 });
    });
    await node.engine.run({ ...TEXT_RUN, algo: 'local', maxRounds: 3 }).finally(off);
    const during = await (asked as unknown as Promise<{ text: string; round: number }>);
    expect([...during.text]).toHaveLength(10);
    expect(during.round).toBeGreaterThanOrEqual(1);

    await expect(node.engine.generate({ prompt: 'the \u00e9 whale', length: 5, temperature: 1 })).rejects.toThrow(/^Invalid prompt: "\u00e9"\. Allowed: characters of the dataset's vocabulary/);
    await expect(node.engine.generate({ prompt: '', length: 5, temperature: 1 })).rejects.toThrow(/Invalid prompt: ""\. Allowed: a text of 1 to 1000 characters/);
    await expect(node.engine.generate({ prompt: 'the', length: 0, temperature: 1 })).rejects.toThrow(/Invalid length: 0\. Allowed: an integer from 1 to 1000/);
    await expect(node.engine.generate({ prompt: 'the', length: 5, temperature: 0 })).rejects.toThrow(/Invalid temperature: 0\. Allowed: a number in \(0, 5\]/);
  });

  it('refuses an image model on text and the transformer on images, naming what fits', async () => {
    await expect(node.engine.run({ ...TEXT_RUN, model: 'cnn' })).rejects.toThrow(/Invalid model: "cnn"\. Allowed: transformer for the text dataset/);
    await expect(node.engine.run({ ...TEXT_RUN, dataset: 'fashion-mnist' })).rejects.toThrow(/Invalid model: "transformer"\. Allowed: mlp, cnn, resnet20 for the image dataset/);
    await expect(node.engine.run({ ...TEXT_RUN, dModel: 18, heads: 4 })).rejects.toThrow(/Invalid heads: 4\. Allowed: a divisor of dModel \(18\)/);
  });
});
