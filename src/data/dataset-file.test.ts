import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatasetFileError, encodeDatasetFile, parseDatasetFile } from './dataset-file';
import { maybeGunzip } from './idx';

const good = () =>
  encodeDatasetFile({
    count: 3, height: 2, width: 2, channels: 1, classes: 10,
    labels: Uint8Array.from([0, 9, 4]),
    images: Uint8Array.from({ length: 12 }, (_, i) => i * 10),
  });

describe('parseDatasetFile', () => {
  it('reads what encodeDatasetFile writes', () => {
    const d = parseDatasetFile('t.bin', good());
    expect(d).toMatchObject({ count: 3, height: 2, width: 2, channels: 1, classes: 10 });
    expect([...d.labels]).toEqual([0, 9, 4]);
    expect(d.images[11]).toBe(110);
  });

  it('names the file and the problem for truncated, foreign and corrupt files', () => {
    const bytes = good();
    expect(() => parseDatasetFile('t.bin', bytes.subarray(0, 10))).toThrow(/t\.bin: 10 bytes is shorter/);
    expect(() => parseDatasetFile('t.bin', bytes.subarray(0, bytes.length - 1))).toThrow(/needs exactly/);
    const foreign = bytes.slice();
    foreign[0] = 0x3c;
    expect(() => parseDatasetFile('t.bin', foreign)).toThrow(/expected "TNDM"/);
    const badLabel = bytes.slice();
    badLabel[32 + 1] = 10;
    expect(() => parseDatasetFile('t.bin', badLabel)).toThrow(/sample 1 has label 10/);
    expect(() => parseDatasetFile('t.bin', badLabel)).toThrow(DatasetFileError);
  });
});

describe('a corrupt gzip data file', () => {
  const zipped = new Uint8Array(gzipSync(good()));
  const garbled = zipped.slice();
  for (let i = 10; i < garbled.length - 8; i++) garbled[i]! ^= 0x5a;
  const badChecksum = zipped.slice();
  badChecksum[badChecksum.length - 6]! ^= 1;
  afterEach(() => vi.unstubAllGlobals());

  it('still gunzips when whole', async () => {
    expect(await maybeGunzip(zipped, 't.bin.gz')).toEqual(good());
  });

  it.each([
    ['truncated', zipped.subarray(0, 20)],
    ['cut to its magic', zipped.subarray(0, 2)],
    ['garbled', garbled],
    ['with a wrong checksum', badChecksum],
    ['followed by junk', Uint8Array.from([...zipped, 1, 2, 3])],
  ])('says so when %s, naming the file and the reason', async (_what, bytes) => {
    const error = await maybeGunzip(bytes, 't.bin.gz').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFileError);
    expect((error as Error).message).toMatch(/^t\.bin\.gz: corrupt gzip data \(.+\)$/);
  });

  it("keeps the decompressor's reason where Chrome's Response would say only \"Failed to fetch\"", async () => {
    // Chrome's Response body read reports any stream error as a TypeError "Failed to fetch".
    vi.stubGlobal(
      'Response',
      class {
        arrayBuffer(): Promise<ArrayBuffer> {
          return Promise.reject(new TypeError('Failed to fetch'));
        }
      },
    );
    const error = await maybeGunzip(zipped.subarray(0, 20), 't.bin.gz').catch((e: unknown) => e);
    expect((error as Error).message).toBe('t.bin.gz: corrupt gzip data (unexpected end of file)');
  });
});
