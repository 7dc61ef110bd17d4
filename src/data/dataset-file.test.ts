import { describe, expect, it } from 'vitest';
import { DatasetFileError, encodeDatasetFile, parseDatasetFile } from './dataset-file';

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
