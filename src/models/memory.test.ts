import { describe, expect, it } from 'vitest';
import { largestBatch, memoryRefusal, trainingBytes, WASM_MEMORY_BYTES } from './memory';
import { activationFloats } from './costs';
import { cnnSpec, mlpSpec, resnet20Spec } from './spec';

describe('training memory', () => {
  const resnet = resnet20Spec([32, 32, 3], 10);

  it('counts every layer output a step keeps: the MLP by hand', () => {
    // flatten 784, dense 128, its ReLU 128, dense 10.
    expect(activationFloats(mlpSpec([28, 28, 1], 10))).toBe(784 + 128 + 128 + 10);
  });

  it('grows with the batch, and refuses ResNet-20 on CIFAR at the batches that aborted a WASM worker (384, 512)', () => {
    expect(trainingBytes(resnet, 64)).toBeLessThan(trainingBytes(resnet, 128));
    for (const batch of [384, 512]) {
      const why = memoryRefusal(resnet, 'wasm', batch);
      expect(why).toMatch(new RegExp(`^resnet20 on 32x32x3 images at batch ${batch} needs about [0-9.]+ GiB per wasm worker`));
      expect(why).toMatch(/at most 2 GiB\. Use a batch of at most \d+ for wasm \(batchSize, or batchSizeByBackend wasm:\d+\)\.$/);
    }
    const fits = largestBatch(resnet, WASM_MEMORY_BYTES);
    expect(fits).toBeGreaterThanOrEqual(128);
    expect(fits).toBeLessThan(384);
    expect(memoryRefusal(resnet, 'wasm', fits)).toBeNull();
    expect(memoryRefusal(resnet, 'wasm', fits + 1)).not.toBeNull();
  });

  it('never refuses the small models at any batch the config allows, nor a backend without a known limit', () => {
    expect(memoryRefusal(cnnSpec(), 'wasm', 4096)).toBeNull();
    expect(memoryRefusal(mlpSpec(), 'wasm', 4096)).toBeNull();
    expect(memoryRefusal(resnet, 'webgpu', 4096)).toBeNull();
    expect(memoryRefusal(resnet, 'cpu', 4096)).toBeNull();
  });
});
