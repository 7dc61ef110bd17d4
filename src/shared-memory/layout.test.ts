import { describe, expect, it } from 'vitest';
import { CONTROL_WORDS, LayoutError, SLOT_VERSION_BASE, SharedViews, computeLayout, type LayoutSpec, type Region } from './layout';

const PARAMS = { paramCount: 9098, slots: 8, trainSize: 60_000, testSize: 10_000, sampleBytes: 784, shardCapacity: 60_000 };

function regions(spec: LayoutSpec): [string, Region][] {
  return (['control', 'global', 'gradient', 'slotsRegion', 'losses', 'shards', 'labels', 'images'] as const).map((k) => [k, spec[k]]);
}

describe('computeLayout', () => {
  it('sizes every region from the parameters', () => {
    const spec = computeLayout(PARAMS);
    expect(spec.control.bytes).toBe(CONTROL_WORDS * 4);
    expect(spec.global.bytes).toBe(9098 * 4);
    expect(spec.slotsRegion.bytes).toBe(8 * 9098 * 4);
    expect(spec.losses.bytes).toBe(60_000 * 4);
    expect(spec.shards.bytes).toBe(8 * 60_000 * 4);
    expect(spec.labels.bytes).toBe(70_000);
    expect(spec.images.bytes).toBe(70_000 * 784);
  });

  it('aligns regions to 16 bytes without overlap, inside the buffer', () => {
    const spec = computeLayout({ ...PARAMS, paramCount: 13, trainSize: 7, testSize: 3, sampleBytes: 5 });
    const sorted = regions(spec).sort((a, b) => a[1].offset - b[1].offset);
    for (let i = 0; i < sorted.length; i++) {
      const [name, r] = sorted[i]!;
      expect(r.offset % 16, name).toBe(0);
      const next = sorted[i + 1];
      if (next) expect(r.offset + r.bytes, `${name} overlaps ${next[0]}`).toBeLessThanOrEqual(next[1].offset);
      else expect(r.offset + r.bytes).toBeLessThanOrEqual(spec.totalBytes);
    }
  });

  it('rejects bad parameters by name', () => {
    expect(() => computeLayout({ ...PARAMS, paramCount: 0 })).toThrow(/paramCount: 0/);
    expect(() => computeLayout({ ...PARAMS, slots: 1.5 })).toThrow(LayoutError);
    expect(() => computeLayout({ ...PARAMS, slots: 100 })).toThrow(/slots: 100/);
  });
});

describe('SharedViews', () => {
  const spec = computeLayout({ ...PARAMS, paramCount: 10, slots: 3, trainSize: 6, testSize: 2, sampleBytes: 4, shardCapacity: 6 });
  const views = new SharedViews(new SharedArrayBuffer(spec.totalBytes), spec);

  it('gives each worker its own slot and shard', () => {
    views.slot(0).fill(1);
    views.slot(1).fill(2);
    views.slot(2).fill(3);
    expect(views.global.every((x) => x === 0)).toBe(true);
    expect([...views.slot(1)]).toEqual(new Array(10).fill(2));
    views.shard(2).fill(9);
    expect(views.shard(1).every((x) => x === 0)).toBe(true);
    expect(() => views.slot(3)).toThrow(/slots 0\.\.2/);
  });

  it('addresses images train first, then test', () => {
    views.images.set([1, 1, 1, 1], 6 * 4);
    expect([...views.image(6)]).toEqual([1, 1, 1, 1]);
    expect(views.image(7).length).toBe(4);
  });

  it('keeps each worker\'s slot version in its own control word, seen through any view of the buffer', () => {
    // A second SharedViews over the same buffer stands in for another thread's views.
    const other = new SharedViews(views.buffer, spec);
    views.publishSlot(1, 5);
    views.publishSlot(2, 7);
    expect(other.slotVersion(1)).toBe(5);
    expect(other.slotVersion(2)).toBe(7);
    expect(other.slotVersion(0)).toBe(0);
    expect(Atomics.load(other.control, SLOT_VERSION_BASE + 1)).toBe(5);
    expect(() => views.publishSlot(3, 1)).toThrow(/slots 0\.\.2/);
  });

  it('refuses a buffer smaller than the layout', () => {
    expect(() => new SharedViews(new SharedArrayBuffer(16), spec)).toThrow(/needs/);
  });
});

describe('SharedViews interrupt', () => {
  const small = { ...PARAMS, paramCount: 4, trainSize: 4, testSize: 1, sampleBytes: 1, shardCapacity: 4 };

  it('wakes a thread sleeping its emulated slowdown at once, and leaves the slot versions alone', async () => {
    const { Worker } = await import('node:worker_threads');
    const spec = computeLayout(small);
    const views = new SharedViews(new SharedArrayBuffer(spec.totalBytes), spec);
    views.publishSlot(0, 7);
    // The sleeper waits on the interrupt word as a trainer does, for up to an hour.
    const sleeper = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const control = new Int32Array(workerData.buffer, workerData.offset, 1);
       parentPort.postMessage('sleeping');
       parentPort.postMessage(Atomics.wait(control, 0, 0, 3600000));`,
      { eval: true, workerData: { buffer: views.buffer, offset: spec.control.offset } },
    );
    try {
      const messages: string[] = [];
      const woke = new Promise<string>((resolve) =>
        sleeper.on('message', (m: string) => {
          messages.push(m);
          if (m === 'sleeping') setTimeout(() => views.interrupt(), 50);
          else resolve(m);
        }),
      );
      expect(await woke).toMatch(/^(ok|not-equal)$/);
      expect(views.interrupted()).toBe(true);
      expect(views.slotVersion(0)).toBe(7);
      views.clearInterrupt();
      expect(views.interrupted()).toBe(false);
    } finally {
      await sleeper.terminate();
    }
  });

  it('does not sleep once interrupted', () => {
    const spec = computeLayout(small);
    const views = new SharedViews(new SharedArrayBuffer(spec.totalBytes), spec);
    views.interrupt();
    // An hour, unless the interrupt word cuts it short (the test would time out).
    views.sleepUnlessInterrupted(3_600_000);
    expect(views.interrupted()).toBe(true);
  });
});
