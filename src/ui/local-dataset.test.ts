import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CIFAR10_IMAGE_BYTES, CIFAR10_RECORD_BYTES, encodeCifar10 } from '../data/cifar10';
import { DatasetFileError } from '../data/dataset-file';
import { encodeIdx } from '../data/idx';
import { LocalDatasets, detectPickedSet, fingerprint, isLocalSpec, specFileName, type PickedFile } from './local-dataset';

function cifarBatch(records: number): Uint8Array {
  const labels = Uint8Array.from({ length: records }, (_, i) => i % 10);
  return encodeCifar10(labels, Uint8Array.from({ length: records * CIFAR10_IMAGE_BYTES }, (_, i) => i % 251));
}

const file = (name: string, bytes: Uint8Array, lastModified = 1): PickedFile => ({ name, bytes, lastModified });

function idxFiles(gz: boolean): PickedFile[] {
  const split = (n: number) => ({
    images: encodeIdx([n, 4, 4], Uint8Array.from({ length: n * 16 }, (_, i) => i % 256)),
    labels: encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 3)),
  });
  const train = split(30);
  const test = split(9);
  const z = (b: Uint8Array) => (gz ? new Uint8Array(gzipSync(b)) : b);
  const ext = gz ? '.gz' : '';
  return [
    file(`train-images-idx3-ubyte${ext}`, z(train.images)),
    file(`train-labels-idx1-ubyte${ext}`, z(train.labels)),
    file(`t10k-images-idx3-ubyte${ext}`, z(test.images)),
    file(`t10k-labels-idx1-ubyte${ext}`, z(test.labels)),
  ];
}

describe('detectPickedSet', () => {
  it('tells CIFAR-10 from IDX by name and ignores other files', () => {
    expect(detectPickedSet(['test_batch.bin', 'data_batch_2.bin', 'readme.html'])).toEqual({
      kind: 'cifar10',
      used: ['test_batch.bin', 'data_batch_2.bin'],
      ignored: ['readme.html'],
    });
    expect(detectPickedSet(['t10k-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte']).kind).toBe('idx');
  });

  it('takes one .txt file, alone or beside others, as text; a .txt beside CIFAR-10 stays ignored', () => {
    expect(detectPickedSet(['Moby Dick.TXT'])).toEqual({ kind: 'text', used: ['Moby Dick.TXT'], ignored: [] });
    expect(detectPickedSet(['cover.png', 'book.txt'])).toEqual({ kind: 'text', used: ['book.txt'], ignored: ['cover.png'] });
    expect(detectPickedSet(['test_batch.bin', 'batches.meta.txt']).kind).toBe('cifar10');
    expect(() => detectPickedSet(['a.txt', 'b.txt'])).toThrow(/2 text files were picked \(a\.txt, b\.txt\); .*pick one \.txt file/);
  });

  it('refuses a mix, and files of neither set, naming them', () => {
    expect(() => detectPickedSet(['test_batch.bin', 'train-images-idx3-ubyte'])).toThrow(/mix CIFAR-10 \(test_batch\.bin\) and IDX/);
    expect(() => detectPickedSet(['cat.png'])).toThrow(/cat\.png.*Expected CIFAR-10: test_batch\.bin/);
    expect(() => detectPickedSet([])).toThrow(DatasetFileError);
  });
});

describe('LocalDatasets', () => {
  it('reads a CIFAR-10 subset under a local spec the loader then answers', async () => {
    const local = new LocalDatasets();
    const picked = await local.pick([file('test_batch.bin', cifarBatch(10)), file('data_batch_1.bin', cifarBatch(30)), file('notes.txt', new Uint8Array(3))]);
    expect(picked.spec).toMatch(/^cifar10:local\/[0-9a-f]{8}\/$/);
    expect(isLocalSpec(picked.spec)).toBe(true);
    expect(picked.ignored).toEqual(['notes.txt']);
    expect(picked.dataset.train.count).toBe(30);
    expect(picked.dataset.test.count).toBe(10);
    const served = async (): Promise<never> => {
      throw new Error('the fallback must not be asked for a local spec');
    };
    await expect(local.loader(served)(picked.spec, { contextLength: 64 })).resolves.toBe(picked.dataset);
  });

  it('reads the four IDX files, plain or gzipped', async () => {
    for (const gz of [false, true]) {
      const picked = await new LocalDatasets().pick(idxFiles(gz));
      expect(picked.kind).toBe('idx');
      expect(picked.dataset.train.count).toBe(30);
      expect(picked.dataset.test.classes).toBe(3);
    }
  });

  it('names the bad file and the problem', async () => {
    const local = new LocalDatasets();
    const broken = new Uint8Array(CIFAR10_RECORD_BYTES * 2 + 5);
    await expect(local.pick([file('test_batch.bin', cifarBatch(5)), file('data_batch_1.bin', broken)])).rejects.toThrow(
      /data_batch_1\.bin is 6151 bytes, not a multiple of the 3073-byte record/,
    );
    const badLabel = cifarBatch(3);
    badLabel[CIFAR10_RECORD_BYTES] = 12;
    await expect(local.pick([file('test_batch.bin', badLabel), file('data_batch_1.bin', cifarBatch(3))])).rejects.toThrow(
      /test_batch\.bin: record 1 has label byte 12/,
    );
    await expect(local.pick([file('data_batch_1.bin', cifarBatch(3))])).rejects.toThrow(/missing test_batch\.bin/);
    await expect(local.pick(idxFiles(false).slice(1))).rejects.toThrow(/missing train-images-idx3-ubyte/);
  });

  it('passes other specs on, and refuses a local spec whose files are not picked in this page', async () => {
    const local = new LocalDatasets();
    const loader = local.loader(async (d) => {
      throw new Error(`fallback ${d}`);
    });
    await expect(loader('mnist', { contextLength: 64 })).rejects.toThrow('fallback mnist');
    await expect(loader('cifar10:local/0badf00d/', { contextLength: 64 })).rejects.toThrow(/in an earlier visit.*Pick the same files again/);
    await local.pick([file('test_batch.bin', cifarBatch(2)), file('data_batch_1.bin', cifarBatch(2))]);
    await expect(loader('cifar10:local/0badf00d', { contextLength: 64 })).rejects.toThrow(/before the ones picked last/);
  });

  it('reads a text file under a local text spec, cut again at the contextLength a run asks for', async () => {
    const local = new LocalDatasets();
    const text = 'Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse. '.repeat(40);
    const picked = await local.pick([file('my book.txt', new TextEncoder().encode(text)), file('cover.png', new Uint8Array(4))], { contextLength: 16 });
    expect(picked.kind).toBe('text');
    expect(picked.spec).toMatch(/^text:local\/[0-9a-f]{8}\/my_book\.txt$/);
    expect(isLocalSpec(picked.spec)).toBe(true);
    expect(picked.ignored).toEqual(['cover.png']);
    expect(picked.dataset.textInfo?.contextLength).toBe(16);
    expect(picked.dataset.train.width).toBe(17);
    const loader = local.loader(async (d) => {
      throw new Error(`fallback ${d}`);
    });
    await expect(loader(picked.spec, { contextLength: 16 })).resolves.toBe(picked.dataset);
    const recut = await loader(picked.spec, { contextLength: 32 });
    expect(recut.id).toBe(picked.spec);
    expect(recut.train.width).toBe(33);
    expect(recut.textInfo?.vocabulary).toEqual(picked.dataset.textInfo?.vocabulary);
  });

  it('names a text file too short or not text', async () => {
    const local = new LocalDatasets();
    await expect(local.pick([file('short.txt', new TextEncoder().encode('Call me Ishmael.'))], { contextLength: 16 })).rejects.toThrow(
      /Text file local\/[0-9a-f]{8}\/short\.txt has 16 characters/,
    );
    await expect(local.pick([file('x.txt', Uint8Array.of(0x43, 0, 0x41))])).rejects.toThrow(/NUL/);
    expect(specFileName('Moby: Dick/1.txt')).toBe('Moby__Dick_1.txt');
  });

  it('gives the same files the same spec and different files another', () => {
    const a = [file('test_batch.bin', new Uint8Array(3), 5), file('data_batch_1.bin', new Uint8Array(4), 5)];
    expect(fingerprint(a)).toBe(fingerprint([...a].reverse()));
    expect(fingerprint(a)).not.toBe(fingerprint([file('test_batch.bin', new Uint8Array(3), 6), a[1] as PickedFile]));
  });
});
