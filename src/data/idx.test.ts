import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetFileError } from './dataset-file';
import {
  IDX_FILES,
  IDX_TEST_IMAGES,
  IDX_TEST_LABELS,
  IDX_TRAIN_IMAGES,
  IDX_TRAIN_LABELS,
  encodeIdx,
  maybeGunzip,
  parseIdx,
  readIdxDataset,
} from './idx';

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const getter = (files: Record<string, Uint8Array>) => async (name: string) => files[name] ?? null;

/** A small MNIST-like dataset: 4 train and 2 test images of 3x2. */
function standardFiles(): Record<string, Uint8Array> {
  return {
    [IDX_TRAIN_IMAGES]: encodeIdx([4, 3, 2], bytes(24, 1)),
    [IDX_TRAIN_LABELS]: encodeIdx([4], Uint8Array.from([0, 1, 2, 1])),
    [IDX_TEST_IMAGES]: encodeIdx([2, 3, 2], bytes(12, 2)),
    [IDX_TEST_LABELS]: encodeIdx([2], Uint8Array.from([3, 0])),
  };
}

describe('parseIdx', () => {
  it('reads the header by hand-built bytes (big-endian sizes)', () => {
    const file = Uint8Array.from([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 1, 0, ...bytes(512)]);
    const { dims, data } = parseIdx('h', file);
    expect(dims).toEqual([2, 256]);
    expect(data).toEqual(bytes(512));
  });

  it('round-trips encodeIdx', () => {
    const data = bytes(2 * 3 * 4 * 5);
    const parsed = parseIdx('x', encodeIdx([2, 3, 4, 5], data));
    expect(parsed.dims).toEqual([2, 3, 4, 5]);
    expect(parsed.data).toEqual(data);
    expect(() => encodeIdx([2, 2], bytes(3))).toThrow(/data has 3 bytes; dims \[2, 2\] need exactly 4/);
  });

  it('names the file, the type byte and the sizes for bad files', () => {
    const good = encodeIdx([3, 2, 2], bytes(12));
    expect(() => parseIdx('t.idx', good.subarray(0, 3))).toThrow(/t\.idx: 3 bytes is shorter than the 4-byte magic/);
    expect(() => parseIdx('t.idx', good.subarray(0, good.length - 1))).toThrow(
      /t\.idx: is 27 bytes; dimensions \[3, 2, 2\] need exactly 28 \(16-byte header \+ 12 data bytes\), so it is truncated/,
    );
    expect(() => parseIdx('t.idx', good.subarray(0, 10))).toThrow(/truncated inside the header \(rank 3 needs 16/);
    const long = new Uint8Array(good.length + 2);
    long.set(good);
    expect(() => parseIdx('t.idx', long)).toThrow(/is 30 bytes; .* need exactly 28/);
    const float = good.slice();
    float[2] = 0x0d;
    expect(() => parseIdx('f.idx', float)).toThrow(/f\.idx: type byte 0x0d \(float32\) is not supported; allowed: 0x08/);
    const odd = good.slice();
    odd[2] = 0x42;
    expect(() => parseIdx('f.idx', odd)).toThrow(/type byte 0x42 is not supported/);
    const foreign = good.slice();
    foreign[1] = 0x08;
    expect(() => parseIdx('g', foreign)).toThrow(/starts with 0x00 0x08, expected 0x00 0x00/);
    const rank0 = good.slice();
    rank0[3] = 0;
    expect(() => parseIdx('r', rank0)).toThrow(/rank byte is 0/);
    expect(() => parseIdx('r', rank0)).toThrow(DatasetFileError);
  });
});

describe('maybeGunzip', () => {
  it('gunzips gzip data and passes anything else through unchanged', async () => {
    const plain = encodeIdx([10, 7], bytes(70));
    expect(await maybeGunzip(new Uint8Array(gzipSync(plain)))).toEqual(plain);
    expect(await maybeGunzip(plain)).toBe(plain);
    expect(await maybeGunzip(new Uint8Array([0x1f]))).toEqual(new Uint8Array([0x1f]));
  });

  it('names the input when gzip data is corrupt', async () => {
    const broken = new Uint8Array(gzipSync(bytes(1000))).subarray(0, 20);
    await expect(maybeGunzip(broken, 'x.gz')).rejects.toThrow(/x\.gz: corrupt gzip data \(unexpected end of file\)/);
  });
});

describe('readIdxDataset', () => {
  it('reads the four standard files', async () => {
    const { train, test } = await readIdxDataset(getter(standardFiles()), 'mnist');
    expect(train).toMatchObject({ name: 'mnist-train', count: 4, height: 3, width: 2, channels: 1, classes: 4 });
    expect(test).toMatchObject({ name: 'mnist-test', count: 2, height: 3, width: 2, channels: 1, classes: 4 });
    expect(train.images).toEqual(bytes(24, 1));
    expect(test.images).toEqual(bytes(12, 2));
    expect([...train.labels]).toEqual([0, 1, 2, 1]);
    expect([...test.labels]).toEqual([3, 0]);
  });

  it('accepts .gz variants, tries the plain name first, and reads rank-4 images', async () => {
    const files = standardFiles();
    const asked: string[] = [];
    const gzFiles: Record<string, Uint8Array> = {
      [`${IDX_TRAIN_IMAGES}.gz`]: new Uint8Array(gzipSync(encodeIdx([4, 2, 1, 3], bytes(24, 1)))),
      [IDX_TRAIN_LABELS]: files[IDX_TRAIN_LABELS] as Uint8Array,
      [`${IDX_TEST_IMAGES}.gz`]: new Uint8Array(gzipSync(encodeIdx([2, 2, 1, 3], bytes(12, 2)))),
      [`${IDX_TEST_LABELS}.gz`]: new Uint8Array(gzipSync(files[IDX_TEST_LABELS] as Uint8Array)),
    };
    const { train, test } = await readIdxDataset(async (name) => {
      asked.push(name);
      return gzFiles[name] ?? null;
    });
    expect(train).toMatchObject({ name: 'idx-train', count: 4, height: 2, width: 1, channels: 3, classes: 4 });
    expect(test.images).toEqual(bytes(12, 2));
    expect(asked.indexOf(IDX_TRAIN_IMAGES)).toBeLessThan(asked.indexOf(`${IDX_TRAIN_IMAGES}.gz`));
    expect(asked).not.toContain(`${IDX_TRAIN_LABELS}.gz`);
  });

  it('names every missing file and the expected set', async () => {
    const files = standardFiles();
    delete files[IDX_TEST_LABELS];
    delete files[IDX_TRAIN_IMAGES];
    await expect(readIdxDataset(getter(files))).rejects.toThrow(
      new RegExp(
        `missing ${IDX_TRAIN_IMAGES} \\(or ${IDX_TRAIN_IMAGES}\\.gz\\), ${IDX_TEST_LABELS} \\(or ${IDX_TEST_LABELS}\\.gz\\)\\. ` +
          `Expected the four files ${IDX_FILES.join(', ')}`,
      ),
    );
  });

  it('names both files and both counts when they disagree', async () => {
    const files = standardFiles();
    files[IDX_TEST_LABELS] = encodeIdx([3], Uint8Array.from([0, 1, 1]));
    await expect(readIdxDataset(getter(files))).rejects.toThrow(
      `IDX files ${IDX_TEST_IMAGES} and ${IDX_TEST_LABELS} disagree: 2 images but 3 labels.`,
    );
  });

  it('names the gzipped file name in errors from inside it', async () => {
    const files = standardFiles();
    const truncated = (files[IDX_TRAIN_IMAGES] as Uint8Array).subarray(0, 30);
    delete files[IDX_TRAIN_IMAGES];
    files[`${IDX_TRAIN_IMAGES}.gz`] = new Uint8Array(gzipSync(truncated));
    await expect(readIdxDataset(getter(files))).rejects.toThrow(
      `IDX file ${IDX_TRAIN_IMAGES}.gz: is 30 bytes; dimensions [4, 3, 2] need exactly 40`,
    );
  });

  it('refuses bad ranks, shapes, labels and a single class', async () => {
    const withFile = (name: string, content: Uint8Array) => ({ ...standardFiles(), [name]: content });
    await expect(readIdxDataset(getter(withFile(IDX_TRAIN_IMAGES, encodeIdx([4, 6], bytes(24)))))).rejects.toThrow(
      /train-images-idx3-ubyte: images have rank 2 \[4, 6\]; allowed: 3/,
    );
    await expect(readIdxDataset(getter(withFile(IDX_TRAIN_LABELS, encodeIdx([4, 1], bytes(4)))))).rejects.toThrow(
      /train-labels-idx1-ubyte: labels have rank 2 \[4, 1\]; allowed: 1/,
    );
    await expect(readIdxDataset(getter(withFile(IDX_TEST_IMAGES, encodeIdx([2, 2, 3], bytes(12)))))).rejects.toThrow(
      /disagree: images are 3x2x1 and 2x3x1/,
    );
    await expect(
      readIdxDataset(getter(withFile(IDX_TRAIN_LABELS, encodeIdx([4], Uint8Array.from([0, 255, 1, 1]))))),
    ).rejects.toThrow(/train-labels-idx1-ubyte: label 1 is 255; allowed 0\.\.254/);
    await expect(
      readIdxDataset(
        getter({
          ...standardFiles(),
          [IDX_TRAIN_LABELS]: encodeIdx([4], new Uint8Array(4)),
          [IDX_TEST_LABELS]: encodeIdx([2], new Uint8Array(2)),
        }),
      ),
    ).rejects.toThrow(/every label .* is 0; at least 2 classes are needed/);
    await expect(readIdxDataset(getter(withFile(IDX_TRAIN_IMAGES, encodeIdx([0, 3, 2], bytes(0)))))).rejects.toThrow(
      /shape \[0, 3, 2\]; every size must be at least 1/,
    );
  });

  it('takes the class count from the largest label of either split', async () => {
    const files = standardFiles();
    files[IDX_TEST_LABELS] = encodeIdx([2], Uint8Array.from([9, 0]));
    const { train, test } = await readIdxDataset(getter(files));
    expect(train.classes).toBe(10);
    expect(test.classes).toBe(10);
  });
});
