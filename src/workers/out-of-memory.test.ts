import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { cnnSpec, paramCount } from '../models/spec';
import type { BackendReport } from '../protocol';
import { computeLayout, SharedViews } from '../shared-memory/layout';
import { isOutOfMemory } from './out-of-memory';
import { TrainerCore, type BackendStarter } from './trainer-core';
import { reportingFailures } from './trainer-failures';

const cpu: BackendStarter = async (_id, backend): Promise<BackendReport> => {
  await tf.setBackend('cpu');
  return { requested: backend, backend: 'cpu', failures: [], adapter: null, wasm: null, tfBackend: tf.getBackend() };
};

describe('a trainer that runs out of memory', () => {
  it('tells memory failures from others by what the backends say', () => {
    for (const text of ['RuntimeError: Aborted(). Build with -sASSERTIONS for more info.', 'RuntimeError: memory access out of bounds', 'RangeError: Array buffer allocation failed']) {
      expect(isOutOfMemory(new Error(text)), text).toBe(true);
    }
    expect(isOutOfMemory(new Error('Worker 0: cannot runRound while new.'))).toBe(false);
  });

  it('names memory, the worker, the model and the batch, ends itself and tells its host; other errors pass as they are', async () => {
    const model = cnnSpec([8, 8, 1], 2);
    const layout = computeLayout({ paramCount: paramCount(model), slots: 1, trainSize: 16, testSize: 4, sampleBytes: 64, shardCapacity: 16 });
    const views = new SharedViews(new SharedArrayBuffer(layout.totalBytes), layout);
    const lost: string[] = [];
    const core = new TrainerCore(cpu, (reason) => lost.push(reason));
    const calls = reportingFailures(core);
    await calls.init({ id: 3, backend: 'wasm', fallback: 'fallback', memory: views.buffer, layout, model });
    calls.configure({ learningRate: 0.1, momentum: 0.9, weightDecay: 0, batchSize: 384, augment: { cropPadding: 0, flip: false }, seed: 1 }, true);

    // Any other failure is reported as it is, and the trainer goes on.
    await expect(calls.runRound({ round: 1, steps: 1, shardOffset: 0, shardStored: 99, slowdown: 1, untilClosed: 0, minSteps: 0, resume: false })).rejects.toThrow();
    expect(lost).toEqual([]);

    const abort = Object.assign(new Error('Aborted(). Build with -sASSERTIONS for more info.'), { name: 'RuntimeError' });
    core.loadGlobal = () => Promise.reject(abort);
    await expect(calls.loadGlobal(true)).rejects.toThrow(
      /^Worker 3 \(cpu\) ran out of memory during loadGlobal, training cnn at batch 384 \(Aborted\(\)\. Build with -sASSERTIONS for more info\.\)\. Lower batchSize .* the worker is replaced before the next run\.$/,
    );
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/ran out of memory/);
    // Its backend is dead: every later call says why.
    await expect(calls.evaluate(0, 4)).rejects.toThrow(/cannot evaluate: Worker 3 \(cpu\) ran out of memory/);
    calls.dispose();
  });
});
