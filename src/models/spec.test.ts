import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng';
import { trainingFlops } from './costs';
import { cnnSpec, initialTheta, mlpSpec, paramCount, paramOffsets, resnet20Spec, trainableCount } from './spec';

describe('model specs', () => {
  it('counts the CNN and MLP parameters', () => {
    expect(paramCount(cnnSpec())).toBe(80 + 1168 + 7850);
    expect(paramCount(mlpSpec())).toBe(784 * 128 + 128 + 128 * 10 + 10);
  });

  it('builds ResNet-20 with about 0.27 M trainable parameters and BatchNorm state', () => {
    const spec = resnet20Spec();
    expect(trainableCount(spec)).toBe(269_722);
    const state = spec.params.filter((p) => p.role === 'state');
    // 19 BatchNorm layers, each with a running mean and variance.
    expect(state.length).toBe(38);
    expect(paramCount(spec) - trainableCount(spec)).toBe(2 * (16 * 7 + 32 * 6 + 64 * 6));
  });

  it('initialises deterministically by seed, with BatchNorm gamma and variance at 1', () => {
    const spec = resnet20Spec([8, 8, 3]);
    const a = initialTheta(spec, createRng(1));
    expect(initialTheta(spec, createRng(1))).toEqual(a);
    expect(initialTheta(spec, createRng(2))).not.toEqual(a);
    const offsets = paramOffsets(spec);
    spec.params.forEach((p, i) => {
      const at = offsets[i] ?? 0;
      const first = a[at];
      if (p.init === 'ones') expect(first, p.name).toBe(1);
      if (p.init === 'zeros') expect(first, p.name).toBe(0);
    });
  });

  it('counts a CNN training step at batch 32 without the first layer\'s input gradient', () => {
    // conv 3x3 1->8 on 28x28: 3.6 MFLOP forward, whose input gradient training never computes.
    const firstConv = 2 * 28 * 28 * 9 * 1 * 8 * 32;
    expect(firstConv / 1e6).toBeCloseTo(3.61, 2);
    expect(trainingFlops(cnnSpec(), 32) / 1e6).toBeCloseTo(52.1, 1);
    expect(trainingFlops(cnnSpec(), 32)).toBe(trainingFlops(cnnSpec(), 1) * 32);
    expect(trainingFlops(resnet20Spec(), 1) / 1e6).toBeGreaterThan(100);
  });
});
