import { describe, expect, it } from 'vitest';
import {
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  encodeCifar10,
  parseCifar10,
  readCifar10,
} from './cifar10';
import { DatasetFileError } from './dataset-file';

/** HWC images whose every byte encodes (sample, pixel, channel), so a transposition error shows. */
function imagesHWC(count: number, seed = 0): Uint8Array {
  const out = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + seed * 31 + Math.floor(i / 3) * 13) & 0xff;
  return out;
}

/** A record built by hand in the planar layout, independent of encodeCifar10. */
function planarRecord(label: number, r: (p: number) => number, g: (p: number) => number, b: (p: number) => number) {
  const rec = new Uint8Array(CIFAR10_RECORD_BYTES);
  rec[0] = label;
  for (let p = 0; p < 1024; p++) {
    rec[1 + p] = r(p);
    rec[1 + 1024 + p] = g(p);
    rec[1 + 2048 + p] = b(p);
  }
  return rec;
}

const getter = (files: Record<string, Uint8Array>) => async (name: string) => files[name] ?? null;

describe('CIFAR-10 constants', () => {
  it('names the official files and the ten classes in label order', () => {
    expect(CIFAR10_TRAIN_FILES).toEqual([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`));
    expect(CIFAR10_TEST_FILE).toBe('test_batch.bin');
    expect(CIFAR10_CLASSES).toEqual([
      'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
    ]);
    expect(CIFAR10_RECORD_BYTES).toBe(3073);
  });
});

describe('parseCifar10', () => {
  it('converts planar RGB records to interleaved HWC', () => {
    const rec = planarRecord(7, (p) => p & 0xff, (p) => (p >> 2) & 0xff, () => 200);
    const d = parseCifar10([{ name: 'one.bin', bytes: rec }], 'test');
    expect(d).toMatchObject({ name: 'cifar10-test', count: 1, height: 32, width: 32, channels: 3, classes: 10 });
    expect([...d.labels]).toEqual([7]);
    expect(d.images.length).toBe(3072);
    // Pixel (row 1, col 3) is planar index 35.
    const at = (1 * 32 + 3) * 3;
    expect([...d.images.subarray(at, at + 3)]).toEqual([35, 8, 200]);
    const last = 1023 * 3;
    expect([...d.images.subarray(last, last + 3)]).toEqual([1023 & 0xff, (1023 >> 2) & 0xff, 200]);
  });

  it('round-trips encodeCifar10 and concatenates files in the order given', () => {
    const a = imagesHWC(3, 1);
    const b = imagesHWC(2, 2);
    const d = parseCifar10(
      [
        { name: 'a.bin', bytes: encodeCifar10(Uint8Array.from([0, 9, 4]), a) },
        { name: 'b.bin', bytes: encodeCifar10(Uint8Array.from([1, 2]), b) },
      ],
      'train',
    );
    expect(d.count).toBe(5);
    expect(d.name).toBe('cifar10-train');
    expect([...d.labels]).toEqual([0, 9, 4, 1, 2]);
    expect(d.images.subarray(0, a.length)).toEqual(a);
    expect(d.images.subarray(a.length)).toEqual(b);
  });

  it('encodeCifar10 writes the planar layout', () => {
    const hwc = new Uint8Array(CIFAR10_IMAGE_BYTES);
    hwc[0] = 11; // pixel 0 red
    hwc[1] = 22; // pixel 0 green
    hwc[3 * 5 + 2] = 33; // pixel 5 blue
    const rec = encodeCifar10(Uint8Array.from([3]), hwc);
    expect(rec.length).toBe(3073);
    expect([rec[0], rec[1], rec[1 + 1024], rec[1 + 2048 + 5]]).toEqual([3, 11, 22, 33]);
    expect(() => encodeCifar10(Uint8Array.from([1, 2]), hwc)).toThrow(/3072 bytes; 2 labels need exactly 6144/);
  });

  it('refuses empty, truncated and mislabelled files, naming the file', () => {
    const good = encodeCifar10(Uint8Array.from([1, 2, 3]), imagesHWC(3));
    expect(() => parseCifar10([{ name: 'e.bin', bytes: new Uint8Array(0) }], 'train')).toThrow(
      /CIFAR-10 file e\.bin is empty/,
    );
    const cut = good.subarray(0, good.length - 10);
    expect(() => parseCifar10([{ name: 'cut.bin', bytes: cut }], 'train')).toThrow(
      /cut\.bin is 9209 bytes, not a multiple of the 3073-byte record \(2 records and 3063 bytes left over\)/,
    );
    const bad = good.slice();
    bad[2 * 3073] = 10;
    expect(() => parseCifar10([{ name: 'ok.bin', bytes: good }, { name: 'bad.bin', bytes: bad }], 'train')).toThrow(
      /bad\.bin: record 2 has label byte 10; allowed 0\.\.9/,
    );
    expect(() => parseCifar10([{ name: 'bad.bin', bytes: bad }], 'train')).toThrow(DatasetFileError);
    expect(() => parseCifar10([], 'test')).toThrow(/test split: no files given/);
  });
});

describe('readCifar10', () => {
  const batch = (labels: number[], seed: number) => encodeCifar10(Uint8Array.from(labels), imagesHWC(labels.length, seed));

  it('reads all official files, train batches in order', async () => {
    const files: Record<string, Uint8Array> = { [CIFAR10_TEST_FILE]: batch([5, 6], 9) };
    CIFAR10_TRAIN_FILES.forEach((name, i) => (files[name] = batch([i, i + 1], i)));
    const { train, test } = await readCifar10(getter(files));
    expect(train.count).toBe(10);
    expect([...train.labels]).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
    expect(train.images.subarray(4 * 3072, 6 * 3072)).toEqual(imagesHWC(2, 2));
    expect(test).toMatchObject({ name: 'cifar10-test', count: 2, classes: 10 });
    expect([...test.labels]).toEqual([5, 6]);
  });

  it('accepts a subset of the training batches', async () => {
    const { train } = await readCifar10(
      getter({ [CIFAR10_TEST_FILE]: batch([0], 1), 'data_batch_3.bin': batch([8, 9, 7], 3) }),
    );
    expect([...train.labels]).toEqual([8, 9, 7]);
  });

  it('names what is missing and what was expected', async () => {
    await expect(readCifar10(getter({ 'data_batch_1.bin': batch([0], 1) }))).rejects.toThrow(
      /missing test_batch\.bin\. Expected test_batch\.bin and at least one of data_batch_1\.bin, .*data_batch_5\.bin/,
    );
    await expect(readCifar10(getter({ [CIFAR10_TEST_FILE]: batch([0], 1) }))).rejects.toThrow(
      /missing all of data_batch_1\.bin.*data_batch_5\.bin\. Expected/,
    );
    await expect(readCifar10(getter({}))).rejects.toThrow(/missing test_batch\.bin and all of data_batch_1/);
    await expect(readCifar10(getter({}))).rejects.toBeInstanceOf(DatasetFileError);
  });

  it('passes file errors through with the file name', async () => {
    await expect(
      readCifar10(getter({ [CIFAR10_TEST_FILE]: new Uint8Array(5), 'data_batch_2.bin': batch([1], 1) })),
    ).rejects.toThrow(/test_batch\.bin is 5 bytes/);
  });
});
