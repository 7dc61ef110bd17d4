import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig, type ModelName } from '../core/config';
import { parseDatasetSpec } from '../core/dataset-spec';
import { encodeCifar10, parseCifar10 } from '../data/cifar10';
import { loadDataset } from '../data/sources';
import { modelSpec, paramCount } from '../models/spec';
import type { RoundEvent } from '../protocol';
import { CheckpointError, type Checkpoint } from './format';
import { checkImport, knownDataset } from './validate';

const weightsOf = (model: ModelName, shape: [number, number, number]) => paramCount(modelSpec(model, shape, 10));
const FASHION_CNN_WEIGHTS = weightsOf('cnn', [28, 28, 1]);

/** A checkpoint as a fashion-mnist cnn run could save it: some samples seen, the rest +Infinity. */
function good(over: Partial<Checkpoint> = {}): Checkpoint {
  const dataset = over.datasetId ?? 'fashion-mnist';
  const model = over.model ?? 'cnn';
  const losses = new Float32Array(60_000).fill(Number.POSITIVE_INFINITY);
  losses.fill(0.7, 0, 1_000);
  return {
    savedAt: '2026-01-01T00:00:00.000Z',
    runId: 'run-1',
    config: validateConfig({ dataset, model }),
    datasetId: dataset,
    model,
    round: 12,
    trainMs: 34_000,
    learningRate: 0.05,
    fullAccuracy: null,
    totals: null,
    history: [{ round: 11 }, { round: 12 }] as RoundEvent[],
    theta: new Float32Array(FASHION_CNN_WEIGHTS).fill(0.01),
    losses,
    ...over,
  };
}

function refusal(c: Checkpoint): string {
  try {
    checkImport(c, 'in.tandem');
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return (e as Error).message;
  }
  throw new Error('checkImport accepted it');
}

describe('checkImport', () => {
  it('accepts a good checkpoint, unseen samples (+Infinity) included', () => {
    expect(() => checkImport(good(), 'in.tandem')).not.toThrow();
    const mnist = good({ datasetId: 'mnist', model: 'mlp', theta: new Float32Array(weightsOf('mlp', [28, 28, 1])), losses: new Float32Array(9_000) });
    expect(() => checkImport(mnist, 'm')).not.toThrow();
  });

  it('refuses a dataset that differs from its config', () => {
    const c = good();
    c.datasetId = 'mnist';
    expect(refusal(c)).toBe(
      'Checkpoint in.tandem: datasetId "mnist" differs from config.dataset "fashion-mnist"; the two must be the same dataset spec.',
    );
  });

  it('refuses a model that differs from its config', () => {
    expect(refusal({ ...good(), model: 'mlp' })).toBe('Checkpoint in.tandem: model "mlp" differs from config.model "cnn"; the two must be equal.');
  });

  it('refuses a theta of the wrong length for the model on the dataset', () => {
    expect(refusal(good({ theta: new Float32Array(FASHION_CNN_WEIGHTS + 1) }))).toBe(
      `Checkpoint in.tandem: theta holds ${FASHION_CNN_WEIGHTS + 1} weights; cnn on fashion-mnist has ${FASHION_CNN_WEIGHTS}.`,
    );
    // cifar10's shape is known too: a 28x28 cnn's weights are not a 32x32x3 one's.
    const cifar = good({ datasetId: 'cifar10', losses: new Float32Array(10) });
    expect(refusal(cifar)).toMatch(new RegExp(`theta holds ${FASHION_CNN_WEIGHTS} weights; cnn on cifar10 has ${weightsOf('cnn', [32, 32, 3])}\\.`));
  });

  it('refuses a loss table that is not one entry per training sample', () => {
    expect(refusal(good({ losses: new Float32Array(59_999) }))).toBe(
      'Checkpoint in.tandem: losses hold 59999 entries; fashion-mnist has 60000 training samples, one loss each.',
    );
    expect(refusal(good({ datasetId: 'mnist', model: 'cnn', losses: new Float32Array(60_000) }))).toMatch(/losses hold 60000 entries; mnist has 9000/);
  });

  it('skips the counts where only loading the data tells them, and no more', () => {
    // cifar10 loads any subset of its training batches: its loss count is left to resume.
    const cifar = good({ datasetId: 'cifar10:data/c10/', model: 'resnet20', theta: new Float32Array(weightsOf('resnet20', [32, 32, 3])), losses: new Float32Array(10) });
    expect(() => checkImport(cifar, 'c')).not.toThrow();
    const idx = good({ datasetId: 'idx:data/digits/', theta: new Float32Array(5), losses: new Float32Array(3) });
    expect(() => checkImport(idx, 'i')).not.toThrow();
    idx.theta[4] = Number.NaN;
    expect(refusal(idx)).toMatch(/theta\[4\] is NaN/);
  });

  it('refuses a NaN weight, naming the first and counting them', () => {
    const c = good();
    c.theta[5] = Number.NaN;
    c.theta[9] = Number.NaN;
    expect(refusal(c)).toBe(
      `Checkpoint in.tandem: theta[5] is NaN (2 of ${FASHION_CNN_WEIGHTS} weights are NaN or infinite); every weight must be finite.`,
    );
  });

  it('refuses an infinite weight', () => {
    const c = good();
    c.theta[FASHION_CNN_WEIGHTS - 1] = Number.POSITIVE_INFINITY;
    expect(refusal(c)).toMatch(new RegExp(`theta\\[${FASHION_CNN_WEIGHTS - 1}\\] is Infinity \\(1 of`));
    c.theta[0] = Number.NEGATIVE_INFINITY;
    expect(refusal(c)).toMatch(/theta\[0\] is -Infinity \(2 of/);
  });

  it('refuses a NaN or -Infinity loss; +Infinity means not seen yet', () => {
    const c = good();
    c.losses[7] = Number.NaN;
    expect(refusal(c)).toBe(
      'Checkpoint in.tandem: losses[7] is NaN (1 of 60000 losses are NaN or -Infinity); a loss must be finite, or +Infinity for a sample not seen yet.',
    );
    c.losses[7] = Number.NEGATIVE_INFINITY;
    expect(refusal(c)).toMatch(/losses\[7\] is -Infinity/);
  });

  it('refuses a round that is not whole, a history that passes it, and a negative clock', () => {
    expect(refusal(good({ round: 12.5 }))).toBe('Checkpoint in.tandem: round is 12.5; expected a whole number.');
    expect(refusal(good({ round: 11 }))).toBe(
      "Checkpoint in.tandem: history[1].round is 12; expected a whole number no greater than the checkpoint's round 11.",
    );
    expect(refusal(good({ history: [{}] as RoundEvent[] }))).toMatch(/history\[0\]\.round is missing/);
    expect(refusal(good({ trainMs: -1 }))).toBe('Checkpoint in.tandem: trainMs is -1; expected a finite number of ms >= 0.');
  });
});

describe('knownDataset', () => {
  it('knows cifar10 by the shape its reader produces, and idx not at all', () => {
    const one = parseCifar10([{ name: 'b', bytes: encodeCifar10(Uint8Array.of(3), new Uint8Array(32 * 32 * 3)) }], 'train');
    expect(knownDataset('cifar10')).toEqual({ shape: [one.height, one.width, one.channels], classes: one.classes, trainSize: null });
    expect(knownDataset('cifar10:somewhere/')).toEqual(knownDataset('cifar10'));
    expect(knownDataset('idx:somewhere/')).toBeNull();
    expect(knownDataset('not a dataset')).toBeNull();
  });

  // The embedded files are generated by `npm install` (scripts/prepare-data.mjs), not committed.
  const dataDir = join(import.meta.dirname, '../../public/data/');
  for (const id of ['fashion-mnist', 'mnist'] as const) {
    it.skipIf(!existsSync(join(dataDir, `${id}.bin`)))(`matches what the engine loads for ${id}`, async () => {
      const read = (url: string) => Promise.resolve(existsSync(url) ? new Uint8Array(readFileSync(url)) : null);
      const loaded = await loadDataset(parseDatasetSpec(id)!, read, dataDir);
      const { train, test } = loaded;
      expect(knownDataset(id)).toEqual({
        shape: [train.height, train.width, train.channels],
        classes: Math.max(train.classes, test.classes),
        trainSize: train.count,
      });
    });
  }
});
